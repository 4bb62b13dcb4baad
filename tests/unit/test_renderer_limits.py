"""A proposal cannot hold a render worker for long: its size and pages are capped, with a reason naming the limit."""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from propos4l.renderer.errors import RenderLimitExceeded
from propos4l.renderer.pdf import PdfRenderer, render_pdf_bytes
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
    pdf_renderer = PdfRenderer(max_workers=1, timeout_seconds=60, max_pages=3, max_characters=20_000)
    yield pdf_renderer
    pdf_renderer.close()
    for child in multiprocessing.active_children():
        child.join(timeout=10)


def test_layout_stops_at_the_first_page_past_the_limit(tmp_path: Path) -> None:
    pages = "".join('<p style="break-after: page">page</p>' for _ in range(400))
    with pytest.raises(RenderLimitExceeded) as raised:
        render_pdf_bytes(f"<html><body>{pages}</body></html>", tmp_path, max_pages=5)
    assert "more than 5 pages" in str(raised.value) and "RENDER_MAX_PAGES" in str(raised.value)
    assert "stopped at page 6" in str(raised.value), "WeasyPrint is stopped there, not left to lay out all 400"
    progress = logging.getLogger("weasyprint.progress")
    assert not progress.filters and progress.level == logging.NOTSET, "the logger is left as it was"


def test_a_document_within_the_page_limit_renders(tmp_path: Path) -> None:
    pages = "".join('<p style="break-after: page">page</p>' for _ in range(5))
    assert render_pdf_bytes(f"<html><body>{pages}</body></html>", tmp_path, max_pages=5).pages == 5


async def test_a_proposal_past_its_page_limit_fails_in_the_worker(renderer: PdfRenderer, templates_dir: Path) -> None:
    with pytest.raises(RenderLimitExceeded, match="more than 3 pages"):
        await renderer.render(sample_drafted(Language.EN), templates_dir)  # six pages


async def test_a_proposal_past_its_size_limit_fails_before_it_renders(
    renderer: PdfRenderer, templates_dir: Path
) -> None:
    drafted = sample_drafted(Language.EN)
    long = tuple(section.model_copy(update={"content": "x" * 2_500}) for section in drafted.sections)
    oversize = drafted.model_copy(update={"sections": long})
    with pytest.raises(RenderLimitExceeded) as raised:
        await renderer.render(oversize, templates_dir)
    assert "25,000 characters" in str(raised.value) and "PROPOSAL_MAX_CHARACTERS (20,000)" in str(raised.value)


def test_the_limits_are_checked(templates_dir: Path) -> None:
    with pytest.raises(ValueError, match="max_pages"):
        PdfRenderer(max_pages=0)
    with pytest.raises(ValueError, match="max_characters"):
        PdfRenderer(max_characters=0)
