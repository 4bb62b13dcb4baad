"""Whether a draft answers a requirement, by rules: the requirement's telling words against the sections' text.

After a version is drafted (issue #16) each requirement of the proposal's documents is checked against the sections
its kind maps to (functional: solution and scope; technical: solution and methodology; qualification: team and
differentials; commercial: investment and terms; deadline: timeline and terms) and, failing those, against every
section. Its telling words are the quote's content words (accents folded, lower case, at least four letters, stop
words, modal verbs and the parties' names left out), compared by their first six letters, so "integração" meets
"integrar" and "relatórios" meets "relatório". A section holding at least 60 % of them answers the requirement,
30 % answers it partly; below that it is not answered. The sentence of the section with most of the words is kept
as the answer a person checks. It is a screen, not a judge: it flags what is surely missing, and a person sets the
status that counts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from propos4l.shared.library_text import fold_accents
from propos4l.shared.requirements import RequirementKind
from propos4l.shared.sections import SectionKey

__all__ = ["ANSWERED_SHARE", "PARTIAL_SHARE", "Coverage", "assess", "best_answer", "sections_for", "telling_words"]

ANSWERED_SHARE: Final = 0.6
PARTIAL_SHARE: Final = 0.3
_PREFIX: Final = 6

CoverageStatus = Literal["answered", "partial", "not_answered"]

_SECTIONS_BY_KIND: Final[dict[RequirementKind, tuple[SectionKey, ...]]] = {
    RequirementKind.FUNCTIONAL: (SectionKey.SOLUTION, SectionKey.SCOPE),
    RequirementKind.TECHNICAL: (SectionKey.SOLUTION, SectionKey.METHODOLOGY),
    RequirementKind.QUALIFICATION: (SectionKey.TEAM, SectionKey.DIFFERENTIALS),
    RequirementKind.COMMERCIAL: (SectionKey.INVESTMENT, SectionKey.TERMS),
    RequirementKind.DEADLINE: (SectionKey.TIMELINE, SectionKey.TERMS),
}
_STOP_WORDS: Final = frozenset(
    """
    para pelo pela pelos pelas como com sem sobre entre ate apos desde quando onde qual quais que cada todo toda
    todos todas este esta estes estas esse essa esses essas aquele aquela isso isto seus suas seu sua dos das nos
    nas num numa mais menos muito muita minimo maximo deste desta neste nesta outro outra outros outras mesmo
    mesma ser sera serao sendo sido estar esteja tenha possuir possua possuam forma caso conforme demais
    devera deverao deve devem podera poderao pode podem obrigatorio obrigatoria vedado vedada desejavel
    preferencialmente contratada contratante licitante licitantes proponente empresa solucao sistema
    shall must should will would could with without from into onto upon that this these those their there
    than then have has been being such each other also only more less least most within which where when
    what whom whose under over about after before contractor vendor supplier bidder proposer offeror client
    authority solution system provide provided including include required requirement requirements
    """.split()
)
_WORD: Final = re.compile(r"[a-z0-9][a-z0-9-]{3,}")
_SENTENCE: Final = re.compile(r"(?<=[.!?;:])\s+|\n+")


@dataclass(frozen=True, slots=True)
class Coverage:
    """How a draft answers a requirement: the status, the sections that hold its words, the best sentence."""

    status: CoverageStatus
    share: float
    sections: tuple[SectionKey, ...]
    sentence: str | None


def sections_for(kind: RequirementKind) -> tuple[SectionKey, ...]:
    """The sections that usually answer a requirement of this kind."""
    return _SECTIONS_BY_KIND[kind]


def telling_words(text: str) -> frozenset[str]:
    """The content words of `text` as they are compared: folded, lower case, the first six letters."""
    folded = fold_accents(text).casefold()
    return frozenset(word[:_PREFIX] for word in _WORD.findall(folded) if word not in _STOP_WORDS)


def assess(quote: str, kind: RequirementKind, sections: Mapping[SectionKey, str]) -> Coverage:
    """Whether the sections answer the requirement quoted; its kind's sections first, then any."""
    wanted = telling_words(quote)
    if not wanted:
        return Coverage("not_answered", 0.0, (), None)
    shares = {key: len(wanted & telling_words(text)) / len(wanted) for key, text in sections.items() if text}
    preferred = [key for key in sections_for(kind) if key in shares]
    best = max(preferred, key=lambda key: shares[key], default=None)
    if best is None or shares[best] < ANSWERED_SHARE:
        anywhere = max(shares, key=lambda key: shares[key], default=None)
        if anywhere is not None and (best is None or shares[anywhere] > shares[best]):
            best = anywhere
    if best is None or shares[best] < PARTIAL_SHARE:
        return Coverage("not_answered", shares[best] if best else 0.0, (), None)
    status: CoverageStatus = "answered" if shares[best] >= ANSWERED_SHARE else "partial"
    holding = tuple(key for key in sections if shares.get(key, 0.0) >= PARTIAL_SHARE)
    ordered = (best, *(key for key in holding if key != best))
    return Coverage(status, round(shares[best], 3), ordered, _best_sentence(wanted, sections[best]))


def _best_sentence(wanted: frozenset[str], text: str) -> str | None:
    sentences: Sequence[str] = [part.strip() for part in _SENTENCE.split(text) if part.strip()]
    scored = [(len(wanted & telling_words(sentence)), sentence) for sentence in sentences]
    best = max(scored, key=lambda pair: pair[0], default=(0, ""))
    return best[1][:1000] if best[0] else None


def best_answer(question: str, sections: Mapping[SectionKey, str]) -> tuple[SectionKey, str] | None:
    """The sentence of the sections that holds most of the question's telling words (at least `PARTIAL_SHARE` of
    them), with its section; None when no sentence does (a questionnaire's row left for a person)."""
    wanted = telling_words(question)
    if not wanted:
        return None
    best: tuple[float, SectionKey, str] | None = None
    for key, text in sections.items():
        for sentence in (part.strip() for part in _SENTENCE.split(text) if part.strip()):
            share = len(wanted & telling_words(sentence)) / len(wanted)
            if share >= PARTIAL_SHARE and (best is None or share > best[0]):
                best = (share, key, sentence.lstrip("#-* ").strip()[:2000])
    return (best[1], best[2]) if best else None
