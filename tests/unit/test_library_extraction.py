"""The library extracts text from each accepted format in limited worker processes, and refuses hostile files
cleanly: the pool goes on extracting after every refusal, timeout and breach."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pypdfium2
import pytest

from propos4l.library import extraction, passages
from propos4l.library.extraction import Block, Extracted, ExtractionFailed, ExtractionLimits, ExtractionPool
from propos4l.shared.events import LibraryFailureCode
from propos4l.shared.library_files import DOCX, HTML, MARKDOWN, PDF, PLAIN_TEXT
from tests.support import library_documents as documents

_MIB = 1024 * 1024


def _pool(limits: ExtractionLimits, tesseract: str | None = None) -> ExtractionPool:
    pool = ExtractionPool(1, limits, tesseract_command=tesseract or "/nonexistent/tesseract")
    pool.start()
    return pool


@pytest.fixture(scope="module")
def tesseract() -> str:
    command = documents.tesseract_command()
    if command is None:
        pytest.skip(
            "tesseract is not installed: it comes from Debian's tesseract-ocr, tesseract-ocr-por and "
            "tesseract-ocr-eng packages (`make install` unpacks them into .tools/ where apt-get can fetch them)"
        )
    return command


@pytest.fixture
async def pool(tesseract: str) -> AsyncIterator[ExtractionPool]:
    limits = ExtractionLimits(timeout_seconds=60, max_memory_bytes=1024 * _MIB, max_pages=100)
    extraction_pool = _pool(limits, tesseract)
    yield extraction_pool
    extraction_pool.close()
    for child in multiprocessing.active_children():
        child.join(timeout=10)


@pytest.fixture(scope="module")
def big_markdown(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 4 MB of Markdown: a few seconds of parsing and a couple of hundred MiB at its peak."""
    path = tmp_path_factory.mktemp("big") / "big.md"
    paragraph = "Uma frase com *ênfase* e [um link](https://example.com) sobre migração de dados. " * 20
    path.write_text(f"## Título\n\n{paragraph}\n\n" * 3000, encoding="utf-8")
    return path


def _write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


def _texts(extracted: Extracted) -> list[str]:
    return [block.text for block in extracted.blocks if not block.is_heading]


def _headings(extracted: Extracted) -> list[tuple[tuple[str, ...], str]]:
    return [(block.heading_path, block.text) for block in extracted.blocks if block.is_heading]


async def _assert_still_extracts(pool: ExtractionPool, folder: Path) -> None:
    path = _write(folder, "after.txt", "Depois da falha, o próximo documento é lido normalmente.")
    extracted = await pool.extract(path, PLAIN_TEXT)
    assert _texts(extracted) == ["Depois da falha, o próximo documento é lido normalmente."]


# --- formats ------------------------------------------------------------------------------------------------------


async def test_a_pdf_gives_its_headings_paragraphs_and_pages_with_progress(
    pool: ExtractionPool, tmp_path: Path
) -> None:
    path = _write(tmp_path, "proposta.pdf", documents.proposal_pdf())
    progress: list[tuple[int, int]] = []

    extracted = await pool.extract(path, PDF, on_page=lambda done, total: progress.append((done, total)))

    assert (extracted.pages, extracted.ocr_pages) == (2, 0)
    assert progress == [(1, 2), (2, 2)]
    assert _headings(extracted) == [
        ((), "Proposta de migração"),
        (("Proposta de migração",), "1 Contexto"),
        (("Proposta de migração", "1 Contexto"), "1.1 Objetivos"),
        (("Proposta de migração",), "2 Equipe"),
    ]
    paragraphs = [block for block in extracted.blocks if not block.is_heading]
    assert paragraphs[0] == Block(
        "A Acme Logística opera um ERP legado em servidores próprios. A migração para a nuvem reduz custos e o "
        "tempo de fechamento contábil.",
        ("Proposta de migração", "1 Contexto"),
        1,
    )
    assert paragraphs[1].text.startswith("O segundo parágrafo do contexto")
    assert paragraphs[2].heading_path == ("Proposta de migração", "1 Contexto", "1.1 Objetivos")
    assert paragraphs[-1] == Block(
        "Um arquiteto de soluções sênior lidera a equipe de quatro pessoas.", ("Proposta de migração", "2 Equipe"), 2
    )


