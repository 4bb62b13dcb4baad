"""HTML to PDF with WeasyPrint, and an asyncio-facing renderer that does it in a pool of worker processes."""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from propos4l.renderer.document import build_html
from propos4l.renderer.errors import RenderError, RenderTimeout
from propos4l.renderer.fetcher import TemplateUrlFetcher
from propos4l.renderer.templates import load_template
from propos4l.renderer.weasy import HTML
from propos4l.shared.events import ProposalDrafted

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "PdfRenderer", "RenderedPdf", "render_drafted", "render_pdf_bytes"]

DEFAULT_TIMEOUT_SECONDS: Final = 60.0


@dataclass(frozen=True, slots=True)
class RenderedPdf:
    """A rendered PDF document and its page count."""

    data: bytes
    pages: int


def render_pdf_bytes(html: str, template_dir: Path) -> RenderedPdf:
    """Lay out `html` with resources from `template_dir` only, and write the PDF (blocking, CPU-bound)."""
    fetcher = TemplateUrlFetcher(template_dir)
    document = HTML(string=html, base_url=str(fetcher.root) + "/", url_fetcher=fetcher).render()
    data = document.write_pdf()
    if not isinstance(data, bytes):  # pragma: no cover - write_pdf without a target always returns bytes
        raise RenderError("WeasyPrint returned no PDF data")
    return RenderedPdf(data=data, pages=len(document.pages))


def render_drafted(drafted: ProposalDrafted, templates_dir: Path) -> RenderedPdf:
    """Load the proposal's template, fill it in and render it (blocking); raise only `RenderError`s."""
    try:
        template = load_template(templates_dir, drafted.request.template)
        return render_pdf_bytes(build_html(drafted, template), template.path)
    except RenderError:
        raise
    except MemoryError:
        raise RenderError("rendering the PDF ran out of memory") from None
    except Exception as exc:
        raise RenderError(f"the PDF could not be produced: {type(exc).__name__}: {exc}") from None


def _init_worker(max_memory_bytes: int | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when workers stop
    if max_memory_bytes is not None:
        resource.setrlimit(resource.RLIMIT_AS, (max_memory_bytes, max_memory_bytes))


def _render_in_worker(drafted_json: str, templates_dir: str) -> RenderedPdf:
    drafted = ProposalDrafted.model_validate_json(drafted_json)
    return render_drafted(drafted, Path(templates_dir))


class PdfRenderer:
    """Renders proposals in worker processes, off the event loop, with a timeout; a broken pool is replaced."""

    def __init__(
        self,
        *,
        max_workers: int = 1,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        max_memory_bytes: int | None = None,
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        self._max_workers = max_workers
        self._timeout = timeout_seconds
        self._max_memory_bytes = max_memory_bytes
        self._pool: ProcessPoolExecutor | None = None
        self._closed = False

    async def render(
        self, drafted: ProposalDrafted, templates_dir: Path, *, timeout_seconds: float | None = None
    ) -> RenderedPdf:
        """Render a drafted proposal to PDF in a worker; raise `RenderError` (or `RenderTimeout`) on failure."""
        timeout = self._timeout if timeout_seconds is None else timeout_seconds
        payload = drafted.model_dump_json()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        # A render can fail because another render broke the shared pool; it is tried once more on a fresh one.
        for attempt in (1, 2):
            pool = self._current_pool()
            try:
                # Submitting may start a worker process (and, the first time, the fork server): not on the loop.
                submitted = await asyncio.to_thread(pool.submit, _render_in_worker, payload, str(templates_dir))
                return await asyncio.wait_for(asyncio.wrap_future(submitted), max(deadline - loop.time(), 0.0))
            except TimeoutError:
                self._recycle(pool)
                raise RenderTimeout(
                    f"rendering the PDF took longer than {timeout:g} s and was stopped; "
                    "the proposal may be too long or the template too heavy"
                ) from None
            except BrokenProcessPool:
                self._recycle(pool)
                if attempt == 2:
                    raise RenderError(
                        "the PDF renderer process stopped unexpectedly twice (it may have run out of memory)"
                    ) from None
            except RenderError:
                raise
            except Exception as exc:
                raise RenderError(f"the PDF could not be produced: {type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        """Refuse new renders and let the workers exit once their current render ends; does not block."""
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def _current_pool(self) -> ProcessPoolExecutor:
        if self._closed:
            raise RenderError("the PDF renderer is shut down")
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            # Workers fork from a server that has already imported WeasyPrint, so a replacement starts quickly.
            context.set_forkserver_preload([__name__])
            self._pool = ProcessPoolExecutor(
                max_workers=self._max_workers,
                mp_context=context,
                initializer=_init_worker,
                initargs=(self._max_memory_bytes,),
            )
        return self._pool

    def _recycle(self, pool: ProcessPoolExecutor) -> None:
        """Kill a stuck or broken pool's workers and forget it; the next render starts a fresh pool."""
        if pool is self._pool:
            self._pool = None
        # concurrent.futures has no public way to stop a running worker, hence the private process table.
        processes = list((pool._processes or {}).values())
        for process in processes:
            if process.is_alive():
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
