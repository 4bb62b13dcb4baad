"""At-least-once delivery over Redis Streams, the one mechanism every consumer uses.

- A message is acknowledged only after its handler returned, i.e. after the handler's effect is durable.
- A handler that raises leaves the message pending; after `visibility_timeout` any live replica reclaims it
  (XAUTOCLAIM), including the messages of a replica that died mid-work.
- While a handler works, its messages' idle time is reset (a heartbeat), so slow work is not stolen.
- A handler that fails because a dependency is down (`propos4l.shared.outages`) is not the message's fault: the
  message is held and retried in place with a growing pause, so Redis counts no new delivery, and the consumer reads
  nothing new until it succeeds. Held longer than `outage_give_up`, it is dead-lettered with the outage's reason.
- A message delivered more than `max_deliveries` times, one that is not a well-formed message, or one whose handler
  raises PermanentFailure goes to the group's dead-letter stream, and `on_dead_letter` is told why (services use it to
  mark the proposal failed). The hook runs first, then the dead letter and the acknowledgement go in one transaction.
- A replica reads no more messages than it has free handler slots (`concurrency`).
- Acknowledgements that come due while one is under way go to Redis together, in one XACK per stream: each message
  is still acknowledged only after its own handler returned.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from propos4l.shared.aio import checkpoint, wait_event
from propos4l.shared.consumer_groups import forget_idle_consumers, hand_back
from propos4l.shared.envelope import Envelope, EnvelopeError, decode, encode
from propos4l.shared.events import Event, FailureStage, ProposalFailed, derived_event_id
from propos4l.shared.grouped_calls import GroupedCalls
from propos4l.shared.outages import DependencyUnavailable, OutageWait, dependency_outage
from propos4l.shared.streams import ConsumerGroup, Stream, dead_letter_stream, retry_stream
from propos4l.shared.telemetry import count_dead_letter, mark_consumer_paused, processing, publishing, watch_stream

__all__ = [
    "Capacity",
    "Consumer",
    "ConsumerOptions",
    "DeadLetter",
    "DeadLetterHook",
    "Delivery",
    "Handler",
    "PermanentFailure",
    "Publisher",
    "Reader",
    "dead_letter_failure",
    "default_consumer_name",
    "ensure_group",
]

logger = logging.getLogger(__name__)

_RETRY_PAUSE_SECONDS: Final = 1.0
_CANCEL_WAIT_SECONDS: Final = 5.0  # how long a stopping consumer waits for cancelled work to unwind


class PermanentFailure(Exception):
    """Raised by a handler when retrying cannot help: the message goes to the dead-letter stream at once."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery of a well-formed message to a handler."""

    message_id: str
    envelope: Envelope
    deliveries: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A message given up on: where it came from, why, and its envelope when it could be read."""

    stream: str
    group: str
    message_id: str
    fields: Mapping[str, str]
    reason: str
    deliveries: int
    envelope: Envelope | None


def dead_letter_failure(dead: DeadLetter, stage: FailureStage, service: str) -> ProposalFailed | None:
    """The failure event that records a dead-lettered message on its proposal (None when unreadable)."""
    envelope = dead.envelope
    if envelope is None or envelope.proposal_id is None or envelope.version is None or envelope.version < 1:
        return None
    return ProposalFailed(
        event_id=derived_event_id(envelope.event_id, f"dead-letter:{dead.group}"),
        proposal_id=envelope.proposal_id,
        version=envelope.version,
        stage=stage,
        detail=f"the {service} gave up on this proposal: {dead.reason}",
    )


Handler = Callable[[Delivery], Awaitable[None]]
Reader = Callable[[Mapping[str, Any]], Envelope]
"""How a consumer reads a stream entry: `decode` for Propos4l's own events; the public intake stream has its own."""
DeadLetterHook = Callable[[DeadLetter], Awaitable[None]]


