"""A producer's Redis user, on the real Redis of the test run: it may XADD to the intake stream and read the public
streams, and nothing else."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
from redis.asyncio import Redis
from redis.exceptions import NoPermissionError, ResponseError

from propos4l.shared.localrun.servers import LocalRedis
from propos4l.shared.producer_access import acl_config_line, apply_producer, new_password, producer_user
from propos4l.shared.streams import Stream

pytestmark = pytest.mark.integration


@pytest.fixture
async def producer(redis: Redis, redis_server: LocalRedis) -> AsyncIterator[Redis]:
    source = f"crm-{uuid.uuid4().hex[:8]}"
    password = new_password()
    await apply_producer(redis, source, password)
    where = urlsplit(redis_server.url)
    client = Redis(
        host=where.hostname or "127.0.0.1",
        port=where.port or 6379,
        username=producer_user(source),
        password=password,
        decode_responses=True,
    )
    try:
        yield client
    finally:
        await client.aclose()
        await redis.execute_command("ACL", "DELUSER", producer_user(source))


async def test_a_producer_may_add_intake_requests_and_read_the_public_streams(producer: Redis, redis: Redis) -> None:
    await redis.xadd(Stream.PROPOSAL_LIFECYCLE.value, {"payload": "{}"})
    await redis.xadd(Stream.INTAKE_REJECTED.value, {"payload": "{}"})
    entry = await producer.xadd(Stream.INTAKE_PROPOSAL_REQUESTED.value, {"schema_version": "1"})
    assert await redis.xrange(Stream.INTAKE_PROPOSAL_REQUESTED.value) == [(entry, {"schema_version": "1"})]
    assert len(await producer.xrange(Stream.PROPOSAL_LIFECYCLE.value)) == 1
    assert len(await producer.xrange(Stream.INTAKE_REJECTED.value)) == 1
    # Following the lifecycle with a consumer group of its own.
    await producer.xgroup_create(Stream.PROPOSAL_LIFECYCLE.value, "crm-followers", id="0")
    read = await producer.xreadgroup("crm-followers", "one", {Stream.PROPOSAL_LIFECYCLE.value: ">"}, count=10)
    message_id = read[0][1][0][0]
    assert await producer.xack(Stream.PROPOSAL_LIFECYCLE.value, "crm-followers", message_id) == 1


async def test_a_producer_can_read_or_write_nothing_else(producer: Redis, redis: Redis) -> None:
    await redis.xadd(Stream.PROPOSAL_REQUESTED.value, {"payload": "{}"})
    refusals = [
        lambda: producer.xrange(Stream.PROPOSAL_REQUESTED.value),  # an internal stream
        lambda: producer.xrange(Stream.INTAKE_PROPOSAL_REQUESTED.value),  # other producers' requests
        lambda: producer.flushall(),
        lambda: producer.xadd(Stream.PROPOSAL_REQUESTED.value, {"payload": "{}"}),
        lambda: producer.xadd(Stream.PROPOSAL_LIFECYCLE.value, {"payload": "{}"}),  # the public streams are read-only
        lambda: producer.xadd("anything.else", {"a": "b"}),
        lambda: producer.set("key", "value"),
        lambda: producer.xtrim(Stream.PROPOSAL_LIFECYCLE.value, maxlen=0),
        lambda: producer.delete(Stream.INTAKE_PROPOSAL_REQUESTED.value),
        lambda: producer.keys("*"),
    ]
    for refused in refusals:
        with pytest.raises(NoPermissionError):
            await refused()
    assert await redis.xlen(Stream.PROPOSAL_REQUESTED.value) == 1


async def test_the_config_line_is_what_redis_accepts_as_a_user(redis: Redis) -> None:
    line = acl_config_line("site-form", "a-password")
    words = line.split()
    assert words[:2] == ["user", "producer-site-form"] and "a-password" not in line
    try:
        await redis.execute_command("ACL", "SETUSER", *words[1:])
        described = await redis.execute_command("ACL", "GETUSER", "producer-site-form")
        assert described is not None
    except ResponseError as error:  # pragma: no cover - the failure to report
        pytest.fail(f"Redis refused the line: {error}")
    finally:
        await redis.execute_command("ACL", "DELUSER", "producer-site-form")
