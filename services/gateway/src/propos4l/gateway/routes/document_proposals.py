"""Proposals started from the client's documents (issue #16): start one, attach its documents, confirm its request.

A started proposal waits (`awaiting_confirmation`) with no drafting event: its documents are attached and read
through the usual routes (`/api/proposals/{id}/documents`), and a person confirms the request fields read from them.
The confirmation is the request: from then on it is drafted with its requirements in view, each section shown those
mapped to it, and it ends in a PDF or a recorded failure like any other (ADR 0025).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from propos4l.gateway.deps import (
    Audit,
    ClientDocumentStore,
    ContextRetrieval,
    Editor,
    Outbox,
    Proposals,
    Settings,
    ensure_may_change,
)
from propos4l.gateway.problems import Problem
from propos4l.gateway.repository import NotAwaitingConfirmation
from propos4l.gateway.routes.templates import Templates
from propos4l.gateway.schemas import ProposalStart, ProposalView
from propos4l.gateway.views import proposal_view
from propos4l.shared.events import ProposalRequest, ProposalRequested
from propos4l.shared.telemetry import current_trace_id

__all__ = ["router"]

router = APIRouter(prefix="/api/proposals", tags=["proposals"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        401: "No or wrong API token",
        403: "The caller may not change this proposal",
        404: "No such proposal",
        409: "The proposal is not awaiting confirmation, or a document is still being read",
        422: "Invalid request",
    }.items()
}


@router.post("/from-documents", status_code=201, response_model=ProposalView, responses=_PROBLEMS)
async def start_from_documents(
    start: ProposalStart,
    response: Response,
    principal: Editor,
    audit: Audit,
    proposals: Proposals,
    templates: Templates,
    settings: Settings,
) -> ProposalView:
    """Start a proposal from the client's documents: it waits (`awaiting_confirmation`) for its documents
    (`POST /api/proposals/{id}/documents`) and for a person to confirm its request (`POST .../confirm`)."""
    if not await templates.exists(start.template):
        raise Problem(422, f"There is no template named {start.template!r}; GET /api/templates lists them.")
    proposal_id = uuid.uuid4()
    row = await proposals.start_from_documents(proposal_id, start, current_trace_id(), principal.user_id)
    await audit.record(
        "proposal.started", object_type="proposal", object_id=proposal_id, details={"client_name": start.client_name}
    )
    response.headers["Location"] = f"/api/proposals/{proposal_id}"
    return proposal_view(row, trace_url_template=settings.tracing_ui_url)


@router.post("/{proposal_id}/confirm", status_code=202, response_model=ProposalView, responses=_PROBLEMS)
async def confirm_request(
    proposal_id: uuid.UUID,
    request: ProposalRequest,
    principal: Editor,
    audit: Audit,
    proposals: Proposals,
    documents: ClientDocumentStore,
    outbox: Outbox,
    templates: Templates,
    settings: Settings,
    retriever: ContextRetrieval,
) -> ProposalView:
    """Confirm the request of a proposal started from documents (the fields read from them, as the person left
    them): it is queued for drafting with the library's context and the documents' requirements, each section
    shown those mapped to it."""
    await ensure_may_change(proposals, proposal_id, principal)
    proposal = await proposals.get(proposal_id)
    if proposal is None:
        raise Problem(404, f"There is no proposal {proposal_id}.")
    if proposal["status"] != "awaiting_confirmation":
        raise Problem(
            409, f"Proposal {proposal_id} was already confirmed (it is {proposal['status']}).", code="not_awaiting"
        )
    reading = [row["filename"] for row in await documents.documents(proposal_id) if row["status"] in _READING]
    if reading:
        raise Problem(
            409,
            f"{len(reading)} document(s) are still being read ({', '.join(reading[:3])}); confirm once they are, "
            "so that the draft sees their requirements.",
            code="documents_reading",
        )
    if not await templates.exists(request.template):
        raise Problem(422, f"There is no template named {request.template!r}; GET /api/templates lists them.")
    library = await retriever.retrieve(request)
    context = library.model_copy(update={"requirements": await documents.draft_requirements(proposal_id, 1)})
    event = ProposalRequested(proposal_id=proposal_id, version=1, request=request, context=context)
    try:
        row = await proposals.confirm(request, event)
    except NotAwaitingConfirmation:
        raise Problem(409, f"Proposal {proposal_id} was already confirmed.", code="not_awaiting") from None
    outbox.wake()
    await audit.record(
        "proposal.confirmed",
        object_type="proposal",
        object_id=proposal_id,
        details={"client_name": request.client_name, "requirements": len(context.requirements)},
    )
    return proposal_view(row, trace_url_template=settings.tracing_ui_url)


_READING = frozenset({"uploaded", "reading"})
