"""Fill a template folder's Jinja2 template with a drafted proposal, giving the HTML to print."""

from __future__ import annotations

import functools
import re
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from propos4l.renderer.errors import RenderLimitExceeded, TemplateError, TemplateProblem
from propos4l.renderer.grounded import budget_context, case_studies_context, effort_context, team_context
from propos4l.renderer.labels import Labels, format_date, labels_for
from propos4l.renderer.manifest import TemplateManifest
from propos4l.renderer.markdown import markdown_to_html
from propos4l.renderer.paths import PathOutsideFolder, resolve_inside
from propos4l.renderer.pricing import (
    Quote,
    currency_symbol,
    format_money,
    format_percent,
    format_quantity,
    quote,
)
from propos4l.renderer.templates import TEMPLATE_FILE, TemplateFolder
from propos4l.shared.events import ProposalDrafted
from propos4l.shared.sections import Language

__all__ = [
    "DEFAULT_MAX_HTML_CHARS",
    "build_html",
    "investment_currency",
    "jinja_problem",
    "priced_investment",
    "proposal_context",
    "proposal_number",
    "proposal_subject",
    "sandboxed_environment",
]

DEFAULT_MAX_HTML_CHARS: Final = 20_000_000
_SUBJECT_MAX: Final = 140


class _FolderLoader(jinja2.FileSystemLoader):
    """Loads templates from one folder only; symlinks leading outside it are refused."""

    def __init__(self, folder: Path) -> None:
        super().__init__(str(folder), followlinks=False)
        self._folder = folder

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        """Return a template's source after checking it stays inside the folder."""
        try:
            resolve_inside(self._folder, template)
        except PathOutsideFolder:
            raise jinja2.TemplateNotFound(template, f"{template!r} is outside the template folder") from None
        return super().get_source(environment, template)


def sandboxed_environment(folder: Path) -> ImmutableSandboxedEnvironment:
    """The Jinja2 sandbox templates run in: autoescaping on, undefined names are errors, files from `folder` only."""
    return ImmutableSandboxedEnvironment(
        loader=_FolderLoader(folder),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=True,  # a cached environment still notices a file changed in place
    )


@functools.lru_cache(maxsize=32)
def _cached_environment(folder: str, folder_inode: int) -> ImmutableSandboxedEnvironment:
    """One environment per template folder (a new folder, e.g. a published version, has a new inode).

    It keeps the compiled templates, which saves most of the time of filling one in.
    """
    return sandboxed_environment(Path(folder))


def proposal_number(drafted: ProposalDrafted) -> str:
    """The short, human-friendly number of a proposal, taken from its id."""
    return drafted.proposal_id.hex[:8].upper()


def proposal_subject(requirements: str) -> str:
    """What the proposal is about, for its cover: the first sentence of the request, shortened at a word."""
    first_line = requirements.strip().splitlines()[0] if requirements.strip() else ""
    sentence = re.split(r"(?<=[.!?])\s", first_line, maxsplit=1)[0].strip()
    if len(sentence) <= _SUBJECT_MAX:
        return sentence
    cut = sentence[: _SUBJECT_MAX - 1].rsplit(" ", 1)[0].rstrip(",;:-")
    return cut + "…"


def build_html(drafted: ProposalDrafted, template: TemplateFolder, *, max_chars: int = DEFAULT_MAX_HTML_CHARS) -> str:
    """Render the template's `template.html` for a drafted proposal.

    Raises `TemplateError` (with the file and line) on a template bug and `RenderLimitExceeded` when the template
    writes more than `max_chars` characters.
    """
    environment = _cached_environment(str(template.path), template.path.stat().st_ino)
    try:
        compiled = environment.get_template(TEMPLATE_FILE)
        parts: list[str] = []
        size = 0
        for chunk in compiled.generate(proposal_context(drafted, template.manifest)):
            size += len(chunk)
            if size > max_chars:
                raise RenderLimitExceeded(
                    f"template {template.name!r} wrote more than {max_chars:,} characters of HTML; "
                    "it probably loops over something it should not",
                    limit="html_size",
                )
            parts.append(chunk)
        return "".join(parts)
    except jinja2.TemplateError as exc:
        problem = jinja_problem(exc, template.path)
        raise TemplateError(f"template {template.name!r} could not be filled in: {problem}", (problem,)) from None
    except RecursionError as exc:  # a macro calling itself without end
        raise RenderLimitExceeded(
            f"template {template.name!r} calls itself too deeply ({jinja_problem(exc, template.path)})", "recursion"
        ) from None
    except OverflowError as exc:  # the sandbox's range limit (MAX_RANGE), or a number too large
        raise RenderLimitExceeded(
            f"template {template.name!r} went past a numeric limit ({jinja_problem(exc, template.path)})", "range"
        ) from None


def jinja_problem(error: BaseException, folder: Path) -> TemplateProblem:
    """Where in the template folder a Jinja2 error happened: the file and line, when they can be found."""
    message = str(getattr(error, "message", None) or error) or type(error).__name__
    if isinstance(error, jinja2.TemplateNotFound) and "search path" in message:  # it names the server's folder
        message = f"{error.name!r} is not in the template folder"
    if isinstance(error, jinja2.TemplateSyntaxError) and error.lineno:
        return TemplateProblem(message, _relative(error.filename or error.name, folder), error.lineno)
    file, line = _innermost_template_frame(error.__traceback__, folder)
    return TemplateProblem(message, file, line)


