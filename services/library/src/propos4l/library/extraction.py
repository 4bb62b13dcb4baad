"""Text extraction in worker processes under CPU-time, memory, wall-clock and page-count limits.

Each document is read in a long-lived worker process (started from a fork server that has already imported the
readers), never in the service's own process: a hostile file (a zip bomb, a PDF that makes pdfium loop or crash)
costs only that worker. A worker past the wall-clock timeout, or one whose process dies, is killed and replaced; one
that exceeds its CPU time (RLIMIT_CPU) or memory (RLIMIT_AS) answers with the failure and exits. Workers that grew
large are retired after a document, so memory does not creep. The shape follows the renderer's pool
(services/renderer/src/propos4l/renderer/pool.py); this one also streams page progress from the worker.
"""

from __future__ import annotations

import asyncio
import logging
import math
import multiprocessing
import resource
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType
from typing import Any, Final

from propos4l.library.blocks import Block, Extracted, ExtractionFailed
from propos4l.library.ocr import DEFAULT_OCR_LANGUAGES, OcrEngine, OcrUnavailable, find_tesseract
from propos4l.library.readers import ReadRequest, read_document
from propos4l.shared.events import LibraryFailureCode

__all__ = ["Block", "Extracted", "ExtractionFailed", "ExtractionLimits", "ExtractionPool"]

logger = logging.getLogger(__name__)

_MIB: Final = 1024 * 1024
_PAGE: Final = "page"
_OK: Final = "ok"
_FAILED: Final = "failed"
_LIMIT: Final = "limit"  # failed on a limit: the worker exits after answering
# A worker is replaced after this many documents, or when it holds more than this much memory after one.
_MAX_DOCUMENTS_PER_WORKER: Final = 200
_MAX_RESIDENT_BYTES: Final = 400 * _MIB


@dataclass(frozen=True, slots=True)
class ExtractionLimits:
    """What reading one document may use: wall-clock seconds, address space, pages, CPU seconds (None: as many as
    the timeout) and, for DOCX, the bytes its zip archive may unpack to."""

    timeout_seconds: float = 600.0
    max_memory_bytes: int | None = 1024 * _MIB
    max_pages: int = 1000
    cpu_seconds: int | None = None
    max_uncompressed_bytes: int = 256 * _MIB

    def __post_init__(self) -> None:
        if self.timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        if self.max_memory_bytes is not None and self.max_memory_bytes < 64 * _MIB:
            raise ValueError("max_memory_bytes must be at least 64 MiB")
        if self.max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        if self.cpu_seconds is not None and self.cpu_seconds < 1:
            raise ValueError("cpu_seconds must be at least 1")
        if self.max_uncompressed_bytes < _MIB:
            raise ValueError("max_uncompressed_bytes must be at least 1 MiB")

    @property
    def cpu_budget(self) -> float:
        """The CPU seconds one document may use."""
        return float(self.cpu_seconds) if self.cpu_seconds is not None else self.timeout_seconds


# --- inside a worker process --------------------------------------------------------------------------------------


class _CpuTimeExceeded(BaseException):
    """Raised in a worker by SIGXCPU; a BaseException so that no `except Exception` in a library swallows it."""


_in_job = False


def _on_cpu_limit(signum: int, frame: FrameType | None) -> None:
    if _in_job:
        raise _CpuTimeExceeded


def _set_cpu_budget(seconds: float | None) -> None:
    """Let the process use `seconds` more CPU seconds before SIGXCPU (None: no limit)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    soft = hard if seconds is None else math.ceil(usage.ru_utime + usage.ru_stime + seconds)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _resident_bytes() -> int | None:
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return None


def _worker_main(connection: Connection, max_memory_bytes: int | None) -> None:
    """A worker's loop: receive a document, read it under the limits, send progress and the outcome."""
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
        request, cpu_seconds = job
        status, value = _run(connection, request, cpu_seconds, max_memory_bytes)
        try:
            connection.send((status, value, _resident_bytes()))
        except Exception as error:  # an unpicklable result: say so rather than leave the parent waiting
            failure = ExtractionFailed(LibraryFailureCode.MALFORMED, f"the text could not be returned: {error}")
            connection.send((_FAILED, failure, None))
        if status == _LIMIT:
            return


