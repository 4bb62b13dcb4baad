"""The agent's schedules: each job runs at its interval, and a failed one is retried with capped exponential backoff."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from propos4l.shared.aio import wait_event

__all__ = ["Job", "Scheduler", "first_delay", "retry_delay"]

logger = logging.getLogger(__name__)

_JITTER = 0.1


def retry_delay(failures: int, *, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before retrying after `failures` failures in a row: base, 2x base, 4x base... at most `cap`, +-10%."""
    if failures < 1:
        raise ValueError("a retry follows at least one failure")
    delay = min(cap, base * 2.0 ** min(failures - 1, 30))
    jitter = rng.uniform(-_JITTER, _JITTER) if rng is not None else random.uniform(-_JITTER, _JITTER)
    return delay * (1 + jitter)


def first_delay(last_success: datetime | None, interval: float, now: datetime) -> float:
    """Seconds until a job is first due: at once if it never succeeded, else one interval after its last success."""
    if last_success is None:
        return 0.0
    return max(0.0, (last_success + timedelta(seconds=interval) - now).total_seconds())


@dataclass(slots=True)
class Job:
    """A scheduled job: its name, its interval, what it does, and its state."""

    name: str
    interval: float
    action: Callable[[], Awaitable[object]]
    due: float = 0.0  # monotonic time
    failures: int = 0


class Scheduler:
    """Runs due jobs one at a time, soonest first, until stopped; a stop cancels the job in progress."""

    def __init__(self, jobs: Sequence[Job], *, retry_base: float, retry_max: float) -> None:
        self.jobs = list(jobs)
        self._retry_base = retry_base
        self._retry_max = retry_max

    async def run(self, stop: asyncio.Event) -> None:
        """Run the schedules until `stop` is set."""
        if not self.jobs:
            await stop.wait()
            return
        while not stop.is_set():
            job = min(self.jobs, key=lambda candidate: candidate.due)  # ties: the order given
            wait = job.due - time.monotonic()
            if wait > 0:
                await wait_event(stop, wait)
                continue
            await self._run(job, stop)

    async def _run(self, job: Job, stop: asyncio.Event) -> None:
        work = asyncio.ensure_future(job.action())
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait([work, stopped], return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if not work.done():
            work.cancel()
            await asyncio.gather(work, return_exceptions=True)
            return
        error = work.exception()
        if error is None:
            job.failures = 0
            job.due = time.monotonic() + job.interval
            return
        job.failures += 1
        delay = retry_delay(job.failures, base=self._retry_base, cap=min(self._retry_max, job.interval))
        job.due = time.monotonic() + delay
        logger.error(
            "scheduled job failed; retrying with backoff",
            extra={"job": job.name, "failures": job.failures, "retry_in_seconds": round(delay, 1), "error": str(error)},
        )
