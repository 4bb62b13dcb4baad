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
    """Keeps one consumer per producer in Redis's users, checked every `scan_seconds`: a consumer is started for a
    producer whose user appears, and stopped for one whose user is deleted (`propos4l intake revoke`), no restart
    needed. A stopped consumer finishes or hands back its in-flight messages and leaves the group; what its stream
    still holds unread stays there, read again if the producer is made again."""

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
        self._seen: set[str] = set()
        self._refused_logged = False

    def producers(self) -> list[str]:
        """The producers whose intake streams are read, sorted."""
        return sorted(self._consumers)

    def streams(self) -> list[ProducerStreams]:
        """The streams of every producer read since the start, revoked ones too (stream retention trims them)."""
        return [producer_streams(producer) for producer in sorted(self._seen)]

    async def scan(self) -> tuple[list[str], list[str]]:
        """Compare the consumers with Redis's producers now: start the new producers', stop the deleted ones'; the
        producers started and those stopped."""
        try:
            found = await list_producers(self._redis)
        except RedisError as error:  # nothing is stopped on a failed look: no answer is not "no producers"
            if not self._refused_logged:  # e.g. a gateway user without ACL USERS: no producer can be found
                logger.error("cannot list the producers' Redis users", extra={"error": str(error)})
                self._refused_logged = True
            return [], []
        started = [producer for producer in found if producer not in self._consumers]
        for producer in started:
            consumer = self._consumer_of(producer_streams(producer))
            task = asyncio.create_task(consumer.run(), name=f"consume {consumer.stream}")
            self._consumers[producer] = (consumer, task)
            self._seen.add(producer)
        if started:
            logger.info("reading the intake streams of new producers", extra={"producers": started})
        stopped = sorted(set(self._consumers) - set(found))
        if stopped:
            await self._stop([self._consumers.pop(producer) for producer in stopped])
            logger.info("stopped reading the intake streams of deleted producers", extra={"producers": stopped})
        return started, stopped

    async def run(self, stop: asyncio.Event) -> None:
        """Scan and read until `stop` is set; then stop every consumer and wait for them."""
        try:
            while not stop.is_set():
                await self.scan()
                await wait_event(stop, self._scan_seconds)
        finally:
            await self._stop(list(self._consumers.values()))
            self._consumers.clear()

    @staticmethod
    async def _stop(consumers: list[tuple[Consumer, asyncio.Task[None]]]) -> None:
        for consumer, _ in consumers:
            await consumer.stop()
        results = await asyncio.gather(*(task for _, task in consumers), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, asyncio.CancelledError):
                logger.error("intake consumer failed", exc_info=result)
