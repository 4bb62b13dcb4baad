"""Blocking work (hashing, copying, PostgreSQL tools) in a thread that stops promptly when its caller is cancelled."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TypeVar

from propos4l.backup.model import BackupError

__all__ = ["Cancellation", "Cancelled", "run_blocking"]

T = TypeVar("T")


class Cancelled(BackupError):
    """The work was stopped because the agent is shutting down."""


class Cancellation:
    """A flag that long-running blocking work checks between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """Whether stopping was asked for."""
        return self._event.is_set()

    def check(self) -> None:
        """Raise Cancelled if stopping was asked for."""
        if self._event.is_set():
            raise Cancelled("stopped: the backup agent is shutting down")

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True if cancelled meanwhile."""
        return self._event.wait(seconds)


async def run_blocking(function: Callable[[Cancellation], T], *, abandon: Callable[[T], object] | None = None) -> T:
    """Run `function(cancellation)` in a thread; if the caller is cancelled, tell it to stop and wait until it has.

    When the function still completes after the caller was cancelled, `abandon` receives its result (to release it).
    """
    cancellation = Cancellation()
    future = asyncio.ensure_future(asyncio.to_thread(function, cancellation))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        cancellation.cancel()
        # The thread cleans up after itself (no partial artifact); wait for it so nothing runs after shutdown.
        await asyncio.wait([future])
        if not future.cancelled() and future.exception() is None and abandon is not None:
            abandon(future.result())
        raise
