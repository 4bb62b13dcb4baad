"""Retention on a real Redis and PostgreSQL: streams trimmed only behind every group, old records pruned, work kept."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from redis.asyncio import Redis

from propos4l.gateway.retention import prune_records
from propos4l.shared.db import create_pool
from propos4l.shared.retention import trim_stream, trim_streams
from propos4l.shared.streams import CONSUMERS, ConsumerGroup, Stream, retry_stream
from tests.support.gateway import gateway_settings, running_gateway
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

STREAM = Stream.PROPOSAL_DRAFTED  # read by two groups: the renderer and the gateway
GROUPS = CONSUMERS[STREAM]
DAY = 24 * 3600.0
LATER = time.time() + 30 * DAY  # a clock far enough ahead that every entry is past the retention window


async def _stream_with_a_slow_group(redis: Redis) -> list[str]:
    """Ten entries: the renderer acknowledged all; the gateway was given six and acknowledged four."""
    ids = [await redis.xadd(STREAM.value, {"n": str(n)}) for n in range(10)]
    for group in GROUPS:
        await redis.xgroup_create(STREAM.value, group.value, id="0")
    await redis.xreadgroup(ConsumerGroup.RENDERER.value, "r1", {STREAM.value: ">"}, count=10)
    await redis.xack(STREAM.value, ConsumerGroup.RENDERER.value, *ids)
    await redis.xreadgroup(ConsumerGroup.GATEWAY.value, "g1", {STREAM.value: ">"}, count=6)
    await redis.xack(STREAM.value, ConsumerGroup.GATEWAY.value, *ids[:4])
    return [str(entry_id) for entry_id in ids]


async def test_a_stream_is_trimmed_up_to_the_oldest_entry_a_group_still_needs(redis: Redis) -> None:
    ids = await _stream_with_a_slow_group(redis)
    trim = await trim_stream(redis, STREAM, GROUPS, keep_seconds=3600, now=LATER)
    assert (trim.removed, trim.kept_from) == (4, ids[4])
    assert [entry_id for entry_id, _ in await redis.xrange(STREAM.value)] == ids[4:]
    # Nothing the slow group needs was lost: its two pending entries and the four it has not read yet.
    pending = await redis.xpending_range(STREAM.value, ConsumerGroup.GATEWAY.value, min="-", max="+", count=10)
    assert [entry["message_id"] for entry in pending] == ids[4:6]
    unread = await redis.xreadgroup(ConsumerGroup.GATEWAY.value, "g1", {STREAM.value: ">"}, count=10)
    assert [entry_id for entry_id, _ in unread[0][1]] == ids[6:]


async def test_the_retention_window_keeps_recent_entries_even_when_every_group_is_done(redis: Redis) -> None:
    await _stream_with_a_slow_group(redis)
    trim = await trim_stream(redis, STREAM, GROUPS, keep_seconds=3600)  # the entries are seconds old
    assert trim.removed == 0
    assert await redis.xlen(STREAM.value) == 10


async def test_a_stream_whose_group_does_not_exist_yet_is_not_trimmed(redis: Redis) -> None:
    for n in range(3):
        await redis.xadd(STREAM.value, {"n": str(n)})
    await redis.xgroup_create(STREAM.value, ConsumerGroup.RENDERER.value, id="$")  # the gateway has not started
    trim = await trim_stream(redis, STREAM, GROUPS, keep_seconds=1, now=LATER)
    assert trim.removed == 0 and trim.skipped is not None and "gateway" in trim.skipped
    assert await redis.xlen(STREAM.value) == 3


async def test_trimming_every_stream_skips_those_not_created_yet(redis: Redis) -> None:
    trims = await trim_streams(redis, keep_seconds=3600, now=LATER)
    retry_streams = {retry_stream(stream, group) for stream, groups in CONSUMERS.items() for group in groups}
    assert {trim.stream for trim in trims} == {stream.value for stream in CONSUMERS} | retry_streams
    assert all(trim.removed == 0 and trim.skipped == "the stream does not exist yet" for trim in trims)


async def test_a_retry_stream_is_trimmed_behind_its_one_group(redis: Redis) -> None:
    retry = retry_stream(Stream.PROPOSAL_DRAFTED, ConsumerGroup.GATEWAY)
    await redis.xgroup_create(retry, ConsumerGroup.GATEWAY.value, id="0", mkstream=True)
    for n in range(2):
        await redis.xadd(retry, {"n": str(n)})
    read = await redis.xreadgroup(ConsumerGroup.GATEWAY.value, "gw", {retry: ">"}, count=2)
    await redis.xack(retry, ConsumerGroup.GATEWAY.value, read[0][1][0][0])
    trims = {trim.stream: trim for trim in await trim_streams(redis, keep_seconds=3600, now=LATER)}
    assert trims[retry].removed == 1  # the acknowledged one; the one still pending is kept
    assert await redis.xlen(retry) == 1


async def _proposal(connection: asyncpg.Connection, status: str) -> uuid.UUID:
    proposal_id = uuid.uuid4()
    await connection.execute(
        """INSERT INTO proposals (id, client_name, industry, requirements, language, template, status)
           VALUES ($1, 'ACME', 'Retail', 'ERP', 'pt-BR', 'default', $2)""",
        proposal_id,
        status,
    )
    return proposal_id


async def test_old_records_are_pruned_and_what_is_still_needed_is_kept(database_url: str) -> None:
    pool = await create_pool(database_url, max_size=2)
    try:
        async with pool.acquire() as connection:
            old, recent = "now() - interval '20 days'", "now() - interval '1 day'"
            outbox = {name: uuid.uuid4() for name in ("old published", "recent published", "old unpublished")}
            for name, published in (("old published", old), ("recent published", recent), ("old unpublished", None)):
                await connection.execute(
                    f"""INSERT INTO outbox (event_id, stream, fields, created_at, published_at)
                        VALUES ($1, 's', '{{}}', {old}, {published or "NULL"})""",  # noqa: S608 - our own literals
                    outbox[name],
                )
            processed = {name: uuid.uuid4() for name in ("old", "recent")}
            for name, when in (("old", old), ("recent", recent)):
                await connection.execute(
                    f"INSERT INTO processed_events (consumer_group, event_id, processed_at) VALUES ('gateway', $1, {when})",  # noqa: S608, E501
                    processed[name],
                )
            finished, running = await _proposal(connection, "ready"), await _proposal(connection, "generating")
            for proposal_id, kind, when in (
                (finished, "progress", old),  # the only row to go
                (finished, "progress", recent),
                (finished, "status", old),
                (running, "progress", old),
            ):
                await connection.execute(
                    f"""INSERT INTO proposal_events (proposal_id, version, kind, data, created_at)
                        VALUES ($1, 1, $2, '{{}}', {when})""",  # noqa: S608 - our own literals
                    proposal_id,
                    kind,
                )

        pruned = await prune_records(pool, timedelta(days=14), batch=1)  # batch of one: the loop goes round

        assert (pruned.outbox, pruned.processed_events, pruned.progress) == (1, 1, 1)
        async with pool.acquire() as connection:
            kept_outbox = {row["event_id"] for row in await connection.fetch("SELECT event_id FROM outbox")}
            assert kept_outbox == {outbox["recent published"], outbox["old unpublished"]}
            assert await connection.fetchval("SELECT array_agg(event_id) FROM processed_events") == [
                processed["recent"]
            ]
            events = await connection.fetch(
                "SELECT proposal_id, kind, created_at > now() - interval '2 days' AS recent FROM proposal_events"
            )
            assert sorted((row["proposal_id"] == finished, row["kind"], row["recent"]) for row in events) == [
                (False, "progress", False),
                (True, "progress", True),
                (True, "status", False),
            ]
        assert await prune_records(pool, timedelta(days=14)) == type(pruned)(0, 0, 0)
    finally:
        await pool.close()


async def test_the_gateway_trims_the_streams_it_finds_done_with(
    redis: Redis, database_url: str, redis_url: str, data_dir: Path
) -> None:
    two_hours_ago = int((time.time() - 7200) * 1000)
    ids = [await redis.xadd(STREAM.value, {"n": str(n)}, id=f"{two_hours_ago}-{n}") for n in range(10)]
    for group in GROUPS:  # both groups were given everything and acknowledged it
        await redis.xgroup_create(STREAM.value, group.value, id=ids[-1])
    settings = gateway_settings(database_url, redis_url, data_dir, stream_retention_hours=1)
    async with running_gateway(settings):  # a retention round runs as the gateway starts
        await wait_for(lambda: _length_is(redis, 1), timeout=20, message="the gateway did not trim the stream")
    assert [entry_id for entry_id, _ in await redis.xrange(STREAM.value)] == [ids[-1]]


async def _length_is(redis: Redis, length: int) -> bool:
    return await redis.xlen(STREAM.value) == length
