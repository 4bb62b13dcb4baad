"""Stream retention: trim each event stream behind its slowest consumer group, keeping a window of recent history.

Redis keeps every stream entry until it is trimmed, and with the append-only file on, the streams would grow without
end. An entry can go once every group that reads the stream (`CONSUMERS`) has been delivered it and acknowledged it,
and once it is older than the retention window (kept for inspection and for `propos4l dead-letters replay`, which
re-publishes copies, not ids). So the trim point of a stream is the oldest of:

- each group's oldest pending entry (delivered, not yet acknowledged: a replica may still be working on it),
- each group's last delivered id (everything after it is not read yet),
- now minus the retention window.

A stream one of whose groups does not exist yet is not trimmed at all: that service has not started, and its group
will be created at id 0 to read the whole stream. Each group's retry stream (replayed dead letters) is trimmed the same
way behind that one group. Dead-letter streams are not trimmed: an operator empties them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from propos4l.shared.streams import CONSUMERS, ConsumerGroup, retry_stream
from propos4l.shared.telemetry import count_trimmed

__all__ = ["StreamTrim", "trim_point", "trim_stream", "trim_streams"]

logger = logging.getLogger(__name__)

StreamId = tuple[int, int]


def _parse(entry_id: str) -> StreamId:
    milliseconds, _, sequence = entry_id.partition("-")
    return int(milliseconds), int(sequence or 0)


def _format(entry_id: StreamId) -> str:
    return f"{entry_id[0]}-{entry_id[1]}"


@dataclass(frozen=True, slots=True)
class StreamTrim:
    """What trimming one stream did: entries removed, the oldest id kept, or why nothing was trimmed."""

    stream: str
    removed: int
    kept_from: str | None
    skipped: str | None = None


async def trim_point(
    redis: Redis, stream: str, groups: Sequence[ConsumerGroup], keep_seconds: float, now: float | None = None
) -> str | StreamTrim:
    """The id below which `stream`'s entries can go, or a StreamTrim saying why none can."""
    try:
        infos: Sequence[Mapping[str, Any]] = await redis.xinfo_groups(str(stream))
    except ResponseError as error:
        if "no such key" in str(error).lower():
            return StreamTrim(str(stream), 0, None, "the stream does not exist yet")
        raise
    by_name = {str(info["name"]): info for info in infos}
    missing = [group.value for group in groups if group.value not in by_name]
    if missing:
        return StreamTrim(str(stream), 0, None, f"no consumer group {', '.join(missing)} yet")
    clock = time.time() if now is None else now
    point: StreamId = (max(0, int((clock - keep_seconds) * 1000)), 0)
    for group in groups:
        info = by_name[group.value]
        point = min(point, _parse(str(info["last-delivered-id"])))
        if int(info["pending"]):
            summary = await redis.xpending(str(stream), group.value)
            if summary.get("min"):
                point = min(point, _parse(str(summary["min"])))
    return _format(point)


async def trim_stream(
    redis: Redis, stream: str, groups: Sequence[ConsumerGroup], keep_seconds: float, now: float | None = None
) -> StreamTrim:
    """Remove `stream`'s entries that every group in `groups` is done with and that are older than `keep_seconds`."""
    point = await trim_point(redis, stream, groups, keep_seconds, now)
    if isinstance(point, StreamTrim):
        return point
    # Exact (not `~`): the cost is the entries removed, and what is kept is exactly what was computed above.
    removed = int(await redis.xtrim(str(stream), minid=point, approximate=False))
    return StreamTrim(str(stream), removed, point)


async def trim_streams(
    redis: Redis,
    keep_seconds: float,
    now: float | None = None,
    more: Mapping[str, tuple[ConsumerGroup, ...]] | None = None,
) -> list[StreamTrim]:
    """Trim every event stream behind its consumer groups (see the module's description); `more`: streams not in
    `CONSUMERS` (the producers' own, `ProducerStreams.groups`), with the groups that read them."""
    trims = []
    readers: dict[str, tuple[ConsumerGroup, ...]] = {stream.value: groups for stream, groups in CONSUMERS.items()}
    readers.update(more or {})
    targets = list(readers.items())
    targets += [(retry_stream(stream, group), (group,)) for stream, groups in readers.items() for group in groups]
    for stream, groups in targets:
        trim = await trim_stream(redis, stream, groups, keep_seconds, now)
        if trim.removed:
            count_trimmed(trim.stream, trim.removed)
            logger.info(
                "trimmed stream", extra={"stream": trim.stream, "removed": trim.removed, "kept_from": trim.kept_from}
            )
        trims.append(trim)
    return trims
