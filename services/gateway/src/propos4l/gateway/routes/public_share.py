"""The client's page, without an account: a sent version through its share link, its PDF, the time-on-page beacon,
Accept and Decline, and the final PDF after an acceptance (ADR 0024).

Every call is rate-limited per address and per link. Unknown and revoked tokens get the same 404 (no oracle); an
expired one says so with a 410 (only who holds the token learns it). Unknown tokens also count as failures per
address, and wrong access codes per link; either, past its limit, answers 429 until its window ends.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Annotated, Final

import asyncpg
from fastapi import APIRouter, Depends, Header, Path, Request, Response

from propos4l.gateway.auth import origin_of
from propos4l.gateway.deps import PdfStorage, Proposals
from propos4l.gateway.pdf_downloads import pdf_download
from propos4l.gateway.problems import Problem
from propos4l.gateway.rate_limit import RateLimiter
from propos4l.gateway.review_transitions import TransitionRefused, apply_transition
from propos4l.gateway.routes.sharing import (
    answer_view,
    final_pdf_filename,
    refused,
    share_answers_of,
    share_links_of,
)
from propos4l.gateway.routes.templates import Templates
from propos4l.gateway.share_answers import AlreadyAnswered, client_label
from propos4l.gateway.share_expiry import expire_if_unanswered
from propos4l.gateway.share_links import LinkState, ShareLink
from propos4l.gateway.share_schemas import (
    AcceptRequest,
    AnswerView,
    DeclineRequest,
    PublicBrand,
    PublicProposal,
    TimeOnPage,
)
from propos4l.gateway.share_throttle import FailureCounter
from propos4l.gateway.template_pricing import TemplatePricingReader
from propos4l.gateway.views import proposal_view
from propos4l.shared.review import ReviewState

__all__ = ["ACCESS_CODE_HEADER", "router"]

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/public/share", tags=["public share"])

ACCESS_CODE_HEADER: Final = "X-Access-Code"
_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        403: "The link needs its access code (`access_code_required`), or the code is wrong (`access_code_wrong`)",
        404: "No such link (unknown, mistyped or revoked)",
        409: "Already answered, or no longer waiting for an answer",
        410: "The link has expired",
        422: "Invalid request",
        429: "Too many calls or failures; see Retry-After",
    }.items()
}
_NOT_FOUND: Final = (
    "This link does not work: it may be mistyped, or the consultancy revoked it. Ask them for a new one."
)


def _too_many(wait: int, detail: str, code: str) -> Problem:
    return Problem(429, detail, headers={"Retry-After": str(wait)}, code=code)


async def shared_link(
    request: Request,
    token: Annotated[str, Path(max_length=200)],
    access_code: Annotated[str | None, Header(alias=ACCESS_CODE_HEADER, max_length=64)] = None,
) -> ShareLink:
    """The link `token` names, once the caller may use it (rate limits, expiry, access code); else its problem."""
    state = request.app.state
    address = origin_of(request).address or "unknown"
    by_address: RateLimiter = state.share_address_limiter
    if wait := await by_address.try_acquire(address):
        raise _too_many(wait, f"Too many requests from this address; try again in {wait} s.", "share_rate_limited")
    misses: FailureCounter = state.share_misses
    if wait := await misses.blocked(address):
        raise _too_many(wait, f"Too many links that do not work; try again in {wait} s.", "share_rate_limited")
    link = await share_links_of(request).find(token)
    now = datetime.now(UTC)
    if link is None or link.state(now) is LinkState.UNKNOWN:
        await misses.failed(address)
        raise Problem(404, _NOT_FOUND, code="share_link_not_found")
    by_link: RateLimiter = state.share_link_limiter
    if wait := await by_link.try_acquire(str(link.id)):
        raise _too_many(wait, f"Too many requests for this link; try again in {wait} s.", "share_rate_limited")
    if link.state(now) is LinkState.EXPIRED:
        await _expire_if_unanswered(state.pool, link)
        raise Problem(410, "This link has expired. Ask the consultancy for a new one.", code="share_link_expired")
    if link.has_access_code:
        codes: FailureCounter = state.share_code_failures
        if wait := await codes.blocked(str(link.id)):
            raise _too_many(wait, f"Too many wrong access codes; try again in {wait} s.", "access_code_throttled")
        if not access_code:
            raise Problem(403, "This link needs the access code the consultancy gave you.", code="access_code_required")
        if not await share_links_of(request).code_matches(link, access_code):
            await codes.failed(str(link.id))
            raise Problem(403, "The access code is wrong.", code="access_code_wrong")
    return link


SharedLink = Annotated[ShareLink, Depends(shared_link)]


async def _expire_if_unanswered(pool: asyncpg.Pool, link: ShareLink) -> None:
    """Move a proposal still waiting for an answer to `expired` once none of its links works any more."""
    async with pool.acquire() as connection, connection.transaction():
        await expire_if_unanswered(connection, link.proposal_id)


async def _mark_viewed(pool: asyncpg.Pool, link: ShareLink) -> None:
    """The first opening of a sent proposal moves it to `viewed`."""
    async with pool.acquire() as connection, connection.transaction():
        state = await connection.fetchval(
            "SELECT review_state FROM proposals WHERE id = $1 FOR UPDATE", link.proposal_id
        )
        if state != ReviewState.SENT.value:
            return
        await apply_transition(
            connection,
            link.proposal_id,
            ReviewState.VIEWED,
            actor=None,
            actor_label="client (share link)",
            version=link.version,
        )


async def _brand(templates: Templates, template: str) -> PublicBrand | None:
    manifest = await templates.manifest_of(template)
    if manifest is None:
        return None
    brand = manifest.brand
    return PublicBrand(
        company_name=brand.company_name,
        primary=brand.colors.primary,
        accent=brand.colors.accent,
        text=brand.colors.text,
        muted=brand.colors.muted,
        email=brand.details.email,
        phone=brand.details.phone,
        website=brand.details.website,
    )


@router.get("/{token}", response_model=PublicProposal, responses=_PROBLEMS)
async def open_shared_proposal(
    request: Request, link: SharedLink, proposals: Proposals, templates: Templates
) -> PublicProposal:
    """The sent version as the client's page shows it; each call records one opening (a visit) of the page."""
    row = await proposals.get(link.proposal_id, link.version)
    if row is None:
        raise Problem(404, _NOT_FOUND, code="share_link_not_found")
    pricing: TemplatePricingReader = request.app.state.template_pricing
    terms = await pricing.terms_of(row["template"]) if row["investment_items"] else None
    view = proposal_view(row, terms)
    links = share_links_of(request)
    visit_id = await links.open_visit(link.id)
    await _mark_viewed(request.app.state.pool, link)
    answer = await share_answers_of(request).of_proposal(link.proposal_id)
    return PublicProposal(
        language="en" if row["language"] == "en" else "pt-BR",
        client_name=row["client_name"],
        version=link.version,
        sections=view.sections,
        investment=view.investment,
        brand=await _brand(templates, row["template"]),
        expires_at=link.expires_at,
        visit_id=visit_id,
        answer=answer_view(answer, with_address=False) if answer and answer.version == link.version else None,
        signing_configured=share_answers_of(request).signer is not None,
        state=await request.app.state.pool.fetchval(
            "SELECT review_state FROM proposals WHERE id = $1", link.proposal_id
        ),
    )


