"""LibreOffice, a reader we did not write, opens the DOCX export and prints every section title and total in order."""

from __future__ import annotations

from pathlib import Path

import pypdf
import pypdfium2
import pytest

from propos4l.renderer.document import proposal_context
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.templates import install_default_template, load_template
from propos4l.renderer.word import export_docx
from propos4l.shared.sections import Language
from tests.support.libreoffice import converted_to_pdf, soffice


def positions_in_order(text: str, wanted: list[str]) -> list[int]:
    """Where each of `wanted` is found in `text`, each searched after the one before (-1 when missing)."""
    found, start = [], 0
    for item in wanted:
        index = text.find(item, start)
        found.append(index)
        start = index + 1 if index >= 0 else start
    return found


@pytest.mark.parametrize("language", list(Language))
def test_libreoffice_prints_every_section_title_and_total_in_order(tmp_path: Path, language: Language) -> None:
    program = soffice()
    if program is None:
        pytest.skip("LibreOffice is not installed and could not be (no apt-get): run `make libreoffice`")
    templates = tmp_path / "templates"
    install_default_template(templates)
    manifest = load_template(templates, "default").manifest
    drafted = sample_drafted(language)
    path = tmp_path / f"proposal-{language.value}.docx"
    path.write_bytes(export_docx(drafted, manifest, templates / "default"))

    pdf = converted_to_pdf(path, program)

    text = " ".join(" ".join(page.extract_text().split()) for page in pypdf.PdfReader(pdf).pages)
    investment = proposal_context(drafted, manifest)["investment"]
    titles = [section.title for section in drafted.sections]
    totals = [investment["subtotal"], investment["discount"]["amount"], investment["taxes"][0]["amount"]]
    totals.append(investment["total"])
    body = text[text.find(titles[0], text.find(titles[-1])) :]  # past the contents, which lists the titles too
    assert -1 not in positions_in_order(body, titles), (titles, positions_in_order(body, titles))
    assert -1 not in positions_in_order(body, totals), (totals, positions_in_order(body, totals))
    assert drafted.request.client_name in text

    first_page = pypdfium2.PdfDocument(pdf)[0].render(scale=1.5).to_pil()
    assert first_page.width > 800 and first_page.getbbox() is not None
