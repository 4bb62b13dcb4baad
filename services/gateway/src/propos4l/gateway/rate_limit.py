"""Per-token rate limits kept in Redis, so that every gateway replica counts against the same budget."""

from __future__ import annotations

import math
import uuid
from typing import Final

from redis.asyncio import Redis

__all__ = ["RateLimiter"]

# A sliding window log: one sorted-set member per accepted call, scored by Redis's own clock (one clock for every
# replica). Atomic as a script; it answers 0 when the call is allowed, else the milliseconds until a call leaves
# the window.
_SLIDING_WINDOW: Final = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window_ms = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - window_ms)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(tonumber(oldest[2]) + window_ms - now_ms, 1)
end
redis.call('ZADD', KEYS[1], now_ms, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window_ms)
return 0
"""


class RateLimiter:
    """At most `limit` calls per subject in any `window_seconds`; `limit` 0 means no limit."""

    def __init__(self, redis: Redis, *, name: str, limit: int, window_seconds: float = 60.0) -> None:
        if limit < 0 or window_seconds <= 0:
            raise ValueError("limit must be at least 0 and window_seconds positive")
        self._redis = redis
        self._name = name
        self.limit = limit
        self.window_seconds = window_seconds
        self._script = redis.register_script(_SLIDING_WINDOW)

    async def try_acquire(self, subject: str) -> int | None:
        """Count one call of `subject`: None when it is allowed, else the whole seconds to wait before another."""
        if self.limit == 0:
            return None
        key = f"propos4l:rate:{self._name}:{subject.lower()}"
        window_ms = int(self.window_seconds * 1000)
        wait_ms = int(await self._script(keys=[key], args=[window_ms, self.limit, uuid.uuid4().hex]))
        return math.ceil(wait_ms / 1000) if wait_ms > 0 else None