async def test_a_docx_gives_heading_styles_paragraphs_and_table_rows(pool: ExtractionPool, tmp_path: Path) -> None:
    path = documents.proposal_docx(tmp_path / "metodologia.docx")

    extracted = await pool.extract(path, DOCX)

    assert _headings(extracted) == [
        ((), "Metodologia Acme"),
        (("Metodologia Acme",), "Descoberta"),
        (("Metodologia Acme", "Descoberta"), "Entregáveis"),
        (("Metodologia Acme",), "Equipe e valores"),
    ]
    body = [(block.heading_path[-1], block.text) for block in extracted.blocks if not block.is_heading]
    assert body == [
        ("Descoberta", "Entrevistas com as áreas de negócio durante duas semanas."),
        ("Entregáveis", "Mapa de processos e backlog priorizado."),
        ("Equipe e valores", "Papel | Valor/hora"),
        ("Equipe e valores", "Arquiteto sênior | 350,00"),
        ("Equipe e valores", "Analista | 180,00"),
        ("Equipe e valores", "Valores em reais, sem impostos."),
    ]
    assert all(block.page is None for block in extracted.blocks)


async def test_markdown_headings_give_the_heading_path(pool: ExtractionPool, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "notas.md",
        "# Casos\n\nIntrodução com **ênfase** e [link](https://example.com).\n\n## Varejo\n\n- Loja online\n"
        "- Migração de *dados*\n\n```\ncódigo\n```\n\nSetext\n======\n\nFim.\n",
    )

    extracted = await pool.extract(path, MARKDOWN)

    assert [(block.heading_path, block.text, block.is_heading) for block in extracted.blocks] == [
        ((), "Casos", True),
        (("Casos",), "Introdução com ênfase e link.", False),
        (("Casos",), "Varejo", True),
        (("Casos", "Varejo"), "Loja online", False),
        (("Casos", "Varejo"), "Migração de dados", False),
        (("Casos", "Varejo"), "código", False),
        ((), "Setext", True),
        (("Setext",), "Fim.", False),
    ]


async def test_html_headings_give_the_heading_path_and_scripts_and_styles_are_dropped(
    pool: ExtractionPool, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        "pagina.html",
        "<!doctype html><html><head><title>T</title><style>p { color: red }</style></head><body>"
        "<script>alert('x')</script><h1>Serviços</h1><p>Consultoria em <b>dados</b>.</p>"
        "<h2>Nuvem</h2><ul><li>AWS</li><li>Azure</li></ul><noscript>sem js</noscript><div>Texto solto</div>"
        "</body></html>",
    )

    extracted = await pool.extract(path, HTML)

    assert [(block.heading_path, block.text, block.is_heading) for block in extracted.blocks] == [
        ((), "Serviços", True),
        (("Serviços",), "Consultoria em dados.", False),
        (("Serviços",), "Nuvem", True),
        (("Serviços", "Nuvem"), "AWS", False),
        (("Serviços", "Nuvem"), "Azure", False),
        (("Serviços", "Nuvem"), "Texto solto", False),
    ]


async def test_plain_text_gives_paragraphs(pool: ExtractionPool, tmp_path: Path) -> None:
    path = _write(tmp_path, "nota.txt", "Primeiro parágrafo\ncontinua aqui.\n\n\nSegundo parágrafo.\n")

    extracted = await pool.extract(path, PLAIN_TEXT)

    assert extracted == Extracted(
        pages=1,
        ocr_pages=0,
        blocks=(Block("Primeiro parágrafo continua aqui.", (), None), Block("Segundo parágrafo.", (), None)),
    )


async def test_a_scanned_page_is_read_by_ocr_in_portuguese_with_accents(pool: ExtractionPool, tmp_path: Path) -> None:
    lines = ["Migração de dados para a nuvem", "Relatório técnico de avaliação", "Gestão de informações críticas"]
    path = _write(tmp_path, "digitalizado.pdf", documents.scanned_pdf(lines))

    extracted = await pool.extract(path, PDF)

    assert (extracted.pages, extracted.ocr_pages) == (1, 1)
    text = " ".join(block.text for block in extracted.blocks)
    for word in ("Migração", "nuvem", "Relatório", "técnico", "avaliação", "Gestão", "informações", "críticas"):
        assert word in text
    assert all(block.page == 1 for block in extracted.blocks)


