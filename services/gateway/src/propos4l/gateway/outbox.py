"""The outbox relay: publishes the events the gateway stored with its records, until Redis has each one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from datetime import timedelta

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

from propos4l.shared.telemetry import count_republished, relaying

__all__ = ["OutboxRelay"]

logger = logging.getLogger(__name__)

_BATCH = 100


class OutboxRelay:
    """Moves outbox rows to their streams; safe with several gateway replicas (rows are locked, skipped).

    Every `audit_seconds` it also checks that the events it published within `audit_window` are still in their
    streams, and publishes again those Redis lost (see `audit`).
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        redis: Redis,
        poll_seconds: float = 1.0,
        *,
        audit_seconds: float = 60.0,
        audit_window: timedelta = timedelta(hours=1),
    ) -> None:
        self._pool = pool
        self._redis = redis
        self._poll_seconds = poll_seconds
        self._audit_seconds = audit_seconds
        self._audit_window = audit_window
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Publish soon: a new row was committed."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set; failures are logged and retried on the next round."""
        loop = asyncio.get_running_loop()
        next_audit = loop.time() + self._audit_seconds
        while not stop.is_set():
            # Cleared before relaying, not after: a row committed (and a wake) while a batch is under way is relayed
            # in the next round at once, not after a poll interval.
            self._wake.clear()
            try:
                if loop.time() >= next_audit:
                    next_audit = loop.time() + self._audit_seconds
                    await self.audit()
                while await self.relay_batch() == _BATCH:
                    pass
            except (
                RedisError,
                OSError,
                asyncpg.PostgresError,
                asyncpg.InterfaceError,
                asyncpg.InternalClientError,
            ) as error:
                # asyncpg reports a connection lost mid-transaction as an interface or internal client error: the
                # relay must outlive it, or nothing is published after a database outage.
                logger.warning("outbox relay failed; retrying", extra={"error": str(error)})
                self._wake.clear()  # a failing dependency is retried after the poll interval, not in a busy loop
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._poll_seconds):
                    await _first_of(self._wake, stop)

    async def relay_batch(self) -> int:
        """Publish up to one batch of unpublished events, oldest first; return how many."""
        async with self._pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(
                """SELECT event_id, stream, fields FROM outbox WHERE published_at IS NULL
                   ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED""",
                _BATCH,
            )
            if not rows:
                return 0
            # One pipeline for the batch (in order, so each stream keeps the outbox's order) and one UPDATE: two
            # round trips where one XADD and one UPDATE per event were two each. Should the pipeline fail part way,
            # the rows stay unpublished and go out again: at least once, as before.
            with contextlib.ExitStack() as spans:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for row in rows:
                        fields = spans.enter_context(relaying(row["stream"], row["fields"]))  # a send span each
                        pipe.xadd(row["stream"], fields)  # type: ignore[arg-type]
                    entry_ids = await pipe.execute()
            await connection.execute(
                """UPDATE outbox AS o SET published_at = now(), entry_id = published.entry_id
                   FROM unnest($1::uuid[], $2::text[]) AS published (event_id, entry_id)
                   WHERE o.event_id = published.event_id""",
                [row["event_id"] for row in rows],
                [str(entry_id) for entry_id in entry_ids],
            )
        return len(rows)

    async def audit(self) -> int:
        """Publish again the events published within the audit window that are no longer in their streams.

        Redis acknowledges a write before its append-only file has it on disk (appendfsync everysec): a crash can
        lose the last second, and a Redis restored from an older copy loses more. The database still says those
        events were published. An event published less than `audit_window` ago cannot have been trimmed (streams
        keep at least STREAM_RETENTION_HOURS), so if its entry is gone it was lost: the row is marked unpublished
        and the relay sends it again, with the same event id. Returns how many were.
        """
        rows = await self._pool.fetch(
            """SELECT event_id, stream, entry_id FROM outbox
               WHERE published_at > now() - $1::interval AND entry_id IS NOT NULL""",
            self._audit_window,
        )
        if not rows:
            return 0
        async with self._redis.pipeline(transaction=False) as pipe:
            for row in rows:
                pipe.xrange(row["stream"], min=row["entry_id"], max=row["entry_id"], count=1)
            found = await pipe.execute()
        lost = [row for row, entries in zip(rows, found, strict=True) if not entries]
        if not lost:
            return 0
        reset = await self._pool.fetch(
            """UPDATE outbox o SET published_at = NULL, entry_id = NULL
               FROM unnest($1::uuid[], $2::text[]) AS l(event_id, entry_id)
               WHERE o.event_id = l.event_id AND o.entry_id = l.entry_id
               RETURNING o.stream""",
            [row["event_id"] for row in lost],
            [row["entry_id"] for row in lost],
        )
        republished = len(reset)  # another replica may have reset some of them first
        by_stream = Counter(str(row["stream"]) for row in reset)
        for stream, count in by_stream.items():
            count_republished(stream, count)
        if republished:
            logger.warning(
                "events lost by Redis are published again", extra={"count": republished, "streams": sorted(by_stream)}
            )
            self.wake()
        return republished


async def _first_of(*events: asyncio.Event) -> None:
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
