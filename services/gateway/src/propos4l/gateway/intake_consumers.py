"""The producers' intake streams: found as Redis users (`producer-<name>`, ACL USERS) and read with one consumer each,
all sharing the intake's handler slots (ADR 0018)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from propos4l.shared.aio import wait_event
from propos4l.shared.delivery import Consumer
from propos4l.shared.producer_access import list_producers
from propos4l.shared.streams import ProducerStreams, producer_streams

__all__ = ["ProducerIntake"]

logger = logging.getLogger(__name__)


class ProducerIntake:
    """Starts a consumer of each producer's intake stream as the producer appears in Redis's users, every
    `scan_seconds`. A producer whose user is deleted keeps its consumer until the gateway restarts (its stream may
    still hold requests); no producer can write to it any more."""

    def __init__(
        self,
        redis: Redis,
        consumer_of: Callable[[ProducerStreams], Consumer],
        scan_seconds: float = 5.0,
    ) -> None:
        self._redis = redis
        self._consumer_of = consumer_of
        self._scan_seconds = scan_seconds
        self._consumers: dict[str, tuple[Consumer, asyncio.Task[None]]] = {}
        self._refused_logged = False

    def producers(self) -> list[str]:
        """The producers whose intake streams are read, sorted."""
        return sorted(self._consumers)

    def streams(self) -> list[ProducerStreams]:
        """The streams of the producers known so far (stream retention trims them)."""
        return [producer_streams(producer) for producer in self.producers()]

    async def scan(self) -> list[str]:
        """Look for new producers now and start reading their streams; the producers started."""
        try:
            found = await list_producers(self._redis)
        except RedisError as error:
            if not self._refused_logged:  # e.g. a gateway user without ACL USERS: no producer can be found
                logger.error("cannot list the producers' Redis users", extra={"error": str(error)})
                self._refused_logged = True
            return []
        started = []
        for producer in found:
            if producer in self._consumers:
                continue
            consumer = self._consumer_of(producer_streams(producer))
            task = asyncio.create_task(consumer.run(), name=f"consume {consumer.stream}")
            self._consumers[producer] = (consumer, task)
            started.append(producer)
        if started:
            logger.info("reading the intake streams of new producers", extra={"producers": started})
        return started

    async def run(self, stop: asyncio.Event) -> None:
        """Scan and read until `stop` is set; then stop every consumer and wait for them."""
        try:
            while not stop.is_set():
                await self.scan()
                await wait_event(stop, self._scan_seconds)
        finally:
            for consumer, _ in self._consumers.values():
                await consumer.stop()
            tasks = [task for _, task in self._consumers.values()]
            results = await asyncio.gather(*tasks, return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                    logger.error("intake consumer failed", exc_info=result)