def default_consumer_name(service: str) -> str:
    """A consumer name unique to this process: the service, the host and the pid."""
    return f"{service}-{socket.gethostname()}-{os.getpid()}"


async def ensure_group(redis: Redis, stream: str, group: str) -> None:
    """Create the consumer group (and the stream) if they do not exist yet."""
    try:
        await redis.xgroup_create(stream, group, id="0", mkstream=True)
    except ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise


class Publisher:
    """Appends events to their streams."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def publish(self, event: Event, headers: Mapping[str, str] | None = None, *, to: str | None = None) -> str:
        """Append `event` to its stream (or to `to`, a producer's own copy of it) and return the entry id Redis gave
        it."""
        with publishing(event, headers) as outgoing:  # the send span, its context written into the headers
            entry_id = await self._redis.xadd(to or event.stream.value, encode(event, outgoing.headers))  # type: ignore[arg-type]
            outgoing.sent(str(entry_id))
        checkpoint()  # a cancellation lost inside redis-py (see propos4l.shared.aio) stops the publisher's task here
        return str(entry_id)


@dataclass(frozen=True, slots=True)
class ConsumerOptions:
    """How a consumer paces itself."""

    concurrency: int = 1
    visibility_timeout: float = 60.0
    max_deliveries: int = 5
    block: float = 1.0
    shutdown_grace: float = 10.0
    outage_give_up: float = 3600.0  # a message held this long through an outage is dead-lettered; 0: never
    forget_consumers_after: float = 3600.0  # consumers idle this long with nothing pending leave the group

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.max_deliveries < 1:
            raise ValueError("concurrency and max_deliveries must be at least 1")
        if self.visibility_timeout <= 0 or self.block <= 0 or self.forget_consumers_after <= 0:
            raise ValueError("visibility_timeout, block and forget_consumers_after must be positive")
        if self.shutdown_grace < 0 or self.outage_give_up < 0:
            raise ValueError("shutdown_grace and outage_give_up must not be negative")


class Capacity:
    """How many messages a replica may work on at once; consumers of several streams can share one."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError("a capacity needs at least one slot")
        self.slots = slots
        self.taken = 0
        self.freed = asyncio.Event()

    def free(self) -> int:
        """Slots not taken."""
        return self.slots - self.taken

    def take(self) -> None:
        """One more message is being worked on."""
        self.taken += 1

    def release(self) -> None:
        """A message is settled: wake whoever waits for a slot."""
        self.taken -= 1
        self.freed.set()


class Consumer:
    """Reads one stream as one member of a consumer group and hands each message to `handler`.

    It also reads the group's retry stream (`retry_stream`), where `propos4l dead-letters replay` puts the group's
    dead letters back, so that a replay reaches this group only.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        stream: Stream | str,
        group: ConsumerGroup,
        consumer: str,
        handler: Handler,
        on_dead_letter: DeadLetterHook | None = None,
        options: ConsumerOptions = ConsumerOptions(),
        capacity: Capacity | None = None,
        reader: Reader = decode,
    ) -> None:
        self._redis = redis
        self._reader = reader
        self.stream = str(stream)
        self.group = group.value
        self.consumer = consumer
        self.dead_letter_stream = dead_letter_stream(stream, group)
        self.retry_stream = retry_stream(stream, group)
        self._sources = (self.stream, self.retry_stream)
        self._handler = handler
        self._on_dead_letter = on_dead_letter
        self._options = options
        self._in_flight: dict[_Key, asyncio.Task[None]] = {}
        self._capacity = capacity or Capacity(options.concurrency)
        self._stopping = asyncio.Event()
        self._reclaim_cursors = dict.fromkeys(self._sources, "0-0")
        self._held: dict[_Key, DependencyUnavailable] = {}  # messages retried in place while a dependency is down
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._interrupted: set[_Key] = set()  # work the shutdown cut short: handed back without counting
        self._acks: GroupedCalls[_Key, None] = GroupedCalls(self._acknowledge, let_others_join=True)
        self._next_retry_look = 0.0

    async def run(self) -> None:
        """Consume until `stop()` is called; survives Redis outages by retrying."""
        heartbeat = asyncio.create_task(self._heartbeat(), name=f"heartbeat {self.stream}")
        gauges = watch_stream(self._redis, self.stream, self.group, self.dead_letter_stream)
        try:
            while not self._stopping.is_set():
                try:
                    await self._ensure_groups()
                    await self._consume()
                except (RedisError, OSError) as error:
                    if self._stopping.is_set():
                        break
                    logger.warning(
                        "redis unavailable, retrying",
                        extra={"stream": self.stream, "group": self.group, "error": str(error)},
                    )
                    await self._pause(_RETRY_PAUSE_SECONDS)
        finally:
            heartbeat.cancel()
            await _settle([heartbeat], _CANCEL_WAIT_SECONDS, f"heartbeat of {self.stream}")
            await gauges.close()
            await self._drain()
            await self._hand_back()

    async def stop(self) -> None:
        """Stop reading; in-flight work gets `shutdown_grace` seconds, then is cancelled and left pending."""
        self._stopping.set()

    async def _ensure_groups(self) -> None:
        for source in self._sources:
            await ensure_group(self._redis, source, self.group)

    async def _consume(self) -> None:
        options = self._options
        next_reclaim = next_forget = 0.0
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            if loop.time() >= next_forget:
                next_forget = loop.time() + min(options.forget_consumers_after / 2, 60.0)
                await self._forget_idle_consumers()
            if self._held:  # paused: new messages would fail the same way; the held ones tell when it is over
                await wait_event(self._resumed, options.block)
                continue
            free = self._capacity.free()
            if free <= 0:
                self._capacity.freed.clear()
                await wait_event(self._capacity.freed, options.block)
                continue
            messages: list[_Message] = []
            if loop.time() >= next_reclaim:
                messages, more = await self._reclaim(free)
                # A dead replica's backlog comes back as fast as there are free slots, not one batch per round.
                next_reclaim = loop.time() + (0.0 if more else min(options.visibility_timeout / 2, 5.0))
            if not messages:
                messages = await self._read_new(free)
            for message in messages:
                await self._dispatch(message)

    async def _read_new(self, count: int) -> list[_Message]:
        # The retry stream first, without waiting: COUNT applies to each stream of one XREADGROUP, so reading both
        # at once could hand this replica twice as many messages as it has free slots. It is looked at once per
        # `block` at most (replays are rare; under load, a look per read was a second command for every message).
        loop = asyncio.get_running_loop()
        if loop.time() >= self._next_retry_look:
            replayed = await self._read_group(self.retry_stream, count, block=None)
            if replayed:
                return replayed
            self._next_retry_look = loop.time() + self._options.block
        return await self._read_group(self.stream, count, block=int(self._options.block * 1000))

    async def _read_group(self, source: str, count: int, block: int | None) -> list[_Message]:
        try:
            response: Any = await self._redis.xreadgroup(
                self.group, self.consumer, {source: ">"}, count=count, block=block
            )
        except ResponseError as error:
            if "NOGROUP" in str(error):
                await self._ensure_groups()
                return []
            raise
        messages: list[_Message] = []
        for _source, entries in response or []:
            messages.extend(_Message(source, str(message_id), fields, new=True) for message_id, fields in entries)
        return messages

    async def _reclaim(self, count: int) -> tuple[list[_Message], bool]:
        """Take over up to `count` messages idle longer than the visibility timeout, whoever held them; and whether
        more may be waiting (a full batch, or a scan of the pending entries not finished yet)."""
        claimed: list[_Message] = []
        for source in self._sources:
            if len(claimed) >= count:
                break
            response = await self._redis.xautoclaim(
                source,
                self.group,
                self.consumer,
                min_idle_time=int(self._options.visibility_timeout * 1000),
                start_id=self._reclaim_cursors[source],
                count=count - len(claimed),
            )
            next_cursor, entries = str(response[0]), response[1]
            deleted = response[2] if len(response) > 2 else []
            self._reclaim_cursors[source] = next_cursor
            for message_id in deleted:
                # Trimmed out of the stream while pending: nothing left to deliver.
                await self._redis.xack(source, self.group, message_id)
            claimed.extend(
                _Message(source, str(message_id), fields) for message_id, fields in entries if fields is not None
            )
        if claimed:
            logger.info(
                "reclaimed pending messages",
                extra={"stream": self.stream, "group": self.group, "count": len(claimed)},
            )
        more = len(claimed) >= count or any(cursor != "0-0" for cursor in self._reclaim_cursors.values())
        return claimed, more

    async def _forget_idle_consumers(self) -> None:
        for source in self._sources:
            removed = await forget_idle_consumers(
                self._redis, source, self.group, self._options.forget_consumers_after, keep=self.consumer
            )
            if removed:
                logger.info(
                    "removed idle consumers from the group",
                    extra={"stream": source, "group": self.group, "consumers": removed},
                )

    async def _hand_back(self) -> None:
        """Let another replica take what this one still has pending at once, then leave the group."""
        for source in self._sources:
            interrupted = {message_id for key_source, message_id in self._interrupted if key_source == source}
            try:
                handed = await hand_back(self._redis, source, self.group, self.consumer, interrupted)
            except (RedisError, OSError) as error:  # they stay ours, and are reclaimed after the visibility timeout
                logger.warning("could not hand pending messages back", extra={"stream": source, "error": str(error)})
                continue
            if handed:
                logger.info(
                    "handed pending messages back", extra={"stream": source, "group": self.group, "count": handed}
                )

    async def _dispatch(self, message: _Message) -> None:
        key = message.key
        if key in self._in_flight:
            return
        task = asyncio.create_task(self._process(message), name=f"{message.source} {message.message_id}")
        self._in_flight[key] = task
        self._capacity.take()
        task.add_done_callback(lambda _: self._finished(key))

    def _finished(self, key: _Key) -> None:
        if self._in_flight.pop(key, None) is not None:
            self._capacity.release()

    async def _process(self, message: _Message) -> None:
        try:
            await self._deliver(message)
        except (RedisError, OSError, PermanentFailure, EnvelopeError) as error:
            logger.error(
                "could not settle message; it stays pending",
                extra={
                    "stream": message.source,
                    "group": self.group,
                    "message_id": message.message_id,
                    "error": str(error),
                },
            )
        except Exception:
            logger.exception(
                "could not settle message; it stays pending",
                extra={"stream": message.source, "group": self.group, "message_id": message.message_id},
            )

    async def _deliver(self, message: _Message) -> None:
        deliveries = await self._delivery_count(message)
        try:
            envelope = self._reader(message.fields)
        except EnvelopeError as error:
            await self._dead_letter(message, f"unreadable message: {error}", deliveries, None, "unreadable")
            return
        delivery = Delivery(message_id=message.message_id, envelope=envelope, deliveries=deliveries)
        # The process span continues the publisher's trace: the handler's work and its logs belong to it.
        with processing(self.stream, self.group, message.message_id, envelope, deliveries) as processed:
            verdict: _Verdict | None = None
            if deliveries > self._options.max_deliveries:
                verdict = _Verdict(f"gave up after {deliveries - 1} failed deliveries to {self.group}", "exhausted")
            log_fields = _log_fields(message.source, self.group, delivery)
            outage = OutageWait(self._options.outage_give_up)
            handled = False  # once the handler succeeded, only settling is retried, never the work
            try:
                while True:
                    try:
                        if verdict is None and not handled:
                            verdict = await self._handle(delivery)
                            handled = True
                        if verdict is None:
                            await self._acks.call(message.key)
                        else:
                            processed.dead_lettered(verdict.reason)
                            await self._dead_letter(message, verdict.reason, deliveries, envelope, verdict.cause)
                        return
                    except asyncio.CancelledError:
                        self._interrupted.add(message.key)
                        logger.info("handler cancelled; message left pending for another replica", extra=log_fields)
                        raise
                    except Exception as error:
                        cause = dependency_outage(error)
                        if cause is None and (verdict is not None or handled):
                            raise  # it could not be settled: the message stays pending
                        if cause is None:
                            processed.failed(error)
                            logger.exception(
                                "handler failed; message stays pending and will be retried", extra=log_fields
                            )
                            return
                        # Not the message's fault: hold it (the heartbeat keeps it ours) and retry in place, so no new
                        # delivery is counted; the consumer reads nothing new meanwhile.
                        self._hold(message.key, cause)
                        if verdict is None and not handled and outage.outlasted():
                            verdict = _Verdict(cause.reason, "outage")
                        elif not await outage.pause(self._stopping):
                            self._interrupted.add(message.key)
                            return  # stopping: left pending, handed back at shutdown
            finally:
                self._release_hold(message.key)

    async def _acknowledge(self, keys: list[_Key]) -> list[None]:
        """Acknowledge the messages of `keys` (handled, their effects durable): one XACK per stream."""
        by_source: dict[str, list[str]] = {}
        for source, message_id in keys:
            by_source.setdefault(source, []).append(message_id)
        for source, message_ids in by_source.items():
            await self._redis.xack(source, self.group, *message_ids)
        return [None] * len(keys)

    async def _handle(self, delivery: Delivery) -> _Verdict | None:
        """Run the handler: None when it succeeded, a verdict when the message is to be dead-lettered."""
        try:
            await self._handler(delivery)
        except (PermanentFailure, EnvelopeError) as error:
            return _Verdict(str(error), "permanent")
        return None

    def _hold(self, key: _Key, cause: DependencyUnavailable) -> None:
        """Keep a message for a retry in place; the first held message pauses the consumer and says so."""
        if not self._held:
            self._resumed.clear()
        previous = self._held.get(key)
        self._held[key] = cause
        if previous is None or previous.dependency != cause.dependency:
            logger.error(
                "dependency unavailable; consumer paused, the message is held and retried without counting",
                extra={
                    "stream": self.stream,
                    "group": self.group,
                    "message_id": key[1],
                    "dependency": cause.dependency,
                    "reason": cause.reason,
                    "location": cause.location,
                },
            )
            mark_consumer_paused(self.stream, self.group, cause.dependency, True)

    def _release_hold(self, key: _Key) -> None:
        cause = self._held.pop(key, None)
        if cause is None:
            return
        if not any(held.dependency == cause.dependency for held in self._held.values()):
            mark_consumer_paused(self.stream, self.group, cause.dependency, False)
        if not self._held:
            self._resumed.set()
            if self._stopping.is_set():
                return
            logger.info(
                "dependency available again; consumer resumed",
                extra={"stream": self.stream, "group": self.group, "dependency": cause.dependency},
            )

    async def _delivery_count(self, message: _Message) -> int:
        if message.new:  # read with `>`: delivered for the first time just now, no need to ask Redis
            return 1
        pending = await self._redis.xpending_range(
            message.source, self.group, min=message.message_id, max=message.message_id, count=1
        )
        return int(pending[0]["times_delivered"]) if pending else 1

    async def _dead_letter(
        self,
        message: _Message,
        reason: str,
        deliveries: int,
        envelope: Envelope | None,
        cause: str,
    ) -> None:
        message_id, fields = message.message_id, message.fields
        dead = DeadLetter(
            stream=self.stream,
            group=self.group,
            message_id=message_id,
            fields=dict(fields),
            reason=reason,
            deliveries=deliveries,
            envelope=envelope,
        )
        if self._on_dead_letter is not None:
            # First, so that a hook that fails (its dependency down) leaves nothing half done: the message stays
            # pending and comes back. The hook is idempotent (the failure it records has a derived id).
            await self._on_dead_letter(dead)
        entry: dict[Any, Any] = {
            **{f"original:{k}": v for k, v in fields.items()},
            "dead:stream": self.stream,  # the stream it belongs to, also when it came from the retry stream
            "dead:group": self.group,
            "dead:message_id": message_id,
            "dead:reason": reason,
            "dead:deliveries": str(deliveries),
        }
        async with self._redis.pipeline(transaction=True) as transaction:  # one dead letter per message, never two
            transaction.xadd(self.dead_letter_stream, entry)
            transaction.xack(message.source, self.group, message_id)
            await transaction.execute()
        logger.error(
            "message dead-lettered",
            extra={"stream": self.stream, "group": self.group, "message_id": message_id, "reason": reason},
        )
        count_dead_letter(self.stream, self.group, cause)

    async def _heartbeat(self) -> None:
        """Reset the idle time of the messages this consumer is working on, so no one reclaims them."""
        interval = self._options.visibility_timeout / 3
        while True:
            checkpoint()  # the Redis calls below can lose a cancellation: without this the loop would never end
            await asyncio.sleep(interval)
            keys = set(self._in_flight)
            if not keys:
                continue
            try:
                for source in self._sources:
                    pending = await self._redis.xpending_range(
                        source, self.group, min="-", max="+", count=1000, consumername=self.consumer
                    )
                    mine: list[str | bytes | int | memoryview[int]] = [
                        str(entry["message_id"]) for entry in pending if (source, str(entry["message_id"])) in keys
                    ]
                    if mine:
                        await self._redis.xclaim(
                            source, self.group, self.consumer, min_idle_time=0, message_ids=mine, justid=True
                        )
            except RedisError as error:
                logger.warning("heartbeat failed", extra={"stream": self.stream, "error": str(error)})

    async def _drain(self) -> None:
        tasks = list(self._in_flight.values())
        if not tasks:
            return
        _done, still_running = await asyncio.wait(tasks, timeout=self._options.shutdown_grace)
        for task in still_running:
            task.cancel()
        if still_running:
            await _settle(still_running, _CANCEL_WAIT_SECONDS, f"handlers of {self.stream}")

    async def _pause(self, seconds: float) -> None:
        await wait_event(self._stopping, seconds)


async def _settle(tasks: Collection[asyncio.Task[Any]], seconds: float, what: str) -> None:
    """Wait up to `seconds` for cancelled `tasks` to end; log and move on if some do not (their messages stay
    pending in Redis, so nothing is lost by not waiting for them)."""
    done, stuck = await asyncio.wait(tasks, timeout=seconds)
    for task in done:
        if not task.cancelled():
            task.exception()  # retrieved: the task logged its own failure
    if stuck:
        logger.error(
            "tasks did not stop when cancelled; leaving them behind",
            extra={"what": what, "tasks": sorted(task.get_name() for task in stuck)},
        )


_Key = tuple[str, str]  # (the stream it was read from, its id there)


class _Message(NamedTuple):
    """A message as read: from the stream or the group's retry stream (`source`), its id there, its fields."""

    source: str
    message_id: str
    fields: Mapping[str, str]
    new: bool = False  # read as new (`>`), not reclaimed: this is its first delivery

    @property
    def key(self) -> _Key:
        return (self.source, self.message_id)


@dataclass(frozen=True, slots=True)
class _Verdict:
    """A message to dead-letter: why, and the cause for the metric (unreadable, exhausted, permanent, outage)."""

    reason: str
    cause: str


def _log_fields(stream: str, group: str, delivery: Delivery) -> dict[str, object]:
    return {
        "stream": stream,
        "group": group,
        "message_id": delivery.message_id,
        "event_id": str(delivery.envelope.event_id),
        "proposal_id": str(delivery.envelope.proposal_id),
        "deliveries": delivery.deliveries,
    }
