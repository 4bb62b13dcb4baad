"""A proposal's review state machine (issue #19, ADR 0023): the states, which moves between them are allowed and who
may make each one, as data; pure functions over it. The gateway applies a move (review_transitions.py).

Roles are named as in the gateway's `Role` (viewer < editor < manager < admin); `system` is the platform itself
(the public page recording a view, the client's answer, an expiry, a new version resetting an approval), never a
person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Literal

__all__ = [
    "FINAL_STATES",
    "REASON_MAX",
    "ROLE_RANKS",
    "SYSTEM",
    "TRANSITIONS",
    "ReviewState",
    "TransitionRule",
    "Who",
    "after_new_version",
    "allowed",
    "may_make",
    "minimum_role",
    "next_states",
    "rule_for",
    "rules_to",
]


class ReviewState(StrEnum):
    """Where a proposal stands between its first draft and the client's answer."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    SENT = "sent"
    VIEWED = "viewed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


Who = Literal["editor", "manager", "system"]
"""Who may make a move: a person with at least that role (gateway `Role`), or the system alone."""

SYSTEM: Final = "system"

REASON_MAX: Final = 2_000
"""The longest reason a move records (longer ones are cut)."""

ROLE_RANKS: Final[Mapping[str, int]] = {"viewer": 0, "editor": 1, "manager": 2, "admin": 3}
"""The gateway's role ranks (gateway/roles.py), by name: a role may do what the ones below it may."""

FINAL_STATES: Final = frozenset(
    {ReviewState.ACCEPTED, ReviewState.DECLINED, ReviewState.EXPIRED, ReviewState.WITHDRAWN}
)
"""States nothing leaves."""


@dataclass(frozen=True, slots=True)
class TransitionRule:
    """One allowed kind of move: into `to` from any of `sources`, made by `who`.

    `guards` name the extra checks the gateway makes:
    - `no_open_threads`: refused while comment threads are open, unless a manager overrides with a reason;
    - `approval_if_required`: when an approval rule matches, the proposal must be approved for the version sent;
    - `owner_or_collaborator`: an editor must own the proposal or collaborate on it (managers act on every one).
    """

    to: ReviewState
    sources: frozenset[ReviewState]
    who: Who
    meaning: str
    guards: tuple[str, ...] = ()


_S = ReviewState
_OWNED: Final = "owner_or_collaborator"

TRANSITIONS: Final[tuple[TransitionRule, ...]] = (
    TransitionRule(_S.IN_REVIEW, frozenset({_S.DRAFT}), "editor", "submitted for review", (_OWNED,)),
    TransitionRule(
        _S.DRAFT, frozenset({_S.IN_REVIEW, _S.APPROVED}), "editor", "changes requested / back to draft", (_OWNED,)
    ),
    TransitionRule(_S.DRAFT, frozenset({_S.APPROVED}), "system", "a new version: approval is of a version"),
    TransitionRule(_S.APPROVED, frozenset({_S.IN_REVIEW}), "manager", "approved", ("no_open_threads",)),
    TransitionRule(
        _S.SENT,
        frozenset({_S.DRAFT, _S.IN_REVIEW, _S.APPROVED}),
        "editor",
        "sent to the client",
        (_OWNED, "approval_if_required"),
    ),
    TransitionRule(_S.VIEWED, frozenset({_S.SENT}), "system", "the client opened it"),
    TransitionRule(_S.ACCEPTED, frozenset({_S.SENT, _S.VIEWED}), "system", "the client accepted it"),
    TransitionRule(_S.DECLINED, frozenset({_S.SENT, _S.VIEWED}), "system", "the client declined it"),
    TransitionRule(_S.EXPIRED, frozenset({_S.SENT, _S.VIEWED}), "system", "its link expired unanswered"),
    TransitionRule(
        _S.WITHDRAWN,
        frozenset(set(ReviewState) - FINAL_STATES),
        "manager",
        "withdrawn by the consultancy",
    ),
)
"""Every allowed move. Anything not listed is refused."""


def rules_to(to_state: ReviewState) -> tuple[TransitionRule, ...]:
    """The rules of moves into `to_state`."""
    return tuple(rule for rule in TRANSITIONS if rule.to is to_state)


def _rules(from_state: ReviewState, to_state: ReviewState) -> Iterable[TransitionRule]:
    return (rule for rule in TRANSITIONS if rule.to is to_state and from_state in rule.sources)


def allowed(from_state: ReviewState, to_state: ReviewState) -> bool:
    """Whether anyone (a person or the system) may move a proposal from `from_state` to `to_state`."""
    return any(True for _ in _rules(from_state, to_state))


def _may(who: Who, role: str | None) -> bool:
    if who == SYSTEM:
        return role is None
    return role is not None and ROLE_RANKS.get(role, -1) >= ROLE_RANKS[who]


def rule_for(from_state: ReviewState, to_state: ReviewState, role: str | None) -> TransitionRule | None:
    """The rule that lets a caller with `role` (None: the system) make this move, or None."""
    return next((rule for rule in _rules(from_state, to_state) if _may(rule.who, role)), None)


def may_make(from_state: ReviewState, to_state: ReviewState, role: str | None) -> bool:
    """Whether a caller with `role` (a gateway role name; None: the system) may make this move, guards aside."""
    return rule_for(from_state, to_state, role) is not None


def minimum_role(from_state: ReviewState, to_state: ReviewState) -> Who | None:
    """The lowest role a person needs for this move (`system` when only the system may make it; None: nobody)."""
    people = [rule.who for rule in _rules(from_state, to_state) if rule.who != SYSTEM]
    if people:
        return min(people, key=lambda who: ROLE_RANKS[who])
    return SYSTEM if allowed(from_state, to_state) else None


def next_states(from_state: ReviewState, role: str | None) -> list[ReviewState]:
    """The states a caller with `role` (None: the system) may move a proposal to from `from_state`, guards aside."""
    return [state for state in ReviewState if may_make(from_state, state, role)]


def after_new_version(state: ReviewState) -> ReviewState | None:
    """The state a new version (an edit or a regeneration) moves a proposal to, or None when it stays: an approval is
    of one version, so an approved proposal goes back to draft."""
    return ReviewState.DRAFT if state is ReviewState.APPROVED else None
