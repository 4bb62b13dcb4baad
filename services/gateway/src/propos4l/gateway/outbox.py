"""The outbox relay: publishes the events the gateway stored with its records, until Redis has each one."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

from propos4l.shared.telemetry import relaying

__all__ = ["OutboxRelay"]

logger = logging.getLogger(__name__)

_BATCH = 100


class OutboxRelay:
    """Moves outbox rows to their streams; safe with several gateway replicas (rows are locked, skipped)."""

    def __init__(self, pool: asyncpg.Pool, redis: Redis, poll_seconds: float = 1.0) -> None:
        self._pool = pool
        self._redis = redis
        self._poll_seconds = poll_seconds
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Publish soon: a new row was committed."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set; failures are logged and retried on the next round."""
        while not stop.is_set():
            try:
                while await self.relay_batch() == _BATCH:
                    pass
            except (RedisError, OSError, asyncpg.PostgresError) as error:
                logger.warning("outbox relay failed; retrying", extra={"error": str(error)})
            self._wake.clear()
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
            for row in rows:
                with relaying(row["stream"], row["fields"]) as fields:  # a send span in the stored trace
                    await self._redis.xadd(row["stream"], fields)  # type: ignore[arg-type]
                await connection.execute("UPDATE outbox SET published_at = now() WHERE event_id = $1", row["event_id"])
        return len(rows)


async def _first_of(*events: asyncio.Event) -> None:
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
