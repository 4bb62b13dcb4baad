"""Long-lived worker processes that run one render each at a time, under CPU-time, memory and wall-clock limits.

Each worker is its own process, started from a fork server that has already imported WeasyPrint. A render that
runs past its wall-clock timeout, or whose process dies, costs only that worker: it is killed and replaced, and the
renders on the other workers go on. A render that exceeds its CPU time (RLIMIT_CPU) or memory (RLIMIT_AS) fails with
a `RenderLimitExceeded` and its worker exits, so the next render starts in a clean process.
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

__all__ = ["RenderLimits", "WorkerPool"]

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
        try:
            connection.send((status, value))
        except Exception as error:  # an unpicklable result: say so rather than leave the parent waiting
            connection.send((_FAILED, RenderError(f"the render's result could not be returned: {error}")))
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

    def call(self, job: tuple[Any, ...], timeout: float) -> tuple[str, Any]:
        """Send a job and wait up to `timeout` seconds for its outcome; TimeoutError or EOFError otherwise."""
        self.connection.send(job)
        if not self.connection.poll(max(timeout, 0.0)):
            raise TimeoutError
        outcome: tuple[str, Any] = self.connection.recv()
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

    def __init__(self, *, max_workers: int = 1, limits: RenderLimits = RenderLimits(), preload: str = "") -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.limits = limits
        self._max_workers = max_workers
        self._preload = [name for name in ("propos4l.renderer.weasy", preload) if name]
        self._idle: list[_Worker] = []
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
        deadline = loop.time() + seconds
        worker = await self._take_worker()
        finished = False
        try:
            try:
                status, value = await loop.run_in_executor(
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
            if status == _OK:
                return value
            raise value
        finally:
            if finished and not self._closed:
                self._idle.append(worker)
            else:  # timed out, died, hit a limit, or cancelled mid-render: never reused
                worker.stop(kill=True)

    async def _take_worker(self) -> _Worker:
        while self._idle:
            worker = self._idle.pop()
            if worker.alive():
                return worker
            logger.warning("render worker found dead; starting another", extra={"reason": worker.death()})
        context = await asyncio.to_thread(_fork_server_context, self._preload)
        return await asyncio.to_thread(_Worker, context, self.limits.max_memory_bytes)

    def close(self) -> None:
        """Refuse new work and stop idle workers; busy ones are killed when their render ends or times out."""
        self._closed = True
        idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop(kill=False)
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
