"""Expiry of sent proposals (ADR 0024): a proposal waiting for the client's answer whose links no longer work moves
to `expired`, whether someone opens an expired link or nobody ever does.

`expire_if_unanswered` is the one check and move, in the caller's transaction; the public page calls it when an
expired link is opened, and `ExpirySweeper` every `SHARE_EXPIRY_SWEEP_SECONDS` for the proposals nobody opens. The
move goes through `apply_transition`, so it writes the same transition, audit record and lifecycle event (and so
the same webhook) whichever finds it. Replicas sweep at once without coordinating: the sweep claims a proposal with
`FOR UPDATE SKIP LOCKED` on a condition that its move makes false, so a proposal another replica (or the public
page) is moving is skipped, and one already moved is no longer found; one move per proposal.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Final

import asyncpg

from propos4l.gateway.review_transitions import Transition, TransitionRefused, apply_transition
from propos4l.shared.aio import wait_event
from propos4l.shared.review import ReviewState

__all__ = ["EXPIRY_ACTOR", "ExpirySweeper", "expire_if_unanswered", "sweep_expired"]

logger = logging.getLogger(__name__)

EXPIRY_ACTOR: Final = "system: every share link expired unanswered"
_WAITING: Final = (ReviewState.SENT.value, ReviewState.VIEWED.value)
_MAX_PER_ROUND: Final = 1_000  # a backlog is worked off over several rounds, never in one long loop

# Waiting for an answer, at least one link ran out (a revoked one does not count: revoking is the consultancy's
# choice, not an expiry), and none still works.
_EXPIRED_UNANSWERED: Final = """
    p.review_state = ANY($1::text[])
    AND EXISTS (SELECT 1 FROM share_links s
                WHERE s.proposal_id = p.id AND s.revoked_at IS NULL AND s.expires_at <= now())
    AND NOT EXISTS (SELECT 1 FROM share_links s
                    WHERE s.proposal_id = p.id AND s.revoked_at IS NULL AND s.expires_at > now())"""


async def expire_if_unanswered(connection: asyncpg.Connection, proposal_id: uuid.UUID) -> Transition | None:
    """In the caller's transaction: move the proposal to `expired` if it is waiting for an answer and every one of
    its links has run out or been revoked (one at least having run out); the move, or None when there is none."""
    claimed = await connection.fetchrow(
        f"SELECT p.sent_version FROM proposals p WHERE p.id = $2 AND {_EXPIRED_UNANSWERED} FOR UPDATE OF p",  # noqa: S608
        list(_WAITING),
        proposal_id,
    )
    if claimed is None:
        return None
    return await _expire(connection, proposal_id, claimed["sent_version"])


async def sweep_expired(pool: asyncpg.Pool, limit: int = _MAX_PER_ROUND) -> int:
    """Move every proposal waiting for an answer whose links have all run out to `expired`, one transaction each,
    at most `limit`; how many were moved. Proposals another transaction holds are left for it (SKIP LOCKED)."""
    moved = 0
    refused: list[uuid.UUID] = []  # not claimed again this round
    for _ in range(limit):
        async with pool.acquire() as connection, connection.transaction():
            claimed = await connection.fetchrow(
                f"""SELECT p.id, p.sent_version FROM proposals p
                    WHERE {_EXPIRED_UNANSWERED} AND NOT (p.id = ANY($2::uuid[]))
                    ORDER BY p.updated_at, p.id LIMIT 1 FOR UPDATE OF p SKIP LOCKED""",  # noqa: S608
                list(_WAITING),
                refused,
            )
            if claimed is None:
                break
            if await _expire(connection, claimed["id"], claimed["sent_version"]) is None:
                refused.append(claimed["id"])
            else:
                moved += 1
    return moved


async def _expire(connection: asyncpg.Connection, proposal_id: uuid.UUID, version: int | None) -> Transition | None:
    try:
        return await apply_transition(
            connection, proposal_id, ReviewState.EXPIRED, actor=None, actor_label=EXPIRY_ACTOR, version=version
        )
    except TransitionRefused as error:  # the row is locked and its state checked: only a change of the table could
        logger.warning("no expiry", extra={"proposal_id": str(proposal_id), "code": error.code})
        return None


class ExpirySweeper:
    """Runs the expiry sweep of a gateway replica."""

    def __init__(self, pool: asyncpg.Pool, *, interval_seconds: float) -> None:
        self._pool = pool
        self._interval = interval_seconds

    async def run(self, stop: asyncio.Event) -> None:
        """A sweep now and every `interval_seconds` until `stop`; a failed sweep is logged and tried next time."""
        while not stop.is_set():
            await self.round()
            await wait_event(stop, self._interval)

    async def round(self) -> int:
        """One sweep; how many proposals it moved to `expired`."""
        try:
            moved = await sweep_expired(self._pool)
        except (asyncpg.PostgresError, OSError) as error:
            logger.warning("could not sweep expired share links; trying again later", extra={"error": str(error)})
            return 0
        if moved:
            logger.info("proposals expired unanswered", extra={"proposals": moved})
        return moved
