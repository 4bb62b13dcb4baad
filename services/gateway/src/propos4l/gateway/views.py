"""How database rows become the API's views."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import asyncpg

from propos4l.gateway.grounding_schemas import grounding_fields
from propos4l.gateway.schemas import (
    DraftInfo,
    FailureView,
    InvestmentLineView,
    InvestmentView,
    ProposalSummary,
    ProposalView,
    TaxView,
    VersionView,
)
from propos4l.gateway.template_pricing import PricingTerms
from propos4l.gateway.version_grounding import VersionGrounding
from propos4l.renderer.pricing import quote
from propos4l.shared.events import InvestmentItem

__all__ = ["draft_info", "investment_view", "proposal_summary", "proposal_view", "version_view"]


def draft_info(row: asyncpg.Record) -> DraftInfo | None:
    """How a version was drafted, when it was."""
    if row["provider"] is None:
        return None
    return DraftInfo(
        provider=row["provider"],
        model=row["model"],
        ai_generated=bool(row["ai_generated"]),
        prompt_version=row["prompt_version"],
        prompt_tokens=row["prompt_tokens"],
        output_tokens=row["output_tokens"],
        duration_ms=row["llm_duration_ms"],
    )


def version_view(row: asyncpg.Record) -> VersionView:
    """One row of proposal_versions as the API shows it."""
    pdf_url = f"/api/proposals/{row['proposal_id']}/pdf?version={row['version']}" if row["pdf_path"] else None
    return VersionView(
        version=row["version"],
        origin=row["origin"],
        section_key=row["section_key"],
        instructions=row["instructions"],
        created_at=row["created_at"],
        drafted_at=row["drafted_at"],
        rendered_at=row["rendered_at"],
        draft=draft_info(row) if row["drafted_at"] else None,
        pages=row["pages"],
        pdf_url=pdf_url,
    )


def _summary_fields(row: asyncpg.Record) -> dict[str, object]:
    error = FailureView(stage=row["error_stage"], detail=row["error_detail"]) if row["status"] == "failed" else None
    return {
        "id": row["id"],
        "status": row["status"],
        "version": row["current_version"],
        "client_name": row["client_name"],
        "industry": row["industry"],
        "language": row["language"],
        "template": row["template"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "error": error,
        "pdf_url": f"/api/proposals/{row['id']}/pdf" if row["latest_rendered_version"] else None,
        "owner": {"id": row["owner_id"], "display_name": row["owner_name"]} if row.get("owner_id") else None,
        "review_state": row.get("review_state") or "draft",
    }


def proposal_summary(row: asyncpg.Record) -> ProposalSummary:
    """A proposal as the list shows it."""
    return ProposalSummary.model_validate(_summary_fields(row))


def _text(value: Decimal) -> str:
    return format(value, "f")  # never exponent notation ("1E+3")


def investment_view(
    items: Sequence[InvestmentItem], discount_percent: Decimal | None, terms: PricingTerms
) -> InvestmentView:
    """The investment table priced as the PDF prices it (`propos4l.renderer.pricing.quote`), as exact strings."""
    priced = quote(items, discount_percent=discount_percent, taxes=[tax.as_rate() for tax in terms.pricing.taxes])
    return InvestmentView(
        currency=terms.pricing.currency,
        lines=[
            InvestmentLineView(
                description=line.description,
                quantity=_text(line.quantity),
                unit_price=_text(line.unit_price),
                amount=_text(line.amount),
            )
            for line in priced.lines
        ],
        subtotal=_text(priced.subtotal),
        discount_percent=None if priced.discount_percent is None else _text(priced.discount_percent),
        discount=_text(priced.discount),
        net=_text(priced.net),
        taxes=[TaxView(label=tax.label, rate=_text(tax.rate), amount=_text(tax.amount)) for tax in priced.taxes],
        total=_text(priced.total),
        pricing_source=terms.source,
        note=terms.note,
    )


def _grounding(row: asyncpg.Record) -> dict[str, object]:
    """The grounding fields of a version's row (recorded context and grounding columns)."""
    context = row["drafting_context"]
    search_mode = context.get("search_mode") if isinstance(context, dict) else None
    fields = grounding_fields(VersionGrounding.from_column(row["grounding"]), search_mode)
    return fields.model_dump()


def trace_url(trace_id: str | None, template: str | None) -> str | None:
    """The trace's page in the tracing UI: `template` with `{trace_id}` replaced (not str.format: URLs hold braces)."""
    if trace_id is None or not template:
        return None
    return template.replace("{trace_id}", trace_id)


def proposal_view(
    row: asyncpg.Record, terms: PricingTerms | None = None, trace_url_template: str | None = None
) -> ProposalView:
    """A proposal with its request and its current version's content.

    `terms` are the currency and taxes of its template; without them, or without investment items, the investment
    is null. `trace_url_template` (TRACING_UI_URL) makes its trace's link, its `{trace_id}` replaced.
    """
    draft = draft_info(row) if row["drafted_at"] else None
    view = ProposalView.model_validate(
        {
            **_summary_fields(row),
            "requirements": row["requirements"],
            "scope": row["scope"],
            "timeline": row["timeline"],
            "budget": row["budget"],
            "discount_percent": row["discount_percent"],
            "sections": row["sections"] or [],
            "investment_items": row["investment_items"] or [],
            "timeline_phases": row["timeline_phases"] or [],
            "assumptions": row["assumptions"] or [],
            "pdf_version": row["latest_rendered_version"],
            "draft": draft,
            "pages": row["pages"],
            "trace_id": row["trace_id"],
            "trace_url": trace_url(row["trace_id"], trace_url_template),
            "collaborators": row.get("collaborator_ids") or [],
            "approved_version": row.get("approved_version"),
            "sent_version": row.get("sent_version"),
            "from_documents": bool(row.get("from_documents")),
            **_grounding(row),
        }
    )
    if terms is not None and view.investment_items:
        view.investment = investment_view(view.investment_items, view.discount_percent, terms)
    return view
