"""The proposal's sections: stable keys, and their titles per language."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

__all__ = ["LANGUAGES", "SECTION_KEYS", "Language", "SectionKey", "section_title"]


class Language(StrEnum):
    """Languages a proposal can be written in."""

    PT_BR = "pt-BR"
    EN = "en"


class SectionKey(StrEnum):
    """Stable keys of a proposal's sections, in reading order."""

    EXECUTIVE_SUMMARY = "executive_summary"
    CONTEXT = "context"
    SOLUTION = "solution"
    SCOPE = "scope"
    METHODOLOGY = "methodology"
    TIMELINE = "timeline"
    TEAM = "team"
    INVESTMENT = "investment"
    DIFFERENTIALS = "differentials"
    TERMS = "terms"


SECTION_KEYS: Final[tuple[SectionKey, ...]] = tuple(SectionKey)
LANGUAGES: Final[tuple[Language, ...]] = tuple(Language)

_TITLES: Final[dict[Language, dict[SectionKey, str]]] = {
    Language.PT_BR: {
        SectionKey.EXECUTIVE_SUMMARY: "Sumário executivo",
        SectionKey.CONTEXT: "Contexto e necessidades",
        SectionKey.SOLUTION: "Solução proposta",
        SectionKey.SCOPE: "Escopo",
        SectionKey.METHODOLOGY: "Metodologia",
        SectionKey.TIMELINE: "Cronograma",
        SectionKey.TEAM: "Equipe",
        SectionKey.INVESTMENT: "Investimento",
        SectionKey.DIFFERENTIALS: "Diferenciais",
        SectionKey.TERMS: "Condições gerais",
    },
    Language.EN: {
        SectionKey.EXECUTIVE_SUMMARY: "Executive summary",
        SectionKey.CONTEXT: "Context and needs",
        SectionKey.SOLUTION: "Proposed solution",
        SectionKey.SCOPE: "Scope",
        SectionKey.METHODOLOGY: "Methodology",
        SectionKey.TIMELINE: "Timeline",
        SectionKey.TEAM: "Team",
        SectionKey.INVESTMENT: "Investment",
        SectionKey.DIFFERENTIALS: "Differentials",
        SectionKey.TERMS: "Terms and conditions",
    },
}


def section_title(key: SectionKey, language: Language) -> str:
    """Return the heading of a section in the given language."""
    return _TITLES[language][key]
