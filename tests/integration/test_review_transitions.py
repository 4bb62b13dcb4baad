"""apply_transition on real PostgreSQL: every move from every state with every kind of caller, the guards (ownership,
open threads and the override, approval rules), a new version resetting an approval, and what each move records
(history, audit log, lifecycle event in the outbox)."""

from __future__ import annotations

import itertools
import json
import shutil
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest

from propos4l.gateway.approval_rules import ApprovalRuleStore, RuleDraft, requires_approval
from propos4l.gateway.auth import Principal
from propos4l.gateway.review_transitions import (
    TransitionRefused,
    apply_transition,
    reset_approval_after_new_version,
    transition_history,
)
from propos4l.gateway.roles import Role
from propos4l.gateway.template_pricing import TemplatePricingReader
from propos4l.renderer.templates import DEFAULT_TEMPLATE_NAME, PACKAGED_DEFAULT_TEMPLATE
from propos4l.shared.db import create_pool
from propos4l.shared.review import FINAL_STATES, ReviewState, may_make

pytestmark = pytest.mark.integration

S = ReviewState
ROLES = (Role.VIEWER, Role.EDITOR, Role.MANAGER, Role.ADMIN)


@pytest.fixture
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    pool = await create_pool(database_url, max_size=2)
    try:
        async with pool.acquire() as connection:
            yield connection
    finally:
        await pool.close()


@pytest.fixture
def pricing(tmp_path: Path) -> TemplatePricingReader:
    shutil.copytree(PACKAGED_DEFAULT_TEMPLATE, tmp_path / DEFAULT_TEMPLATE_NAME)
    return TemplatePricingReader(tmp_path)


async def make_user(connection: asyncpg.Connection, role: Role) -> Principal:
    user_id = uuid.uuid4()
    name = f"{role.value}-{user_id.hex[:6]}"
    await connection.execute(
        "INSERT INTO users (id, email, display_name, role) VALUES ($1, $2, $3, $4)",
        user_id,
        f"{name}@example.com",
        name,
        role.value,
    )
    return Principal(name=name, role=role, user_id=user_id, via="session")


async def make_proposal(
    connection: asyncpg.Connection,
    owner: Principal,
    state: ReviewState = S.DRAFT,
    *,
    discount: str | None = None,
    items: list[dict[str, str]] | None = None,
    industry: str = "Logistics",
) -> uuid.UUID:
    proposal_id = uuid.uuid4()
    await connection.execute(
        """INSERT INTO proposals (id, client_name, industry, requirements, language, template, status, owner_id,
                                  review_state, discount_percent)
           VALUES ($1, 'Acme', $2, 'Rastrear frotas', 'en', 'default', 'ready', $3, $4, $5)""",
        proposal_id,
        industry,
        owner.user_id,
        state.value,
        Decimal(discount) if discount is not None else None,
    )
    await connection.execute(
        "INSERT INTO proposal_versions (proposal_id, version, investment_items) VALUES ($1, 1, $2)",
        proposal_id,
        items or [],
    )
    if state is S.APPROVED:
        await connection.execute("UPDATE proposals SET approved_version = 1 WHERE id = $1", proposal_id)
    return proposal_id


async def state_of(connection: asyncpg.Connection, proposal_id: uuid.UUID) -> ReviewState:
    return ReviewState(await connection.fetchval("SELECT review_state FROM proposals WHERE id = $1", proposal_id))


