"""Dead letters: what was given up on, and handing it back to the group that gave up once the cause is fixed.

A replay goes to the group's retry stream (`retry_stream`), which only that group reads, not to the original stream:
every group reads the original stream, and a copy appended there would be handled again by groups that had handled it
fine (a gateway replay would make the renderer render again and overwrite the PDF).
"""

from __future__ import annotations

from typing import Any

from propos4l.shared.runtime import connect_redis
from propos4l.shared.streams import ConsumerGroup, Stream, dead_letter_stream, retry_stream

__all__ = ["dead_letter_streams", "list_dead_letters", "replay_dead_letters"]


def dead_letter_streams() -> dict[str, tuple[Stream, ConsumerGroup]]:
    """Every dead-letter stream there can be, with the stream and group it belongs to."""
    return {dead_letter_stream(stream, group): (stream, group) for stream in Stream for group in ConsumerGroup}


async def list_dead_letters(redis_url: str, limit: int = 1000) -> list[dict[str, Any]]:
    """The dead letters of every stream, oldest first."""
    redis = connect_redis(redis_url)
    try:
        found: list[dict[str, Any]] = []
        for name in dead_letter_streams():
            entries: list[tuple[str, dict[str, str]]] = await redis.xrange(name, count=limit)  # type: ignore[assignment]
            for entry_id, fields in entries:
                found.append({"dead_letter_stream": name, "id": entry_id, **fields})
        return found
    finally:
        await redis.aclose()


async def replay_dead_letters(redis_url: str, dead_stream: str, limit: int = 1000) -> int:
    """Hand the original messages of `dead_stream` back to the group that gave up on them, then remove them."""
    owner = dead_letter_streams().get(dead_stream)
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
