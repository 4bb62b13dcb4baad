"""Asyncio helpers that keep cancellation reliable on Python 3.11.

On 3.11, `asyncio.wait_for` returns the inner result and drops the caller's cancellation when the awaited work
finishes in the same loop turn as the cancel (fixed in 3.12, where `wait_for` is built on `asyncio.timeout`).
redis-py sends every command through `asyncio.wait_for` when a socket timeout is set (its default is 5 s), so a
task cancelled while it writes to Redis can carry on as if nothing happened, with its cancellation still counted
(`Task.cancelling()`) but never raised. A loop around such calls then never ends, and a handler asked to stop keeps
working. `checkpoint()` raises the lost cancellation at a point of our choosing; `wait_event` waits with
`asyncio.timeout`, which does not have the bug.
"""

from __future__ import annotations

import asyncio

__all__ = ["checkpoint", "wait_event"]


def checkpoint() -> None:
    """Raise CancelledError if the current task was asked to stop and the request got lost on the way."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def wait_event(event: asyncio.Event, seconds: float) -> bool:
    """Wait up to `seconds` for `event`; True when it is set."""
    if event.is_set():
        return True
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return event.is_set()
    return True
