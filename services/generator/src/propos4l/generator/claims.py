"""Claims no source supports: sentences with a number, a certification or a partner name the sources do not give.

A check by rule, not by model: a sentence of a section is flagged when it holds a figure (a number or percentage)
whose digits appear in none of the section's sources, or names a certification or partnership (ISO, AWS,
Microsoft, "certificado", "partner"...) that none of them names. A section's sources are the passages it cites,
plus the request itself (the client's own figures are not claims) and, for the team section, the chosen people's
certifications and skills. Flags are for a person to review in the web app; the PDF does not show them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Final

from propos4l.shared.grounding import ClaimFlag
from propos4l.shared.sections import SectionKey

__all__ = ["flag_claims", "sentences"]

_NUMBER: Final = re.compile(r"\d+(?:[.,]\d+)*")
_LIST_MARKER: Final = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+", re.MULTILINE)
_SENTENCE_END: Final = re.compile(r"(?<=[.!?])\s+|\n+")
_MARKUP: Final = re.compile(r"[*_`#>|]+")
# Certifications, partner programmes and vendors a consultancy claims; stems catch the word's forms, and the words of
# one entry (separated by |) stand for each other ("parceiros" is supported by a source that says "Partner").
_CLAIM_TERMS: Final = (
    "iso",
    "aws",
    "amazon",
    "azure",
    "microsoft",
    "google",
    "gcp",
    "sap",
    "oracle",
    "salesforce",
    "ibm",
    "red hat",
    "servicenow",
    "itil",
    "pmp",
    "cmmi",
    "soc 2",
    "pci",
    "certificad|certificaç|certified|certification",
    "parceir|partner",
)


def _folded(text: str) -> str:
    """Lower case without accents, so that "Certificação" and "certificacao" meet."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


_TERM_PATTERNS: Final = tuple(
    re.compile(
        "|".join(
            r"(?<![\w])" + re.escape(_folded(word)) + (r"(?![\w])" if len(word) <= 5 else "")
            for word in term.split("|")
        )
    )
    for term in _CLAIM_TERMS
)
_MAX_FLAG_TEXT: Final = 1_000


def sentences(markdown: str) -> list[str]:
    """The sentences of a Markdown text: list items and lines count as sentences, markup removed."""
    plain = _MARKUP.sub("", _LIST_MARKER.sub("", markdown))
    return [part.strip() for part in _SENTENCE_END.split(plain) if part and part.strip()]


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number).lstrip("0") or "0"


def flag_claims(section: SectionKey, text: str, sources: Iterable[str]) -> tuple[ClaimFlag, ...]:
    """The sentences of `text` with a figure or a certification/partner name that `sources` do not hold."""
    source_text = "\n".join(sources)
    source_numbers = {_digits(match) for match in _NUMBER.findall(source_text)}
    folded_sources = _folded(source_text)
    flags: list[ClaimFlag] = []
    for sentence in sentences(text):
        numbers = [_digits(match) for match in _NUMBER.findall(sentence)]
        reason = None
        if any(number not in source_numbers for number in numbers):
            reason = "number_without_source"
        else:
            folded = _folded(sentence)
            if any(pattern.search(folded) and not pattern.search(folded_sources) for pattern in _TERM_PATTERNS):
                reason = "certification_without_source"
        if reason is not None:
            flags.append(ClaimFlag(section=section, text=sentence[:_MAX_FLAG_TEXT], reason=reason))
    return tuple(flags)