def _run(connection: Connection, request: ReadRequest, cpu_seconds: float, max_memory: int | None) -> tuple[str, Any]:
    global _in_job

    def report(done: int, total: int) -> None:
        connection.send((_PAGE, done, total))

    try:
        _set_cpu_budget(cpu_seconds)
        _in_job = True
        try:
            return _OK, read_document(request, report)
        finally:
            _in_job = False
            _set_cpu_budget(None)
    except _CpuTimeExceeded:
        return _LIMIT, ExtractionFailed(
            LibraryFailureCode.TIMED_OUT,
            f"reading the document used more than {cpu_seconds:g} s of CPU time and was stopped; split it into "
            "smaller documents",
        )
    except MemoryError:
        limit = f" (limit {max_memory // _MIB} MiB)" if max_memory else ""
        return _LIMIT, ExtractionFailed(
            LibraryFailureCode.OUT_OF_MEMORY,
            f"reading the document ran out of memory{limit} and was stopped; split it into smaller documents",
        )
    except ExtractionFailed as failure:
        return _FAILED, failure
    except OcrUnavailable as error:
        return _FAILED, ExtractionFailed(LibraryFailureCode.NO_TEXT, f"a scanned page needs OCR, which failed: {error}")
    except Exception as error:
        logger.warning("a document could not be read", exc_info=True)
        return _FAILED, ExtractionFailed(
            LibraryFailureCode.MALFORMED, f"the document could not be read ({type(error).__name__}: {error})"
        )


# --- in the parent ------------------------------------------------------------------------------------------------


class _Worker:
    """A worker process and the pipe to it; its methods block, so the pool calls them from threads."""

    def __init__(self, context: ForkServerContext, max_memory_bytes: int | None) -> None:
        self.connection, child = context.Pipe(duplex=True)
        self.process: BaseProcess = context.Process(
            target=_worker_main, args=(child, max_memory_bytes), name="propos4l-extraction-worker", daemon=True
        )
        self.process.start()
        child.close()
        self.documents = 0

    def call(
        self, job: tuple[ReadRequest, float], deadline: float, on_page: Callable[[int, int], None]
    ) -> tuple[str, Any, int | None]:
        """Send a job and wait until `deadline` (time.monotonic) for its outcome, passing progress to `on_page`;
        TimeoutError or EOFError otherwise."""
        self.connection.send(job)
        while True:
            if not self.connection.poll(max(deadline - time.monotonic(), 0.0)):
                raise TimeoutError
            message = self.connection.recv()
            if message[0] == _PAGE:
                on_page(message[1], message[2])
                continue
            self.documents += 1
            outcome: tuple[str, Any, int | None] = message
            return outcome

    def alive(self) -> bool:
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

    def death(self) -> ExtractionFailed:
        """Why the process ended, as the failure of the document it was reading."""
        self.process.join(timeout=2)
        code = self.process.exitcode
        if code is not None and code < 0 and -code == signal.SIGKILL:
            return ExtractionFailed(
                LibraryFailureCode.OUT_OF_MEMORY,
                "the reader was killed while reading the document (likely out of memory); split it into smaller "
                "documents",
            )
        how = f"signal {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
        return ExtractionFailed(
            LibraryFailureCode.MALFORMED, f"the reader crashed on this document ({how}); export it again and retry"
        )


