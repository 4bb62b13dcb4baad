"""The progress log of each proposal: status changes and drafting progress, replayed by Server-Sent Events.

Rows are written in the transaction of the change they describe; `NOTIFY` (delivered on commit) wakes the streams
that follow the proposal, in every gateway replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from typing import Any, Final

import asyncpg

from propos4l.shared.aio import wait_event

__all__ = ["CHANNEL", "ProgressNotifier", "append_event", "status_changed"]

logger = logging.getLogger(__name__)

CHANNEL: Final = "proposal_events"
_RECONNECT_SECONDS: Final = 2.0


async def append_event(
    connection: asyncpg.Connection, proposal_id: uuid.UUID, version: int, kind: str, data: dict[str, Any]
) -> None:
    """Add an entry to the proposal's log, inside the caller's transaction, and wake its followers on commit."""
    await connection.execute(
        "INSERT INTO proposal_events (proposal_id, version, kind, data) VALUES ($1, $2, $3, $4)",
        proposal_id,
        version,
        kind,
        data,
    )
    await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, str(proposal_id))


async def status_changed(
    connection: asyncpg.Connection,
    proposal_id: uuid.UUID,
    version: int,
    status: str,
    error: dict[str, str] | None = None,
) -> None:
    """Log a status change."""
    await append_event(
        connection, proposal_id, version, "status", {"status": status, "version": version, "error": error}
    )


class ProgressNotifier:
    """Listens on the database channel and wakes the streams waiting for news of a proposal."""

    def __init__(self, database_url: str, reconnect_seconds: float = _RECONNECT_SECONDS) -> None:
        self._database_url = database_url
        self._reconnect_seconds = reconnect_seconds
        self._connection: asyncpg.Connection | None = None
        self._waiters: defaultdict[str, set[asyncio.Event]] = defaultdict(set)
        self._keeper: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def listening(self) -> bool:
        """Whether notifications arrive (else followers poll)."""
        return self._connection is not None and not self._connection.is_closed()

    async def start(self) -> None:
        """Open the listening connection, and keep it open: while it is down, followers poll, and it is opened again
        (a restarted PostgreSQL drops it)."""
        await self._listen()
        self._keeper = asyncio.create_task(self._keep_listening(), name="progress notifications")

    async def _listen(self) -> bool:
        try:
            connection = await asyncpg.connect(self._database_url, timeout=10)
            await connection.add_listener(CHANNEL, self._notified)
        except (OSError, TimeoutError, asyncpg.PostgresError) as error:
            logger.warning("progress notifications unavailable; streams will poll", extra={"error": str(error)})
            return False
        self._connection = connection
        return True

    async def _keep_listening(self) -> None:
        while not await wait_event(self._stopping, self._reconnect_seconds):
            if not self.listening and await self._listen():
                logger.info("progress notifications are back")
                for waiters in self._waiters.values():  # news may have been missed while they were down
                    for waiter in waiters:
                        waiter.set()

    async def stop(self) -> None:
        """Close the listening connection and wake every follower."""
        self._stopping.set()
        if self._keeper is not None:
            await self._keeper
        if self._connection is not None:
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                await self._connection.close()
            self._connection = None
        for waiters in self._waiters.values():
            for waiter in waiters:
                waiter.set()

    async def wait(self, proposal_id: uuid.UUID, seconds: float) -> None:
        """Return when the proposal has news, or after `seconds` (sooner when not listening)."""
        key = str(proposal_id)
        waiter = asyncio.Event()
        self._waiters[key].add(waiter)
        try:
            await wait_event(waiter, seconds if self.listening else min(seconds, 1.0))
        finally:
            self._waiters[key].discard(waiter)
            if not self._waiters[key]:
                del self._waiters[key]

    def _notified(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        for waiter in self._waiters.get(payload, ()):
            waiter.set()
