"""Keeping a consumer group tidy: a stopping replica hands its messages back, and consumers of dead processes go.

- `hand_back`: a replica that stops cleanly moves what it still has pending to the `handed-back` consumer with a
  long idle time, so another replica's next reclaim (`XAUTOCLAIM`) takes it at once instead of after the visibility
  timeout; work its shutdown interrupted gets its delivery back (`RETRYCOUNT`), as stopping is not the message's
  fault. Then the replica leaves the group. (`XGROUP DELCONSUMER` alone would drop its pending entries for good.)
- `forget_idle_consumers`: consumer names include the pid, so each restart leaves one behind. Those with nothing
  pending and idle for long are removed; checked and removed in one Lua script, so that a consumer cannot take a
  message between the check and the removal. Removing one with nothing pending loses nothing: a live consumer that
  has simply had no work (Redis 7.0 counts idle time from its last read that returned something) is created again by
  its next read that does.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Final

from redis.asyncio import Redis

__all__ = ["HANDED_BACK", "forget_idle_consumers", "hand_back"]

HANDED_BACK: Final = "handed-back"
"""The consumer that holds messages a stopping replica handed back, until a live replica reclaims them."""

_HANDED_BACK_IDLE_MS: Final = 24 * 3600 * 1000  # older than any visibility timeout: reclaimed at the next round
_PAGE: Final = 1000

_FORGET_SCRIPT: Final = """
local removed = {}
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local info = {}
  for i = 1, #consumer, 2 do info[consumer[i]] = consumer[i + 1] end
  if info['pending'] == 0 and info['idle'] >= tonumber(ARGV[2]) and info['name'] ~= ARGV[3] then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
    table.insert(removed, info['name'])
  end
end
return removed
"""


async def hand_back(redis: Redis, stream: str, group: str, consumer: str, interrupted: Collection[str]) -> int:
    """Give `consumer`'s pending messages of `stream` to the next reclaim, then remove `consumer`; return how many.

    `interrupted` are the ids whose handling the shutdown cut short: their delivery is not counted. The others
    (failed earlier, waiting to be retried) keep their count and their idle time.
    """
    handed = 0
    while True:
        pending: list[dict[str, Any]] = await redis.xpending_range(
            stream, group, min="-", max="+", count=_PAGE, consumername=consumer
        )
        if not pending:
            break
        for entry in pending:
            message_id = str(entry["message_id"])
            delivered = int(entry["times_delivered"])
            if message_id in interrupted:
                idle, retries = _HANDED_BACK_IDLE_MS, max(delivered - 1, 0)
            else:
                idle, retries = int(entry["time_since_delivered"]), delivered
            await redis.xclaim(
                stream,
                group,
                HANDED_BACK,
                min_idle_time=0,
                message_ids=[message_id],
                idle=idle,
                retrycount=retries,
                justid=True,
            )
            handed += 1
    await redis.xgroup_delconsumer(stream, group, consumer)
    return handed


async def forget_idle_consumers(redis: Redis, stream: str, group: str, idle_seconds: float, keep: str) -> list[str]:
    """Remove the consumers of `group` with nothing pending, idle `idle_seconds` or more (never `keep`)."""
    removed: list[str] = await redis.eval(_FORGET_SCRIPT, 1, stream, group, str(int(idle_seconds * 1000)), keep)
    return [str(name) for name in removed]
