"""What a grounded draft adds to the document, as plain data for templates (issue #15).

The team as the roster has it (never the model's words for names, roles or bios), the effort table priced by code
from the rate card, how the total compares with the budget the request states, and the case studies the sections
cite for an optional annex. Every amount is formatted here; templates only place the strings.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Final

from propos4l.renderer.labels import Labels, seniority_word
from propos4l.renderer.pricing import Quote, currency_symbol, format_money, format_percent, format_quantity
from propos4l.shared.events import ProposalDrafted
from propos4l.shared.grounding import BudgetComparison, ContextPassage, EffortLine, TeamMember
from propos4l.shared.sections import Language

__all__ = ["CASE_STUDY_KIND", "budget_context", "case_studies_context", "effort_context", "team_context"]

CASE_STUDY_KIND: Final = "case_study"
_NOT_PRICED: Final = "—"
_LABEL_MAX: Final = 40  # "Resultados: ..." is a label and its value; a longer head is prose that has a colon


def team_context(team: Iterable[TeamMember], language: Language) -> list[dict[str, Any]]:
    """The people on the team: name, rate-card role, seniority in words, role in this project, bio paragraphs."""
    return [
        {
            "name": member.name,
            "initials": _initials(member.name),
            "role": member.role_name,
            "seniority": seniority_word(member.seniority, language) if member.seniority else "",
            "project_role": member.project_role.strip(),
            "bio": member.bio.strip(),
            "bio_paragraphs": _paragraphs(member.bio),
        }
        for member in team
    ]


def effort_context(
    effort: Sequence[EffortLine], language: Language, labels: Labels, fallback_currency: str
) -> dict[str, Any] | None:
    """The effort table grouped by phase, each line and phase subtotal written for `language`; None without effort.

    A line without a rate shows a dash for its rate and amount, and `unpriced_note` names its roles.
    """
    if not effort:
        return None
    currency = next((line.currency for line in effort if line.currency is not None), fallback_currency)

    def money(amount: Decimal | None) -> str:
        return _NOT_PRICED if amount is None else format_money(amount, currency, language)

    phases: dict[str, list[EffortLine]] = {}
    for line in effort:
        phases.setdefault(line.phase, []).append(line)
    unpriced = [line for line in effort if not _priced(line)]
    unpriced_roles = list(dict.fromkeys(line.role_name for line in unpriced))
    return {
        "currency": currency,
        "currency_symbol": currency_symbol(currency, language),
        "phases": [
            {
                "name": name,
                "lines": [
                    {
                        "phase": line.phase,
                        "role": line.role_name,
                        "hours": format_quantity(line.hours, language),
                        "hourly_rate": money(line.hourly_rate if _priced(line) else None),
                        "amount": money(line.amount if _priced(line) else None),
                        "priced": _priced(line),
                    }
                    for line in lines
                ],
                "hours": format_quantity(sum((line.hours for line in lines), Decimal(0)), language),
                "subtotal": money(_priced_sum(lines)),
            }
            for name, lines in phases.items()
        ],
        "total_hours": format_quantity(sum((line.hours for line in effort), Decimal(0)), language),
        "priced_total": money(_priced_sum(effort)),
        "all_priced": not unpriced,
        "unpriced": [{"phase": line.phase, "role": line.role_name} for line in unpriced],
        "unpriced_roles": unpriced_roles,
        "unpriced_note": (
            f"{labels.unpriced_roles.format(roles=', '.join(unpriced_roles))} {labels.unpriced_note}"
            if unpriced
            else None
        ),
    }


def budget_context(
    comparison: BudgetComparison | None, priced: Quote | None, language: Language, labels: Labels
) -> dict[str, Any] | None:
    """How the total compares with the stated budget, as one sentence (and what it was compared with, when the
    compared amount is not the total printed above it); None when the request states no budget."""
    if comparison is None:
        return None
    budget = format_money(comparison.budget, comparison.currency, language)
    total = format_money(comparison.total, comparison.currency, language)
    percent = format_percent(abs(comparison.difference_percent), language)
    if comparison.verdict == "over":
        sentence = labels.budget_over.format(budget=budget, percent=percent)
    elif comparison.verdict == "under":
        sentence = labels.budget_under.format(budget=budget, percent=percent)
    elif comparison.difference_percent == 0:
        sentence = labels.budget_equal.format(budget=budget)
    else:
        sentence = labels.budget_within.format(budget=budget, percent=percent)
    basis = None
    if priced is not None and comparison.total != priced.total:
        before_taxes = bool(priced.taxes) and comparison.total == priced.net
        basis = (labels.budget_compared_before_taxes if before_taxes else labels.budget_compared).format(total=total)
    return {
        "verdict": comparison.verdict,
        "budget": budget,
        "total": total,
        "percent": percent,
        "sentence": sentence,
        "basis": basis,
    }


def case_studies_context(drafted: ProposalDrafted) -> list[dict[str, Any]]:
    """The case studies the sections cite, one per library entry, in the order first cited, with their text."""
    titles = {section.key: section.title for section in drafted.sections}
    cited_in: dict[uuid.UUID, list[str]] = {}
    for sources in drafted.sources:
        for passage_id in sources.passage_ids:
            sections = cited_in.setdefault(passage_id, [])
            if titles[sources.section] not in sections:
                sections.append(titles[sources.section])
    studies: dict[object, dict[str, Any]] = {}
    seen: set[uuid.UUID] = set()
    for passage in drafted.cited_passages:
        if passage.kind != CASE_STUDY_KIND or passage.id not in cited_in or passage.id in seen:
            continue
        seen.add(passage.id)
        study = studies.setdefault(_entry_key(passage), {"title": passage.title, "paragraphs": [], "cited_in": []})
        study["paragraphs"].extend(_labelled_lines(passage.text))
        study["cited_in"].extend(title for title in cited_in[passage.id] if title not in study["cited_in"])
    return list(studies.values())


def _priced(line: EffortLine) -> bool:
    return line.hourly_rate is not None and line.amount is not None


def _priced_sum(lines: Iterable[EffortLine]) -> Decimal | None:
    amounts = [line.amount for line in lines if _priced(line) and line.amount is not None]
    return sum(amounts, Decimal("0.00")) if amounts else None


def _initials(name: str) -> str:
    words = [word for word in name.split() if word[:1].isalpha()]
    if not words:
        return name.strip()[:1].upper()
    return (words[0][0] + (words[-1][0] if len(words) > 1 else "")).upper()


def _paragraphs(text: str) -> list[str]:
    """Plain-text paragraphs (blank lines part them; single line breaks are spaces)."""
    blocks = [" ".join(block.split()) for block in text.replace("\r\n", "\n").split("\n\n")]
    return [block for block in blocks if block]


def _entry_key(passage: ContextPassage) -> object:
    return passage.entry_id or passage.document_id or passage.title


def _labelled_lines(text: str) -> list[dict[str, str | None]]:
    """A passage's lines, as the library writes a case study ("Resultados: ..."): the label apart from the text."""
    paragraphs: list[dict[str, str | None]] = []
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        head, colon, rest = line.partition(": ")
        if colon and rest.strip() and len(head) <= _LABEL_MAX and not any(mark in head for mark in ".!?"):
            paragraphs.append({"label": head, "text": rest.strip()})
        else:
            paragraphs.append({"label": None, "text": line})
    return paragraphs