@router.get("/{token}/pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}, **_PROBLEMS})
async def download_shared_pdf(
    link: SharedLink, request: Request, proposals: Proposals, pdf_storage: PdfStorage
) -> Response:
    """The sent version's PDF; each call records a download."""
    row = await proposals.get(link.proposal_id, link.version)
    if row is None or row["pdf_path"] is None:
        raise Problem(404, _NOT_FOUND, code="share_link_not_found")
    await share_links_of(request).record_download(link.id)
    return await pdf_download(pdf_storage, row["pdf_path"], f"proposta-v{link.version}.pdf")


@router.post("/{token}/visits/{visit_id}", status_code=204, responses=_PROBLEMS)
async def record_time_on_page(
    token: Annotated[str, Path(max_length=200)], visit_id: uuid.UUID, body: TimeOnPage, request: Request
) -> Response:
    """The page's beacon: the seconds this visit has been visible so far (no access code: the visit's random id,
    given only after the code was checked, is the proof)."""
    address = origin_of(request).address or "unknown"
    limiter: RateLimiter = request.app.state.share_address_limiter
    if wait := await limiter.try_acquire(address):
        raise _too_many(wait, f"Too many requests from this address; try again in {wait} s.", "share_rate_limited")
    link = await share_links_of(request).find(token)
    if link is None or link.state(datetime.now(UTC)) is LinkState.UNKNOWN:
        raise Problem(404, _NOT_FOUND, code="share_link_not_found")
    if not await share_links_of(request).record_time(link.id, visit_id, body.seconds):
        raise Problem(404, _NOT_FOUND, code="share_link_not_found")
    return Response(status_code=204)


async def _answer(
    request: Request,
    link: ShareLink,
    proposals: Proposals,
    templates: Templates,
    *,
    decision: str,
    name: str,
    email: str,
    role: str | None,
    note: str | None,
    reason: str | None,
) -> AnswerView:
    answers = share_answers_of(request)
    try:
        answer = await answers.answer(
            proposal_id=link.proposal_id,
            version=link.version,
            link_id=link.id,
            decision="accepted" if decision == "accepted" else "declined",
            name=name,
            email=email,
            role=role,
            note=note,
            reason=reason,
            origin=origin_of(request),
        )
    except AlreadyAnswered:
        raise Problem(409, "This proposal has been answered already.", code="already_answered") from None
    except TransitionRefused as error:
        raise refused(error) from None
    if answer.decision == "accepted":
        row = await proposals.get(link.proposal_id, link.version)
        assert row is not None
        brand = await _brand(templates, row["template"])
        answer = await answers.make_final_pdf(
            answer,
            client_name=row["client_name"],
            company_name=brand.company_name if brand else "",
            language=row["language"],
            workers=templates.workers,
        )
    logger.info(
        "a client answered a proposal",
        extra={"proposal_id": str(link.proposal_id), "decision": answer.decision, "who": client_label(name, email)},
    )
    return answer_view(answer, with_address=False)


@router.post("/{token}/accept", response_model=AnswerView, responses=_PROBLEMS)
async def accept_shared_proposal(
    body: AcceptRequest, link: SharedLink, request: Request, proposals: Proposals, templates: Templates
) -> AnswerView:
    """Accept the sent version: recorded with who, when and from which address; the final PDF follows (signed
    when a certificate is configured)."""
    return await _answer(
        request,
        link,
        proposals,
        templates,
        decision="accepted",
        name=body.name,
        email=body.email,
        role=body.role,
        note=body.note,
        reason=None,
    )


@router.post("/{token}/decline", response_model=AnswerView, responses=_PROBLEMS)
async def decline_shared_proposal(
    body: DeclineRequest, link: SharedLink, request: Request, proposals: Proposals, templates: Templates
) -> AnswerView:
    """Decline the sent version, with a reason."""
    return await _answer(
        request,
        link,
        proposals,
        templates,
        decision="declined",
        name=body.name,
        email=body.email,
        role=body.role,
        note=None,
        reason=body.reason,
    )


@router.get(
    "/{token}/final-pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}, **_PROBLEMS}
)
async def download_shared_final_pdf(
    link: SharedLink, request: Request, proposals: Proposals, pdf_storage: PdfStorage
) -> Response:
    """The final PDF of the acceptance made through this proposal's page; 409 while there is none."""
    answer = await share_answers_of(request).of_proposal(link.proposal_id)
    if answer is None or answer.version != link.version or answer.final_pdf_path is None:
        raise Problem(409, "There is no final PDF: the proposal has not been accepted.", code="no_final_pdf")
    row = await proposals.get(link.proposal_id, link.version)
    client_name = row["client_name"] if row is not None else ""
    return await pdf_download(pdf_storage, answer.final_pdf_path, final_pdf_filename(client_name, answer))
