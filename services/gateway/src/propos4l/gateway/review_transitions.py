"""Moves of a proposal's review state (issue #19, ADR 0023), applied in the caller's transaction: the state machine's
table (shared/review.py) checked with its guards, the move recorded (transition history, audit log) and announced
(the public lifecycle stream, hence webhooks).

Routes map `TransitionRefused` to a problem with its status and stable `code`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import asyncpg

from propos4l.gateway.approval_rules import requires_approval
from propos4l.gateway.audit import Actor, Origin, append_audit
from propos4l.gateway.auth import Principal
from propos4l.gateway.lifecycle import publish_review_lifecycle
from propos4l.gateway.roles import Role
from propos4l.gateway.template_pricing import TemplatePricingReader
from propos4l.shared.events import LifecycleReview
from propos4l.shared.review import REASON_MAX, SYSTEM, ReviewState, after_new_version, allowed, rule_for, rules_to

__all__ = [
    "Transition",
    "TransitionRefused",
    "apply_transition",
    "open_thread_count",
    "reset_approval_after_new_version",
    "transition_history",
]

_COLUMNS: Final = "id, proposal_id, from_state, to_state, version, actor_user_id, actor_label, reason, override, at"


class TransitionRefused(Exception):
    """A move the state machine or its guards refuse: `status` (403, 404, 409 or 422) and a stable `code`."""

    def __init__(self, code: str, detail: str, *, status: int = 409) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.status = status


@dataclass(frozen=True, slots=True)
class Transition:
    """One recorded move of a proposal's review state."""

    id: int
    proposal_id: uuid.UUID
    from_state: ReviewState
    to_state: ReviewState
    version: int
    actor_user_id: uuid.UUID | None
    actor_label: str
    reason: str | None
    override: bool
    at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> Transition:
        """The move of a row of proposal_transitions."""
        return cls(
            id=row["id"],
            proposal_id=row["proposal_id"],
            from_state=ReviewState(row["from_state"]),
            to_state=ReviewState(row["to_state"]),
            version=row["version"],
            actor_user_id=row["actor_user_id"],
            actor_label=row["actor_label"],
            reason=row["reason"],
            override=row["override"],
            at=row["at"],
        )


async def apply_transition(
    connection: asyncpg.Connection,
    proposal_id: uuid.UUID,
    to: ReviewState,
    *,
    actor: Principal | None,
    actor_label: str | None = None,
    reason: str | None = None,
    version: int | None = None,
    override: bool = False,
    pricing: TemplatePricingReader | None = None,
    origin: Origin | None = None,
) -> Transition:
    """Move the proposal to `to`, inside the caller's transaction (call it in one); raises TransitionRefused.

    `actor` is the person (None: the system, named by `actor_label`, e.g. "client: Ana <ana@x.com>"). `version` is
    the version the move is about (default: the current one); an approval and a sending record it. `override` lets a
    manager approve over open comment threads, with a `reason`. `pricing` is needed to send (approval rules price
    the total). `origin` is where the request came from, for the audit log.
    """
    row = await connection.fetchrow(
        """SELECT review_state, current_version, owner_id, approved_version,
                  ARRAY(SELECT c.user_id FROM proposal_collaborators c WHERE c.proposal_id = p.id) AS collaborators
           FROM proposals p WHERE id = $1 FOR UPDATE""",
        proposal_id,
    )
    if row is None:
        raise TransitionRefused("proposal_not_found", f"There is no proposal {proposal_id}.", status=404)
    from_state = ReviewState(row["review_state"])
    version = row["current_version"] if version is None else version
    if not 1 <= version <= row["current_version"]:
        raise TransitionRefused(
            "review_unknown_version",
            f"The proposal has versions 1 to {row['current_version']}, not {version}.",
            status=422,
        )
    reason = (reason or "").strip()[:REASON_MAX] or None
    _check_table(from_state, to, actor)
    rule = rule_for(from_state, to, actor.role.value if actor is not None else None)
    assert rule is not None  # _check_table refused otherwise
    if "owner_or_collaborator" in rule.guards and actor is not None and not actor.role.includes(Role.MANAGER):
        if actor.user_id != row["owner_id"] and actor.user_id not in row["collaborators"]:
            raise TransitionRefused(
                "not_a_collaborator",
                "Editors move only the proposals they own or collaborate on; ask its owner or a manager.",
                status=403,
            )
    used_override = False
    if "no_open_threads" in rule.guards:
        if version != row["current_version"]:
            raise TransitionRefused(
                "review_stale_version",
                f"Only the current version ({row['current_version']}) can be approved, not version {version}.",
            )
        open_threads = await open_thread_count(connection, proposal_id)
        if open_threads:
            if not override:
                raise TransitionRefused(
                    "review_open_threads",
                    f"{open_threads} comment thread(s) are still open: resolve them, or override with a reason.",
                )
            if reason is None:
                raise TransitionRefused(
                    "review_override_needs_reason",
                    "Approving over open comment threads needs a reason, recorded with the approval.",
                    status=422,
                )
            used_override = True
    if "approval_if_required" in rule.guards:
        if pricing is None:
            raise ValueError("sending checks the approval rules, which price the total: pass `pricing`")
        matched = await requires_approval(connection, proposal_id, pricing, version)
        approved_here = from_state is ReviewState.APPROVED and row["approved_version"] == version
        if matched and not approved_here:
            names = "; ".join(f"{rule.name} ({rule.reason})" for rule in matched)
            raise TransitionRefused(
                "review_approval_required",
                f"Version {version} needs a manager's approval before it is sent: {names}.",
            )
    label = actor.name if actor is not None else (actor_label or SYSTEM)
    recorded = await connection.fetchrow(
        f"""INSERT INTO proposal_transitions (proposal_id, from_state, to_state, version, actor_user_id, actor_label,
                                              reason, override)
            VALUES ($1, $2, $3, $4, $5, coalesce((SELECT display_name FROM users WHERE id = $5), $6), $7, $8)
            RETURNING {_COLUMNS}""",  # noqa: S608
        proposal_id,
        from_state.value,
        to.value,
        version,
        actor.user_id if actor is not None else None,
        label,
        reason,
        used_override,
    )
    assert recorded is not None
    transition = Transition.from_row(recorded)
    label = transition.actor_label  # a person by their display name (a token's principal is named token:...)
    await connection.execute(
        """UPDATE proposals SET review_state = $2,
                  approved_version = CASE WHEN $2 = 'approved' THEN $3
                                          WHEN $2 IN ('draft', 'in_review') THEN NULL ELSE approved_version END,
                  sent_version = CASE WHEN $2 = 'sent' THEN $3 ELSE sent_version END
           WHERE id = $1""",
        proposal_id,
        to.value,
        version,
    )
    await append_audit(
        connection,
        f"proposal.review.{to.value}",
        actor.actor if actor is not None else Actor(name=label, via="system"),
        origin or Origin(address=None, user_agent=None),
        object_type="proposal",
        object_id=proposal_id,
        details={
            "from_state": from_state.value,
            "to_state": to.value,
            "version": version,
            "reason": reason,
            "override": used_override,
            "transition_id": transition.id,
        },
    )
    await publish_review_lifecycle(
        connection,
        proposal_id,
        version,
        LifecycleReview(
            from_state=from_state.value,
            to_state=to.value,
            actor=label,
            reason=reason,
            transition_id=transition.id,
        ),
    )
    return transition


