"""PdfRenderer renders in worker processes, stops renders that take too long, and survives dead workers.

Each worker is its own process: a render that is stopped or dies costs that worker only, never the others.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from propos4l.renderer.errors import RenderError, RenderTimeout, TemplateNotFound
from propos4l.renderer.pdf import PdfRenderer
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.templates import install_default_template
from propos4l.shared.sections import Language


@pytest.fixture(scope="module")
def templates_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("templates")
    install_default_template(path)
    return path


@pytest.fixture
async def renderer() -> AsyncIterator[PdfRenderer]:
    pdf_renderer = PdfRenderer(max_workers=1, timeout_seconds=60)
    yield pdf_renderer
    pdf_renderer.close()
    for child in multiprocessing.active_children():
        child.join(timeout=10)


def _worker_pids() -> set[int]:
    return {child.pid for child in multiprocessing.active_children() if child.pid is not None}


async def test_renders_in_a_worker_process_and_survives_its_death(renderer: PdfRenderer, templates_dir: Path) -> None:
    first = await renderer.render(sample_drafted(Language.PT_BR), templates_dir)
    assert first.data.startswith(b"%PDF-")
    assert first.pages >= 3
    workers = _worker_pids()
    assert workers and os.getpid() not in workers

    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    for child in multiprocessing.active_children():
        child.join(timeout=10)

    second = await renderer.render(sample_drafted(Language.EN), templates_dir)
    assert second.data.startswith(b"%PDF-")
    assert _worker_pids().isdisjoint(workers)

    with pytest.raises(TemplateNotFound, match="no template named 'nope'"):
        base = sample_drafted(Language.EN)
        await renderer.render(
            base.model_copy(update={"request": base.request.model_copy(update={"template": "nope"})}), templates_dir
        )


async def test_concurrent_renders_share_the_pool(renderer: PdfRenderer, templates_dir: Path) -> None:
    results = await asyncio.gather(
        *(renderer.render(sample_drafted(language), templates_dir) for language in (Language.PT_BR, Language.EN))
    )
    assert all(result.data.startswith(b"%PDF-") for result in results)


async def test_a_render_that_takes_too_long_is_stopped_and_the_pool_recycled(
    renderer: PdfRenderer, templates_dir: Path
) -> None:
    with pytest.raises(RenderTimeout, match=r"longer than 0\.01 s"):
        await renderer.render(sample_drafted(Language.EN), templates_dir, timeout_seconds=0.01)
    for child in multiprocessing.active_children():
        child.join(timeout=10)
    assert not _worker_pids()  # the stuck worker was killed, not left holding a slot
    result = await renderer.render(sample_drafted(Language.EN), templates_dir)
    assert result.data.startswith(b"%PDF-")


async def test_a_closed_renderer_refuses_work(templates_dir: Path) -> None:
    pdf_renderer = PdfRenderer()
    pdf_renderer.close()
    with pytest.raises(RenderError, match="shut down"):
        await pdf_renderer.render(sample_drafted(Language.EN), templates_dir)


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="max_workers"):
        PdfRenderer(max_workers=0)
    with pytest.raises(ValueError, match="timeout_seconds"):
        PdfRenderer(timeout_seconds=0)
    with pytest.raises(ValueError, match="cpu_seconds"):
        PdfRenderer(cpu_seconds=-1)
    with pytest.raises(ValueError, match="max_memory_bytes"):
        PdfRenderer(max_memory_bytes=1024)


async def test_a_worker_killed_mid_render_fails_that_render_clearly(templates_dir: Path) -> None:
    pdf_renderer = PdfRenderer(max_workers=1, timeout_seconds=60)
    try:
        await pdf_renderer.render(sample_drafted(Language.EN), templates_dir)  # a warm worker
        (worker,) = _worker_pids()
        render = asyncio.ensure_future(pdf_renderer.render(sample_drafted(Language.PT_BR), templates_dir))
        await asyncio.sleep(0.3)  # inside the render
        os.kill(worker, signal.SIGKILL)
        with pytest.raises(RenderError, match="stopped unexpectedly: it was killed by SIGKILL"):
            await render
        assert (await pdf_renderer.render(sample_drafted(Language.EN), templates_dir)).pages >= 3
    finally:
        pdf_renderer.close()


async def test_a_stopped_render_leaves_the_other_workers_alone(templates_dir: Path) -> None:
    pdf_renderer = PdfRenderer(max_workers=2, timeout_seconds=60)
    try:
        await asyncio.gather(*(pdf_renderer.render(sample_drafted(lang), templates_dir) for lang in Language))
        assert len(_worker_pids()) == 2
        slow = pdf_renderer.render(sample_drafted(Language.EN), templates_dir, timeout_seconds=0.05)
        normal = pdf_renderer.render(sample_drafted(Language.PT_BR), templates_dir)
        stopped, rendered = await asyncio.gather(slow, normal, return_exceptions=True)
        assert isinstance(stopped, RenderTimeout)
        assert not isinstance(rendered, BaseException) and rendered.pages >= 3  # its worker was not touched
    finally:
        pdf_renderer.close()


async def test_never_more_renders_at_once_than_workers(templates_dir: Path) -> None:
    pdf_renderer = PdfRenderer(max_workers=1, timeout_seconds=60)
    try:
        results = await asyncio.gather(
            *(pdf_renderer.render(sample_drafted(Language.EN), templates_dir) for _ in range(3))
        )
        assert all(result.pages >= 3 for result in results)
        assert len(_worker_pids()) == 1  # the three renders took turns on one worker process
    finally:
        pdf_renderer.close()


async def test_the_event_loop_never_waits_for_weasyprint(renderer: PdfRenderer, templates_dir: Path) -> None:
    await renderer.render(sample_drafted(Language.EN), templates_dir)  # a warm worker
    loop = asyncio.get_running_loop()
    lags: list[float] = []

    async def ticker() -> None:
        while True:
            started = loop.time()
            await asyncio.sleep(0.01)
            lags.append(loop.time() - started - 0.01)

    ticking = asyncio.create_task(ticker())
    try:
        await renderer.render(sample_drafted(Language.PT_BR), templates_dir)
    finally:
        ticking.cancel()
    assert len(lags) > 20  # the loop kept turning during the whole render ...
    assert max(lags) < 0.25  # ... never held up for long (WeasyPrint takes about a second)
