"""Render workers are replaced after a render that left them large, or after a number of renders."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest

from propos4l.renderer.pool import WorkerPool, WorkerRecycling
from tests.support.waiting import wait_for

_MIB = 1024 * 1024
_kept: list[bytearray] = []


def _pid() -> int:
    return os.getpid()


def _grow_and_keep(mebibytes: int) -> int:
    """Hold `mebibytes` more of touched memory in the worker, as a large render leaves it; return the worker's pid."""
    _kept.append(bytearray(b"x" * (mebibytes * _MIB)))
    return os.getpid()


@asynccontextmanager
async def _pool(recycling: WorkerRecycling) -> AsyncIterator[WorkerPool]:
    pool = WorkerPool(max_workers=1, recycling=recycling)
    try:
        yield pool
    finally:
        pool.close()
        for child in multiprocessing.active_children():
            child.join(timeout=10)


async def _pids(pool: WorkerPool, job: Callable[..., int], *args: int, times: int) -> list[int]:
    return [await pool.call(job, *args) for _ in range(times)]


async def test_a_worker_serves_render_after_render_while_it_stays_small() -> None:
    async with _pool(WorkerRecycling(max_renders=None, max_resident_bytes=1024 * _MIB)) as pool:
        assert len(set(await _pids(pool, _pid, times=4))) == 1


async def test_a_worker_is_replaced_after_a_render_that_left_it_holding_too_much_memory() -> None:
    async with _pool(WorkerRecycling(max_renders=None, max_resident_bytes=256 * _MIB)) as pool:
        small = await pool.call(_pid)
        large = await pool.call(_grow_and_keep, 300)
        after = await pool.call(_pid)
    assert small == large, "the worker was reused until the large render"
    assert after != large, "the worker that grew past the limit was replaced"


async def test_a_worker_is_replaced_after_max_renders() -> None:
    async with _pool(WorkerRecycling(max_renders=2, max_resident_bytes=None)) as pool:
        pids = await _pids(pool, _pid, times=5)
    assert pids[0] == pids[1] != pids[2] == pids[3] != pids[4]


async def test_workers_started_ahead_serve_the_first_render() -> None:
    async with _pool(WorkerRecycling()) as pool:
        pool.start_workers()
        pool.start_workers()  # no more than max_workers

        async def started() -> set[int]:
            return {child.pid for child in multiprocessing.active_children() if child.pid is not None}

        ahead = await wait_for(started, message="no worker started ahead of the first render")
        assert await pool.call(_pid) in ahead
        assert await started() == ahead


def test_recycling_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="max_renders"):
        WorkerRecycling(max_renders=0)
    with pytest.raises(ValueError, match="max_resident_bytes"):
        WorkerRecycling(max_resident_bytes=_MIB)
