"""The review state machine's table (shared/review.py): every pair of states, with every kind of caller."""

from __future__ import annotations

import itertools

import pytest

from propos4l.gateway.roles import Role
from propos4l.shared.review import (
    FINAL_STATES,
    ROLE_RANKS,
    TRANSITIONS,
    ReviewState,
    after_new_version,
    allowed,
    may_make,
    minimum_role,
    next_states,
)

S = ReviewState
CALLERS: tuple[str | None, ...] = ("viewer", "editor", "manager", "admin", None)  # None: the system

# (from, to) -> who may make it: the lowest role, or "system". Every pair not listed is refused to everyone.
EXPECTED: dict[tuple[ReviewState, ReviewState], str] = {
    (S.DRAFT, S.IN_REVIEW): "editor",
    (S.IN_REVIEW, S.DRAFT): "editor",
    (S.APPROVED, S.DRAFT): "editor",  # and the system, when a new version is made
    (S.IN_REVIEW, S.APPROVED): "manager",
    (S.DRAFT, S.SENT): "editor",
    (S.IN_REVIEW, S.SENT): "editor",
    (S.APPROVED, S.SENT): "editor",
    (S.SENT, S.VIEWED): "system",
    (S.SENT, S.ACCEPTED): "system",
    (S.VIEWED, S.ACCEPTED): "system",
    (S.SENT, S.DECLINED): "system",
    (S.VIEWED, S.DECLINED): "system",
    (S.SENT, S.EXPIRED): "system",
    (S.VIEWED, S.EXPIRED): "system",
    **{(state, S.WITHDRAWN): "manager" for state in ReviewState if state not in FINAL_STATES},
}
SYSTEM_TOO = {(S.APPROVED, S.DRAFT)}


def _expected_may(pair: tuple[ReviewState, ReviewState], caller: str | None) -> bool:
    who = EXPECTED.get(pair)
    if who is None:
        return False
    if caller is None:
        return who == "system" or pair in SYSTEM_TOO
    return who != "system" and ROLE_RANKS[caller] >= ROLE_RANKS[who]


@pytest.mark.parametrize(("from_state", "to_state"), list(itertools.product(ReviewState, ReviewState)))
def test_every_pair_of_states_is_allowed_exactly_as_the_table_says(
    from_state: ReviewState, to_state: ReviewState
) -> None:
    pair = (from_state, to_state)
    assert allowed(from_state, to_state) is (pair in EXPECTED)
    for caller in CALLERS:
        assert may_make(from_state, to_state, caller) is _expected_may(pair, caller), caller
    assert minimum_role(from_state, to_state) == EXPECTED.get(pair)


def test_the_role_names_are_the_gateways_roles_in_the_same_order() -> None:
    assert ROLE_RANKS == {role.value: role.rank for role in Role}


@pytest.mark.parametrize("state", sorted(FINAL_STATES))
def test_nothing_leaves_a_final_state(state: ReviewState) -> None:
    assert all(not allowed(state, target) for target in ReviewState)


def test_every_state_but_draft_can_be_reached() -> None:
    reached = {rule.to for rule in TRANSITIONS}
    assert reached == set(ReviewState)


def test_a_new_version_sends_only_an_approved_proposal_back_to_draft() -> None:
    assert after_new_version(S.APPROVED) is S.DRAFT
    for state in set(ReviewState) - {S.APPROVED}:
        assert after_new_version(state) is None


def test_next_states_are_what_each_caller_may_do_from_a_state() -> None:
    assert next_states(S.DRAFT, "editor") == [S.IN_REVIEW, S.SENT]
    assert next_states(S.IN_REVIEW, "editor") == [S.DRAFT, S.SENT]
    assert next_states(S.IN_REVIEW, "manager") == [S.DRAFT, S.APPROVED, S.SENT, S.WITHDRAWN]
    assert next_states(S.SENT, None) == [S.VIEWED, S.ACCEPTED, S.DECLINED, S.EXPIRED]
    assert next_states(S.SENT, "admin") == [S.WITHDRAWN]
    assert next_states(S.DRAFT, "viewer") == []


def test_approval_is_guarded_by_open_threads_and_sending_by_the_approval_rules() -> None:
    approving = [rule for rule in TRANSITIONS if rule.to is S.APPROVED]
    sending = [rule for rule in TRANSITIONS if rule.to is S.SENT]
    assert [rule.guards for rule in approving] == [("no_open_threads",)]
    assert [rule.guards for rule in sending] == [("owner_or_collaborator", "approval_if_required")]
