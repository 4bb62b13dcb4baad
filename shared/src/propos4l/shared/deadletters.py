"""Dead letters: what was given up on, and putting it back on its stream once the cause is fixed."""

from __future__ import annotations

from typing import Any

from propos4l.shared.runtime import connect_redis
from propos4l.shared.streams import ConsumerGroup, Stream, dead_letter_stream

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
    """Append the original messages of `dead_stream` to their stream again, then remove them from it."""
    if dead_stream not in dead_letter_streams():
        raise SystemExit(f"propos4l dead-letters: {dead_stream!r} is not a dead-letter stream")
    redis = connect_redis(redis_url)
    replayed = 0
    try:
        entries: list[tuple[str, dict[str, str]]] = await redis.xrange(dead_stream, count=limit)  # type: ignore[assignment]
        for entry_id, fields in entries:
            original = {k.removeprefix("original:"): v for k, v in fields.items() if k.startswith("original:")}
            target = fields.get("dead:stream")
            if not original or not target:
                continue
            await redis.xadd(target, original)  # type: ignore[arg-type]
            await redis.xdel(dead_stream, entry_id)
            replayed += 1
        return replayed
    finally:
        await redis.aclose()
