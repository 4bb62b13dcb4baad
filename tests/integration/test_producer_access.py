"""Producers' Redis users, on the real Redis of the test run: each may XADD to its own intake stream and read its own
rejections and lifecycle streams, and nothing else (not another producer's streams, not the shared ones)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import NoPermissionError, ResponseError

from propos4l.shared.localrun.servers import LocalRedis
from propos4l.shared.producer_access import acl_config_line, list_producers
from propos4l.shared.streams import Stream, producer_streams
from tests.support.producers import ProducerFactory, producers

pytestmark = pytest.mark.integration


@pytest.fixture
async def connect_producer(redis: Redis, redis_server: LocalRedis) -> AsyncIterator[ProducerFactory]:
    async with producers(redis, redis_server.url) as connect:
        yield connect


def _name() -> str:
    return f"crm-{uuid.uuid4().hex[:8]}"


async def test_a_producer_may_add_to_its_intake_stream_and_read_its_own_streams(
    connect_producer: ProducerFactory, redis: Redis
) -> None:
    source = _name()
    producer = await connect_producer(source)
    streams = producer_streams(source)
    await redis.xadd(streams.lifecycle, {"payload": "{}"})
    await redis.xadd(streams.rejected, {"payload": "{}"})
    entry = await producer.xadd(streams.intake, {"schema_version": "1"})
    assert await redis.xrange(streams.intake) == [(entry, {"schema_version": "1"})]
    assert len(await producer.xrange(streams.lifecycle)) == 1
    assert len(await producer.xrange(streams.rejected)) == 1
    # Following its lifecycle stream with a consumer group of its own.
    await producer.xgroup_create(streams.lifecycle, "crm-followers", id="0")
    read = await producer.xreadgroup("crm-followers", "one", {streams.lifecycle: ">"}, count=10)
    message_id = read[0][1][0][0]
    assert await producer.xack(streams.lifecycle, "crm-followers", message_id) == 1
    assert source in await list_producers(redis)


async def test_a_producer_cannot_use_another_producers_streams_nor_the_shared_ones(
    connect_producer: ProducerFactory, redis: Redis
) -> None:
    first, second = _name(), _name()
    producer = await connect_producer(first)
    await connect_producer(second)
    theirs = producer_streams(second)
    await redis.xadd(theirs.lifecycle, {"payload": "{}"})
    await redis.xadd(theirs.rejected, {"payload": "{}"})
    refusals = [
        lambda: producer.xadd(theirs.intake, {"schema_version": "1"}),  # passing for the other producer
        lambda: producer.xrange(theirs.lifecycle),  # the other producer's proposals
        lambda: producer.xrange(theirs.rejected),
        lambda: producer.xgroup_create(theirs.lifecycle, "spy", id="0"),
        lambda: producer.xadd(Stream.INTAKE_PROPOSAL_REQUESTED.value, {"schema_version": "1"}),  # the shared intake
        lambda: producer.xrange(Stream.PROPOSAL_LIFECYCLE.value),  # every proposal's lifecycle
        lambda: producer.xrange(Stream.INTAKE_REJECTED.value),
        lambda: producer.xrange(producer_streams(first).intake),  # its own requests: write-only
        lambda: producer.xadd(producer_streams(first).lifecycle, {"payload": "{}"}),  # read-only
    ]
    for refused in refusals:
        with pytest.raises(NoPermissionError):
            await refused()
    assert await redis.xlen(theirs.intake) == 0


async def test_a_producer_can_read_or_write_nothing_else(connect_producer: ProducerFactory, redis: Redis) -> None:
    source = _name()
    producer = await connect_producer(source)
    await redis.xadd(Stream.PROPOSAL_REQUESTED.value, {"payload": "{}"})
    refusals = [
        lambda: producer.xrange(Stream.PROPOSAL_REQUESTED.value),  # an internal stream
        lambda: producer.flushall(),
        lambda: producer.xadd(Stream.PROPOSAL_REQUESTED.value, {"payload": "{}"}),
        lambda: producer.xadd(f"{producer_streams(source).intake}.dead.gateway", {"a": "b"}),
        lambda: producer.xadd("anything.else", {"a": "b"}),
        lambda: producer.set("key", "value"),
        lambda: producer.xtrim(producer_streams(source).lifecycle, maxlen=0),
        lambda: producer.delete(producer_streams(source).intake),
        lambda: producer.keys("*"),
        lambda: producer.execute_command("ACL", "USERS"),
    ]
    for refused in refusals:
        with pytest.raises(NoPermissionError):
            await refused()
    assert await redis.xlen(Stream.PROPOSAL_REQUESTED.value) == 1


async def test_the_config_line_is_what_redis_accepts_as_a_user(redis: Redis) -> None:
    line = acl_config_line("site-form", "a-password")
    words = line.split()
    assert words[:2] == ["user", "producer-site-form"] and "a-password" not in line
    assert f"%W~{producer_streams('site-form').intake}" in words
    try:
        await redis.execute_command("ACL", "SETUSER", *words[1:])
        described = await redis.execute_command("ACL", "GETUSER", "producer-site-form")
        assert described is not None
        assert "site-form" in await list_producers(redis)
    except ResponseError as error:  # pragma: no cover - the failure to report
        pytest.fail(f"Redis refused the line: {error}")
    finally:
        await redis.execute_command("ACL", "DELUSER", "producer-site-form")


def test_producer_names_cannot_reach_into_other_keys() -> None:
    # A '.' would let producer "crm.dead.gateway" write to crm's dead letters; glob characters would widen a pattern.
    for name in ("crm.dead.gateway", "crm*", "a?", "[ab]", "Crm", "", "-x", "x" * 64):
        with pytest.raises(ValueError, match="not a producer name"):
            producer_streams(name)
