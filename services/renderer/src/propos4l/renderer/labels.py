"""Fixed words of a proposal document in each language, and dates written the way each language writes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from propos4l.shared.sections import Language

__all__ = ["Labels", "format_date", "labels_for"]


@dataclass(frozen=True, slots=True)
class Labels:
    """The words a template needs around the model-written sections."""

    document_title: str
    prepared_for: str
    prepared_by: str
    industry: str
    proposal_number: str
    version: str
    date: str
    valid_until: str
    contents: str
    page: str
    of: str
    draft_without_ai: str
    confidential: str
    keywords: str


_LABELS: Final[dict[Language, Labels]] = {
    Language.PT_BR: Labels(
        document_title="Proposta comercial",
        prepared_for="Preparado para",
        prepared_by="Preparado por",
        industry="Setor",
        proposal_number="Proposta nº",
        version="Versão",
        date="Data",
        valid_until="Válida até",
        contents="Sumário",
        page="Página",
        of="de",
        draft_without_ai="Rascunho gerado sem IA (modo outline)",
        confidential="Documento confidencial, de uso exclusivo do destinatário.",
        keywords="proposta comercial, consultoria de TI",
    ),
    Language.EN: Labels(
        document_title="Commercial proposal",
        prepared_for="Prepared for",
        prepared_by="Prepared by",
        industry="Industry",
        proposal_number="Proposal no.",
        version="Version",
        date="Date",
        valid_until="Valid until",
        contents="Contents",
        page="Page",
        of="of",
        draft_without_ai="Draft produced without AI (outline mode)",
        confidential="Confidential: intended solely for the addressee.",
        keywords="commercial proposal, IT consulting",
    ),
}

_MONTHS: Final[dict[Language, tuple[str, ...]]] = {
    Language.PT_BR: (
        "janeiro", "fevereiro", "março", "abril", "maio", "junho",
        "julho", "agosto", "setembro", "outubro", "novembro", "dezembro",
    ),
    Language.EN: (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip


def labels_for(language: Language) -> Labels:
    """Return the document words for a language."""
    return _LABELS[language]


def format_date(day: date, language: Language) -> str:
    """Write a date in full: "29 de novembro de 2026" in pt-BR, "November 29, 2026" in en."""
    month = _MONTHS[language][day.month - 1]
    if language is Language.PT_BR:
        return f"{day.day} de {month} de {day.year}"
    return f"{month} {day.day}, {day.year}"
