"""Dead letters: what was given up on, and handing it back to the group that gave up once the cause is fixed.

A replay goes to the group's retry stream (`retry_stream`), which only that group reads, not to the original stream:
every group reads the original stream, and a copy appended there would be handled again by groups that had handled it
fine (a gateway replay would make the renderer render again and overwrite the PDF).

Besides the shared streams' dead letters there are the producers' (`<producer's intake stream>.dead.gateway`, ADR
0018): those are found in Redis by name, so a producer revoked since still shows its dead letters.
"""

from __future__ import annotations

from typing import Any

from redis.asyncio import Redis

from propos4l.shared.runtime import connect_redis
from propos4l.shared.streams import (
    ConsumerGroup,
    Stream,
    dead_letter_stream,
    intake_producer,
    retry_stream,
)

__all__ = [
    "dead_letter_owner",
    "dead_letter_streams",
    "list_dead_letters",
    "producer_dead_letter_streams",
    "replay_dead_letters",
    "show_dead_letters",
]

_INTAKE_DEAD_SUFFIX = f".dead.{ConsumerGroup.GATEWAY.value}"


def dead_letter_streams() -> dict[str, tuple[Stream, ConsumerGroup]]:
    """Every dead-letter stream of the shared streams, with the stream and group it belongs to."""
    return {dead_letter_stream(stream, group): (stream, group) for stream in Stream for group in ConsumerGroup}


def dead_letter_owner(dead_stream: str) -> tuple[str, ConsumerGroup] | None:
    """The stream and group whose dead letters `dead_stream` holds (a shared stream's, or a producer's intake's), or
    None when it is no dead-letter stream."""
    shared = dead_letter_streams().get(dead_stream)
    if shared is not None:
        return shared[0].value, shared[1]
    intake = dead_stream.removesuffix(_INTAKE_DEAD_SUFFIX)
    if intake != dead_stream and intake_producer(intake) is not None:
        return intake, ConsumerGroup.GATEWAY
    return None


async def producer_dead_letter_streams(redis: Redis) -> list[str]:
    """The producers' intake dead-letter streams that exist in Redis now, sorted."""
    pattern = f"{Stream.INTAKE_PROPOSAL_REQUESTED.value}.*{_INTAKE_DEAD_SUFFIX}"
    found = set()
    async for key in redis.scan_iter(match=pattern, count=1000, _type="stream"):
        name = key.decode() if isinstance(key, bytes) else str(key)
        if dead_letter_owner(name) is not None:  # `*` matches dots too: keep only `<producer stream>.dead.gateway`
            found.add(name)
    return sorted(found)


async def _entries(redis: Redis, dead_stream: str, limit: int) -> list[dict[str, Any]]:
    entries: list[tuple[str, dict[str, str]]] = await redis.xrange(dead_stream, count=limit)  # type: ignore[assignment]
    return [{"dead_letter_stream": dead_stream, "id": entry_id, **fields} for entry_id, fields in entries]


async def list_dead_letters(redis_url: str, limit: int = 1000) -> list[dict[str, Any]]:
    """The dead letters of every stream (the shared ones, then the producers' intake streams), oldest first in each."""
    redis = connect_redis(redis_url)
    try:
        found: list[dict[str, Any]] = []
        for name in [*dead_letter_streams(), *await producer_dead_letter_streams(redis)]:
            found.extend(await _entries(redis, name, limit))
        return found
    finally:
        await redis.aclose()


async def show_dead_letters(redis_url: str, dead_stream: str, limit: int = 1000) -> list[dict[str, Any]]:
    """The dead letters of one dead-letter stream, oldest first."""
    if dead_letter_owner(dead_stream) is None:
        raise SystemExit(f"propos4l dead-letters: {dead_stream!r} is not a dead-letter stream")
    redis = connect_redis(redis_url)
    try:
        return await _entries(redis, dead_stream, limit)
    finally:
        await redis.aclose()


async def replay_dead_letters(redis_url: str, dead_stream: str, limit: int = 1000) -> int:
    """Hand the original messages of `dead_stream` back to the group that gave up on them, then remove them.

    A producer's intake messages go back to its consumer's retry stream: the gateway reads it while the producer's
    Redis user exists (a revoked producer's replayed messages wait there until it is made again)."""
    owner = dead_letter_owner(dead_stream)
    if owner is None:
        raise SystemExit(f"propos4l dead-letters: {dead_stream!r} is not a dead-letter stream")
    target = retry_stream(*owner)
    redis = connect_redis(redis_url)
    replayed = 0
    try:
        entries: list[tuple[str, dict[str, str]]] = await redis.xrange(dead_stream, count=limit)  # type: ignore[assignment]
        for entry_id, fields in entries:
            original = {k.removeprefix("original:"): v for k, v in fields.items() if k.startswith("original:")}
            if not original:
                continue
            async with redis.pipeline(transaction=True) as transaction:  # replayed once, never twice
                transaction.xadd(target, original)  # type: ignore[arg-type]
                transaction.xdel(dead_stream, entry_id)
                await transaction.execute()
            replayed += 1
        return replayed
    finally:
        await redis.aclose()
