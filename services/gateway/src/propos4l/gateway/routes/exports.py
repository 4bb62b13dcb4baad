"""Exports beside the PDF: one self-contained HTML file, Markdown, a Word document or an archival PDF/A of the same
version; marked "not approved" by the PDF's rule (`watermark.watermark_for`)."""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Annotated, Any, Final, Literal

import asyncpg
from fastapi import APIRouter, Query, Request, Response

from propos4l.gateway.deps import Audit, Database, Proposals
from propos4l.gateway.problems import Problem, problem_response
from propos4l.gateway.routes.templates import Templates
from propos4l.gateway.template_pricing import TemplatePricing
from propos4l.gateway.template_store import RecordedTemplate
from propos4l.gateway.watermark import watermark_for
from propos4l.renderer.errors import RenderError, RenderLimitExceeded, RenderTimeout, TemplateError, TemplateNotFound
from propos4l.renderer.export import export_markdown
from propos4l.renderer.manifest import PdfVariant, TemplateManifest
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
        422: "Invalid query, or the export exceeds a render limit (`limit` names it)",
    }.items()
}


@router.get(
    "/{proposal_id}/export",
    response_class=Response,
    responses={
        200: {"content": {"text/html": {}, "text/markdown": {}, DOCX_MEDIA_TYPE: {}, "application/pdf": {}}},
        **_PROBLEMS,
    },
)
async def export_proposal(
    request: Request,
    proposal_id: uuid.UUID,
    audit: Audit,
    proposals: Proposals,
    templates: Templates,
    database: Database,
    pricing: TemplatePricing,
    format: Annotated[
        Literal["html", "md", "docx", "pdf"],
        Query(
            description="html: self-contained HTML; md: Markdown; docx: Word document; pdf: an archival PDF "
            "(with `variant`; the PDF as rendered is at /api/proposals/{id}/pdf)"
        ),
    ],
    version: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    variant: Annotated[
        PdfVariant | None,
        Query(description="with format=pdf: pdf/a-3b, an archival PDF/A-3b with the proposal's data as proposal.json"),
    ] = None,
) -> Response:
    """The proposal as HTML (stylesheets, fonts and images inlined), Markdown, DOCX (Word) or an archival PDF/A;
    the version the PDF link serves unless `version` says which. A version that needs a manager's approval and
    lacks it carries "DRAFT - NOT APPROVED" ("RASCUNHO - NÃO APROVADO") in every format, as its PDF does, and the
    answer the header `X-Propos4l-Watermark: not-approved`."""
    if (format == "pdf") != (variant is not None):
        detail = (
            "format=pdf needs variant=pdf/a-3b: the PDF as rendered is at /api/proposals/{id}/pdf."
            if variant is None
            else "variant applies to format=pdf only."
        )
        raise Problem(422, detail)
    proposal = await proposals.get(proposal_id)
    if proposal is None:
        raise Problem(404, f"There is no proposal {proposal_id}.")
    row = await _version_row(proposals, proposal, version)
    drafted = _drafted(proposal, row)
    async with database.acquire() as connection:
        watermark = await watermark_for(connection, proposal, pricing, row["version"])
    suffix = "-pdfa.pdf" if format == "pdf" else f".{format}"
    filename = f"{_slug(proposal['client_name'])}-v{row['version']}{suffix}"
    disposition = f'attachment; filename="{filename}"'
    await audit.record(
        "proposal.exported",
        object_type="proposal",
        object_id=proposal_id,
        details={"format": format, "version": row["version"], "watermarked": watermark is not None},
    )
    # The template version that made this version's PDF, when it is recorded: the export then matches the PDF even
    # after the template changed (or was deleted). Otherwise the template as it is now.
    recorded = (
        await templates.version_by_digest(proposal["template"], row["template_sha256"], with_files=format != "md")
        if row["template_sha256"]
        else None
    )
    response = await _export(request, format, variant, proposal, drafted, templates, recorded, watermark)
    if response.status_code == 200:  # not on a problem (a render limit)
        response.headers["Content-Disposition"] = disposition
        if watermark is not None:
            response.headers["X-Propos4l-Watermark"] = "not-approved"
    return response


async def _export(
    request: Request,
    format: str,
    variant: PdfVariant | None,
    proposal: asyncpg.Record,
    drafted: ProposalDrafted,
    templates: Templates,
    recorded: RecordedTemplate | None,
    watermark: str | None,
) -> Response:
    """The export's body and type (the caller adds the disposition), or the problem a render limit makes."""
    try:
        if format == "md":
            return Response(
                export_markdown(drafted, await _manifest(templates, proposal, recorded), watermark),
                media_type="text/markdown; charset=utf-8",
            )
        if format == "docx":
            manifest = await _manifest(templates, proposal, recorded)
            return Response(
                await templates.export_docx(drafted, manifest, recorded, watermark=watermark),
                media_type=DOCX_MEDIA_TYPE,
                headers={"X-Content-Type-Options": "nosniff"},
            )
        if variant is not None:
            rendered = await templates.export_pdf(drafted, variant, recorded, watermark=watermark)
            return Response(
                rendered.data, media_type="application/pdf", headers={"Cache-Control": "private, max-age=0"}
            )
        html = await templates.export_html(drafted, recorded, watermark=watermark)
    except TemplateNotFound:
        raise Problem(
            409,
            f"The template {proposal['template']!r} of this proposal no longer exists; put it back to export "
            f"{format.upper()} (the Markdown export still works).",
        ) from None
    except TemplateError as error:
        raise Problem(409, f"The template {proposal['template']!r} cannot make this export: {error}") from None
    except (RenderLimitExceeded, RenderTimeout) as error:
        return _export_refused(error, format, request.url.path)
    except RenderError as error:
        raise Problem(500, f"The {format.upper()} export failed: {error}") from None
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={
            "Content-Security-Policy": _HTML_POLICY,
            "X-Content-Type-Options": "nosniff",
        },
    )


def _export_refused(error: RenderLimitExceeded | RenderTimeout, format: str, path: str) -> Response:
    """An export past a render limit (time, memory, pages, output size) as a 422 that names the limit."""
    limit = error.limit if isinstance(error, RenderLimitExceeded) else "time"
    return problem_response(
        422,
        f"The {format.upper()} export exceeds a render limit: {error}",
        title="Export exceeds a render limit",
        instance=path,
        limit=limit,
    )


async def _manifest(
    templates: Templates, proposal: asyncpg.Record, recorded: RecordedTemplate | None
) -> TemplateManifest:
    """The manifest of the recorded template version, else of the template's newest version; 409 when none is."""
    manifest = recorded.manifest if recorded is not None else await templates.manifest_of(proposal["template"])
    if manifest is None:
        raise Problem(409, f"The template {proposal['template']!r} of this proposal is not recorded.")
    return manifest


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
