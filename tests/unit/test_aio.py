"""The cancellation helpers: a lost cancellation is raised again, event waits end on time or on the event."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from propos4l.shared.aio import checkpoint, wait_event


async def test_checkpoint_raises_a_cancellation_that_was_swallowed() -> None:
    reached = asyncio.Event()
    after_checkpoint = False

    async def swallows_then_checks() -> None:
        nonlocal after_checkpoint
        reached.set()
        with contextlib.suppress(asyncio.CancelledError):  # what asyncio.wait_for does on 3.11 in a close race
            await asyncio.sleep(30)
        checkpoint()
        after_checkpoint = True

    task = asyncio.create_task(swallows_then_checks())
    await reached.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not after_checkpoint


async def test_checkpoint_lets_a_task_that_was_not_cancelled_go_on() -> None:
    checkpoint()


async def test_wait_event_returns_when_set_and_times_out_otherwise() -> None:
    event = asyncio.Event()
    assert await wait_event(event, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await wait_event(event, 30) is True
    assert await wait_event(event, 0) is True


async def test_wait_event_passes_a_cancellation_on() -> None:
    task = asyncio.create_task(wait_event(asyncio.Event(), 30))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
