"""Exports beside the PDF: a self-contained HTML file and a Markdown file of the same version of a proposal."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

from propos4l.renderer.document import DEFAULT_MAX_HTML_CHARS, build_html, proposal_context
from propos4l.renderer.inline import DEFAULT_MAX_INLINE_BYTES, inline_resources
from propos4l.renderer.manifest import TemplateManifest
from propos4l.renderer.templates import load_template
from propos4l.renderer.watermark_markup import watermark_html
from propos4l.shared.events import ProposalDrafted

__all__ = ["export_html", "export_markdown"]

_FENCE: Final = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX_HEADING: Final = re.compile(r"^( {0,3})(#{1,6})(?=\s|$)")
_MARKDOWN_SPECIAL: Final = re.compile(r"([\\`*_\[\]<>#|!])")
_AUTOLINK: Final = re.compile(r"<(?:https?://|mailto:)[^\s<>]*>", re.IGNORECASE)


def export_html(
    drafted: ProposalDrafted,
    templates_dir: Path,
    *,
    max_html_chars: int = DEFAULT_MAX_HTML_CHARS,
    max_bytes: int = DEFAULT_MAX_INLINE_BYTES,
    watermark: str | None = None,
) -> str:
    """The proposal as one HTML file: the template filled in, its stylesheets, fonts and images inlined (blocking);
    with `watermark` (the words for a version that needs approval and lacks it) across the page."""
    template = load_template(templates_dir, drafted.request.template)
    document = build_html(drafted, template, max_chars=max_html_chars)
    if watermark is not None:
        document = watermark_html(document, watermark)
    return inline_resources(document, template.path, max_bytes=max_bytes)


def export_markdown(drafted: ProposalDrafted, manifest: TemplateManifest, watermark: str | None = None) -> str:
    """The proposal as Markdown: its facts, every section, the timeline and investment tables, the acceptance;
    `watermark` (the words for a version that needs approval and lacks it) in bold before the title."""
    context = proposal_context(drafted, manifest)
    labels = context["labels"]
    proposal = context["proposal"]
    lines = [f"> **{_text(watermark)}**", ""] if watermark is not None else []
    lines += [
        f"# {_text(labels.document_title)}: {_text(proposal['client_name'])}",
        "",
    ]
    if proposal["subject"]:
        lines += [f"*{_text(proposal['subject'])}*", ""]
    if not drafted.ai_generated:
        lines += [f"> **{_text(labels.draft_without_ai)}**", ""]
    facts = [
        (labels.prepared_for, proposal["client_name"]),
        (labels.industry, proposal["industry"]),
        (labels.prepared_by, context["brand"]["company_name"]),
        (labels.proposal_number, proposal["number"]),
        (labels.version, str(proposal["version"])),
        (labels.date, proposal["date"]),
        (labels.valid_until, proposal["valid_until"]),
    ]
    lines += ["| | |", "|---|---|", *(f"| {_text(name)} | {_text(value)} |" for name, value in facts), ""]
    for section, source in zip(context["sections"], drafted.sections, strict=True):
        lines += [f"## {section['number']:02d} {_text(section['title'])}", "", _section_markdown(source.content), ""]
        lines += _structured_parts(section["key"], context)
    lines += _acceptance(context)
    lines += _annex(context)
    return "\n".join(lines).rstrip() + "\n"


def _structured_parts(key: str, context: dict[str, Any]) -> list[str]:
    labels = context["labels"]
    lines: list[str] = []
    if key == "scope" and context["assumptions"]:
        lines += [f"### {_text(labels.assumptions)}", ""]
        lines += [f"- {_text(assumption)}" for assumption in context["assumptions"]] + [""]
    if key == "timeline" and context["timeline"]:
        lines += [f"| # | {_text(labels.phase)} | {_text(labels.duration)} | {_text(labels.deliverables)} |"]
        lines += ["|---:|---|---|---|"]
        for number, phase in enumerate(context["timeline"], start=1):
            deliverables = "; ".join(phase["deliverables"])
            lines += [f"| {number} | {_text(phase['name'])} | {_text(phase['duration'])} | {_text(deliverables)} |"]
        lines += [""]
    if key == "team" and context["team"]:
        lines += _team(context)
    investment = context["investment"]
    if key == "investment" and context["effort"]:
        lines += _effort(context)
    elif key == "investment" and investment:
        headings = (labels.item, labels.quantity, labels.unit_price, labels.amount)
        lines += ["| " + " | ".join(_text(heading) for heading in headings) + " |", "|---|---:|---:|---:|"]
        lines += [
            f"| {_text(line['description'])} | {line['quantity']} | {line['unit_price']} | {line['amount']} |"
            for line in investment["lines"]
        ]
        totals = [(labels.subtotal, investment["subtotal"])]
        if investment["discount"]:
            totals.append(
                (f"{labels.discount} ({investment['discount']['percent']})", investment["discount"]["amount"])
            )
        totals += [(f"{tax['label']} ({tax['rate']})", tax["amount"]) for tax in investment["taxes"]]
        totals.append((labels.total, investment["total"]))
        lines += _totals(investment, labels)
        lines += _investment_notes(context, investment["currency_symbol"], investment["currency"])
    if key == "terms":
        lines += [f"**{_text(context['proposal']['validity_note'])}**", ""]
    return lines


def _totals(investment: dict[str, Any], labels: Any) -> list[str]:
    totals = [(labels.subtotal, investment["subtotal"])]
    if investment["discount"]:
        totals.append((f"{labels.discount} ({investment['discount']['percent']})", investment["discount"]["amount"]))
    totals += [(f"{tax['label']} ({tax['rate']})", tax["amount"]) for tax in investment["taxes"]]
    totals.append((labels.total, investment["total"]))
    return [f"| | | **{_text(name)}** | **{_text(amount)}** |" for name, amount in totals]


def _investment_notes(context: dict[str, Any], symbol: str, currency: str) -> list[str]:
    """Under the table: the budget sentence, the lines left unpriced, and the currency and taxes note."""
    labels = context["labels"]
    lines = [""]
    budget = context["budget_comparison"]
    if budget:
        lines += [f"**{_text(budget['sentence'])}**" + (f" {_text(budget['basis'])}" if budget["basis"] else ""), ""]
    effort = context["effort"]
    if effort and effort["unpriced_note"]:
        lines += [f"> {_text(effort['unpriced_note'])}", ""]
    note = f"{labels.amounts_in} {symbol} ({currency})."
    investment = context["investment"]
    if investment and investment["taxes"]:
        note += f" {labels.taxes_note}"
    return [*lines, f"*{_text(note)}*", ""]


def _team(context: dict[str, Any]) -> list[str]:
    """The people on the team, as the roster has them: name, role, seniority, role in this project, bio."""
    labels = context["labels"]
    lines: list[str] = []
    for person in context["team"]:
        lines += [f"### {_text(person['name'])}", ""]
        role = person["role"] + (f" · {person['seniority']}" if person["seniority"] else "")
        lines += [f"*{_text(role)}*", ""]
        if person["project_role"]:
            lines += [f"**{_text(labels.project_role)}:** {_text(person['project_role'])}", ""]
        lines += [line for paragraph in person["bio_paragraphs"] for line in (_text(paragraph), "")]
    return lines


def _effort(context: dict[str, Any]) -> list[str]:
    """The effort table by phase (a dash where a line has no rate), then the totals of the investment."""
    labels = context["labels"]
    effort = context["effort"]
    headings = (f"{labels.phase} / {labels.team_role}", labels.hours, labels.hourly_rate, labels.amount)
    lines = ["| " + " | ".join(_text(heading) for heading in headings) + " |", "|---|---:|---:|---:|"]
    for phase in effort["phases"]:
        lines.append(f"| **{_text(phase['name'])}** | | | |")
        lines += [
            f"| {_text(line['role'])} | {line['hours']} | {_text(line['hourly_rate'])} | {_text(line['amount'])} |"
            for line in phase["lines"]
        ]
        if len(effort["phases"]) > 1:
            subtotal = f"{labels.phase_subtotal} · {phase['name']}"
            lines.append(f"| *{_text(subtotal)}* | {phase['hours']} | | {_text(phase['subtotal'])} |")
    lines.append(f"| *{_text(labels.total_hours)}* | {effort['total_hours']} | | |")
    if context["investment"]:
        lines += _totals(context["investment"], labels)
    return lines + _investment_notes(context, effort["currency_symbol"], effort["currency"])


def _annex(context: dict[str, Any]) -> list[str]:
    """The case studies the sections cite, when the template asks for the annex."""
    if not context["annex"]:
        return []
    labels = context["labels"]
    lines = [f"## {_text(labels.annex)}: {_text(labels.case_studies_annex)}", "", _text(labels.case_studies_intro), ""]
    for study in context["annex"]["case_studies"]:
        lines += [f"### {_text(study['title'])}", ""]
        for paragraph in study["paragraphs"]:
            label = f"**{_text(paragraph['label'])}:** " if paragraph["label"] else ""
            lines += [f"{label}{_text(paragraph['text'])}", ""]
        if study["cited_in"]:
            lines += [f"*{_text(labels.cited_in)}: {_text(', '.join(study['cited_in']))}*", ""]
    return lines


def _acceptance(context: dict[str, Any]) -> list[str]:
    labels = context["labels"]
    signatory = context["signatory"]
    company = context["company"]
    ours = [signatory["name"], signatory["role"]] if signatory else [context["brand"]["company_name"]]
    ours.append(company["legal_name"] or context["brand"]["company_name"])
    return [
        f"## {_text(labels.acceptance)}",
        "",
        _text(labels.acceptance_note),
        "",
        f"**{_text(labels.for_company)}:** {_text(', '.join(ours))}",
        "",
        f"**{_text(labels.for_client)}:** {_text(context['proposal']['client_name'])}",
        "",
        f"{_text(labels.name)}: ____________________  {_text(labels.role)}: ____________________  "
        f"{_text(labels.signature_date)}: ____/____/______",
        "",
    ]


def _text(value: str) -> str:
    """Plain text (a name, a label) made safe to put in Markdown: its syntax characters escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(value.split()))


def _section_markdown(content: str) -> str:
    """A section's Markdown, with its headings moved below the section's own `##` and raw HTML made literal."""
    lines = []
    fence: str | None = None
    for line in content.strip().splitlines():
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening[1][0] == fence[0] and len(opening[1]) >= len(fence):
                fence = None
            lines.append(line)
            continue
        if opening:
            fence = opening[1]
            lines.append(line)
            continue
        lines.append(
            _literal_html(_ATX_HEADING.sub(lambda match: f"{match[1]}{'#' * min(len(match[2]) + 2, 6)}", line))
        )
    return "\n".join(lines)


def _literal_html(line: str) -> str:
    """Escape `<` outside code spans and autolinks, so raw HTML shows as text, as it does in the PDF."""
    parts = re.split(r"(`+[^`]*`+)", line)
    for index in range(0, len(parts), 2):
        text = parts[index]
        autolinks = _AUTOLINK.findall(text)
        pieces = _AUTOLINK.split(text)
        escaped = [piece.replace("<", "\\<") for piece in pieces]
        parts[index] = "".join(piece + (autolinks[i] if i < len(autolinks) else "") for i, piece in enumerate(escaped))
    return "".join(parts)
