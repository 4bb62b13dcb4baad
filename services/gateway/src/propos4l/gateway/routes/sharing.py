"""Sending a proposal to its client: the send that freezes a version and makes a share link, the links with their
views and the client's answer, revoking a link, and the final (signed) PDF of an acceptance (ADR 0024)."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta
from typing import Final

from fastapi import APIRouter, Request, Response

from propos4l.gateway.auth import origin_of
from propos4l.gateway.deps import Audit, Database, Editor, PdfStorage, Proposals, Settings, Viewer, ensure_may_change
from propos4l.gateway.pdf_downloads import pdf_download
from propos4l.gateway.problems import Problem
from propos4l.gateway.review_transitions import TransitionRefused, apply_transition
from propos4l.gateway.routes.templates import Templates
from propos4l.gateway.share_answers import Answer, ShareAnswers
from propos4l.gateway.share_links import LinkState, ShareLink, ShareLinkStore
from propos4l.gateway.share_schemas import (
    AnswerView,
    SendRequest,
    SentLink,
    ShareLinkList,
    ShareLinkView,
    ViewsView,
)
from propos4l.shared.review import ReviewState

__all__ = ["answer_view", "link_view", "router", "share_answers_of", "share_links_of"]

router = APIRouter(prefix="/api/proposals", tags=["sharing"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        401: "Not signed in",
        403: "The caller's role (or ownership) does not allow it",
        404: "No such proposal or link",
        409: "The proposal cannot be sent now (`code` says why: approval required, no PDF yet, already answered...)",
        422: "Invalid request",
    }.items()
}
_WAITING: Final = frozenset({ReviewState.SENT, ReviewState.VIEWED})


def share_links_of(request: Request) -> ShareLinkStore:
    """The app's share link store."""
    store: ShareLinkStore = request.app.state.share_links
    return store


def share_answers_of(request: Request) -> ShareAnswers:
    """The app's record of the clients' answers."""
    answers: ShareAnswers = request.app.state.share_answers
    return answers


def link_view(link: ShareLink, now: datetime | None = None) -> ShareLinkView:
    """A link as the consultancy sees it."""
    state = link.state(now or datetime.now(UTC))
    views = link.views
    return ShareLinkView(
        id=link.id,
        version=link.version,
        state="revoked" if link.revoked_at else "expired" if state is LinkState.EXPIRED else "active",
        has_access_code=link.has_access_code,
        created_by=link.created_by,
        created_at=link.created_at,
        expires_at=link.expires_at,
        revoked_at=link.revoked_at,
        views=ViewsView(
            first_opened_at=views.first_opened_at,
            last_opened_at=views.last_opened_at,
            opens=views.opens,
            seconds_on_page=views.seconds_on_page,
            downloads=views.downloads,
        ),
    )


def answer_view(answer: Answer, *, with_address: bool) -> AnswerView:
    """The client's answer; its address only for the consultancy."""
    return AnswerView(
        decision=answer.decision,
        version=answer.version,
        name=answer.name,
        email=answer.email,
        role=answer.role,
        note=answer.note,
        reason=answer.reason,
        answered_at=answer.answered_at,
        address=answer.address if with_address else None,
        accepted_pdf_sha256=answer.accepted_pdf_sha256,
        final_pdf_available=answer.final_pdf_path is not None,
        signature_level=answer.signature_level,
        final_pdf_problem=answer.final_pdf_problem if with_address else None,
    )


def refused(error: TransitionRefused) -> Problem:
    """A refused review move as its problem."""
    return Problem(error.status, error.detail, code=error.code)


@router.post("/{proposal_id}/send", status_code=201, response_model=SentLink, responses=_PROBLEMS)
async def send_proposal(
    request: Request,
    proposal_id: uuid.UUID,
    principal: Editor,
    proposals: Proposals,
    database: Database,
    settings: Settings,
    audit: Audit,
    body: SendRequest | None = None,
) -> SentLink:
    """Send the proposal: its current version is frozen as the sent version (the review state becomes `sent`;
    refused with 409 `approval_required` when an approval rule needs a manager's approval first) and a share link
    is made. Once sent, each call makes another link to the same version. The link's token is in this answer only."""
    body = body or SendRequest()
    await ensure_may_change(proposals, proposal_id, principal)
    store = share_links_of(request)
    async with database.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            "SELECT review_state, sent_version, current_version FROM proposals WHERE id = $1 FOR UPDATE", proposal_id
        )
        if row is None:
            raise Problem(404, f"There is no proposal {proposal_id}.")
        state = ReviewState(row["review_state"])
        if state in _WAITING:
            version = row["sent_version"]
        else:
            version = row["current_version"]
            pdf = await connection.fetchval(
                "SELECT pdf_path FROM proposal_versions WHERE proposal_id = $1 AND version = $2", proposal_id, version
            )
            if pdf is None:
                raise Problem(
                    409,
                    f"Version {version} has no PDF yet; send it once it is ready.",
                    code="proposal_not_ready",
                )
            try:
                await apply_transition(
                    connection,
                    proposal_id,
                    ReviewState.SENT,
                    actor=principal,
                    version=version,
                    pricing=request.app.state.template_pricing,
                    origin=origin_of(request),
                )
            except TransitionRefused as error:
                raise refused(error) from None
        days = body.expires_in_days or settings.share_link_days
        made = await store.create(
            connection,
            proposal_id,
            version,
            valid_for=timedelta(days=days),
            access_code=body.access_code,
            created_by=principal.name,
            created_by_user=principal.user_id,
        )
        await audit.record(
            "proposal.share_link_created",
            object_type="proposal",
            object_id=proposal_id,
            details={
                "link_id": str(made.link.id),
                "version": version,
                "expires_at": made.link.expires_at.isoformat(),
                "access_code": made.link.has_access_code,
            },
            connection=connection,
        )
    url = f"{settings.web_app_url.rstrip('/')}/share#{made.token}"
    return SentLink(link=link_view(made.link), token=made.token, url=url)


