"""Review of a proposal (issue #19, ADR 0023): its review state and history, the moves people make (submit, request
changes, approve, withdraw) and the comment threads. Sending, and the client's answers, are the share routes'."""

from __future__ import annotations

import uuid

import asyncpg
from fastapi import APIRouter, Request

from propos4l.gateway.approval_rules import requires_approval
from propos4l.gateway.auth import Principal, origin_of
from propos4l.gateway.deps import Audit, Comments, Database, Editor, Viewer
from propos4l.gateway.problems import Problem
from propos4l.gateway.review_comments import Thread, UnknownMention
from propos4l.gateway.review_schemas import (
    CommentBody,
    CommentView,
    MatchedRuleView,
    MentionView,
    ReviewView,
    ThreadBody,
    ThreadChange,
    ThreadList,
    ThreadView,
    TransitionBody,
    TransitionView,
)
from propos4l.gateway.review_transitions import (
    Transition,
    TransitionRefused,
    apply_transition,
    open_thread_count,
    transition_history,
)
from propos4l.gateway.template_pricing import TemplatePricing, TemplatePricingReader
from propos4l.shared.review import ReviewState, next_states
from propos4l.shared.sections import SECTION_KEYS

__all__ = ["review_view", "router"]

router = APIRouter(prefix="/api/proposals", tags=["review"])

_PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        401: "Not signed in",
        403: "The caller's role, or ownership, does not allow it",
        404: "No such proposal or thread",
        409: "The review state does not allow it (the problem's `code` says why)",
        422: "Invalid request",
    }.items()
}


def _transition_view(transition: Transition) -> TransitionView:
    return TransitionView(
        id=transition.id,
        from_state=transition.from_state,
        to_state=transition.to_state,
        version=transition.version,
        actor_user_id=transition.actor_user_id,
        actor=transition.actor_label,
        reason=transition.reason,
        override=transition.override,
        at=transition.at,
    )


async def review_view(
    connection: asyncpg.Connection, proposal_id: uuid.UUID, principal: Principal, pricing: TemplatePricingReader
) -> ReviewView:
    """Where the proposal stands in review, for `principal` (a 404 problem when there is no such proposal)."""
    row = await connection.fetchrow(
        "SELECT review_state, current_version, approved_version, sent_version FROM proposals WHERE id = $1",
        proposal_id,
    )
    if row is None:
        raise Problem(404, f"There is no proposal {proposal_id}.")
    state = ReviewState(row["review_state"])
    matched = await requires_approval(connection, proposal_id, pricing)
    return ReviewView(
        proposal_id=proposal_id,
        state=state,
        version=row["current_version"],
        approved_version=row["approved_version"],
        sent_version=row["sent_version"],
        approval_required=bool(matched),
        approval_rules=[MatchedRuleView.of(rule) for rule in matched],
        open_threads=await open_thread_count(connection, proposal_id),
        # Sending has its own route (it makes the share link); the client's moves are the system's.
        next_states=[target for target in next_states(state, principal.role.value) if target is not ReviewState.SENT],
        transitions=[_transition_view(transition) for transition in await transition_history(connection, proposal_id)],
    )


@router.get("/{proposal_id}/review", response_model=ReviewView, responses=_PROBLEM_RESPONSES)
async def get_review(
    proposal_id: uuid.UUID, principal: Viewer, database: Database, pricing: TemplatePricing
) -> ReviewView:
    """The proposal's review state, the approval rules it matches, its open threads, the moves the caller may make
    and the history of moves."""
    async with database.acquire() as connection:
        return await review_view(connection, proposal_id, principal, pricing)


@router.post("/{proposal_id}/transitions", response_model=ReviewView, responses=_PROBLEM_RESPONSES)
async def make_transition(
    proposal_id: uuid.UUID,
    body: TransitionBody,
    principal: Editor,
    request: Request,
    database: Database,
    pricing: TemplatePricing,
) -> ReviewView:
    """Move the review state: `in_review` (submit; owner, collaborator or manager), `draft` (request changes, or
    take an approval back), `approved` (managers; refused with open threads unless `override` with a `reason`),
    `withdrawn` (managers). Recorded in the history and the audit log, and published on the lifecycle stream."""
    async with database.acquire() as connection:
        try:
            async with connection.transaction():
                await apply_transition(
                    connection,
                    proposal_id,
                    ReviewState(body.to),
                    actor=principal,
                    reason=body.reason,
                    override=body.override,
                    pricing=pricing,
                    origin=origin_of(request),
                )
        except TransitionRefused as refused:
            raise Problem(refused.status, refused.detail, code=refused.code) from None
        return await review_view(connection, proposal_id, principal, pricing)


