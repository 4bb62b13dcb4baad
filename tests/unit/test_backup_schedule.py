"""The agent's schedules: intervals from the last success, failures retried with capped exponential backoff."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest

from propos4l.backup.schedule import Job, Scheduler, first_delay, retry_delay
from tests.support.waiting import wait_for


def test_retry_delays_double_up_to_the_cap_with_a_little_jitter() -> None:
    rng = random.Random(7)
    delays = [retry_delay(failures, base=60, cap=3600, rng=rng) for failures in range(1, 10)]
    for failures, delay in enumerate(delays, start=1):
        expected = min(3600, 60 * 2 ** (failures - 1))
        assert expected * 0.9 <= delay <= expected * 1.1
    with pytest.raises(ValueError):
        retry_delay(0, base=1, cap=1)


def test_a_job_is_first_due_one_interval_after_its_last_success() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert first_delay(None, 21600, now) == 0
    assert first_delay(now - timedelta(hours=2), 21600, now) == 4 * 3600
    assert first_delay(now - timedelta(hours=7), 21600, now) == 0


async def test_a_failing_job_is_retried_with_backoff_until_it_succeeds_then_waits_its_interval() -> None:
    attempts: list[float] = []

    async def flaky() -> None:
        attempts.append(asyncio.get_running_loop().time())
        if len(attempts) < 3:
            raise RuntimeError("disk full")

    job = Job("db backup", interval=3600, action=flaky)
    stop = asyncio.Event()
    task = asyncio.create_task(Scheduler([job], retry_base=0.05, retry_max=10).run(stop))
    await wait_for(lambda: asyncio.sleep(0, len(attempts) >= 3), timeout=5)
    await asyncio.sleep(0.2)
    stop.set()
    await task
    assert len(attempts) == 3
    assert attempts[2] - attempts[1] > attempts[1] - attempts[0] > 0.04  # doubling delays
    assert job.failures == 0


async def test_stopping_cancels_the_job_in_progress() -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    stop = asyncio.Event()
    task = asyncio.create_task(Scheduler([Job("pdfs backup", 60, slow)], retry_base=1, retry_max=1).run(stop))
    await asyncio.wait_for(started.wait(), 5)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert cancelled.is_set()
