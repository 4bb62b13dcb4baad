"""Intake proposals written in batches (`create_intake_batch`), against real PostgreSQL: the same rows as one at a
time, duplicates within a batch and with earlier requests left out, and a batch that meets a row another
transaction wrote is written again a savepoint at a time, so the others are still created."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from propos4l.gateway.intake import intake_proposal_id
from propos4l.gateway.repository import IntakeCreation, IntakeOrigin, ProposalRepository
from propos4l.shared.db import create_pool
from propos4l.shared.events import ProposalRequest, ProposalRequested

pytestmark = pytest.mark.integration

REQUEST = ProposalRequest.model_validate(
    {"client_name": "Acme", "industry": "Logistics", "requirements": "Track the fleet.", "language": "en"}
)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, max_size=2)
    try:
        yield pool
    finally:
        await pool.close()


def creation(source: str, key: str, correlation_id: str | None = None) -> IntakeCreation:
    proposal_id = intake_proposal_id(source, key)
    return IntakeCreation(
        REQUEST,
        ProposalRequested(proposal_id=proposal_id, version=1, request=REQUEST, context=None),
        None,
        IntakeOrigin(source, key, correlation_id, {"deal": key}, f"1-{key}"),
    )


async def _counts(pool: asyncpg.Pool, proposal_id: uuid.UUID) -> tuple[int, ...]:
    row = await pool.fetchrow(
        """SELECT (SELECT count(*) FROM proposals WHERE id = $1),
                  (SELECT count(*) FROM proposal_versions WHERE proposal_id = $1),
                  (SELECT count(*) FROM intake_requests WHERE proposal_id = $1),
                  (SELECT count(*) FROM proposal_events WHERE proposal_id = $1 AND kind = 'status'),
                  (SELECT count(*) FROM outbox WHERE fields->>'proposal_id' = $2)""",
        proposal_id,
        str(proposal_id),
    )
    assert row is not None
    return tuple(row)


async def test_a_batch_writes_what_one_at_a_time_writes_and_leaves_duplicates_out(pool: asyncpg.Pool) -> None:
    repository = ProposalRepository(pool)
    assert await repository.create_from_intake([creation("crm", "earlier")]) == [True]
    batch = [creation("crm", "a", "c-a"), creation("crm", "a"), creation("crm", "earlier"), creation("crm", "b")]
    assert await repository.create_from_intake(batch) == [True, False, False, True]
    # Per proposal: the proposal, its version, the intake row, its `queued` log entry, and three outbox rows:
    # proposal.requested, the `accepted` lifecycle event on the shared stream and on crm's own.
    for key in ("earlier", "a", "b"):
        assert await _counts(pool, intake_proposal_id("crm", key)) == (1, 1, 1, 1, 3), key
    streams = await pool.fetch(
        "SELECT stream FROM outbox WHERE fields->>'proposal_id' = $1 ORDER BY stream",
        str(intake_proposal_id("crm", "a")),
    )
    assert [row["stream"] for row in streams] == [
        "propos4l.proposal.lifecycle",
        "propos4l.proposal.lifecycle.crm",
        "propos4l.proposal.requested",
    ]
    correlation = await pool.fetchval(
        "SELECT correlation_id FROM intake_requests WHERE proposal_id = $1", intake_proposal_id("crm", "a")
    )
    assert correlation == "c-a"  # the first of the batch's duplicates is the one kept


async def test_a_batch_that_meets_a_row_written_meanwhile_is_written_a_savepoint_at_a_time(
    pool: asyncpg.Pool,
) -> None:
    # As another replica would have: the proposal of ("crm", "raced") exists, though its intake row is not seen.
    raced = creation("crm", "raced")
    await pool.execute(
        """INSERT INTO proposals (id, client_name, industry, requirements, language, template, status)
           VALUES ($1, 'Other', 'Other', 'Other', 'en', 'default', 'queued')""",
        raced.event.proposal_id,
    )
    outcomes = await ProposalRepository(pool).create_from_intake([creation("crm", "x"), raced, creation("crm", "y")])
    assert outcomes == [True, False, True]
    assert await _counts(pool, intake_proposal_id("crm", "x")) == (1, 1, 1, 1, 3)
    assert await _counts(pool, intake_proposal_id("crm", "y")) == (1, 1, 1, 1, 3)
