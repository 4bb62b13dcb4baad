"""Long-lived worker processes that run one render each at a time, under CPU-time, memory and wall-clock limits.

Each worker is its own process, started from a fork server that has already imported WeasyPrint. A render that
runs past its wall-clock timeout, or whose process dies, costs only that worker: it is killed and replaced, and the
renders on the other workers go on. A render that exceeds its CPU time (RLIMIT_CPU) or memory (RLIMIT_AS) fails with
a `RenderLimitExceeded` and its worker exits, so the next render starts in a clean process.

A worker keeps the memory a large render grew it to (the allocator rarely hands it back), so it is retired once it
holds more than `WorkerRecycling.max_resident_bytes` after a render, or after `max_renders` renders; its replacement
starts at once, in the background, so the next render finds it ready.
"""

from __future__ import annotations

import asyncio
import logging
import math
import multiprocessing
import resource
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from types import FrameType
from typing import Any, Final, TypeVar

from propos4l.renderer.errors import RenderError, RenderLimitExceeded, RenderTimeout

__all__ = ["RenderLimits", "WorkerPool", "WorkerRecycling"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_MIB: Final = 1024 * 1024
_OK: Final = "ok"
_FAILED: Final = "failed"
_LIMIT: Final = "limit"  # failed on a limit: the worker exits after answering


@dataclass(frozen=True, slots=True)
class RenderLimits:
    """What one render may use: wall-clock seconds, CPU seconds, address space, and output bytes."""

    timeout_seconds: float = 60.0
    cpu_seconds: float | None = None  # None: as many as the timeout
    max_memory_bytes: int | None = None
    max_output_bytes: int = 50 * _MIB

    def __post_init__(self) -> None:
        if self.timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        if self.cpu_seconds is not None and self.cpu_seconds <= 0:
            raise ValueError("cpu_seconds must be positive")
        if self.max_memory_bytes is not None and self.max_memory_bytes < 64 * _MIB:
            raise ValueError("max_memory_bytes must be at least 64 MiB")
        if self.max_output_bytes < 1024:
            raise ValueError("max_output_bytes must be at least 1 KiB")

    @property
    def cpu_budget(self) -> float:
        """The CPU seconds one render may use."""
        return self.cpu_seconds if self.cpu_seconds is not None else self.timeout_seconds


@dataclass(frozen=True, slots=True)
class WorkerRecycling:
    """When a worker is replaced by a fresh one: after `max_renders` renders, or when it holds more than
    `max_resident_bytes` of memory after a render (None: never for that reason)."""

    max_renders: int | None = 100
    max_resident_bytes: int | None = 200 * _MIB

    def __post_init__(self) -> None:
        if self.max_renders is not None and self.max_renders < 1:
            raise ValueError("max_renders must be at least 1")
        if self.max_resident_bytes is not None and self.max_resident_bytes < 64 * _MIB:
            raise ValueError("max_resident_bytes must be at least 64 MiB")

    def retires(self, renders: int, resident_bytes: int | None) -> bool:
        """Whether a worker that has done `renders` renders and holds `resident_bytes` should be replaced."""
        if self.max_renders is not None and renders >= self.max_renders:
            return True
        return (
            self.max_resident_bytes is not None
            and resident_bytes is not None
            and resident_bytes > self.max_resident_bytes
        )


# --- inside a worker process --------------------------------------------------------------------------------------


class _CpuTimeExceeded(BaseException):
    """Raised in a worker by SIGXCPU; a BaseException so that no `except Exception` in a library swallows it."""


_in_job = False


def _on_cpu_limit(signum: int, frame: FrameType | None) -> None:
    if _in_job:
        raise _CpuTimeExceeded


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _set_cpu_budget(seconds: float | None) -> None:
    """Let the process use `seconds` more CPU seconds before SIGXCPU (None: no limit)."""
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    soft = hard if seconds is None else math.ceil(_cpu_used() + seconds)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _resident_bytes() -> int | None:
    """The memory this process holds now (not its peak), where /proc tells it."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return None


def _worker_main(connection: Connection, max_memory_bytes: int | None) -> None:
    """A worker's loop: receive a job, run it under the limits, send the outcome; exit after a limit was hit."""
    global _in_job
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    signal.signal(signal.SIGXCPU, _on_cpu_limit)
    if max_memory_bytes is not None:
        resource.setrlimit(resource.RLIMIT_AS, (max_memory_bytes, max_memory_bytes))
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        function, args, cpu_seconds = job
        status: str = _OK
        try:
            _set_cpu_budget(cpu_seconds)
            _in_job = True
            try:
                value: Any = function(*args)
            finally:
                _in_job = False
                _set_cpu_budget(None)
        except _CpuTimeExceeded:
            status, value = (
                _LIMIT,
                RenderLimitExceeded(
                    f"rendering used more than {cpu_seconds:g} s of CPU time and was stopped; "
                    "the template may loop forever or the proposal be far too long",
                    limit="cpu_time",
                ),
            )
        except MemoryError:
            limit = f" (limit {max_memory_bytes // _MIB} MiB)" if max_memory_bytes else ""
            status, value = (
                _LIMIT,
                RenderLimitExceeded(
                    f"rendering ran out of memory{limit} and was stopped; the template may build something enormous",
                    limit="memory",
                ),
            )
        except RenderError as error:
            status, value = _FAILED, error
        except Exception as error:
            status, value = _FAILED, RenderError(f"the render failed: {type(error).__name__}: {error}")
        resident = _resident_bytes()
        try:
            connection.send((status, value, resident))
        except Exception as error:  # an unpicklable result: say so rather than leave the parent waiting
            connection.send((_FAILED, RenderError(f"the render's result could not be returned: {error}"), resident))
        if status == _LIMIT:
            return


# --- in the parent ------------------------------------------------------------------------------------------------


class _Worker:
    """A worker process and the pipe to it; its methods block, so the pool calls them from threads."""

    def __init__(self, context: ForkServerContext, max_memory_bytes: int | None) -> None:
        self.connection, child = context.Pipe(duplex=True)
        self.process: BaseProcess = context.Process(
            target=_worker_main, args=(child, max_memory_bytes), name="propos4l-render-worker", daemon=True
        )
        self.process.start()
        child.close()
        self.renders = 0

    def call(self, job: tuple[Any, ...], timeout: float) -> tuple[str, Any, int | None]:
        """Send a job and wait up to `timeout` seconds for its outcome (status, value, resident bytes after it);
        TimeoutError or EOFError otherwise."""
        self.connection.send(job)
        if not self.connection.poll(max(timeout, 0.0)):
            raise TimeoutError
        outcome: tuple[str, Any, int | None] = self.connection.recv()
        self.renders += 1
        return outcome

    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.process.is_alive()

    def stop(self, *, kill: bool) -> None:
        """Ask the worker to exit (or kill it), and reap it."""
        if kill:
            self.process.kill()
        else:
            try:
                self.connection.send(None)
            except OSError:
                self.process.kill()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.connection.close()

    def death(self) -> str:
        """Why the process ended, for an error message."""
        self.process.join(timeout=2)
        code = self.process.exitcode
        if code is None:
            return "it stopped answering"
        if code < 0:
            name = signal.Signals(-code).name
            hint = " (likely out of memory)" if -code == signal.SIGKILL else ""
            return f"it was killed by {name}{hint}"
        return f"it exited with code {code}"


def _fork_server_context(preload: list[str]) -> ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(preload)
    return context


class WorkerPool:
    """Runs module-level functions in up to `max_workers` worker processes, each call under `limits`."""

    def __init__(
        self,
        *,
        max_workers: int = 1,
        limits: RenderLimits = RenderLimits(),
        preload: str = "",
        recycling: WorkerRecycling = WorkerRecycling(),
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.limits = limits
        self.recycling = recycling
        self._max_workers = max_workers
        self._preload = [name for name in ("propos4l.renderer.weasy", preload) if name]
        self._idle: list[_Worker] = []
        self._starting: list[asyncio.Task[_Worker]] = []  # replacements on their way, taken before starting more
        self._slots: asyncio.Semaphore | None = None
        self._threads: ThreadPoolExecutor | None = None
        self._closed = False

    @property
    def max_workers(self) -> int:
        """How many renders run at once."""
        return self._max_workers

    async def call(self, function: Callable[..., T], *args: Any, timeout_seconds: float | None = None) -> T:
        """Run `function(*args)` in a worker under the limits; raise `RenderError` (or a subclass) on failure."""
        if self._closed:
            raise RenderError("the renderer is shut down")
        timeout = self.limits.timeout_seconds if timeout_seconds is None else timeout_seconds
        cpu = min(self.limits.cpu_budget, max(timeout, 1.0))
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._max_workers)
            self._threads = ThreadPoolExecutor(self._max_workers, thread_name_prefix="propos4l-render")
        async with self._slots:
            result: T = await self._call_in_worker((function, args, cpu), seconds=timeout)
            return result

    async def _call_in_worker(self, job: tuple[Any, ...], *, seconds: float) -> Any:
        loop = asyncio.get_running_loop()
        worker = await self._take_worker()
        deadline = loop.time() + seconds  # from when a worker has the job: starting a replacement is not the job's time
        finished = retire = False
        try:
            try:
                status, value, resident = await loop.run_in_executor(
                    self._threads, worker.call, job, max(deadline - loop.time(), 0.0)
                )
            except TimeoutError:
                raise RenderTimeout(
                    f"rendering took longer than {seconds:g} s and was stopped; "
                    "the proposal may be too long or the template too heavy"
                ) from None
            except (EOFError, OSError):
                raise RenderError(f"the render process stopped unexpectedly: {worker.death()}") from None
            finished = status != _LIMIT
            retire = finished and self.recycling.retires(worker.renders, resident)
            if status == _OK:
                return value
            raise value
        finally:
            if retire and not self._closed:
                logger.info(
                    "render worker retired; a fresh one replaces it",
                    extra={"renders": worker.renders, "resident_mb": (resident or 0) // _MIB},
                )
                self._starting.append(asyncio.create_task(self._replace(worker), name="render worker replacement"))
            elif finished and not self._closed:
                self._idle.append(worker)
            else:  # timed out, died, hit a limit, or cancelled mid-render: never reused
                worker.stop(kill=True)

    async def _take_worker(self) -> _Worker:
        while self._idle:
            worker = self._idle.pop()
            if worker.alive():
                return worker
            logger.warning("render worker found dead; starting another", extra={"reason": worker.death()})
        if self._starting:
            return await self._starting.pop(0)
        return await self._start_worker()

    def start_workers(self) -> None:
        """Start every worker now, in the background, rather than each on the render that first needs it."""
        missing = self._max_workers - len(self._idle) - len(self._starting)
        self._starting += [
            asyncio.create_task(self._start_worker(), name="render worker start") for _ in range(max(missing, 0))
        ]

    async def _replace(self, retired: _Worker) -> _Worker:
        # The retired worker exits first, so that its memory is back before the fresh one starts.
        await asyncio.to_thread(retired.stop, kill=False)
        return await self._start_worker()

    async def _start_worker(self) -> _Worker:
        context = await asyncio.to_thread(_fork_server_context, self._preload)
        return await asyncio.to_thread(_Worker, context, self.limits.max_memory_bytes)

    def close(self) -> None:
        """Refuse new work and stop idle workers; busy ones are killed when their render ends or times out."""
        self._closed = True
        idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop(kill=False)
        starting, self._starting = self._starting, []
        for task in starting:
            task.add_done_callback(_stop_started)
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)


def _stop_started(task: asyncio.Task[_Worker]) -> None:
    """Stop a worker that finished starting after the pool closed."""
    if not task.cancelled() and task.exception() is None:
        task.result().stop(kill=False)
