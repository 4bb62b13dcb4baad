"""The labelled editais and RFPs of bench/fixtures/requirements/ and how extracted requirements are scored on them.

A fixture file is a document's text, `<<<PAGE>>>` lines between pages, with each requirement written inside
`{{M:kind|quote}}` (mandatory) or `{{D:kind|quote}}` (desirable). Reading one gives the pages as the extractor sees
them (the markers removed) and the labels with their pages. A found requirement matches a label when their
normalised quotes are equal, or one holds the other and the shorter is at least 60 % of the longer (a quote cut
one clause short or long still counts); each label matches at most one requirement.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from propos4l.shared.requirements import (
    Obligation,
    Requirement,
    RequirementKind,
    SourcePage,
    normalise_quote,
)

REPO: Final = Path(__file__).resolve().parents[2]
FIXTURES: Final = REPO / "bench" / "fixtures" / "requirements"
PAGE_BREAK: Final = "<<<PAGE>>>"
_LABEL: Final = re.compile(r"\{\{(?P<obligation>[MD]):(?P<kind>fun|tec|qua|com|dea)\|(?P<quote>.+?)\}\}", re.DOTALL)
_KINDS: Final = {
    "fun": RequirementKind.FUNCTIONAL,
    "tec": RequirementKind.TECHNICAL,
    "qua": RequirementKind.QUALIFICATION,
    "com": RequirementKind.COMMERCIAL,
    "dea": RequirementKind.DEADLINE,
}
_MIN_OVERLAP: Final = 0.6


@dataclass(frozen=True, slots=True)
class Label:
    """A requirement as a person marked it."""

    quote: str
    obligation: Obligation
    kind: RequirementKind
    page: int


@dataclass(frozen=True, slots=True)
class LabelledDocument:
    """A fixture document: its name, language, pages (markers removed) and labels."""

    name: str
    language: str
    pages: tuple[SourcePage, ...]
    labels: tuple[Label, ...]


@dataclass(frozen=True, slots=True)
class Score:
    """How found requirements compare with the labels of one or more documents."""

    labels: int
    found: int
    matched: int
    mandatory_labels: int
    mandatory_matched: int
    obligation_right: int
    kind_right: int
    page_right: int

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.labels if self.labels else 0.0

    @property
    def mandatory_recall(self) -> float:
        return self.mandatory_matched / self.mandatory_labels if self.mandatory_labels else 0.0

    def __add__(self, other: Score) -> Score:
        return Score(*(getattr(self, name) + getattr(other, name) for name in self.__slots__))


def read_document(path: Path) -> LabelledDocument:
    """A fixture file as pages and labels (the language is the name's: `rfp_*` English, others pt-BR)."""
    pages: list[SourcePage] = []
    labels: list[Label] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").split(f"\n{PAGE_BREAK}\n"), start=1):
        for match in _LABEL.finditer(raw):
            labels.append(
                Label(
                    " ".join(match["quote"].split()),
                    Obligation.MANDATORY if match["obligation"] == "M" else Obligation.DESIRABLE,
                    _KINDS[match["kind"]],
                    number,
                )
            )
        text = _LABEL.sub(lambda match: match["quote"], raw)
        if "{{" in text or "}}" in text or PAGE_BREAK in text:
            raise ValueError(f"{path.name} page {number}: a marker is malformed")
        pages.append(SourcePage(path.name, number, text))
    language = "en" if path.name.startswith("rfp_") else "pt-BR"
    return LabelledDocument(path.stem, language, tuple(pages), tuple(labels))


def read_documents() -> list[LabelledDocument]:
    """Every fixture document, by name."""
    return [read_document(path) for path in sorted(FIXTURES.glob("*.txt"))]


def _matches(found: str, label: str) -> bool:
    if found == label:
        return True
    shorter, longer = sorted((found, label), key=len)
    return bool(shorter) and shorter in longer and len(shorter) >= _MIN_OVERLAP * len(longer)


def score(labels: Sequence[Label], found: Sequence[Requirement]) -> Score:
    """Precision, recall and classification of `found` against `labels` (each label matched at most once)."""
    unmatched = list(labels)
    matched: list[tuple[Label, Requirement]] = []
    for requirement in found:
        quote = normalise_quote(requirement.quote)
        label = next((label for label in unmatched if _matches(quote, normalise_quote(label.quote))), None)
        if label is not None:
            unmatched.remove(label)
            matched.append((label, requirement))
    mandatory = [label for label in labels if label.obligation is Obligation.MANDATORY]
    return Score(
        labels=len(labels),
        found=len(found),
        matched=len(matched),
        mandatory_labels=len(mandatory),
        mandatory_matched=sum(label.obligation is Obligation.MANDATORY for label, _ in matched),
        obligation_right=sum(label.obligation is requirement.obligation for label, requirement in matched),
        kind_right=sum(label.kind is requirement.kind for label, requirement in matched),
        page_right=sum(label.page == requirement.location.page for label, requirement in matched),
    )


def missed(labels: Sequence[Label], found: Sequence[Requirement]) -> list[Label]:
    """The labels no found requirement matches."""
    quotes = [normalise_quote(requirement.quote) for requirement in found]
    return [label for label in labels if not any(_matches(quote, normalise_quote(label.quote)) for quote in quotes)]


def spurious(labels: Sequence[Label], found: Sequence[Requirement]) -> list[Requirement]:
    """The found requirements no label matches."""
    quotes = [normalise_quote(label.quote) for label in labels]
    return [r for r in found if not any(_matches(normalise_quote(r.quote), quote) for quote in quotes)]
