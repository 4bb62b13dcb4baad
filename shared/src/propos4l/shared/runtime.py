"""Running a service process: signals, Redis client, and the consumers it owns."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Mapping, Sequence

from redis.asyncio import Redis

from propos4l.shared.delivery import Capacity, Consumer, ConsumerOptions, DeadLetterHook, Handler, Reader
from propos4l.shared.envelope import decode
from propos4l.shared.settings import DeliverySettings
from propos4l.shared.streams import ConsumerGroup, Stream, streams_read_by

__all__ = ["connect_redis", "consumer_options", "group_consumers", "run_consumers", "run_until_signalled"]

logger = logging.getLogger(__name__)


def connect_redis(url: str) -> Redis:
    """A Redis client for the streams (text responses, health-checked connections)."""
    return Redis.from_url(url, decode_responses=True, health_check_interval=30, socket_keepalive=True)


def consumer_options(settings: DeliverySettings, concurrency: int = 1) -> ConsumerOptions:
    """The delivery options a service's settings ask for."""
    return ConsumerOptions(
        concurrency=concurrency,
        visibility_timeout=settings.delivery_visibility_timeout_seconds,
        max_deliveries=settings.delivery_max_deliveries,
        shutdown_grace=settings.delivery_shutdown_grace_seconds,
        outage_give_up=settings.delivery_outage_give_up_seconds,
    )


def group_consumers(
    redis: Redis,
    group: ConsumerGroup,
    handlers: Mapping[Stream, Handler],
    *,
    consumer: str,
    on_dead_letter: DeadLetterHook | None,
    options: ConsumerOptions,
    capacity: Capacity | None = None,
    readers: Mapping[Stream, Reader] | None = None,
    options_for: Mapping[Stream, ConsumerOptions] | None = None,
) -> list[Consumer]:
    """One consumer per stream `group` reads, with its handler from `handlers`.

    `options_for` gives some streams their own pacing; `readers` names the streams whose entries are not Propos4l
    envelopes (the public intake) and how to read them.
    Which streams a group reads is declared once, in `propos4l.shared.streams.CONSUMERS` (stream retention trims
    behind the groups it names); a handler table that leaves one out or adds another stops the service at start.
    """
    declared = streams_read_by(group)
    missing = [stream.value for stream in declared if stream not in handlers]
    extra = [stream.value for stream in handlers if stream not in declared]
    if missing or extra:
        raise ValueError(
            f"the {group.value} handlers disagree with CONSUMERS in propos4l.shared.streams: "
            f"no handler for {missing or 'none'}, handlers for streams it does not list: {extra or 'none'}"
        )
    return [
        Consumer(
            redis,
            stream=stream,
            group=group,
            consumer=consumer,
            handler=handlers[stream],
            on_dead_letter=on_dead_letter,
            options=(options_for or {}).get(stream, options),
            capacity=capacity,
            reader=(readers or {}).get(stream, decode),
        )
        for stream in declared
    ]


async def run_consumers(consumers: Sequence[Consumer], stop: asyncio.Event) -> None:
    """Run `consumers` until `stop` is set, then stop them and wait for them to finish."""
    tasks = [asyncio.create_task(consumer.run(), name=f"consume {consumer.stream}") for consumer in consumers]
    stopped = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([*tasks, stopped], return_when=asyncio.FIRST_COMPLETED)
    for consumer in consumers:
        await consumer.stop()
    await asyncio.gather(*tasks, return_exceptions=True)
    stopped.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await stopped
    for task in done:
        if task is not stopped and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


def run_until_signalled(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run `main(stop)` in a fresh event loop; SIGTERM and SIGINT set `stop`."""

    async def runner() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await main(stop)

    asyncio.run(runner())