class ExtractionPool:
    """Reads documents in up to `max_workers` worker processes, each document under `limits`."""

    def __init__(
        self,
        max_workers: int,
        limits: ExtractionLimits,
        *,
        tesseract_command: str | None = None,
        ocr_languages: str = DEFAULT_OCR_LANGUAGES,
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.limits = limits
        self._max_workers = max_workers
        self._tesseract_command = tesseract_command
        self._ocr_languages = ocr_languages
        self._ocr: OcrEngine | None = None
        self._idle: list[_Worker] = []
        self._context: ForkServerContext | None = None
        self._slots: asyncio.Semaphore | None = None
        self._threads: ThreadPoolExecutor | None = None
        self._closed = False

    @property
    def ocr_available(self) -> bool:
        """Whether scanned pages can be read (Tesseract was found when the pool started)."""
        return self._ocr is not None

    def start(self) -> None:
        """Find Tesseract and start the worker processes (blocks while they start, about a second)."""
        command = find_tesseract(self._tesseract_command)
        if command is None:
            logger.warning(
                "tesseract not found: scanned PDF pages cannot be read",
                extra={"tesseract_command": self._tesseract_command or "tesseract"},
            )
        else:
            self._ocr = OcrEngine(command, self._ocr_languages)
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["propos4l.library.readers"])
        self._threads = ThreadPoolExecutor(self._max_workers, thread_name_prefix="propos4l-extraction")
        while len(self._idle) < self._max_workers:
            self._idle.append(_Worker(self._context, self.limits.max_memory_bytes))

    async def extract(
        self, path: Path, media_type: str, *, on_page: Callable[[int, int], None] | None = None
    ) -> Extracted:
        """The text of the document at `path`; `on_page(done, total)` runs on the event loop as pages are read.

        Raises ExtractionFailed with the code and a reason a person can act on.
        """
        if self._closed or self._context is None:
            raise RuntimeError("the extraction pool is not running")
        if self._slots is None:
            self._slots = asyncio.Semaphore(self._max_workers)
        request = ReadRequest(
            path=path,
            media_type=media_type,
            max_pages=self.limits.max_pages,
            max_uncompressed_bytes=self.limits.max_uncompressed_bytes,
            timeout_seconds=self.limits.timeout_seconds,
            ocr=self._ocr,
        )
        async with self._slots:
            return await self._extract_in_worker(request, on_page)

    async def _extract_in_worker(self, request: ReadRequest, on_page: Callable[[int, int], None] | None) -> Extracted:
        loop = asyncio.get_running_loop()
        cpu = min(self.limits.cpu_budget, max(self.limits.timeout_seconds, 1.0))

        def report(done: int, total: int) -> None:
            if on_page is not None:
                loop.call_soon_threadsafe(on_page, done, total)

        worker = await self._take_worker()
        # The document's time starts once a worker has it: starting a replacement worker is not the document's doing.
        deadline = time.monotonic() + self.limits.timeout_seconds
        reusable = False
        try:
            try:
                status, value, resident = await loop.run_in_executor(
                    self._threads, worker.call, (request, cpu), deadline, report
                )
            except TimeoutError:
                raise ExtractionFailed(
                    LibraryFailureCode.TIMED_OUT,
                    f"reading the document took longer than {self.limits.timeout_seconds:g} s and was stopped; "
                    "split it into smaller documents",
                ) from None
            except (EOFError, OSError):
                raise worker.death() from None
            reusable = (
                status != _LIMIT
                and worker.documents < _MAX_DOCUMENTS_PER_WORKER
                and (resident is None or resident <= _MAX_RESIDENT_BYTES)
            )
            if status == _OK:
                extracted: Extracted = value
                return extracted
            raise value
        finally:
            if reusable and not self._closed:
                self._idle.append(worker)
            else:  # timed out, died, hit a limit, grew large or cancelled mid-document: never reused
                await asyncio.shield(asyncio.to_thread(worker.stop, kill=True))

    async def _take_worker(self) -> _Worker:
        while self._idle:
            worker = self._idle.pop()
            if worker.alive():
                return worker
            logger.warning("extraction worker found dead; starting another")
            await asyncio.to_thread(worker.stop, kill=True)
        return await asyncio.to_thread(_Worker, self._require_context(), self.limits.max_memory_bytes)

    def _require_context(self) -> ForkServerContext:
        if self._context is None:
            raise RuntimeError("the extraction pool is not running")
        return self._context

    def close(self) -> None:
        """Refuse new documents and stop the idle workers; a busy one is killed when its document ends."""
        self._closed = True
        idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop(kill=False)
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