@pytest.mark.parametrize("from_state", list(ReviewState))
async def test_each_move_is_made_or_refused_for_each_caller_as_the_table_says(
    connection: asyncpg.Connection, pricing: TemplatePricingReader, from_state: ReviewState
) -> None:
    callers: list[Principal | None] = [await make_user(connection, role) for role in ROLES]
    callers.append(None)
    for to_state, caller in itertools.product(ReviewState, callers):
        owner = caller if caller is not None else await make_user(connection, Role.EDITOR)
        proposal_id = await make_proposal(connection, owner, from_state)
        expected = may_make(from_state, to_state, caller.role.value if caller is not None else None)
        seen = f"{caller.role.value if caller else 'system'} moving {from_state} to {to_state}"
        try:
            async with connection.transaction():
                transition = await apply_transition(
                    connection, proposal_id, to_state, actor=caller, actor_label="system", pricing=pricing
                )
        except TransitionRefused as refused:
            assert not expected, f"{seen}: refused {refused.code} {refused.detail}"
            assert refused.status in (403, 409), seen
            assert await state_of(connection, proposal_id) is from_state
            continue
        assert expected, f"{seen}: allowed"
        assert (transition.from_state, transition.to_state, transition.version) == (from_state, to_state, 1)
        assert await state_of(connection, proposal_id) is to_state


async def test_a_move_records_its_history_audit_and_lifecycle_event(connection: asyncpg.Connection) -> None:
    editor = await make_user(connection, Role.EDITOR)
    proposal_id = await make_proposal(connection, editor)
    async with connection.transaction():
        transition = await apply_transition(
            connection, proposal_id, S.IN_REVIEW, actor=editor, reason="  ready for a look  "
        )
    assert transition.reason == "ready for a look"
    assert [(t.from_state, t.to_state, t.actor_label) for t in await transition_history(connection, proposal_id)] == [
        (S.DRAFT, S.IN_REVIEW, editor.name)
    ]
    audit = await connection.fetchrow(
        "SELECT * FROM audit_log WHERE action = 'proposal.review.in_review' AND object_id = $1", str(proposal_id)
    )
    assert audit is not None and audit["actor_user_id"] == editor.user_id
    assert audit["details"]["from_state"] == "draft"
    fields = await connection.fetchval(
        "SELECT fields FROM outbox WHERE stream = 'propos4l.proposal.lifecycle' AND fields->>'proposal_id' = $1",
        str(proposal_id),
    )
    payload = json.loads(fields["payload"])
    assert payload["kind"] == "review.in_review"
    assert payload["review"] == {
        "from_state": "draft",
        "to_state": "in_review",
        "actor": editor.name,
        "reason": "ready for a look",
        "transition_id": transition.id,
    }


async def test_an_editor_moves_only_proposals_it_owns_or_collaborates_on(connection: asyncpg.Connection) -> None:
    owner, other = await make_user(connection, Role.EDITOR), await make_user(connection, Role.EDITOR)
    proposal_id = await make_proposal(connection, owner)
    with pytest.raises(TransitionRefused) as refused:
        async with connection.transaction():
            await apply_transition(connection, proposal_id, S.IN_REVIEW, actor=other)
    assert (refused.value.status, refused.value.code) == (403, "not_a_collaborator")
    await connection.execute(
        "INSERT INTO proposal_collaborators (proposal_id, user_id) VALUES ($1, $2)", proposal_id, other.user_id
    )
    async with connection.transaction():
        await apply_transition(connection, proposal_id, S.IN_REVIEW, actor=other)
    assert await state_of(connection, proposal_id) is S.IN_REVIEW


async def test_open_threads_block_approval_unless_a_manager_overrides_with_a_reason(
    connection: asyncpg.Connection,
) -> None:
    editor, manager = await make_user(connection, Role.EDITOR), await make_user(connection, Role.MANAGER)
    proposal_id = await make_proposal(connection, editor, S.IN_REVIEW)
    await connection.execute(
        """INSERT INTO review_threads (id, proposal_id, anchor_kind, anchor, version)
           VALUES ($1, $2, 'section', 'scope', 1)""",
        uuid.uuid4(),
        proposal_id,
    )
    for override, reason, code in ((False, None, "review_open_threads"), (True, "  ", "review_override_needs_reason")):
        with pytest.raises(TransitionRefused) as refused:
            async with connection.transaction():
                await apply_transition(
                    connection, proposal_id, S.APPROVED, actor=manager, override=override, reason=reason
                )
        assert refused.value.code == code
    async with connection.transaction():
        transition = await apply_transition(
            connection, proposal_id, S.APPROVED, actor=manager, override=True, reason="client deadline today"
        )
    assert transition.override and transition.reason == "client deadline today"
    assert await connection.fetchval("SELECT approved_version FROM proposals WHERE id = $1", proposal_id) == 1