def _check_table(from_state: ReviewState, to: ReviewState, actor: Principal | None) -> None:
    """Refuse a move the table does not allow, or not to this caller."""
    if from_state is to:
        raise TransitionRefused("review_already_in_state", f"The proposal is already {to.value}.")
    if not allowed(from_state, to):
        sources = sorted({source.value for rule in rules_to(to) for source in rule.sources})
        raise TransitionRefused(
            "review_transition_not_allowed",
            f"A proposal that is {from_state.value} cannot become {to.value}"
            + (f" (only from {', '.join(sources)})." if sources else "."),
        )
    role = actor.role.value if actor is not None else None
    if rule_for(from_state, to, role) is not None:
        return
    people = [rule.who for rule in rules_to(to) if from_state in rule.sources and rule.who != SYSTEM]
    if actor is None:
        raise TransitionRefused(
            "review_needs_a_person", f"Only a person can move a {from_state.value} proposal to {to.value}."
        )
    if not people:
        raise TransitionRefused(
            "review_system_only",
            f"A proposal becomes {to.value} on its own (the client's page, an expiry), not by hand.",
            status=403,
        )
    raise TransitionRefused(
        "role_required",
        f"Moving a {from_state.value} proposal to {to.value} needs the {people[0]} role; "
        f"{actor.name} is signed in as {actor.role.value}.",
        status=403,
    )


async def reset_approval_after_new_version(
    connection: asyncpg.Connection, proposal_id: uuid.UUID, version: int
) -> Transition | None:
    """Send an approved proposal back to draft when a new version is made (an approval is of one version); inside
    the caller's transaction, after the version is recorded. None when its state stays."""
    state = await connection.fetchval("SELECT review_state FROM proposals WHERE id = $1", proposal_id)
    if state is None:
        return None
    target = after_new_version(ReviewState(state))
    if target is None:
        return None
    return await apply_transition(
        connection,
        proposal_id,
        target,
        actor=None,
        actor_label=SYSTEM,
        reason=f"version {version} was made after the approval",
        version=version,
    )


async def open_thread_count(connection: asyncpg.Connection | asyncpg.Pool, proposal_id: uuid.UUID) -> int:
    """How many of the proposal's comment threads are open."""
    count: int = await connection.fetchval(
        "SELECT count(*) FROM review_threads WHERE proposal_id = $1 AND NOT resolved", proposal_id
    )
    return count


async def transition_history(connection: asyncpg.Connection | asyncpg.Pool, proposal_id: uuid.UUID) -> list[Transition]:
    """Every move of the proposal's review state, oldest first."""
    rows = await connection.fetch(
        f"SELECT {_COLUMNS} FROM proposal_transitions WHERE proposal_id = $1 ORDER BY id",  # noqa: S608
        proposal_id,
    )
    return [Transition.from_row(row) for row in rows]
