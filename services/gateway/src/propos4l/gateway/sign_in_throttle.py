"""Failed sign-ins per client address or per account: after too many in a window, the address or account waits.

`SharedSignInThrottle` counts in Redis, so that every gateway replica counts against one budget (N replicas must not
give an attacker N times the guesses). While Redis does not answer it counts in the process's memory
(`SignInThrottle`), as each replica did before: sign-ins go on and guessing is still slowed down, per replica (ADR
0019 says why neither closed nor fully open).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = ["SharedSignInThrottle", "SignInThrottle"]

logger = logging.getLogger(__name__)

_MAX_ADDRESSES: Final = 10_000  # a flood from many addresses cannot grow the table without end
_REDIS_TIMEOUT_SECONDS: Final = 0.5  # a sign-in does not wait longer than this on a Redis that hangs
_T = TypeVar("_T")


class SignInThrottle:
    """Counts failed sign-ins per subject over a sliding window of `window_seconds`, in this process's memory."""

    def __init__(self, limit: int, window_seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or window_seconds <= 0:
            raise ValueError("limit must be at least 1 and window_seconds positive")
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def wait_seconds(self, address: str) -> int:
        """How long `address` must wait before its next sign-in (0: it may try now)."""
        failures = self._recent(address)
        if failures is None or len(failures) < self.limit:
            return 0
        return max(1, math.ceil(failures[0] + self.window_seconds - self._clock()))

    def failed(self, address: str) -> None:
        """Count a failed sign-in from `address`."""
        failures = self._recent(address)
        if failures is None:
            failures = self._failures[address] = deque()
            while len(self._failures) > _MAX_ADDRESSES:
                self._failures.popitem(last=False)
        failures.append(self._clock())
        while len(failures) > self.limit:  # only the newest `limit` matter for when the address may try again
            failures.popleft()
        self._failures.move_to_end(address)

    def _recent(self, address: str) -> deque[float] | None:
        failures = self._failures.get(address)
        if failures is None:
            return None
        horizon = self._clock() - self.window_seconds
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[address]
            return None
        return failures


# A failure: one sorted-set member scored by Redis's own clock (one clock for every replica), the newest `limit`
# kept. Once `limit` are in the window, a second key says until when the subject waits (its oldest failure plus the
# window), so that the check made before every sign-in (and every bearer-token request) is one PTTL.
_FAILED: Final = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window_ms = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - window_ms)
redis.call('ZADD', KEYS[1], now_ms, ARGV[3])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(limit + 1))
redis.call('PEXPIRE', KEYS[1], window_ms)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  local wait_ms = math.max(tonumber(oldest[2]) + window_ms - now_ms, 1)
  redis.call('SET', KEYS[2], 1, 'PX', wait_ms)
  return wait_ms
end
return 0
"""


class SharedSignInThrottle:
    """Failed sign-ins per subject (`scope`: "address" or "account") counted in Redis for every replica, falling back
    to this process's count while Redis does not answer. Without `redis` (before the app's lifespan connects it) it
    counts in memory only."""

    def __init__(self, scope: str, limit: int, window_seconds: float, redis: Redis | None = None) -> None:
        self.local = SignInThrottle(limit, window_seconds)
        self.scope = scope
        self.redis = redis
        self._script = redis.register_script(_FAILED) if redis is not None else None
        self._degraded = False

    @property
    def limit(self) -> int:
        """Failed sign-ins a subject may have in the window."""
        return self.local.limit

    def connect(self, redis: Redis) -> None:
        """Count in `redis` from now on."""
        self.redis, self._script = redis, redis.register_script(_FAILED)

    async def wait_seconds(self, subject: str) -> int:
        """How long `subject` must wait before its next sign-in (0: it may try now)."""
        if self.redis is not None:
            redis = self.redis
            wait_ms = await self._shared(lambda: redis.pttl(self._key("until", subject)))
            if wait_ms is not None:
                return math.ceil(wait_ms / 1000) if wait_ms > 0 else 0
        return self.local.wait_seconds(subject)

    async def failed(self, subject: str) -> None:
        """Count a failed sign-in of `subject` (in this process too, for a time Redis does not answer)."""
        self.local.failed(subject)
        if self._script is not None:
            script = self._script
            keys = [self._key("failures", subject), self._key("until", subject)]
            args: list[int | str] = [int(self.local.window_seconds * 1000), self.local.limit, uuid.uuid4().hex]
            await self._shared(lambda: script(keys=keys, args=args))

    def _key(self, kind: str, subject: str) -> str:
        return f"propos4l:sign-in:{self.scope}:{kind}:{subject.lower()}"

    async def _shared(self, call: Callable[[], Awaitable[_T]]) -> _T | None:
        """The answer of Redis, or None (logged once per outage) when it does not answer in time."""
        try:
            async with asyncio.timeout(_REDIS_TIMEOUT_SECONDS):
                answer = await call()
        except (RedisError, OSError, TimeoutError) as error:
            if not self._degraded:
                self._degraded = True
                logger.warning(
                    "sign-in throttling counts in this process only: Redis does not answer",
                    extra={"scope": self.scope, "error": str(error)[:300]},
                )
            return None
        if self._degraded:
            self._degraded = False
            logger.info("sign-in throttling counts in Redis again", extra={"scope": self.scope})
        return answer
