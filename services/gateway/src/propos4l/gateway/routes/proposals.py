"""Proposals: create, read, list, download their PDFs, choose their collaborators, delete them."""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from propos4l.gateway.approval_rules import needs_watermark, requires_approval
from propos4l.gateway.deps import (
    Audit,
    ContextRetrieval,
    Database,
    Editor,
    Outbox,
    PdfStorage,
    Proposals,
    Settings,
    Users,
    Viewer,
    ensure_may_change,
)
from propos4l.gateway.pdf_downloads import pdf_download
from propos4l.gateway.problems import Problem
from propos4l.gateway.proposal_listing import InvalidCursor, ListPosition, ProposalFilters
from propos4l.gateway.review_schemas import MatchedRuleView
from propos4l.gateway.review_transitions import open_thread_count
from propos4l.gateway.roles import Role
from propos4l.gateway.routes.templates import Templates
from propos4l.gateway.schemas import ProposalList, ProposalView, Status
from propos4l.gateway.template_pricing import TemplatePricing
from propos4l.gateway.views import proposal_summary, proposal_view
from propos4l.gateway.watermark import watermark_for, watermark_pdf, watermark_text
from propos4l.shared.events import ProposalRequest, ProposalRequested
from propos4l.shared.telemetry import current_trace_id

__all__ = ["router"]

router = APIRouter(prefix="/api/proposals", tags=["proposals"])

_PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        401: "No or wrong API token",
        404: "No such proposal or version",
        409: "No PDF is ready yet",
        413: "Request body too large",
        422: "Invalid request",
    }.items()
}


_NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL characters (the request body checks its own)


@router.post("", status_code=202, response_model=ProposalView, responses=_PROBLEM_RESPONSES)
async def create_proposal(
    request: ProposalRequest,
    response: Response,
    principal: Editor,
    audit: Audit,
    proposals: Proposals,
    outbox: Outbox,
    templates: Templates,
    settings: Settings,
    retriever: ContextRetrieval,
) -> ProposalView:
    """Accept a request: it is stored with what the knowledge library gives for it (passages, active roster, rate
    card in force), queued for drafting, and followed at its Location."""
    if not await templates.exists(request.template):
        raise Problem(422, f"There is no template named {request.template!r}; GET /api/templates lists them.")
    proposal_id = uuid.uuid4()
    context = await retriever.retrieve(request)
    event = ProposalRequested(proposal_id=proposal_id, version=1, request=request, context=context)
    row = await proposals.create(request, event, current_trace_id(), owner_id=principal.user_id)
    outbox.wake()
    await audit.record(
        "proposal.created", object_type="proposal", object_id=proposal_id, details={"client_name": request.client_name}
    )
    response.headers["Location"] = f"/api/proposals/{proposal_id}"
    return proposal_view(row, trace_url_template=settings.tracing_ui_url)


@router.get("", response_model=ProposalList, responses=_PROBLEM_RESPONSES)
async def list_proposals(
    principal: Viewer,
    proposals: Proposals,
    settings: Settings,
    status: Status | None = None,
    industry: Annotated[str | None, Query(max_length=200, pattern=_NO_NUL)] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, pattern=_NO_NUL, description="Words the client's name has words beginning with"),
    ] = None,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of the previous page (keyset paging)")
    ] = None,
    page: Annotated[int, Query(ge=1, le=100_000, description="page number (OFFSET paging; `cursor` scales)")] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    mine: Annotated[bool, Query(description="only those the caller owns or collaborates on")] = False,
) -> ProposalList:
    """Proposals, newest first, filtered by status, industry and words of the client's name; by page number, or
    from a `cursor` (each page gives the next one's)."""
    if cursor is not None and page != 1:
        raise Problem(422, "Give either cursor or page, not both: a cursor says where the page starts.")
    try:
        after = ListPosition.from_cursor(cursor) if cursor is not None else None
    except InvalidCursor as error:
        raise Problem(422, f"The {error}.") from None
    listed = await proposals.list(
        ProposalFilters(status=status, industry=industry, search=q, member=principal.user_id if mine else None),
        limit=page_size,
        offset=(page - 1) * page_size,
        after=after,
        count_limit=settings.proposal_list_count_limit,
    )
    return ProposalList(
        items=[proposal_summary(row) for row in listed.rows],
        total=listed.total,
        total_exact=listed.total_exact,
        page=page,
        page_size=page_size,
        next_cursor=listed.next_position.cursor() if listed.next_position is not None else None,
    )


@router.get("/{proposal_id}", response_model=ProposalView, responses=_PROBLEM_RESPONSES)
async def get_proposal(
    proposal_id: uuid.UUID,
    _: Viewer,
    proposals: Proposals,
    pricing: TemplatePricing,
    settings: Settings,
    database: Database,
) -> ProposalView:
    """A proposal's status, the sections of its current version, its investment priced as its PDF prices it, its
    review state and the approval rules it matches."""
    row = await proposals.get(proposal_id)
    if row is None:
        raise Problem(404, f"There is no proposal {proposal_id}.")
    terms = await pricing.terms_of(row["template"]) if row["investment_items"] else None
    view = proposal_view(row, terms, settings.tracing_ui_url)
    async with database.acquire() as connection:
        matched = await requires_approval(connection, proposal_id, pricing)
        view.open_threads = await open_thread_count(connection, proposal_id)
    view.approval_required = bool(matched)
    view.approval_rules = [MatchedRuleView.of(rule) for rule in matched]
    if needs_watermark(matched, row["approved_version"], row["current_version"]):
        view.watermark = watermark_text(row["language"])
    return view