async def test_a_scanned_pdf_where_ocr_finds_nothing_fails_with_no_text(pool: ExtractionPool, tmp_path: Path) -> None:
    path = _write(tmp_path, "vazio.pdf", documents.scanned_pdf([" "]))

    with pytest.raises(ExtractionFailed) as failure:
        await pool.extract(path, PDF)

    assert failure.value.code is LibraryFailureCode.NO_TEXT
    assert "scanned PDF and OCR found no text" in failure.value.reason


async def test_without_tesseract_a_scanned_pdf_says_ocr_is_missing(tmp_path: Path) -> None:
    pool = _pool(ExtractionLimits(timeout_seconds=60))
    try:
        assert not pool.ocr_available
        with pytest.raises(ExtractionFailed) as failure:
            await pool.extract(_write(tmp_path, "scan.pdf", documents.scanned_pdf(["Texto"])), PDF)
        assert failure.value.code is LibraryFailureCode.NO_TEXT
        assert "OCR (Tesseract) is not installed" in failure.value.reason
    finally:
        pool.close()


# --- hostile files ------------------------------------------------------------------------------------------------


async def test_a_password_protected_pdf_is_refused_as_encrypted(pool: ExtractionPool, tmp_path: Path) -> None:
    path = _write(tmp_path, "segredo.pdf", documents.encrypted_pdf(documents.proposal_pdf()))

    with pytest.raises(ExtractionFailed) as failure:
        await pool.extract(path, PDF)

    assert failure.value.code is LibraryFailureCode.ENCRYPTED
    assert failure.value.reason == "password-protected PDF: remove the password and upload it again"
    await _assert_still_extracts(pool, tmp_path)


@pytest.mark.parametrize(
    ("name", "media_type", "data"),
    [
        ("truncated.pdf", PDF, lambda: documents.proposal_pdf()[:2000]),
        ("garbage.pdf", PDF, lambda: b"%PDF-1.7\n" + bytes(range(256)) * 40),
        ("truncated.docx", DOCX, lambda: b"PK\x03\x04" + bytes(500)),
    ],
)
async def test_a_malformed_file_is_refused_as_malformed(
    pool: ExtractionPool, tmp_path: Path, name: str, media_type: str, data: object
) -> None:
    assert callable(data)
    path = _write(tmp_path, name, data())

    with pytest.raises(ExtractionFailed) as failure:
        await pool.extract(path, media_type)

    assert failure.value.code is LibraryFailureCode.MALFORMED
    await _assert_still_extracts(pool, tmp_path)


async def test_a_docx_zip_bomb_is_refused_from_its_central_directory(pool: ExtractionPool, tmp_path: Path) -> None:
    path = documents.zip_bomb_docx(tmp_path / "bomba.docx")
    assert path.stat().st_size < 1 * _MIB

    started = time.monotonic()
    with pytest.raises(ExtractionFailed) as failure:
        await pool.extract(path, DOCX)

    assert failure.value.code is LibraryFailureCode.TOO_LARGE
    assert "zip bomb" in failure.value.reason
    assert time.monotonic() - started < 5
    await _assert_still_extracts(pool, tmp_path)


async def test_a_docx_that_unpacks_past_the_limit_is_refused_as_too_large(tmp_path: Path) -> None:
    pool = _pool(ExtractionLimits(timeout_seconds=60, max_uncompressed_bytes=1 * _MIB))
    try:
        with pytest.raises(ExtractionFailed) as failure:
            await pool.extract(documents.random_bytes_docx(tmp_path / "grande.docx", 2 * _MIB), DOCX)
        assert failure.value.code is LibraryFailureCode.TOO_LARGE
        assert "more than the 1 MiB allowed" in failure.value.reason
    finally:
        pool.close()


async def test_a_pdf_with_more_pages_than_the_limit_is_refused_before_reading(tmp_path: Path) -> None:
    pool = _pool(ExtractionLimits(timeout_seconds=60, max_pages=1000))
    try:
        path = _write(tmp_path, "enorme.pdf", documents.blank_pdf(5000))
        progress: list[tuple[int, int]] = []

        with pytest.raises(ExtractionFailed) as failure:
            await pool.extract(path, PDF, on_page=lambda done, total: progress.append((done, total)))

        assert failure.value.code is LibraryFailureCode.TOO_MANY_PAGES
        assert "5000 pages, more than the 1000" in failure.value.reason
        assert progress == []  # not one page was read
        await _assert_still_extracts(pool, tmp_path)
    finally:
        pool.close()


