"""Retention: what the pipeline keeps of its own traffic, so Redis and PostgreSQL do not grow with every proposal.

Every `interval` seconds a gateway replica (several may do it at once: each step is idempotent):

- trims the event streams behind their consumer groups, keeping `STREAM_RETENTION_HOURS` of history
  (`propos4l.shared.retention`);
- deletes outbox rows published longer than `EVENT_HISTORY_RETENTION_DAYS` ago, and processed-event ids recorded
  before then (a duplicate arrives within seconds of its original: the relay republishing after a crash, a reclaim);
- deletes the live-progress entries (the partial text, the bulk of the log) of finished proposals older than that;
  their stage changes stay, and the proposal, its versions and its PDFs are never touched.

Deletes go in batches, so no statement holds its locks for long.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

import asyncpg
from redis.asyncio import Redis
from redis.exceptions import RedisError

from propos4l.shared.aio import wait_event
from propos4l.shared.retention import trim_streams
from propos4l.shared.streams import ConsumerGroup

__all__ = ["Pruned", "RetentionKeeper", "prune_records"]

logger = logging.getLogger(__name__)

_BATCH: Final = 5_000
_BATCH_TIMEOUT_SECONDS: Final = 60.0  # a batch of deletes may take longer than a request's statement timeout

_PRUNE_STATEMENTS: Final = {
    "outbox": """
        DELETE FROM outbox WHERE event_id IN (
            SELECT event_id FROM outbox WHERE published_at < now() - $1::interval LIMIT $2)""",
    "processed_events": """
        DELETE FROM processed_events WHERE (consumer_group, event_id) IN (
            SELECT consumer_group, event_id FROM processed_events
            WHERE processed_at < now() - $1::interval LIMIT $2)""",
    "progress": """
        DELETE FROM proposal_events WHERE id IN (
            SELECT e.id FROM proposal_events e JOIN proposals p ON p.id = e.proposal_id
            WHERE e.kind = 'progress' AND e.created_at < now() - $1::interval
              AND p.status IN ('ready', 'failed') LIMIT $2)""",
    # Settled webhook deliveries, with their tries' log (ON DELETE CASCADE); pending ones stay until settled.
    "webhook_deliveries": """
        DELETE FROM webhook_deliveries WHERE id IN (
            SELECT id FROM webhook_deliveries
            WHERE status IN ('delivered', 'failed') AND created_at < now() - $1::interval LIMIT $2)""",
}


@dataclass(frozen=True, slots=True)
class Pruned:
    """Rows deleted by one round, per kind."""

    outbox: int
    processed_events: int
    progress: int
    webhook_deliveries: int = 0


async def prune_records(pool: asyncpg.Pool, older_than: timedelta, batch: int = _BATCH) -> Pruned:
    """Delete published outbox rows, processed-event ids, finished proposals' progress and settled webhook deliveries
    older than `older_than`."""
    counts: dict[str, int] = {}
    for kind, statement in _PRUNE_STATEMENTS.items():
        total = 0
        while True:
            status = await pool.execute(statement, older_than, batch, timeout=_BATCH_TIMEOUT_SECONDS)
            deleted = int(status.rsplit(" ", 1)[-1])  # "DELETE <n>"
            total += deleted
            if deleted < batch:
                break
        counts[kind] = total
    return Pruned(**counts)


class RetentionKeeper:
    """Runs the retention rounds of a gateway replica."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        redis: Redis,
        *,
        stream_keep: timedelta,
        records_keep: timedelta,
        interval_seconds: float,
        more_streams: Callable[[], Mapping[str, tuple[ConsumerGroup, ...]]] | None = None,
    ) -> None:
        self._more_streams = more_streams or dict
        self._pool = pool
        self._redis = redis
        self._stream_keep = stream_keep
        self._records_keep = records_keep
        self._interval = interval_seconds

    async def run(self, stop: asyncio.Event) -> None:
        """A round now and every `interval_seconds` until `stop`; a failed round is logged and tried next time."""
        while not stop.is_set():
            await self.round()
            await wait_event(stop, self._interval)

    async def round(self) -> None:
        """Trim the streams and prune the records once."""
        try:
            # Logs what it trimmed, per stream; `more_streams`: the producers' own streams.
            await trim_streams(self._redis, self._stream_keep.total_seconds(), more=self._more_streams())
        except (RedisError, OSError) as error:
            logger.warning("could not trim the streams; trying again later", extra={"error": str(error)})
        try:
            pruned = await prune_records(self._pool, self._records_keep)
        except (asyncpg.PostgresError, OSError) as error:
            logger.warning("could not prune old records; trying again later", extra={"error": str(error)})
        else:
            if pruned.outbox or pruned.processed_events or pruned.progress or pruned.webhook_deliveries:
                logger.info(
                    "old records pruned",
                    extra={
                        "outbox": pruned.outbox,
                        "processed_events": pruned.processed_events,
                        "progress": pruned.progress,
                        "webhook_deliveries": pruned.webhook_deliveries,
                    },
                )