@router.get(
    "/{proposal_id}/pdf",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/pdf": {}}},
        307: {"description": "STORAGE_PRESIGN: a short-lived pre-signed URL of the object store"},
        503: {"content": {"application/problem+json": {}}, "description": "The file storage is not answering"},
        **_PROBLEM_RESPONSES,
    },
)
async def download_pdf(
    proposal_id: uuid.UUID,
    audit: Audit,
    proposals: Proposals,
    settings: Settings,
    pdf_storage: PdfStorage,
    database: Database,
    pricing: TemplatePricing,
    version: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> Response:
    """The latest rendered PDF, or that of `version`; 409 while none is rendered. A version that needs a manager's
    approval (an approval rule matches it) and lacks it comes stamped "DRAFT - NOT APPROVED" ("RASCUNHO - NÃO
    APROVADO"), with the header `X-Propos4l-Watermark: not-approved`; the stored file is never changed."""
    proposal = await proposals.get(proposal_id)
    if proposal is None:
        raise Problem(404, f"There is no proposal {proposal_id}.")
    row = await (proposals.version(proposal_id, version) if version else proposals.latest_rendered(proposal_id))
    if row is None and version is not None:
        raise Problem(404, f"Proposal {proposal_id} has no version {version}.")
    if row is None or row["pdf_path"] is None:
        wanted = version or proposal["current_version"]
        raise Problem(409, f"No PDF of version {wanted} is ready yet (the proposal is {proposal['status']}).")
    wanted = row["version"]
    async with database.acquire() as connection:
        text = await watermark_for(connection, proposal, pricing, wanted)
    watermarked = text is not None
    download = await pdf_download(
        pdf_storage,
        row["pdf_path"],
        f"{_slug(proposal['client_name'])}-v{wanted}.pdf",
        presign_seconds=settings.storage_presign_seconds if settings.storage_presign else None,
        transform=(lambda pdf: watermark_pdf(pdf, text)) if text is not None else None,
    )
    await audit.record(
        "proposal.pdf_downloaded",
        object_type="proposal",
        object_id=proposal_id,
        details={"version": wanted, "watermarked": watermarked},
    )
    if watermarked:
        download.headers["X-Propos4l-Watermark"] = "not-approved"
    return download


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60] or "proposta"


class Collaborators(BaseModel):
    """The users who may edit a proposal besides its owner."""

    model_config = ConfigDict(extra="forbid")

    user_ids: Annotated[list[uuid.UUID], Field(max_length=50)]


@router.put("/{proposal_id}/collaborators", response_model=ProposalView, responses=_PROBLEM_RESPONSES)
async def set_collaborators(
    proposal_id: uuid.UUID,
    body: Collaborators,
    principal: Editor,
    audit: Audit,
    proposals: Proposals,
    users: Users,
    settings: Settings,
) -> ProposalView:
    """Replace a proposal's collaborators (its owner, managers and admins may)."""
    await ensure_may_change(proposals, proposal_id, principal)
    members = await proposals.members(proposal_id)
    if members is not None and members[0] != principal.user_id and not principal.role.includes(Role.MANAGER):
        raise Problem(403, "Only a proposal's owner or a manager chooses its collaborators.", code="not_the_owner")
    wanted = list(dict.fromkeys(body.user_ids))
    for user_id in wanted:
        user = await users.get(user_id)
        if user is None or user.is_system or not user.active:
            raise Problem(422, f"There is no active user with id {user_id}.", code="collaborator_unknown")
    await proposals.set_collaborators(proposal_id, wanted)
    await audit.record(
        "proposal.collaborators_changed",
        object_type="proposal",
        object_id=proposal_id,
        details={"user_ids": [str(user_id) for user_id in wanted]},
    )
    row = await proposals.get(proposal_id)
    assert row is not None
    return proposal_view(row, trace_url_template=settings.tracing_ui_url)


@router.delete(
    "/{proposal_id}",
    status_code=204,
    responses={
        403: {"content": {"application/problem+json": {}}, "description": "Neither its owner nor a manager"},
        **_PROBLEM_RESPONSES,
    },
)
async def delete_proposal(proposal_id: uuid.UUID, principal: Editor, audit: Audit, proposals: Proposals) -> Response:
    """Delete a proposal (its owner, managers and admins may): it is listed nowhere and every route answers 404 for
    it from now on; its versions and PDFs are kept for the retention rules and backups (a soft delete)."""
    members = await proposals.members(proposal_id)
    if members is None:
        raise Problem(404, f"There is no proposal {proposal_id}.")
    if members[0] != principal.user_id and not principal.role.includes(Role.MANAGER):
        raise Problem(403, "Only a proposal's owner or a manager deletes it.", code="not_the_owner")
    row = await proposals.get(proposal_id)
    if row is None or not await proposals.delete(proposal_id):  # deleted meanwhile
        raise Problem(404, f"There is no proposal {proposal_id}.")
    await audit.record(
        "proposal.deleted",
        object_type="proposal",
        object_id=proposal_id,
        details={"client_name": row["client_name"], "status": row["status"], "version": row["current_version"]},
    )
    return Response(status_code=204)
