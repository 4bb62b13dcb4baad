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

from propos4l.gateway.lifecycle import publish_lifecycle
from propos4l.shared.aio import wait_event
from propos4l.shared.events import ProposalProgressed
from propos4l.shared.grouped_calls import GroupedCalls
from propos4l.shared.sections import Language, section_title

__all__ = [
    "APPEND_EVENT",
    "CHANNEL",
    "ProgressNotifier",
    "ProgressWriter",
    "append_event",
    "status_changed",
    "status_data",
]

logger = logging.getLogger(__name__)

CHANNEL: Final = "proposal_events"
_RECONNECT_SECONDS: Final = 2.0


APPEND_EVENT: Final = "INSERT INTO proposal_events (proposal_id, version, kind, data) VALUES ($1, $2, $3, $4)"
"""An entry of a proposal's log; NOTIFY on CHANNEL with the proposal's id must follow in the same transaction."""


async def append_event(
    connection: asyncpg.Connection, proposal_id: uuid.UUID, version: int, kind: str, data: dict[str, Any]
) -> None:
    """Add an entry to the proposal's log, inside the caller's transaction, and wake its followers on commit."""
    await connection.execute(APPEND_EVENT, proposal_id, version, kind, data)
    await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, str(proposal_id))


def status_data(status: str, version: int, error: dict[str, str] | None = None) -> dict[str, Any]:
    """The `data` of a status entry in the log."""
    return {"status": status, "version": version, "error": error}


async def status_changed(
    connection: asyncpg.Connection,
    proposal_id: uuid.UUID,
    version: int,
    status: str,
    error: dict[str, str] | None = None,
) -> None:
    """Log a status change, and queue its event on the public lifecycle stream."""
    await append_event(connection, proposal_id, version, "status", status_data(status, version, error))
    await publish_lifecycle(connection, proposal_id, version, status, error)


class ProgressWriter:
    """Logs drafting progress for the live streams, in as few transactions as the events' pace allows.

    A model that streams fast sends a burst of progress events (one per section, and the text every so often): one
    transaction each cost the gateway and PostgreSQL more than recording the draft itself. Events that arrive while
    a write is under way go together in the next one (a group commit), in stream order, and within it an event is
    dropped when the next one of the same version reports the same section, since its text only grew. `write`
    returns once its event is committed (or dropped as stale), so a delivery is acknowledged only after its effect
    is durable.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._calls: GroupedCalls[tuple[_StreamPosition, ProposalProgressed], None] = GroupedCalls(
            self._write_in_stream_order, let_others_join=True
        )

    async def write(self, event: ProposalProgressed, message_id: str) -> None:
        """Log `event` (entry `message_id` of its stream) with whatever else is waiting; raise what the write raised."""
        await self._calls.call((_position(message_id), event))

    async def _write_in_stream_order(self, waiting: list[tuple[_StreamPosition, ProposalProgressed]]) -> list[None]:
        await self._write([event for _, event in sorted(waiting, key=lambda item: item[0])])
        return [None] * len(waiting)

    async def _write(self, events: list[ProposalProgressed]) -> None:
        async with self._pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(
                """SELECT id, current_version, language FROM proposals
                   WHERE id = ANY($1::uuid[]) AND status IN ('queued', 'generating')""",
                list({event.proposal_id for event in events}),
            )
            # Late news of a version already drafted, failed or replaced is dropped.
            drafting = {row["id"]: (row["current_version"], Language(row["language"])) for row in rows}
            kept = [
                event
                for index, event in enumerate(events)
                if drafting.get(event.proposal_id, (None,))[0] == event.version
                and not _superseded(event, events[index + 1 :])
            ]
            if not kept:
                return
            await connection.executemany(
                "INSERT INTO proposal_events (proposal_id, version, kind, data) VALUES ($1, $2, 'progress', $3)",
                [
                    (event.proposal_id, event.version, _progress_data(event, drafting[event.proposal_id][1]))
                    for event in kept
                ],
            )
            await connection.execute(
                "SELECT pg_notify($1, proposal_id) FROM unnest($2::text[]) AS proposal_id",
                CHANNEL,
                list(dict.fromkeys(str(event.proposal_id) for event in kept)),
            )


_StreamPosition = tuple[int, int]


def _position(message_id: str) -> _StreamPosition:
    """A Redis stream entry id ("milliseconds-sequence") as something that sorts in stream order."""
    milliseconds, _, sequence = message_id.partition("-")
    return int(milliseconds), int(sequence or 0)


def _superseded(event: ProposalProgressed, later: list[ProposalProgressed]) -> bool:
    """Whether a later event of the same version in the batch reports the same section (its text grown).

    Sections written side by side interleave their reports (A, B, A, B): a section's report is superseded by its
    own next one, whatever other sections reported in between, as long as that one completes what it did.
    """
    following = next(
        (
            other
            for other in later
            if (other.proposal_id, other.version, other.section) == (event.proposal_id, event.version, event.section)
        ),
        None,
    )
    return (
        following is not None
        and event.section is not None
        and event.notice is None
        and set(event.completed) <= set(following.completed)
    )


def _progress_data(event: ProposalProgressed, language: Language) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": event.version,
        "section": event.section.value if event.section else None,
        "title": section_title(event.section, language) if event.section else None,
        "text": event.text,
        "completed": [key.value for key in event.completed],
        "characters": event.characters,
    }
    if event.notice is not None:  # the model server is not answering: the generator says when it tries again
        data["notice"] = event.notice
        data["retry_in_seconds"] = event.retry_in_seconds
    return data


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