def _thread_view(thread: Thread) -> ThreadView:
    return ThreadView(
        id=thread.id,
        anchor_kind=thread.anchor_kind,
        anchor=thread.anchor,
        version=thread.version,
        resolved=thread.resolved,
        resolved_by=thread.resolved_by,
        resolved_at=thread.resolved_at,
        created_by=thread.created_by,
        created_at=thread.created_at,
        comments=[
            CommentView(
                id=comment.id,
                author_user_id=comment.author_user_id,
                author=comment.author_name,
                body=comment.body,
                mentions=[
                    MentionView(user_id=user_id, display_name=name)
                    for user_id, name in zip(comment.mentions, comment.mention_names, strict=True)
                ],
                created_at=comment.created_at,
            )
            for comment in thread.comments
        ],
    )


async def _ensure_proposal(database: asyncpg.Pool, proposal_id: uuid.UUID) -> None:
    if not await database.fetchval("SELECT true FROM proposals WHERE id = $1", proposal_id):
        raise Problem(404, f"There is no proposal {proposal_id}.")


def _unknown_mention(error: UnknownMention) -> Problem:
    return Problem(
        422,
        f"No active user is {', '.join(error.handles)}: mention people as @e-mail or @[Display Name].",
        code="mention_unknown",
    )


@router.get("/{proposal_id}/threads", response_model=ThreadList, responses=_PROBLEM_RESPONSES)
async def list_threads(proposal_id: uuid.UUID, _: Viewer, database: Database, comments: Comments) -> ThreadList:
    """The proposal's comment threads with their comments, oldest first."""
    await _ensure_proposal(database, proposal_id)
    threads = await comments.threads(proposal_id)
    return ThreadList(items=[_thread_view(thread) for thread in threads], open=sum(not t.resolved for t in threads))


@router.post("/{proposal_id}/threads", status_code=201, response_model=ThreadView, responses=_PROBLEM_RESPONSES)
async def open_thread(
    proposal_id: uuid.UUID, body: ThreadBody, principal: Editor, audit: Audit, database: Database, comments: Comments
) -> ThreadView:
    """Open a thread on a section (`anchor` its key), a requirement of the compliance matrix (`anchor` its REQ- id)
    or the proposal, with its first comment. Open threads block an approval."""
    await _ensure_proposal(database, proposal_id)
    if body.anchor_kind == "section" and body.anchor not in SECTION_KEYS:
        raise Problem(422, f"There is no section {body.anchor!r}; sections are {', '.join(SECTION_KEYS)}.")
    if body.anchor_kind == "requirement" and not await database.fetchval(
        "SELECT true FROM proposal_requirements WHERE proposal_id = $1 AND requirement_id = $2",
        proposal_id,
        body.anchor,
    ):
        raise Problem(422, f"Proposal {proposal_id} has no requirement {body.anchor!r}.")
    try:
        thread = await comments.open_thread(
            proposal_id,
            body.anchor_kind,
            body.anchor,
            (principal.user_id, principal.name),
            body.body,
            body.mention_user_ids,
        )
    except UnknownMention as error:
        raise _unknown_mention(error) from None
    await audit.record(
        "proposal.thread_opened",
        object_type="proposal",
        object_id=proposal_id,
        details={"thread_id": str(thread.id), "anchor_kind": thread.anchor_kind, "anchor": thread.anchor},
    )
    return _thread_view(thread)


@router.post(
    "/{proposal_id}/threads/{thread_id}/comments",
    status_code=201,
    response_model=ThreadView,
    responses=_PROBLEM_RESPONSES,
)
async def reply(
    proposal_id: uuid.UUID,
    thread_id: uuid.UUID,
    body: CommentBody,
    principal: Editor,
    audit: Audit,
    comments: Comments,
) -> ThreadView:
    """Reply in a thread (resolved ones too: a reply does not reopen it)."""
    try:
        thread = await comments.reply(
            proposal_id, thread_id, (principal.user_id, principal.name), body.body, body.mention_user_ids
        )
    except UnknownMention as error:
        raise _unknown_mention(error) from None
    if thread is None:
        raise Problem(404, f"Proposal {proposal_id} has no comment thread {thread_id}.")
    await audit.record(
        "proposal.comment_added", object_type="proposal", object_id=proposal_id, details={"thread_id": str(thread_id)}
    )
    return _thread_view(thread)


@router.patch("/{proposal_id}/threads/{thread_id}", response_model=ThreadView, responses=_PROBLEM_RESPONSES)
async def change_thread(
    proposal_id: uuid.UUID,
    thread_id: uuid.UUID,
    body: ThreadChange,
    principal: Editor,
    audit: Audit,
    comments: Comments,
) -> ThreadView:
    """Resolve a thread (`resolved: true`) or reopen it."""
    thread = await comments.set_resolved(proposal_id, thread_id, body.resolved, principal.user_id)
    if thread is None:
        raise Problem(404, f"Proposal {proposal_id} has no comment thread {thread_id}.")
    await audit.record(
        "proposal.thread_resolved" if body.resolved else "proposal.thread_reopened",
        object_type="proposal",
        object_id=proposal_id,
        details={"thread_id": str(thread_id)},
    )
    return _thread_view(thread)
