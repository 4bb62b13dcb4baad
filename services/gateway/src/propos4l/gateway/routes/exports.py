"""Exports beside the PDF: one self-contained HTML file, Markdown or a Word document, of the same version."""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Annotated, Any, Final, Literal

import asyncpg
from fastapi import APIRouter, Query, Response

from propos4l.gateway.deps import Audit, Proposals
from propos4l.gateway.problems import Problem
from propos4l.gateway.routes.templates import Templates
from propos4l.renderer.errors import RenderError, TemplateNotFound
from propos4l.renderer.export import export_markdown
from propos4l.renderer.word import DOCX_MEDIA_TYPE
from propos4l.shared.events import InvestmentItem, ProposalDrafted, ProposalRequest, Section, TimelinePhase

__all__ = ["router"]

router = APIRouter(prefix="/api/proposals", tags=["exports"])

# The exported HTML is a document to save, not a page of the API: it may show only its own inlined resources.
_HTML_POLICY: Final = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        401: "No or wrong API token",
        404: "No such proposal or version",
        409: "The version has no drafted content yet, or its template no longer exists",
        422: "Invalid query",
    }.items()
}


@router.get(
    "/{proposal_id}/export",
    response_class=Response,
    responses={200: {"content": {"text/html": {}, "text/markdown": {}, DOCX_MEDIA_TYPE: {}}}, **_PROBLEMS},
)
async def export_proposal(
    proposal_id: uuid.UUID,
    audit: Audit,
    proposals: Proposals,
    templates: Templates,
    format: Annotated[
        Literal["html", "md", "docx"],
        Query(description="html: self-contained HTML; md: Markdown; docx: Word document"),
    ],
    version: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> Response:
    """The proposal as HTML (stylesheets, fonts and images inlined), Markdown or DOCX (Word); the version the PDF
    link serves unless `version` says which."""
    proposal = await proposals.get(proposal_id)
    if proposal is None:
        raise Problem(404, f"There is no proposal {proposal_id}.")
    row = await _version_row(proposals, proposal, version)
    drafted = _drafted(proposal, row)
    filename = f"{_slug(proposal['client_name'])}-v{row['version']}.{format}"
    disposition = f'attachment; filename="{filename}"'
    await audit.record(
        "proposal.exported",
        object_type="proposal",
        object_id=proposal_id,
        details={"format": format, "version": row["version"]},
    )
    # The template version that made this version's PDF, when it is recorded: the export then matches the PDF even
    # after the template changed (or was deleted). Otherwise the template as it is now.
    recorded = (
        await templates.version_by_digest(proposal["template"], row["template_sha256"], with_files=format == "html")
        if row["template_sha256"]
        else None
    )
    if format in ("md", "docx"):
        manifest = recorded.manifest if recorded is not None else await templates.manifest_of(proposal["template"])
        if manifest is None:
            raise Problem(409, f"The template {proposal['template']!r} of this proposal is not recorded.")
        if format == "md":
            return Response(
                export_markdown(drafted, manifest),
                media_type="text/markdown; charset=utf-8",
                headers={"Content-Disposition": disposition},
            )
        try:
            document = await templates.export_docx(drafted, manifest)
        except RenderError as error:
            raise Problem(500, f"The DOCX export failed: {error}") from None
        return Response(
            document,
            media_type=DOCX_MEDIA_TYPE,
            headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
        )
    try:
        html = await templates.export_html(drafted, recorded)
    except TemplateNotFound:
        raise Problem(
            409,
            f"The template {proposal['template']!r} of this proposal no longer exists; put it back to export HTML "
            "(the Markdown export still works).",
        ) from None
    except RenderError as error:
        raise Problem(500, f"The HTML export failed: {error}") from None
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Disposition": disposition,
            "Content-Security-Policy": _HTML_POLICY,
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _version_row(proposals: Proposals, proposal: asyncpg.Record, version: int | None) -> Any:
    """The version asked for, else the one the PDF link serves, else the current one; with drafted sections."""
    proposal_id = proposal["id"]
    if version is not None:
        row = await proposals.version(proposal_id, version)
        if row is None:
            raise Problem(404, f"Proposal {proposal_id} has no version {version}.")
    else:
        row = await proposals.latest_rendered(proposal_id) or await proposals.version(
            proposal_id, proposal["current_version"]
        )
    if row is None or not row["sections"]:
        wanted = version or proposal["current_version"]
        raise Problem(409, f"Version {wanted} has no drafted content yet (the proposal is {proposal['status']}).")
    return row


def _drafted(proposal: asyncpg.Record, row: asyncpg.Record) -> ProposalDrafted:
    """A stored version as the draft event the renderer fills its template with."""
    request = ProposalRequest(
        client_name=proposal["client_name"],
        industry=proposal["industry"],
        requirements=proposal["requirements"],
        scope=proposal["scope"],
        timeline=proposal["timeline"],
        budget=proposal["budget"],
        language=proposal["language"],
        template=proposal["template"],
        discount_percent=proposal["discount_percent"],
    )
    return ProposalDrafted(
        proposal_id=proposal["id"],
        version=row["version"],
        occurred_at=row["drafted_at"] or row["created_at"],
        request=request,
        sections=tuple(Section.model_validate(section) for section in row["sections"]),
        provider=row["provider"] or "unknown",
        model=row["model"] or "unknown",
        ai_generated=bool(row["ai_generated"]),
        prompt_version=row["prompt_version"] or "unknown",
        investment_items=tuple(InvestmentItem.model_validate(item) for item in row["investment_items"] or ()),
        timeline_phases=tuple(TimelinePhase.model_validate(phase) for phase in row["timeline_phases"] or ()),
        assumptions=tuple(row["assumptions"] or ()),
        origin=row["origin"],
    )


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60] or "proposta"
