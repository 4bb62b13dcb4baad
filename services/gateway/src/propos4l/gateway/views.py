"""How database rows become the API's views."""

from __future__ import annotations

import asyncpg

from propos4l.gateway.schemas import DraftInfo, FailureView, ProposalSummary, ProposalView, VersionView

__all__ = ["draft_info", "proposal_summary", "proposal_view", "version_view"]


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
    }


def proposal_summary(row: asyncpg.Record) -> ProposalSummary:
    """A proposal as the list shows it."""
    return ProposalSummary.model_validate(_summary_fields(row))


def proposal_view(row: asyncpg.Record) -> ProposalView:
    """A proposal with its request and its current version's content."""
    draft = draft_info(row) if row["drafted_at"] else None
    return ProposalView.model_validate(
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
        }
    )