async def test_a_pdf_with_javascript_is_read_and_its_script_never_runs(pool: ExtractionPool, tmp_path: Path) -> None:
    # The script would loop forever (and alert) if it ran. pdfium runs scripts only through a form environment with
    # V8; the wheel is built without V8, and the reader never initialises forms. So the text comes back at once.
    assert "V8" not in pypdfium2.PDFIUM_INFO.flags
    path = _write(tmp_path, "script.pdf", documents.scripted_pdf(documents.proposal_pdf()))
    assert b"/JavaScript" in path.read_bytes()

    extracted = await pool.extract(path, PDF)

    assert extracted.pages == 2
    assert "Um arquiteto de soluções sênior lidera a equipe de quatro pessoas." in _texts(extracted)


async def test_an_unsupported_type_is_refused(pool: ExtractionPool, tmp_path: Path) -> None:
    with pytest.raises(ExtractionFailed) as failure:
        await pool.extract(_write(tmp_path, "a.bin", b"\x7fELF"), "application/octet-stream")
    assert failure.value.code is LibraryFailureCode.UNSUPPORTED_TYPE


async def test_a_missing_file_fails_as_file_missing(pool: ExtractionPool, tmp_path: Path) -> None:
    with pytest.raises(ExtractionFailed) as failure:
        await pool.extract(tmp_path / "gone.pdf", PDF)
    assert failure.value.code is LibraryFailureCode.FILE_MISSING


# --- limits -------------------------------------------------------------------------------------------------------


async def test_a_document_past_the_wall_clock_timeout_is_stopped_and_the_pool_goes_on(
    tmp_path: Path, big_markdown: Path
) -> None:
    pool = _pool(ExtractionLimits(timeout_seconds=0.5))
    try:
        workers = {child.pid for child in multiprocessing.active_children()}
        started = time.monotonic()
        with pytest.raises(ExtractionFailed) as failure:
            await pool.extract(big_markdown, MARKDOWN)
        assert failure.value.code is LibraryFailureCode.TIMED_OUT
        assert "longer than 0.5 s" in failure.value.reason
        assert time.monotonic() - started < 30  # far below the document's own time, with room for a loaded machine
        await _assert_still_extracts(pool, tmp_path)
        assert {child.pid for child in multiprocessing.active_children()}.isdisjoint(workers - {None})
    finally:
        pool.close()


async def test_a_document_past_its_cpu_time_is_stopped_and_the_pool_goes_on(tmp_path: Path, big_markdown: Path) -> None:
    pool = _pool(ExtractionLimits(timeout_seconds=60, cpu_seconds=1))
    try:
        with pytest.raises(ExtractionFailed) as failure:
            await pool.extract(big_markdown, MARKDOWN)
        assert failure.value.code is LibraryFailureCode.TIMED_OUT
        assert "CPU time" in failure.value.reason
        await _assert_still_extracts(pool, tmp_path)
    finally:
        pool.close()


async def test_a_document_past_the_memory_limit_is_stopped_and_the_pool_goes_on(
    tmp_path: Path, big_markdown: Path
) -> None:
    pool = _pool(ExtractionLimits(timeout_seconds=60, max_memory_bytes=160 * _MIB))
    try:
        with pytest.raises(ExtractionFailed) as failure:
            await pool.extract(big_markdown, MARKDOWN)
        assert failure.value.code is LibraryFailureCode.OUT_OF_MEMORY
        assert "out of memory (limit 160 MiB)" in failure.value.reason
        await _assert_still_extracts(pool, tmp_path)
    finally:
        pool.close()


def test_the_public_names_are_the_interface_the_service_builds_on() -> None:
    assert sorted(extraction.__all__) == [
        "Block",
        "Extracted",
        "ExtractionFailed",
        "ExtractionLimits",
        "ExtractionPool",
    ]
    assert sorted(passages.__all__) == ["PassageDraft", "split"]
    failure = ExtractionFailed(LibraryFailureCode.NO_TEXT, "sem texto")
    assert (failure.code, failure.reason) == (LibraryFailureCode.NO_TEXT, "sem texto")


def test_limits_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="timeout_seconds"):
        ExtractionLimits(timeout_seconds=0)
    with pytest.raises(ValueError, match="max_pages"):
        ExtractionLimits(max_pages=0)
    with pytest.raises(ValueError, match="max_memory_bytes"):
        ExtractionLimits(max_memory_bytes=1024)
