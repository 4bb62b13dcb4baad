"""Archival (PDF/A-3b) renders carry the PDF/A identification and the proposal's data; renders are tagged by default."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from propos4l.renderer.archive import ATTACHMENT_NAME
from propos4l.renderer.document import priced_investment
from propos4l.renderer.pdf import RenderedPdf, render_drafted
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.templates import install_default_template, load_template
from propos4l.shared.events import ProposalDrafted
from propos4l.shared.sections import Language
from tests.support.pdfa import pdfa_identification, qpdf, qpdf_check, unembedded_fonts


def _templates_with(directory: Path, **options: Any) -> Path:
    """The default template installed into `directory`, its manifest given `options`."""
    install_default_template(directory)
    manifest_file = directory / "default" / "manifest.json"
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    manifest_file.write_text(json.dumps({**manifest, **options}), encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def archival_templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _templates_with(tmp_path_factory.mktemp("archival"), pdf_variant="pdf/a-3b")


@pytest.fixture(scope="module")
def drafted() -> ProposalDrafted:
    return sample_drafted(Language.PT_BR)


@pytest.fixture(scope="module")
def archival(archival_templates: Path, drafted: ProposalDrafted) -> RenderedPdf:
    return render_drafted(drafted, archival_templates)


def _reader(rendered: RenderedPdf) -> PdfReader:
    return PdfReader(io.BytesIO(rendered.data))


def test_an_archival_render_identifies_itself_as_pdf_a_3b_in_its_xmp_metadata(archival: RenderedPdf) -> None:
    values = pdfa_identification(_reader(archival))
    assert values.get("part") == "3"
    assert values.get("conformance") == "B"


def test_an_archival_render_attaches_the_proposal_data_with_the_quotes_totals(
    archival: RenderedPdf, archival_templates: Path, drafted: ProposalDrafted
) -> None:
    reader = _reader(archival)
    assert list(reader.attachments) == [ATTACHMENT_NAME]
    data = json.loads(reader.attachments[ATTACHMENT_NAME][0])
    priced = priced_investment(drafted, load_template(archival_templates, "default").manifest)
    assert priced is not None
    investment = data["investment"]
    assert Decimal(investment["total"]) == priced.total
    assert Decimal(investment["subtotal"]) == priced.subtotal
    assert [Decimal(item["amount"]) for item in investment["items"]] == [line.amount for line in priced.lines]
    assert [section["title"] for section in data["sections"]] == [section.title for section in drafted.sections]
    assert [phase["name"] for phase in data["timeline"]] == [phase.name for phase in drafted.timeline_phases]
    assert data["proposal_id"] == str(drafted.proposal_id)
    assert data["version"] == drafted.version


def test_the_attachment_is_an_associated_file_with_the_data_relationship(archival: RenderedPdf) -> None:
    catalog = _reader(archival).trailer["/Root"]
    associated = [reference.get_object() for reference in catalog["/AF"]]
    # WeasyPrint 70 lists the one file spec twice (from the name tree and from the objects); it is the same file.
    assert {(spec["/F"], spec["/AFRelationship"]) for spec in associated} == {(ATTACHMENT_NAME, "/Data")}


def test_an_archival_render_embeds_every_font(archival: RenderedPdf) -> None:
    assert unembedded_fonts(_reader(archival)) == []


def test_qpdf_finds_no_problem_in_an_archival_render(archival: RenderedPdf) -> None:
    program = qpdf()
    if program is None:
        pytest.skip("qpdf is not installed: `make qpdf` unpacks Debian's qpdf into .tools (it needs apt-get)")
    result = qpdf_check(archival.data, program)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout


def test_an_archival_render_is_reproducible(
    archival: RenderedPdf, archival_templates: Path, drafted: ProposalDrafted
) -> None:
    assert render_drafted(drafted, archival_templates).data == archival.data


def test_a_render_is_tagged_by_default(archival: RenderedPdf, tmp_path: Path, drafted: ProposalDrafted) -> None:
    plain_default = render_drafted(drafted, _templates_with(tmp_path))
    for rendered in (plain_default, archival):
        assert "/StructTreeRoot" in _reader(rendered).trailer["/Root"]
        assert _reader(rendered).trailer["/Root"]["/MarkInfo"]["/Marked"]


def test_a_template_can_turn_tagging_off(tmp_path: Path, drafted: ProposalDrafted) -> None:
    untagged = render_drafted(drafted, _templates_with(tmp_path, pdf_tags=False))
    assert "/StructTreeRoot" not in _reader(untagged).trailer["/Root"]
    assert not _reader(untagged).attachments