def _innermost_template_frame(tb: TracebackType | None, folder: Path) -> tuple[str | None, int | None]:
    """The template file and line of the deepest traceback frame inside `folder` (Jinja2 rewrites frames so)."""
    found: tuple[str | None, int | None] = (None, None)
    while tb is not None:
        relative = _relative(tb.tb_frame.f_code.co_filename, folder)
        if relative is not None:
            found = (relative, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _relative(filename: str | None, folder: Path) -> str | None:
    if not filename:
        return None
    try:
        return Path(filename).resolve().relative_to(folder.resolve()).as_posix()
    except (ValueError, OSError):
        return None


def proposal_context(drafted: ProposalDrafted, manifest: TemplateManifest) -> dict[str, Any]:
    """Everything a template can use, as plain data: words, brand, the proposal, its sections and tables.

    A grounded draft adds `team`, `effort`, `budget_comparison` and, when the manifest asks, `annex`; each is empty
    (or None) otherwise, so a draft without grounding fills a template exactly as before.
    """
    request = drafted.request
    language = request.language
    labels = labels_for(language)
    currency = investment_currency(drafted, manifest)
    priced = priced_investment(drafted, manifest)
    case_studies = case_studies_context(drafted) if manifest.annex_case_studies else []
    day = drafted.occurred_at.date()
    valid_until = format_date(day + timedelta(days=manifest.validity_days), language)
    brand = manifest.brand.model_dump(mode="json")
    return {
        "lang": language.value,
        "labels": labels,
        "brand": brand,
        "company": brand["details"],
        "signatory": brand["signatory"],
        "template": {"name": manifest.name, "version": manifest.version},
        "ai_generated": drafted.ai_generated,
        "proposal": {
            "id": str(drafted.proposal_id),
            "number": proposal_number(drafted),
            "version": drafted.version,
            "client_name": request.client_name,
            "industry": request.industry,
            "subject": proposal_subject(request.requirements),
            "date": format_date(day, language),
            "valid_until": valid_until,
            "validity_days": manifest.validity_days,
            "validity_note": labels.validity_note.format(date=valid_until),
            "created": drafted.occurred_at.isoformat(),
            "description": f"{labels.document_title}: {request.client_name} ({request.industry})",
            "keywords": ", ".join((labels.keywords, request.industry, request.client_name)),
        },
        "sections": [
            {
                "key": section.key.value,
                "number": number,
                "title": section.title,
                "html": markdown_to_html(section.content),
            }
            for number, section in enumerate(drafted.sections, start=1)
        ],
        "timeline": [
            {"name": phase.name, "duration": phase.duration, "deliverables": list(phase.deliverables)}
            for phase in drafted.timeline_phases
        ],
        "investment": _investment(priced, currency, language),
        "assumptions": list(drafted.assumptions),
        "team": team_context(drafted.team, language),
        "effort": effort_context(drafted.effort, language, labels, currency),
        "budget_comparison": budget_context(drafted.budget_comparison, priced, language, labels),
        "annex": {"case_studies": case_studies} if case_studies else None,
        "compliance_annex": compliance_context(drafted, labels) if manifest.annex_compliance else None,
    }


def compliance_context(drafted: ProposalDrafted, labels: Labels) -> list[dict[str, str]] | None:
    """The compliance annex's rows: requirement id, quote, clause (and page), status and answering sections, in the
    proposal's words; None when the draft was not written with a client's requirements."""
    if not drafted.compliance:
        return None
    titles = {section.key: section.title for section in drafted.sections}
    statuses = {
        "answered": labels.compliance_answered,
        "partial": labels.compliance_partial,
        "not_answered": labels.compliance_not_answered,
        "not_applicable": labels.compliance_not_applicable,
    }
    rows = []
    for line in drafted.compliance:
        where = " ".join(
            part for part in (line.clause or "", f"{labels.compliance_page} {line.page}" if line.page else "") if part
        )
        obligation = labels.compliance_mandatory if line.obligation == "mandatory" else labels.compliance_desirable
        rows.append(
            {
                "id": line.id,
                "quote": line.quote,
                "obligation": obligation,
                "clause": where or "-",
                "status": statuses[line.status],
                "status_key": line.status,
                "sections": ", ".join(titles.get(key, key.value) for key in line.sections) or "-",
            }
        )
    return rows


def investment_currency(drafted: ProposalDrafted, manifest: TemplateManifest) -> str:
    """The currency of the investment: the effort's (its items were priced in it), else the manifest's."""
    return next((line.currency for line in drafted.effort if line.currency is not None), manifest.pricing.currency)


def priced_investment(drafted: ProposalDrafted, manifest: TemplateManifest) -> Quote | None:
    """The investment priced with the request's discount and the manifest's taxes, or None without line items."""
    if not drafted.investment_items:
        return None
    return quote(
        drafted.investment_items,
        discount_percent=drafted.request.discount_percent,
        taxes=[tax.as_rate() for tax in manifest.pricing.taxes],
    )


def _investment(priced: Quote | None, currency: str, language: Language) -> dict[str, Any] | None:
    """The investment table with every amount computed and written for the language, or None without line items."""
    if priced is None:
        return None

    def money(amount: Any) -> str:
        return format_money(amount, currency, language)

    return {
        "currency": currency,
        "currency_symbol": currency_symbol(currency, language),
        "lines": [
            {
                "description": line.description,
                "quantity": format_quantity(line.quantity, language),
                "unit_price": money(line.unit_price),
                "amount": money(line.amount),
            }
            for line in priced.lines
        ],
        "subtotal": money(priced.subtotal),
        "discount": (
            {"percent": format_percent(priced.discount_percent, language), "amount": money(-priced.discount)}
            if priced.discount_percent
            else None
        ),
        "net": money(priced.net),
        "taxes": [
            {"label": tax.label, "rate": format_percent(tax.rate, language), "amount": money(tax.amount)}
            for tax in priced.taxes
        ],
        "total": money(priced.total),
    }