async def test_a_proposal_matching_a_rule_is_sent_only_once_approved(
    connection: asyncpg.Connection, database_url: str, pricing: TemplatePricingReader
) -> None:
    pool = await create_pool(database_url, max_size=2)
    try:
        rules = ApprovalRuleStore(pool)
        await rules.create(RuleDraft(name="Big deals", kind="total_above", threshold=Decimal("10000")), None)
        await rules.create(RuleDraft(name="Deep discounts", kind="discount_above", threshold=Decimal("15")), None)
        await rules.create(RuleDraft(name="Banks", kind="industry", value="banking"), None)
    finally:
        await pool.close()
    editor, manager = await make_user(connection, Role.EDITOR), await make_user(connection, Role.MANAGER)
    small = await make_proposal(
        connection, editor, items=[{"description": "Setup", "quantity": "1", "unit_price": "900"}]
    )
    assert await requires_approval(connection, small, pricing) == []
    big = await make_proposal(
        connection,
        editor,
        discount="20",
        industry="Banking",
        items=[{"description": "Build", "quantity": "100", "unit_price": "150"}],
    )
    matched = await requires_approval(connection, big, pricing)
    assert [rule.name for rule in matched] == ["Big deals", "Deep discounts", "Banks"]

    async with connection.transaction():
        await apply_transition(connection, small, S.SENT, actor=editor, pricing=pricing)
    for caller in (editor, manager):
        with pytest.raises(TransitionRefused) as refused:
            async with connection.transaction():
                await apply_transition(connection, big, S.SENT, actor=caller, pricing=pricing)
        assert refused.value.code == "review_approval_required"
    async with connection.transaction():
        await apply_transition(connection, big, S.IN_REVIEW, actor=editor)
        await apply_transition(connection, big, S.APPROVED, actor=manager)
        sent = await apply_transition(connection, big, S.SENT, actor=editor, pricing=pricing)
    assert sent.version == 1
    assert await connection.fetchval("SELECT sent_version FROM proposals WHERE id = $1", big) == 1


async def test_a_new_version_after_approval_sends_the_proposal_back_to_draft(connection: asyncpg.Connection) -> None:
    editor = await make_user(connection, Role.EDITOR)
    proposal_id = await make_proposal(connection, editor, S.APPROVED)
    await connection.execute("UPDATE proposals SET current_version = 2 WHERE id = $1", proposal_id)
    await connection.execute("INSERT INTO proposal_versions (proposal_id, version) VALUES ($1, 2)", proposal_id)
    async with connection.transaction():
        reset = await reset_approval_after_new_version(connection, proposal_id, 2)
    assert reset is not None and (reset.to_state, reset.version, reset.actor_label) == (S.DRAFT, 2, "system")
    assert await state_of(connection, proposal_id) is S.DRAFT
    assert await connection.fetchval("SELECT approved_version FROM proposals WHERE id = $1", proposal_id) is None
    async with connection.transaction():
        assert await reset_approval_after_new_version(connection, proposal_id, 2) is None


@pytest.mark.parametrize("state", sorted(FINAL_STATES))
async def test_a_final_state_is_never_left(connection: asyncpg.Connection, state: ReviewState) -> None:
    manager = await make_user(connection, Role.ADMIN)
    proposal_id = await make_proposal(connection, manager, state)
    for target in set(ReviewState) - {state}:
        with pytest.raises(TransitionRefused) as refused:
            async with connection.transaction():
                await apply_transition(connection, proposal_id, target, actor=manager)
        assert refused.value.code == "review_transition_not_allowed"
