"""The delivery mechanism against a real Redis: ack after success, reclaim, dead letters, back-pressure."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from propos4l.shared.delivery import (
    Consumer,
    ConsumerOptions,
    DeadLetter,
    Delivery,
    PermanentFailure,
    Publisher,
)
from propos4l.shared.envelope import encode
from propos4l.shared.events import ProposalRequest, ProposalRequested
from propos4l.shared.outages import DependencyUnavailable
from propos4l.shared.runtime import connect_redis
from propos4l.shared.streams import ConsumerGroup, Stream, dead_letter_stream, retry_stream
from tests.support.waiting import wait_for, wait_for_sync

pytestmark = pytest.mark.integration

STREAM = Stream.PROPOSAL_REQUESTED
GROUP = ConsumerGroup.GENERATOR
DEAD = dead_letter_stream(STREAM, GROUP)
REPO = Path(__file__).resolve().parents[2]


def _event() -> ProposalRequested:
    request = ProposalRequest(client_name="ACME", industry="Retail", requirements="ERP")
    return ProposalRequested(proposal_id=uuid.uuid4(), version=1, request=request)


@contextlib.asynccontextmanager
async def running(
    redis: Redis,
    handler: Callable[[Delivery], Awaitable[None]],
    *,
    name: str = "replica-a",
    on_dead_letter: Callable[[DeadLetter], Awaitable[None]] | None = None,
    **options: float,
) -> AsyncIterator[Consumer]:
    settings = {"visibility_timeout": 30.0, "block": 0.1, "max_deliveries": 3, "shutdown_grace": 1.0, **options}
    consumer = Consumer(
        redis,
        stream=STREAM,
        group=GROUP,
        consumer=name,
        handler=handler,
        on_dead_letter=on_dead_letter,
        options=ConsumerOptions(**settings),  # type: ignore[arg-type]
    )
    task = asyncio.create_task(consumer.run())
    try:
        yield consumer
    finally:
        await consumer.stop()
        await asyncio.wait_for(task, timeout=10)


async def _pending(redis: Redis) -> int:
    summary = await redis.xpending(STREAM.value, GROUP.value)
    return int(summary["pending"])


async def test_message_is_acknowledged_only_after_the_handler_returns(redis: Redis) -> None:
    release = asyncio.Event()
    seen: list[ProposalRequested] = []

    async def handler(delivery: Delivery) -> None:
        seen.append(delivery.envelope.open(ProposalRequested))
        await release.wait()

    event = _event()
    async with running(redis, handler):
        await Publisher(redis).publish(event)
        await wait_for(lambda: asyncio.sleep(0, bool(seen)))
        assert await _pending(redis) == 1  # being worked on: not acknowledged yet
        release.set()
        await wait_for(lambda: _is_zero(_pending(redis)))
    assert seen == [event]


async def test_messages_handled_together_are_acknowledged_together(redis: Redis, redis_url: str) -> None:
    client = connect_redis(redis_url)
    acknowledge = client.xack
    calls: list[tuple[Any, ...]] = []

    async def counted_xack(*args: Any) -> Any:
        calls.append(args)
        return await acknowledge(*args)

    client.xack = counted_xack  # type: ignore[method-assign]
    release = asyncio.Event()
    started: list[str] = []

    async def handler(delivery: Delivery) -> None:
        started.append(delivery.message_id)
        await release.wait()

    try:
        publisher = Publisher(redis)
        for _ in range(10):
            await publisher.publish(_event())
        async with running(client, handler, concurrency=10):
            await wait_for(lambda: asyncio.sleep(0, len(started) == 10))
            assert await _pending(redis) == 10 and not calls  # nothing acknowledged before its handler returned
            release.set()  # all ten finish in one pass of the event loop
            await wait_for(lambda: _is_zero(_pending(redis)))
    finally:
        await client.aclose()
    assert sorted(message_id for call in calls for message_id in call[2:]) == sorted(started)
    assert len(calls) <= 2  # one XACK for the ten (a second if one was under way when the others came due)


async def test_failed_handler_leaves_message_pending_and_it_is_retried(redis: Redis) -> None:
    attempts: list[int] = []

    async def flaky(delivery: Delivery) -> None:
        attempts.append(delivery.deliveries)
        if len(attempts) == 1:
            raise RuntimeError("database briefly down")

    async with running(redis, flaky, visibility_timeout=0.3):
        await Publisher(redis).publish(_event())
        await wait_for(lambda: asyncio.sleep(0, len(attempts) >= 2), timeout=10)
        await wait_for(lambda: _is_zero(_pending(redis)))
    assert attempts == [1, 2]
    assert await redis.xlen(DEAD) == 0


async def test_consumer_killed_mid_message_is_reclaimed_by_another_replica(
    redis: Redis, redis_url: str, tmp_path: Path
) -> None:
    marker = tmp_path / "taken"
    event = _event()
    await Publisher(redis).publish(event)
    stuck = subprocess.Popen(
        [sys.executable, "-m", "tests.support.stuck_consumer", redis_url, "doomed-replica", str(marker)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        message_id = wait_for_sync(lambda: marker.exists() and marker.read_text(), timeout=30)
    finally:
        stuck.send_signal(signal.SIGKILL)
        stuck.wait(timeout=10)
    pending = await redis.xpending_range(STREAM.value, GROUP.value, min="-", max="+", count=10)
    assert [(p["message_id"], p["consumer"]) for p in pending] == [(message_id, "doomed-replica")]

    finished: list[Delivery] = []

    async def finish(delivery: Delivery) -> None:
        finished.append(delivery)

    async with running(redis, finish, name="survivor", visibility_timeout=0.5):
        await wait_for(lambda: asyncio.sleep(0, bool(finished)), timeout=15)
        await wait_for(lambda: _is_zero(_pending(redis)))
    assert finished[0].message_id == message_id
    assert finished[0].envelope.open(ProposalRequested) == event
    assert finished[0].deliveries == 2


async def test_message_that_always_fails_goes_to_dead_letters_after_max_deliveries(redis: Redis) -> None:
    attempts: list[int] = []
    dead: list[DeadLetter] = []

    async def always_fails(delivery: Delivery) -> None:
        attempts.append(delivery.deliveries)
        raise RuntimeError("bug in the handler")

    async def record(letter: DeadLetter) -> None:
        dead.append(letter)

    event = _event()
    async with running(redis, always_fails, on_dead_letter=record, visibility_timeout=0.2, max_deliveries=3):
        await Publisher(redis).publish(event)
        await wait_for(lambda: asyncio.sleep(0, bool(dead)), timeout=15)
        await wait_for(lambda: _is_zero(_pending(redis)))
    assert attempts == [1, 2, 3]
    assert dead[0].envelope is not None and dead[0].envelope.event_id == event.event_id
    assert "gave up after 3 failed deliveries" in dead[0].reason
    entries = await redis.xrange(DEAD)
    assert len(entries) == 1
    fields = entries[0][1]
    assert fields["original:event_id"] == str(event.event_id)
    assert fields["dead:stream"] == STREAM.value
    assert fields["dead:deliveries"] == "4"


async def test_an_outage_holds_the_message_without_counting_deliveries_and_pauses_the_consumer(redis: Redis) -> None:
    attempts: list[tuple[str, int]] = []
    dead: list[DeadLetter] = []
    database_up = asyncio.Event()

    async def needs_the_database(delivery: Delivery) -> None:
        attempts.append((delivery.message_id, delivery.deliveries))
        if not database_up.is_set():
            raise ConnectionRefusedError(111, "Connect call failed")

    async def record(letter: DeadLetter) -> None:
        dead.append(letter)

    publisher = Publisher(redis)
    async with running(redis, needs_the_database, on_dead_letter=record, visibility_timeout=0.2, max_deliveries=2):
        first = await publisher.publish(_event())
        await wait_for(lambda: asyncio.sleep(0, len(attempts) >= 4), timeout=15)  # retried in place...
        second = await publisher.publish(_event())
        await asyncio.sleep(1.0)  # over twice visibility timeout x max deliveries, with the outage going on
        assert {message_id for message_id, _ in attempts} == {first}  # ...and nothing new read meanwhile
        database_up.set()
        await wait_for(lambda: _is_zero(_pending(redis)), timeout=20)
        await wait_for(lambda: asyncio.sleep(0, any(message_id == second for message_id, _ in attempts)))
    assert {deliveries for _, deliveries in attempts} == {1}
    assert dead == [] and await redis.xlen(DEAD) == 0


async def test_work_done_is_not_done_again_when_only_its_acknowledgement_meets_an_outage(
    redis: Redis, redis_url: str
) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError

    client = connect_redis(redis_url)
    acknowledge = client.xack
    refused: list[str] = []

    async def xack_after_a_blip(*args: Any) -> Any:
        if len(refused) < 3:  # 0.5 s + 1 s + 2 s of pauses: past the give-up time below
            refused.append(str(args))
            raise RedisConnectionError("Connection reset by peer")
        return await acknowledge(*args)

    client.xack = xack_after_a_blip  # type: ignore[method-assign]
    handled: list[int] = []

    async def expensive(delivery: Delivery) -> None:
        handled.append(delivery.deliveries)

    try:
        async with running(client, expensive, outage_give_up=0.5):
            await Publisher(redis).publish(_event())
            await wait_for(lambda: asyncio.sleep(0, len(refused) == 3), timeout=10)
            await wait_for(lambda: _is_zero(_pending(redis)), timeout=10)
    finally:
        await client.aclose()
    assert handled == [1]
    assert await redis.xlen(DEAD) == 0  # done work is never given up on, however long its acknowledgement waits


async def test_a_failure_of_the_message_still_counts_between_outages(redis: Redis) -> None:
    attempts: list[int] = []

    async def poison(delivery: Delivery) -> None:
        attempts.append(delivery.deliveries)
        if len(attempts) % 2:
            raise DependencyUnavailable("postgresql", "PostgreSQL is not answering")
        raise RuntimeError("bug in the handler")

    async with running(redis, poison, visibility_timeout=0.2, max_deliveries=2):
        await Publisher(redis).publish(_event())
        await wait_for(lambda: _dead_count(redis, 1), timeout=20)
    assert attempts == [1, 1, 2, 2]
    fields = (await redis.xrange(DEAD))[0][1]
    assert fields["dead:reason"] == f"gave up after 2 failed deliveries to {GROUP.value}"


async def test_an_outage_that_outlasts_the_give_up_time_dead_letters_with_its_reason(redis: Redis) -> None:
    dead: list[DeadLetter] = []

    async def disk_full(delivery: Delivery) -> None:
        raise DependencyUnavailable("pdf_storage", "no space left on the PDF storage", location="/data/pdfs")

    async def record(letter: DeadLetter) -> None:
        dead.append(letter)

    async with running(redis, disk_full, on_dead_letter=record, outage_give_up=1.0):
        await Publisher(redis).publish(_event())
        await wait_for(lambda: asyncio.sleep(0, bool(dead)), timeout=15)
        await wait_for(lambda: _is_zero(_pending(redis)))
    assert [letter.reason for letter in dead] == ["no space left on the PDF storage"]
    assert dead[0].deliveries == 1
    assert await redis.xlen(DEAD) == 1


async def test_permanent_failure_is_dead_lettered_at_once(redis: Redis) -> None:
    attempts: list[int] = []
    dead: list[DeadLetter] = []

    async def refuses(delivery: Delivery) -> None:
        attempts.append(delivery.deliveries)
        raise PermanentFailure("the proposal is unknown")

    async def record(letter: DeadLetter) -> None:
        dead.append(letter)

    async with running(redis, refuses, on_dead_letter=record):
        await Publisher(redis).publish(_event())
        await wait_for(lambda: asyncio.sleep(0, bool(dead)))
    assert attempts == [1]
    assert dead[0].reason == "the proposal is unknown"


async def test_a_message_is_dead_lettered_once_even_when_its_hook_waits_for_an_outage(redis: Redis) -> None:
    hook_calls: list[str] = []

    async def refuses(delivery: Delivery) -> None:
        raise PermanentFailure("the proposal is unknown")

    async def record_needing_the_database(letter: DeadLetter) -> None:
        hook_calls.append(letter.message_id)
        if len(hook_calls) < 3:
            raise DependencyUnavailable("postgresql", "PostgreSQL is not answering")

    async with running(redis, refuses, on_dead_letter=record_needing_the_database, visibility_timeout=0.2):
        await Publisher(redis).publish(_event())
        await wait_for(lambda: asyncio.sleep(0, len(hook_calls) == 3), timeout=15)
        await wait_for(lambda: _is_zero(_pending(redis)))
    assert await redis.xlen(DEAD) == 1


async def test_unreadable_message_is_dead_lettered_without_reaching_the_handler(redis: Redis) -> None:
    handled: list[Delivery] = []
    dead: list[DeadLetter] = []

    async def handler(delivery: Delivery) -> None:
        handled.append(delivery)

    async def record(letter: DeadLetter) -> None:
        dead.append(letter)

    async with running(redis, handler, on_dead_letter=record):
        await redis.xadd(STREAM.value, {"garbage": "yes"})
        await wait_for(lambda: asyncio.sleep(0, bool(dead)))
    assert handled == []
    assert dead[0].envelope is None and "unreadable message" in dead[0].reason


async def test_a_replica_takes_no_more_messages_than_its_concurrency(redis: Redis) -> None:
    release = asyncio.Event()
    active: list[str] = []
    most = 0

    async def slow(delivery: Delivery) -> None:
        nonlocal most
        active.append(delivery.message_id)
        most = max(most, len(active))
        await release.wait()
        active.remove(delivery.message_id)

    publisher = Publisher(redis)
    for _ in range(5):
        await publisher.publish(_event())
    async with running(redis, slow, concurrency=2):
        await wait_for(lambda: asyncio.sleep(0, len(active) == 2))
        info = await redis.xinfo_consumers(STREAM.value, GROUP.value)
        assert info[0]["pending"] == 2  # the other three stay in the stream for other replicas
        release.set()
        await wait_for(lambda: _is_zero(_pending(redis)))
    assert most == 2


async def test_replayed_messages_count_toward_the_concurrency_too(redis: Redis) -> None:
    release = asyncio.Event()
    active: list[str] = []

    async def slow(delivery: Delivery) -> None:
        active.append(delivery.message_id)
        await release.wait()

    for _ in range(3):
        await Publisher(redis).publish(_event())
        await redis.xadd(retry_stream(STREAM, GROUP), encode(_event(), {}))  # type: ignore[arg-type]
    async with running(redis, slow, concurrency=2):
        await wait_for(lambda: asyncio.sleep(0, len(active) == 2))
        taken = 0
        for source in (STREAM.value, retry_stream(STREAM, GROUP)):
            taken += sum(int(entry["pending"]) for entry in await redis.xinfo_consumers(source, GROUP.value))
        assert taken == 2  # the rest stay in their streams for other replicas
        release.set()


async def test_slow_work_is_not_stolen_while_its_replica_is_alive(redis: Redis) -> None:
    taken_by: list[str] = []
    release = asyncio.Event()

    def handler_for(name: str) -> Callable[[Delivery], Awaitable[None]]:
        async def handler(delivery: Delivery) -> None:
            taken_by.append(name)
            await release.wait()

        return handler

    async with running(redis, handler_for("a"), name="a", visibility_timeout=0.6):
        await Publisher(redis).publish(_event())
        await wait_for(lambda: asyncio.sleep(0, taken_by == ["a"]))
        async with running(redis, handler_for("b"), name="b", visibility_timeout=0.6):
            await asyncio.sleep(2.0)  # over three visibility timeouts: the heartbeat must keep the message with a
            assert taken_by == ["a"]
            release.set()
            await wait_for(lambda: _is_zero(_pending(redis)))


async def test_shutdown_leaves_unfinished_work_pending_for_another_replica(redis: Redis) -> None:
    async def never_finishes(delivery: Delivery) -> None:
        await asyncio.Event().wait()

    started = asyncio.Event()

    async def signal_start(delivery: Delivery) -> None:
        started.set()
        await never_finishes(delivery)

    async with running(redis, signal_start, shutdown_grace=0.1):
        await Publisher(redis).publish(_event())
        await asyncio.wait_for(started.wait(), timeout=10)
    assert await _pending(redis) == 1


async def _orphaned_by_a_dead_replica(redis: Redis, count: int) -> list[str]:
    """`count` messages read by a replica that then died, idle for long already: all due for reclaim."""
    publisher = Publisher(redis)
    for _ in range(count):
        await publisher.publish(_event())
    await redis.xgroup_create(STREAM.value, GROUP.value, id="0", mkstream=True)
    read = await redis.xreadgroup(GROUP.value, "dead-replica", {STREAM.value: ">"}, count=count)
    ids = [str(message_id) for message_id, _ in read[0][1]]
    await redis.xclaim(STREAM.value, GROUP.value, "dead-replica", 0, ids, idle=3_600_000, justid=True)
    return ids


async def test_a_dead_replicas_backlog_is_reclaimed_as_fast_as_there_are_free_slots(redis: Redis) -> None:
    ids = await _orphaned_by_a_dead_replica(redis, 12)
    handled: list[str] = []

    async def quick(delivery: Delivery) -> None:
        handled.append(delivery.message_id)

    # A reclaim round every 5 s (half the visibility timeout, at most 5 s) took 2 messages a round: 30 s for 12.
    async with running(redis, quick, visibility_timeout=10.0, concurrency=2):
        await wait_for(lambda: asyncio.sleep(0, len(handled) == len(ids)), timeout=8, message="reclaim too slow")
    assert sorted(handled) == sorted(ids)


async def test_a_replica_that_stops_hands_its_work_back_at_once_without_counting_it(redis: Redis) -> None:
    started = asyncio.Event()

    async def never_finishes(delivery: Delivery) -> None:
        started.set()
        await asyncio.Event().wait()

    finished: list[Delivery] = []

    async def finish(delivery: Delivery) -> None:
        finished.append(delivery)

    async with running(redis, never_finishes, name="stopping", visibility_timeout=60.0, shutdown_grace=0.1):
        await Publisher(redis).publish(_event())
        await asyncio.wait_for(started.wait(), timeout=10)
    consumers = {entry["name"] for entry in await redis.xinfo_consumers(STREAM.value, GROUP.value)}
    assert "stopping" not in consumers  # it left the group, its message did not go with it
    assert await _pending(redis) == 1
    async with running(redis, finish, name="taker", visibility_timeout=60.0):
        await wait_for(lambda: asyncio.sleep(0, bool(finished)), timeout=10, message="not handed back at once")
    assert finished[0].deliveries == 1  # the shutdown was not the message's fault


async def test_consumers_of_dead_processes_leave_the_group_after_a_while(redis: Redis) -> None:
    busy_ids = await _orphaned_by_a_dead_replica(redis, 1)
    await redis.xgroup_createconsumer(STREAM.value, GROUP.value, "restarted-long-ago")
    release, taken = asyncio.Event(), asyncio.Event()

    async def slow(delivery: Delivery) -> None:
        taken.set()
        await release.wait()

    async def names() -> set[str]:
        return {entry["name"] for entry in await redis.xinfo_consumers(STREAM.value, GROUP.value)}

    async def forgotten() -> bool:
        return "restarted-long-ago" not in await names()

    try:
        async with running(redis, slow, name="live", visibility_timeout=7200.0, forget_consumers_after=0.5):
            await Publisher(redis).publish(_event())
            await asyncio.wait_for(taken.wait(), timeout=10)
            await wait_for(forgotten, timeout=10, message="the idle consumer stayed in the group")
            await asyncio.sleep(1.0)  # twice the idle limit: consumers with pending work are still there
            assert await names() == {"live", "dead-replica"}
            release.set()
    finally:
        release.set()
    assert len(busy_ids) == 1


async def _is_zero(count: Awaitable[int]) -> bool:
    return await count == 0


async def test_dead_letters_are_listed_and_replayed_to_their_group(redis: Redis, redis_url: str) -> None:
    from propos4l.shared.deadletters import list_dead_letters, replay_dead_letters

    async def always_fails(delivery: Delivery) -> None:
        raise PermanentFailure("template missing")

    event = _event()
    async with running(redis, always_fails):
        await Publisher(redis).publish(event)
        await wait_for(lambda: _dead_count(redis, 1))
    listed = await list_dead_letters(redis_url)
    assert [(entry["dead_letter_stream"], entry["dead:reason"]) for entry in listed] == [(DEAD, "template missing")]

    handled: list[ProposalRequested] = []

    async def works_now(delivery: Delivery) -> None:
        handled.append(delivery.envelope.open(ProposalRequested))

    assert await replay_dead_letters(redis_url, DEAD) == 1
    assert await redis.xlen(DEAD) == 0
    assert await redis.xlen(retry_stream(STREAM, GROUP)) == 1
    async with running(redis, works_now):
        await wait_for(lambda: asyncio.sleep(0, bool(handled)))
    assert handled == [event]


async def test_a_replay_reaches_only_the_group_that_gave_up(redis: Redis, redis_url: str) -> None:
    from propos4l.shared.deadletters import replay_dead_letters

    stream, failing_group = Stream.PROPOSAL_DRAFTED, ConsumerGroup.GATEWAY  # the renderer reads this stream too
    seen: dict[ConsumerGroup, list[str]] = {ConsumerGroup.RENDERER: [], ConsumerGroup.GATEWAY: []}
    broken = True

    def handler_of(group: ConsumerGroup) -> Callable[[Delivery], Awaitable[None]]:
        async def handler(delivery: Delivery) -> None:
            seen[group].append(str(delivery.envelope.event_id))
            if group is failing_group and broken:
                raise PermanentFailure("database schema too old")

        return handler

    consumers = [
        Consumer(
            redis,
            stream=stream,
            group=group,
            consumer=f"{group.value}-1",
            handler=handler_of(group),
            options=ConsumerOptions(block=0.1, shutdown_grace=1.0),
        )
        for group in seen
    ]
    tasks = [asyncio.create_task(consumer.run()) for consumer in consumers]
    dead = dead_letter_stream(stream, failing_group)
    try:
        event = _event()
        await redis.xadd(stream.value, encode(event, {}))  # type: ignore[arg-type]
        await wait_for(lambda: _length_is(redis, dead, 1))
        broken = False
        assert await replay_dead_letters(redis_url, dead) == 1
        await wait_for(lambda: asyncio.sleep(0, len(seen[failing_group]) == 2))
        await wait_for(lambda: _is_zero(_group_pending(redis, retry_stream(stream, failing_group), failing_group)))
    finally:
        for consumer in consumers:
            await consumer.stop()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)
    assert seen[ConsumerGroup.RENDERER] == [str(event.event_id)]  # handled once: the replay was not for it
    assert seen[failing_group] == [str(event.event_id)] * 2
    assert await redis.xlen(dead) == 0


async def _length_is(redis: Redis, stream: str, expected: int) -> bool:
    return int(await redis.xlen(stream)) == expected


async def _group_pending(redis: Redis, stream: str, group: ConsumerGroup) -> int:
    summary = await redis.xpending(stream, group.value)
    return int(summary["pending"])


async def _dead_count(redis: Redis, expected: int) -> bool:
    return int(await redis.xlen(DEAD)) == expected


async def test_shutdown_moves_on_when_a_handler_ignores_its_cancellation(redis: Redis) -> None:
    started = asyncio.Event()
    release = asyncio.Event()

    async def stubborn(delivery: Delivery) -> None:
        started.set()
        while not release.is_set():
            with contextlib.suppress(asyncio.CancelledError):  # a library that swallows the cancellation
                await release.wait()

    try:
        async with running(redis, stubborn, shutdown_grace=0.1):  # the consumer must still stop within 10 s
            await Publisher(redis).publish(_event())
            await asyncio.wait_for(started.wait(), timeout=10)
        assert await _pending(redis) == 1, "the abandoned message stays pending for another replica"
    finally:
        release.set()


async def test_a_cancelled_publish_never_carries_on_as_if_not_cancelled(redis: Redis) -> None:
    # redis-py sends through asyncio.wait_for, which on Python 3.11 can drop a cancellation that arrives as the
    # command completes; the publisher must raise it anyway, or a handler told to stop keeps working.
    publisher = Publisher(redis)
    carried_on = 0
    for attempt in range(400):

        async def publish_then_continue() -> None:
            nonlocal carried_on
            await publisher.publish(_event())
            carried_on += 1

        task = asyncio.create_task(publish_then_continue())
        await asyncio.sleep((attempt % 40) / 40_000)  # spread the cancel over the whole command
        cancel_requested = task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if not cancel_requested:  # finished before the cancel: fine
            carried_on -= 1
    assert carried_on == 0
