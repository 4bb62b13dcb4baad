"""The compliance matrix as an annex of the PDF (issue #16): on by default when the draft was written with a client's
requirements, a table of id, quote, clause, status and answering sections after the sections; off in a template that
says so, and absent from a draft without requirements. The generator's rows come from the same check as the
gateway's."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from propos4l.generator.handlers import compliance_lines
from propos4l.renderer.document import build_html, proposal_context
from propos4l.renderer.pdf import render_pdf_bytes
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.templates import TemplateFolder, install_default_template, load_template
from propos4l.shared.events import ComplianceLine, ProposalDrafted, Section
from propos4l.shared.grounding import ContextRequirement, DraftingContext, RequirementAssessment
from propos4l.shared.sections import Language, SectionKey

LINES = (
    ComplianceLine(
        id="REQ-0A1B2C3D4E5F",
        quote="A CONTRATADA deverá manter sigilo sobre os dados pessoais a que tiver acesso.",
        obligation="mandatory",
        page=3,
        clause="5.1",
        status="answered",
        sections=(SectionKey.TERMS, SectionKey.SOLUTION),
    ),
    ComplianceLine(
        id="REQ-1A2B3C4D5E6F",
        quote="É desejável que a solução ofereça aplicativo para dispositivos móveis.",
        obligation="desirable",
        status="not_answered",
    ),
)


@pytest.fixture(scope="module")
def templates_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("templates")
    install_default_template(path)
    folder = path / "plain"
    shutil.copytree(path / "default", folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(name="plain", annex_compliance=False)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return path


def pdf_text(drafted: ProposalDrafted, template: TemplateFolder) -> str:
    pdf = render_pdf_bytes(build_html(drafted, template), template.path)
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages).split())


def test_the_default_template_lays_the_matrix_after_the_sections_in_the_proposal_s_language(
    templates_dir: Path,
) -> None:
    template = load_template(templates_dir, "default")
    drafted = sample_drafted(Language.PT_BR).model_copy(update={"compliance": LINES})
    text = pdf_text(drafted, template)
    annex = text.rindex("Matriz de conformidade")
    assert text.index("Condições gerais") < annex  # after the last section (terms)
    assert "REQ-0A1B2C3D4E5F" in text[annex:] and "dados pessoais a que tiver acesso" in text[annex:]
    assert "5.1 p. 3" in text[annex:] and "Atendido" in text[annex:] and "Não atendido" in text[annex:]
    rows = proposal_context(drafted, template.manifest)["compliance_annex"]
    assert [(row["status"], row["sections"], row["obligation"]) for row in rows] == [
        ("Atendido", "Condições gerais, Solução proposta", "obrigatório"),
        ("Não atendido", "-", "desejável"),
    ]
    english = sample_drafted(Language.EN).model_copy(update={"compliance": LINES})
    assert "Compliance matrix" in pdf_text(english, template)


def test_no_annex_without_requirements_or_in_a_template_that_turns_it_off(templates_dir: Path) -> None:
    default = load_template(templates_dir, "default")
    assert "Matriz de conformidade" not in pdf_text(sample_drafted(Language.PT_BR), default)
    assert proposal_context(sample_drafted(Language.PT_BR), default.manifest)["compliance_annex"] is None
    plain = load_template(templates_dir, "plain")
    drafted = sample_drafted(Language.PT_BR).model_copy(update={"compliance": LINES})
    assert "Matriz de conformidade" not in pdf_text(drafted, plain)


def test_the_generator_s_rows_are_the_coverage_check_of_the_drafted_sections() -> None:
    context = DraftingContext(
        requirements=(
            ContextRequirement(
                id="REQ-0A1B2C3D4E5F",
                quote="A licitante deverá apresentar atestado de capacidade técnica.",
                obligation="mandatory",
                kind="qualification",
                clause="6.1",
                sections=(SectionKey.TEAM,),
            ),
            ContextRequirement(
                id="REQ-1A2B3C4D5E6F", quote="É desejável aplicativo móvel.", obligation="desirable", kind="functional"
            ),
        )
    )
    sections = [
        Section(key=SectionKey.TEAM, title="Equipe", content="A equipe apresentará atestado de capacidade técnica."),
        Section(key=SectionKey.SOLUTION, title="Solução", content="Uma plataforma web."),
    ]
    lines = compliance_lines(context, sections)
    assert [(line.id, line.status, line.sections, line.clause) for line in lines] == [
        ("REQ-0A1B2C3D4E5F", "answered", (SectionKey.TEAM,), "6.1"),
        ("REQ-1A2B3C4D5E6F", "not_answered", (), None),
    ]
    assert compliance_lines(None, sections) == () and compliance_lines(DraftingContext(), sections) == ()


def test_a_person_s_status_is_the_row_s_whatever_the_check_would_say() -> None:
    sections = [Section(key=SectionKey.TEAM, title="Equipe", content="A equipe apresentará atestado de capacidade.")]
    requirement = ContextRequirement(
        id="REQ-0A1B2C3D4E5F",
        quote="A licitante deverá apresentar atestado de capacidade técnica.",
        obligation="mandatory",
        kind="qualification",
        sections=(SectionKey.TEAM,),
    )
    assert [line.status for line in compliance_lines(DraftingContext(requirements=(requirement,)), sections)] == [
        "answered"
    ]
    for status, answering in (("not_applicable", ()), ("partial", (SectionKey.TERMS,))):
        assessment = RequirementAssessment(status=status, sections=answering)
        assessed = requirement.model_copy(update={"assessment": assessment})
        (line,) = compliance_lines(DraftingContext(requirements=(assessed,)), sections)
        assert (line.status, line.sections) == (status, answering)
