"""When a crashed child of the local run starts again: after a growing delay, until it crashes too often."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Final

__all__ = ["RestartPolicy"]

CRASH_LIMIT: Final = 5
CRASH_WINDOW_SECONDS: Final = 60.0
FIRST_DELAY_SECONDS: Final = 1.0
LONGEST_DELAY_SECONDS: Final = 30.0


@dataclass
class RestartPolicy:
    """Exponential backoff between restarts; giving up at `limit` crashes within `window_seconds`.

    A child that stays up longer than the window starts again from the first delay: only crashes close together make a
    crash loop.
    """

    limit: int = CRASH_LIMIT
    window_seconds: float = CRASH_WINDOW_SECONDS
    first_delay_seconds: float = FIRST_DELAY_SECONDS
    longest_delay_seconds: float = LONGEST_DELAY_SECONDS
    _crashes: deque[float] = field(default_factory=deque)

    @property
    def recent_crashes(self) -> int:
        """How many crashes the current window holds."""
        return len(self._crashes)

    def crashed(self, now: float) -> float | None:
        """Record a crash at monotonic time `now`; return the seconds to wait before restarting, or None to give up."""
        self._crashes.append(now)
        while self._crashes and self._crashes[0] <= now - self.window_seconds:
            self._crashes.popleft()
        if len(self._crashes) >= self.limit:
            return None
        return min(self.first_delay_seconds * 2.0 ** (len(self._crashes) - 1), self.longest_delay_seconds)
