"""The public lifecycle stream: each status change a person outside cares about, published through the outbox in
the transaction that records it (ADR 0018)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any, Final, cast

import asyncpg

from propos4l.shared.envelope import encode
from propos4l.shared.events import (
    REVIEW_KIND_PREFIX,
    LifecycleFailure,
    LifecycleKind,
    LifecyclePdf,
    LifecycleReview,
    ProposalLifecycleChanged,
    derived_event_id,
)
from propos4l.shared.streams import producer_streams
from propos4l.shared.telemetry import trace_headers

__all__ = ["QUEUE_LIFECYCLE", "lifecycle_event", "lifecycle_rows", "publish_lifecycle", "publish_review_lifecycle"]

# The statuses the public stream reports; `generating` is internal detail.
_KINDS: Final[dict[str, LifecycleKind]] = {
    "queued": "accepted",
    "rendering": "drafted",
    "ready": "ready",
    "failed": "failed",
}


async def publish_lifecycle(
    connection: asyncpg.Connection,
    proposal_id: uuid.UUID,
    version: int,
    status: str,
    error: dict[str, str] | None = None,
) -> None:
    """Queue the lifecycle event of a status change, inside the caller's transaction (none for internal statuses).

    A version that becomes `ready` straight from drafting (its PDF was reported first) gets its `drafted` event too,
    so that outside consumers always see both. Ids are derived from (proposal, version, kind): the same change
    recorded twice is queued once. A deleted proposal's changes are not published.
    """
    kind = _KINDS.get(status)
    if kind is None:
        return
    if await connection.fetchval("SELECT deleted_at IS NOT NULL FROM proposals WHERE id = $1", proposal_id):
        return  # deleted while it was being produced: outside systems would be pointed at a 404
    if kind == "ready":
        await _queue(connection, await lifecycle_event(connection, proposal_id, version, "drafted"))
    await _queue(connection, await lifecycle_event(connection, proposal_id, version, kind, error))


async def publish_review_lifecycle(
    connection: asyncpg.Connection, proposal_id: uuid.UUID, version: int, review: LifecycleReview
) -> None:
    """Queue the lifecycle event of a move of the review state (kind `review.<to_state>`), inside the caller's
    transaction. Its id is derived from the move's id: moving to the same state twice is two events."""
    kind = cast(LifecycleKind, f"{REVIEW_KIND_PREFIX}{review.to_state}")
    event = await lifecycle_event(connection, proposal_id, version, kind, review=review)
    await _queue(connection, event)


async def lifecycle_event(
    connection: asyncpg.Connection,
    proposal_id: uuid.UUID,
    version: int,
    kind: LifecycleKind,
    error: dict[str, str] | None = None,
    *,
    review: LifecycleReview | None = None,
    origin: Mapping[str, Any] | None = None,
) -> ProposalLifecycleChanged:
    """The lifecycle event of `kind` for a version, with the producer's correlation id when it came by intake.

    `origin`: its `intake_requests` row's source, correlation_id and callback, when the caller has them (else read).
    """
    if origin is None:
        origin = await connection.fetchrow(
            "SELECT source, correlation_id, callback FROM intake_requests WHERE proposal_id = $1", proposal_id
        )
    pdf = None
    if kind == "ready":
        row = await connection.fetchrow(
            "SELECT pdf_sha256, pages, pdf_bytes FROM proposal_versions WHERE proposal_id = $1 AND version = $2",
            proposal_id,
            version,
        )
        if row is not None and row["pdf_sha256"] is not None:
            pdf = LifecyclePdf(
                api_path=f"/api/proposals/{proposal_id}/pdf?version={version}",
                sha256=row["pdf_sha256"],
                pages=row["pages"],
                bytes=row["pdf_bytes"],
            )
    failure = None
    if kind == "failed" and error is not None:
        failure = LifecycleFailure(stage=error.get("stage", "unknown"), reason=error.get("detail", ""))
    callback = origin["callback"] if origin is not None else None
    cause = f"lifecycle:{version}:{kind}" if review is None else f"lifecycle:transition:{review.transition_id}"
    return ProposalLifecycleChanged(
        event_id=derived_event_id(proposal_id, cause),
        proposal_id=proposal_id,
        version=version,
        kind=kind,
        api_path=f"/api/proposals/{proposal_id}",
        correlation_id=origin["correlation_id"] if origin is not None else None,
        source=origin["source"] if origin is not None else None,
        callback=json.loads(callback) if isinstance(callback, str) else callback,
        pdf=pdf,
        failure=failure,
        review=review,
    )


def lifecycle_rows(event: ProposalLifecycleChanged) -> list[tuple[uuid.UUID, str, dict[str, str]]]:
    """The outbox rows of a lifecycle event (row id, stream, fields): the shared stream, and for a proposal a producer
    asked for, that producer's own lifecycle stream too (the only one its Redis user may read). Both carry the same
    event id; the copy's outbox row has an id of its own."""
    fields = encode(event, trace_headers())
    rows = [(event.event_id, event.stream.value, fields)]
    producer = _producer(event.source)
    if producer is not None:
        rows.append(
            (derived_event_id(event.event_id, f"producer:{producer}"), producer_streams(producer).lifecycle, fields)
        )
    return rows


def _producer(source: str | None) -> str | None:
    if source is None:
        return None
    try:
        producer_streams(source)
    except ValueError:  # a source of the deprecated shared stream that no producer's user can have
        return None
    return source


QUEUE_LIFECYCLE: Final = """INSERT INTO outbox (event_id, stream, fields, created_at)
    VALUES ($1, $2, $3, clock_timestamp()) ON CONFLICT (event_id) DO NOTHING"""
"""An outbox row of a lifecycle event (`lifecycle_rows`). clock_timestamp, not now(): the relay publishes by
created_at, and `drafted` must go out before `ready`."""


async def _queue(connection: asyncpg.Connection, event: ProposalLifecycleChanged) -> None:
    await connection.executemany(QUEUE_LIFECYCLE, lifecycle_rows(event))
