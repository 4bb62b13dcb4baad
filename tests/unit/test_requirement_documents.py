"""Real client files made by the test (a PDF edital with numbered clauses, a DOCX, a scanned page) read by the
library's readers give requirements with exact quotes, pages and clauses, and the same ids every time."""

from __future__ import annotations

import html
import time
from pathlib import Path

import docx
import pytest

from propos4l.library.blocks import Block, Extracted
from propos4l.library.document_pages import source_pages
from propos4l.library.docx_reader import read_docx
from propos4l.library.ocr import OcrEngine
from propos4l.library.pdf_reader import read_pdf
from propos4l.shared.requirements import Location, Obligation, RequirementKind, SourcePage, extract_requirements
from tests.support import library_documents as documents

_PAGES = [
    [
        "PREFEITURA MUNICIPAL DE VALE VERDE",
        "5. DAS OBRIGAÇÕES DA CONTRATADA",
        "5.1 A CONTRATADA deverá manter sigilo absoluto sobre os dados pessoais a que tiver acesso durante a "
        "execução do contrato, inclusive após o seu término.",
        "5.2 A solução deverá:",
        "a) permitir o cadastro de processos administrativos;",
        "b) gerar relatórios gerenciais em PDF e CSV;",
        "5.3 É desejável que a solução ofereça aplicativo para dispositivos móveis.",
        "5.4 A CONTRATANTE poderá aplicar multa de até 10% sobre o valor do contrato.",
    ],
    [
        "6. DA HABILITAÇÃO",
        "6.1 A licitante deverá apresentar atestado de capacidade técnica emitido por pessoa jurídica de direito "
        "público ou privado.",
        "6.2 É vedada a participação de empresas reunidas em consórcio.",
    ],
]


def _edital_pdf(folder: Path) -> Path:
    body = "".join(
        f"<section style='break-before: page'>{''.join(f'<p>{html.escape(line)}</p>' for line in page)}</section>"
        for page in _PAGES
    )
    path = folder / "edital.pdf"
    path.write_bytes(documents.pdf_from_html(body))
    return path


def _read_pdf(path: Path, ocr: OcrEngine | None = None) -> Extracted:
    return read_pdf(path, max_pages=50, ocr=ocr, on_page=lambda done, total: None, deadline=time.monotonic() + 60)


def test_a_pdf_edital_gives_its_clauses_with_exact_quotes_pages_and_stable_ids(tmp_path: Path) -> None:
    path = _edital_pdf(tmp_path)
    first = extract_requirements(source_pages("edital.pdf", _read_pdf(path)))
    found = {requirement.quote: requirement for requirement in first}
    sigilo = found[
        "A CONTRATADA deverá manter sigilo absoluto sobre os dados pessoais a que tiver acesso durante a execução "
        "do contrato, inclusive após o seu término."
    ]
    assert sigilo.location == Location("edital.pdf", 1, "5.1") and sigilo.obligation is Obligation.MANDATORY
    assert found["permitir o cadastro de processos administrativos;"].location == Location("edital.pdf", 1, "5.2 a)")
    assert found["gerar relatórios gerenciais em PDF e CSV;"].location.clause == "5.2 b)"
    assert found["É desejável que a solução ofereça aplicativo para dispositivos móveis."].obligation is (
        Obligation.DESIRABLE
    )
    atestado = next(r for r in first if r.quote.startswith("A licitante deverá apresentar atestado"))
    assert atestado.location == Location("edital.pdf", 2, "6.1") and atestado.kind is RequirementKind.QUALIFICATION
    assert found["É vedada a participação de empresas reunidas em consórcio."].location.page == 2
    assert not any("CONTRATANTE" in quote for quote in found)
    assert len(first) == 6
    # Uploaded again (another file, the same bytes): the same ids.
    again = tmp_path / "again.pdf"
    again.write_bytes(path.read_bytes())
    second = extract_requirements(source_pages("edital.pdf", _read_pdf(again)))
    assert [r.id for r in second] == [r.id for r in first]


def test_a_docx_rfp_gives_its_requirements_without_pages(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("3. Technical requirements", level=1)
    document.add_paragraph("3.1 The platform must support single sign-on through SAML 2.0 or OpenID Connect.")
    document.add_paragraph("3.2 The Vendor shall encrypt all data at rest. Data should be hosted in the EU.")
    document.add_paragraph("3.3 The Client will provide a test environment.")
    path = tmp_path / "rfp.docx"
    document.save(str(path))
    found = extract_requirements(source_pages("rfp.docx", read_docx(path, max_uncompressed_bytes=16 * 1024 * 1024)))
    assert [(r.quote, r.obligation, r.location) for r in found] == [
        (
            "The platform must support single sign-on through SAML 2.0 or OpenID Connect.",
            Obligation.MANDATORY,
            Location("rfp.docx", None, "3.1"),
        ),
        ("The Vendor shall encrypt all data at rest.", Obligation.MANDATORY, Location("rfp.docx", None, "3.2")),
        ("Data should be hosted in the EU.", Obligation.DESIRABLE, Location("rfp.docx", None, "3.2")),
    ]


def test_blocks_that_end_mid_sentence_run_on_and_titles_stand_apart() -> None:
    extracted = Extracted(
        pages=2,
        ocr_pages=0,
        blocks=(
            Block("DA HABILITAÇÃO", (), 1, is_heading=True),
            Block("6.1 A licitante deverá apresentar atestado de capacidade técnica emitido", (), 1, is_heading=True),
            Block("por pessoa jurídica de direito público.", (), 1),
            Block("6.2 A CONTRATADA deverá manter", (), 1),
            Block("equipe dedicada.", (), 2),
        ),
    )
    pages = source_pages("x.pdf", extracted)
    assert [page.page for page in pages] == [1, 2]
    found = extract_requirements(pages)
    assert [(r.quote, r.location.page, r.location.clause, r.heading) for r in found] == [
        (
            "A licitante deverá apresentar atestado de capacidade técnica emitido por pessoa jurídica de direito "
            "público.",
            1,
            "6.1",
            "DA HABILITAÇÃO",
        ),
        ("A CONTRATADA deverá manter equipe dedicada.", 1, "6.2", "DA HABILITAÇÃO"),
    ]
    assert isinstance(pages[0], SourcePage)


def test_a_scanned_page_is_read_by_ocr_into_requirements(tmp_path: Path) -> None:
    command = documents.tesseract_command()
    if command is None:
        pytest.skip("tesseract is not installed (Debian's tesseract-ocr and tesseract-ocr-por; `make install`)")
    path = tmp_path / "scan.pdf"
    path.write_bytes(
        documents.scanned_pdf(
            ["7.1 A CONTRATADA deverá realizar cópias de segurança diárias.", "7.2 O sistema poderá usar nuvem."]
        )
    )
    extracted = _read_pdf(path, OcrEngine(command=command))
    assert extracted.ocr_pages == 1
    found = extract_requirements(source_pages("scan.pdf", extracted))
    assert [(r.location.page, r.location.clause, r.obligation) for r in found] == [
        (1, "7.1", Obligation.MANDATORY),
        (1, "7.2", Obligation.DESIRABLE),
    ]
    assert found[0].quote == "A CONTRATADA deverá realizar cópias de segurança diárias."