@router.get("/{proposal_id}/share-links", response_model=ShareLinkList, responses=_PROBLEMS)
async def list_share_links(request: Request, proposal_id: uuid.UUID, _: Viewer, proposals: Proposals) -> ShareLinkList:
    """The proposal's share links (newest first) with their views, and the client's answer."""
    if await proposals.members(proposal_id) is None:
        raise Problem(404, f"There is no proposal {proposal_id}.")
    links = await share_links_of(request).of_proposal(proposal_id)
    answer = await share_answers_of(request).of_proposal(proposal_id)
    now = datetime.now(UTC)
    return ShareLinkList(
        links=[link_view(link, now) for link in links],
        answer=answer_view(answer, with_address=True) if answer else None,
    )


@router.delete("/{proposal_id}/share-links/{link_id}", status_code=204, responses=_PROBLEMS)
async def revoke_share_link(
    request: Request, proposal_id: uuid.UUID, link_id: uuid.UUID, principal: Editor, proposals: Proposals, audit: Audit
) -> Response:
    """Revoke a share link: it answers 404 from now on, as a link that never existed."""
    await ensure_may_change(proposals, proposal_id, principal)
    revoked = await share_links_of(request).revoke(proposal_id, link_id, principal.name)
    if revoked is None:
        raise Problem(404, f"Proposal {proposal_id} has no share link {link_id}.")
    if revoked:
        await audit.record(
            "proposal.share_link_revoked",
            object_type="proposal",
            object_id=proposal_id,
            details={"link_id": str(link_id)},
        )
    return Response(status_code=204)


@router.get(
    "/{proposal_id}/final-pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **_PROBLEMS},
)
async def download_final_pdf(
    request: Request, proposal_id: uuid.UUID, _: Viewer, proposals: Proposals, pdf_storage: PdfStorage, audit: Audit
) -> Response:
    """The final PDF of the client's acceptance (the accepted PDF, the acceptance page, the signature when a
    certificate is configured); 409 while there is none."""
    proposal = await proposals.get(proposal_id)
    if proposal is None:
        raise Problem(404, f"There is no proposal {proposal_id}.")
    answer = await share_answers_of(request).of_proposal(proposal_id)
    if answer is None or answer.final_pdf_path is None:
        raise Problem(409, "The client has not accepted this proposal (or its final PDF failed).", code="no_final_pdf")
    await audit.record("proposal.final_pdf_downloaded", object_type="proposal", object_id=proposal_id)
    return await pdf_download(pdf_storage, answer.final_pdf_path, final_pdf_filename(proposal["client_name"], answer))


@router.post("/{proposal_id}/final-pdf", response_model=AnswerView, responses=_PROBLEMS)
async def remake_final_pdf(
    request: Request,
    proposal_id: uuid.UUID,
    principal: Editor,
    proposals: Proposals,
    templates: Templates,
    audit: Audit,
) -> AnswerView:
    """Make the final PDF of an acceptance again, after it failed (`final_pdf_problem`: the PDF storage or the
    timestamp server was down); 409 when the client has not accepted, or the final PDF exists."""
    await ensure_may_change(proposals, proposal_id, principal)
    answers = share_answers_of(request)
    answer = await answers.of_proposal(proposal_id)
    if answer is None or answer.decision != "accepted":
        raise Problem(409, "The client has not accepted this proposal.", code="no_final_pdf")
    if answer.final_pdf_path is not None:
        raise Problem(409, "The final PDF exists already.", code="final_pdf_exists")
    row = await proposals.get(proposal_id, answer.version)
    assert row is not None
    manifest = await templates.manifest_of(row["template"])
    answer = await answers.make_final_pdf(
        answer,
        client_name=row["client_name"],
        company_name=manifest.brand.company_name if manifest else "",
        language=row["language"],
        workers=templates.workers,
    )
    await audit.record(
        "proposal.final_pdf_made",
        object_type="proposal",
        object_id=proposal_id,
        details={"made": answer.final_pdf_path is not None, "signature_level": answer.signature_level},
    )
    return answer_view(answer, with_address=True)


def final_pdf_filename(client_name: str, answer: Answer) -> str:
    """The final PDF's file name."""
    ascii_text = unicodedata.normalize("NFKD", client_name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60] or "proposta"
    return f"{slug}-v{answer.version}-{'assinada' if answer.signature_level else 'aceita'}.pdf"
