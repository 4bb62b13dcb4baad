"""Running a service process: signals, Redis client, and the consumers it owns."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence

from redis.asyncio import Redis

from propos4l.shared.delivery import Consumer, ConsumerOptions
from propos4l.shared.settings import DeliverySettings

__all__ = ["connect_redis", "consumer_options", "run_consumers", "run_until_signalled"]

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
