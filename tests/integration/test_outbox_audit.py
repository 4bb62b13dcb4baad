"""The outbox audit: an event Redis lost after the gateway published it is published again, and only such a one."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import pytest
from redis.asyncio import Redis

from propos4l.shared.envelope import decode
from propos4l.shared.streams import Stream
from tests.support.gateway import AUTH, gateway_settings, running_gateway
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

REQUEST = {"client_name": "Padaria Pão Quente", "industry": "Varejo", "requirements": "Loja online"}


async def _entries_of(redis: Redis, proposal_id: uuid.UUID) -> list[str]:
    """The ids of the proposal.requested entries of this proposal."""
    entries = await redis.xrange(Stream.PROPOSAL_REQUESTED.value)
    return [entry_id for entry_id, fields in entries if decode(fields).proposal_id == proposal_id]


async def _published_entry(database_url: str, proposal_id: uuid.UUID) -> str | None:
    connection = await asyncpg.connect(database_url)
    try:
        entry: str | None = await connection.fetchval(
            "SELECT entry_id FROM outbox WHERE fields->>'proposal_id' = $1 AND stream = $2",
            str(proposal_id),
            Stream.PROPOSAL_REQUESTED.value,
        )
    finally:
        await connection.close()
    return entry


async def test_an_event_lost_by_redis_is_published_again_and_the_others_are_not(
    redis: Redis, database_url: str, redis_url: str, data_dir: Path
) -> None:
    settings = gateway_settings(database_url, redis_url, data_dir, outbox_audit_seconds=0.2)
    async with running_gateway(settings, headers=AUTH) as gateway:
        lost = uuid.UUID((await gateway.client.post("/api/proposals", json=REQUEST)).json()["id"])
        kept = uuid.UUID((await gateway.client.post("/api/proposals", json=REQUEST)).json()["id"])
        original = await wait_for(lambda: _entries_of(redis, lost), timeout=10, message="never published")
        await wait_for(lambda: _entries_of(redis, kept), timeout=10, message="never published")
        assert await _published_entry(database_url, lost) == original[0]

        await redis.xdel(Stream.PROPOSAL_REQUESTED.value, original[0])  # what a crash of Redis can do

        again = await wait_for(lambda: _entries_of(redis, lost), timeout=10, message="the lost event stayed lost")
        assert again != original and len(again) == 1
        assert await _published_entry(database_url, lost) == again[0]
        republished = (await redis.xrange(Stream.PROPOSAL_REQUESTED.value, min=again[0], max=again[0]))[0][1]
        first = await _entries_of(redis, kept)
        assert decode(republished).proposal_id == lost
        await asyncio.sleep(1.0)  # several more audit rounds
        assert await _entries_of(redis, kept) == first, "an event still in its stream is not published twice"
        assert await _entries_of(redis, lost) == again
