"""Failed sign-ins per client address: after too many wrong tokens in a window, the address waits.

Kept in the process's memory (each gateway replica counts its own): it slows down guessing, it is not an audit.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Final

__all__ = ["SignInThrottle"]

_MAX_ADDRESSES: Final = 10_000  # a flood from many addresses cannot grow the table without end


class SignInThrottle:
    """Counts failed sign-ins per address over a sliding window of `window_seconds`."""

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
