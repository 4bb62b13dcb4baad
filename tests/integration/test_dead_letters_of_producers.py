"""`propos4l dead-letters list/show/replay` know the producers' intake streams' dead letters, on a real Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis

from propos4l.shared.cli import main
from propos4l.shared.deadletters import dead_letter_owner
from propos4l.shared.delivery import Consumer, ConsumerOptions, Delivery, PermanentFailure
from propos4l.shared.intake import intake_envelope
from propos4l.shared.streams import ConsumerGroup, dead_letter_stream, producer_streams, retry_stream
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

CRM = producer_streams("crm")
CRM_DEAD = dead_letter_stream(CRM.intake, ConsumerGroup.GATEWAY)
FIELDS = {"schema_version": "1", "source": "crm", "idempotency_key": "k-1", "request": "{}"}


@contextlib.asynccontextmanager
async def reading_crm(redis: Redis, handler: Callable[[Delivery], Awaitable[None]]) -> AsyncIterator[None]:
    """The gateway's consumer of the producer's intake stream, as `ProducerIntake` makes it (with its reader)."""
    consumer = Consumer(
        redis,
        stream=CRM.intake,
        group=ConsumerGroup.GATEWAY,
        consumer="gateway-1",
        handler=handler,
        reader=intake_envelope,
        options=ConsumerOptions(block=0.1, shutdown_grace=1.0, max_deliveries=2, visibility_timeout=0.2),
    )
    task = asyncio.create_task(consumer.run())
    try:
        yield
    finally:
        await consumer.stop()
        await asyncio.wait_for(task, timeout=10)


async def test_a_producers_dead_letters_are_listed_shown_and_replayed_to_its_consumer(
    redis: Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)

    async def refuses(delivery: Delivery) -> None:
        raise PermanentFailure("the database schema is too old")

    async with reading_crm(redis, refuses):
        entry_id = await redis.xadd(CRM.intake, FIELDS)  # type: ignore[arg-type]
        await wait_for(lambda: _length_is(redis, CRM_DEAD, 1))

    assert await _run(["dead-letters", "list"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(entry["dead_letter_stream"], entry["dead:reason"]) for entry in listed] == [
        (CRM_DEAD, "the database schema is too old")
    ]
    assert await _run(["dead-letters", "show", CRM_DEAD]) == 0
    shown = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [entry["original:idempotency_key"] for entry in shown] == ["k-1"]

    assert await _run(["dead-letters", "replay", CRM_DEAD]) == 0
    assert "replayed 1 message(s)" in capsys.readouterr().out
    assert await redis.xlen(CRM_DEAD) == 0
    assert await redis.xlen(retry_stream(CRM.intake, ConsumerGroup.GATEWAY)) == 1
    handled: list[str] = []

    async def works_now(delivery: Delivery) -> None:
        handled.append(delivery.message_id)

    async with reading_crm(redis, works_now):
        await wait_for(lambda: asyncio.sleep(0, bool(handled)))
    replayed: list[tuple[str, dict[str, str]]] = await redis.xrange(  # type: ignore[assignment]
        retry_stream(CRM.intake, ConsumerGroup.GATEWAY)
    )
    assert handled == [replayed[0][0]] != [entry_id]  # from the retry stream, not the intake read again


async def test_only_dead_letter_streams_are_shown_or_replayed(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    for stream in (CRM.intake, CRM.lifecycle, f"{CRM.intake}.retry.gateway.dead.gateway"):
        assert dead_letter_owner(stream) is None
        with pytest.raises(SystemExit, match="is not a dead-letter stream"):
            await _run(["dead-letters", "replay", stream])
    assert dead_letter_owner(CRM_DEAD) == (CRM.intake, ConsumerGroup.GATEWAY)


async def _length_is(redis: Redis, stream: str, expected: int) -> bool:
    return int(await redis.xlen(stream)) == expected


async def _run(arguments: list[str]) -> int:
    return await asyncio.to_thread(main, arguments)
