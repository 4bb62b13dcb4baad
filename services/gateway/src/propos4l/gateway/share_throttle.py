"""Failure counters in Redis for the public share routes: wrong access codes per link, unknown tokens per address.

Unlike `RateLimiter`, only failures count, so a client who typed the right code is never slowed down by using it.
"""

from __future__ import annotations

from typing import Final

from redis.asyncio import Redis

__all__ = ["FailureCounter"]

_COUNT: Final = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class FailureCounter:
    """At most `limit` failures per subject in a window of `window_seconds` (fixed, from the first failure)."""

    def __init__(self, redis: Redis, *, name: str, limit: int, window_seconds: int) -> None:
        self._redis = redis
        self._name = name
        self.limit = limit
        self.window_seconds = window_seconds
        self._count = redis.register_script(_COUNT)

    def _key(self, subject: str) -> str:
        return f"propos4l:failures:{self._name}:{subject}"

    async def blocked(self, subject: str) -> int | None:
        """The seconds `subject` must wait while it has used up its failures, else None."""
        key = self._key(subject)
        count = await self._redis.get(key)
        if count is None or int(count) < self.limit:
            return None
        ttl = int(await self._redis.ttl(key))
        return max(ttl, 1)

    async def failed(self, subject: str) -> None:
        """Count one failure of `subject`."""
        await self._count(keys=[self._key(subject)], args=[self.window_seconds])
