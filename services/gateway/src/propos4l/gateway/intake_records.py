"""Intake proposals written in batches: one statement per table for a whole batch (asyncpg pipelines an
`executemany`), so that a batch costs a dozen round trips to PostgreSQL however many proposals it holds, where one
at a time cost ten each. The rows are those `ProposalRepository.create` writes, from the same statements."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from propos4l.gateway.lifecycle import QUEUE_LIFECYCLE, lifecycle_event, lifecycle_rows
from propos4l.gateway.progress_log import APPEND_EVENT, CHANNEL, status_data
from propos4l.gateway.proposal_rows import (
    INSERT_FIRST_VERSION,
    INSERT_INTAKE,
    INSERT_OUTBOX,
    INSERT_PROPOSAL,
    IntakeCreation,
    first_version_arguments,
    intake_arguments,
    outbox_arguments,
    proposal_arguments,
)

__all__ = ["create_intake_batch"]


async def create_intake_batch(connection: asyncpg.Connection, creations: Sequence[IntakeCreation]) -> list[bool]:
    """Write the proposals of `creations` in the caller's transaction; for each, whether it was created (False: its
    source and key had a proposal already, or an earlier one of the batch has them).

    Raises asyncpg.UniqueViolationError when another transaction created one of them after the check here: the
    caller rolls back and writes them one savepoint at a time.
    """
    keys = [(creation.intake.source, creation.intake.idempotency_key) for creation in creations]
    rows = await connection.fetch(
        """SELECT source, idempotency_key FROM intake_requests
           WHERE (source, idempotency_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))""",
        [source for source, _ in keys],
        [key for _, key in keys],
    )
    taken = {(row["source"], row["idempotency_key"]) for row in rows}
    outcomes: list[bool] = []
    new: list[IntakeCreation] = []
    for key, creation in zip(keys, creations, strict=True):
        outcomes.append(key not in taken)
        if key not in taken:
            taken.add(key)
            new.append(creation)
    if not new:
        return outcomes
    await connection.executemany(
        INSERT_PROPOSAL,
        [proposal_arguments(each.request, each.event, each.trace_id, None) for each in new],  # the system user's
    )
    await connection.executemany(INSERT_FIRST_VERSION, [first_version_arguments(each.event) for each in new])
    await connection.executemany(INSERT_INTAKE, [intake_arguments(each.event.proposal_id, each.intake) for each in new])
    await connection.executemany(INSERT_OUTBOX, [outbox_arguments(each.event) for each in new])
    # status_changed(..., "queued") for each: the log entry, its NOTIFY, and the `accepted` lifecycle event.
    await connection.executemany(
        APPEND_EVENT,
        [
            (each.event.proposal_id, each.event.version, "status", status_data("queued", each.event.version))
            for each in new
        ],
    )
    await connection.execute(
        "SELECT pg_notify($1, id) FROM unnest($2::text[]) AS id", CHANNEL, [str(each.event.proposal_id) for each in new]
    )
    lifecycle = []
    for each in new:
        origin = {
            "source": each.intake.source,
            "correlation_id": each.intake.correlation_id,
            "callback": each.intake.callback,
        }
        event = await lifecycle_event(connection, each.event.proposal_id, each.event.version, "accepted", origin=origin)
        lifecycle.extend(lifecycle_rows(event))
    await connection.executemany(QUEUE_LIFECYCLE, lifecycle)
    return outcomes
