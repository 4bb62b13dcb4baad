"""The grounded parts of the PDF: the team as the roster has it, the effort table, the budget sentence, the annex."""

from __future__ import annotations

import io
import json
import shutil
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from propos4l.renderer.document import build_html, proposal_context
from propos4l.renderer.export import export_markdown
from propos4l.renderer.grounded import budget_context, case_studies_context
from propos4l.renderer.labels import labels_for, seniority_word
from propos4l.renderer.pdf import render_pdf_bytes
from propos4l.renderer.pricing import quote
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.templates import TemplateFolder, install_default_template, load_template
from propos4l.shared.effort_pricing import investment_items
from propos4l.shared.events import ProposalDrafted
from propos4l.shared.grounding import BudgetComparison, ContextPassage, EffortLine, SectionSources, TeamMember
from propos4l.shared.sections import Language, SectionKey


@pytest.fixture(scope="module")
def templates_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("templates")
    install_default_template(path)
    folder = path / "annexed"
    shutil.copytree(path / "default", folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.update(name="annexed", annex_case_studies=True)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return path


@pytest.fixture(scope="module")
def default_template(templates_dir: Path) -> TemplateFolder:
    return load_template(templates_dir, "default")


@pytest.fixture(scope="module")
def annexed_template(templates_dir: Path) -> TemplateFolder:
    return load_template(templates_dir, "annexed")


def pdf_text(drafted: ProposalDrafted, template: TemplateFolder) -> str:
    """The PDF's text, flattened to single spaces."""
    pdf = render_pdf_bytes(build_html(drafted, template), template.path)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages]
    return " ".join(" ".join(pages).split())


def line(phase: str, role: str, hours: str, rate: str | None) -> EffortLine:
    """An effort line priced as effort_pricing does (amount = hours x rate), or unpriced without a rate."""
    priced = rate is not None
    return EffortLine(
        phase=phase,
        role_id=uuid.uuid5(uuid.NAMESPACE_URL, role),
        role_name=role,
        hours=Decimal(hours),
        hourly_rate=Decimal(rate) if priced else None,
        currency="BRL" if priced else None,
        amount=(Decimal(hours) * Decimal(rate)).quantize(Decimal("0.01")) if rate is not None else None,
    )


def with_effort(drafted: ProposalDrafted, effort: tuple[EffortLine, ...]) -> ProposalDrafted:
    return drafted.model_copy(update={"effort": effort, "investment_items": investment_items(effort)})


@pytest.mark.parametrize("language", list(Language))
def test_the_team_section_shows_the_roster_people_after_its_text(
    default_template: TemplateFolder, language: Language
) -> None:
    drafted = sample_drafted(language)
    text = pdf_text(drafted, default_template)
    labels = labels_for(language)
    team_text = next(section.content for section in drafted.sections if section.key is SectionKey.TEAM)
    first_words = " ".join(team_text.split()[:6])
    assert drafted.team
    for member in drafted.team:
        assert member.name in text
        assert f"{labels.seniority.upper()} {seniority_word(member.seniority, language)}" in text
        assert " ".join(member.bio.split()[:8]) in text
        assert " ".join(member.project_role.split()[:5]) in text
        assert text.index(first_words) < text.index(member.name)  # after the section's own text
    assert "Sênior" in text if language is Language.PT_BR else "Senior" in text


def test_no_team_block_without_a_team(default_template: TemplateFolder) -> None:
    drafted = sample_drafted(Language.EN).model_copy(update={"team": ()})
    html = build_html(drafted, default_template)
    assert 'class="team"' not in html and "person-name" not in html
    assert "Helena Duarte" not in pdf_text(drafted, default_template)


def test_a_draft_without_grounding_fills_the_template_as_before(default_template: TemplateFolder) -> None:
    drafted = sample_drafted(Language.PT_BR, grounded=False)
    context = proposal_context(drafted, default_template.manifest)
    assert (context["team"], context["effort"], context["budget_comparison"], context["annex"]) == (
        [],
        None,
        None,
        None,
    )
    html = build_html(drafted, default_template)
    assert "effort-table" not in html and "Descoberta e desenho (horas)" in html


@pytest.mark.parametrize(
    ("language", "rows", "item"),
    [
        (
            Language.PT_BR,
            ["Arquiteta de soluções 60 R$ 280,00 R$ 16.800,00", "Subtotal · Descoberta 180 R$ 41.600,00"],
            "Descoberta — Gerente de projeto",
        ),
        (
            Language.EN,
            ["Product designer 12.5 R$175.00 R$2,187.50", "Subtotal · Discovery 144 R$31,120.00"],
            "Discovery — Project manager",
        ),
    ],
)
def test_the_effort_table_replaces_the_line_items(
    default_template: TemplateFolder, language: Language, rows: list[str], item: str
) -> None:
    text = pdf_text(sample_drafted(language), default_template)
    for row in rows:
        assert row in text
    assert item not in text  # the items derived from the effort are not shown a second time


@pytest.mark.parametrize(
    ("language", "note"),
    [
        (
            Language.PT_BR,
            "Sem valor/hora no cartão de taxas: Cientista de dados. "
            "Essas linhas ainda não têm preço e não entram no total.",
        ),
        (
            Language.EN,
            "No rate on the rate card: Data scientist. "
            "Those lines are not priced yet and are not included in the total.",
        ),
    ],
)
def test_lines_without_a_rate_show_a_dash_and_a_note(
    default_template: TemplateFolder, language: Language, note: str
) -> None:
    role = "Cientista de dados" if language is Language.PT_BR else "Data scientist"
    effort = (line("Build", "Developer", "10", "150.00"), line("Build", role, "12.5", None))
    text = pdf_text(with_effort(sample_drafted(language), effort), default_template)
    assert f"{role} 12{',' if language is Language.PT_BR else '.'}5 — —" in text
    assert note in text
    total = "R$ 1.449,00" if language is Language.PT_BR else "R$1,449.00"  # 1,500 - 8% + 5% ISS, the priced line
    assert total in text


def test_effort_without_any_rate_has_hours_and_no_totals(default_template: TemplateFolder) -> None:
    effort = (line("Discovery", "Analyst", "16", None), line("Build", "Developer", "40", None))
    drafted = with_effort(sample_drafted(Language.EN), effort).model_copy(update={"budget_comparison": None})
    assert not drafted.investment_items
    text = pdf_text(drafted, default_template)
    assert "Analyst 16 — —" in text and "Developer 40 — —" in text
    assert "Total hours 56" in text
    assert "No rate on the rate card: Analyst, Developer." in text
    assert "Discount (8%)" not in text


@pytest.mark.parametrize(
    ("verdict", "difference", "language", "sentence"),
    [
        ("within", "-4.5", Language.PT_BR, "Dentro do orçamento informado (R$ 350.000,00): 4,5% abaixo."),
        ("within", "-4.5", Language.EN, "Within the stated budget (R$350,000.00): 4.5% below."),
        ("under", "-12.86", Language.PT_BR, "Abaixo do orçamento informado (R$ 350.000,00) em 12,86%."),
        ("under", "-12.86", Language.EN, "Under the stated budget (R$350,000.00) by 12.86%."),
        ("over", "7.25", Language.PT_BR, "Acima do orçamento informado (R$ 350.000,00) em 7,25%."),
        ("over", "7.25", Language.EN, "Over the stated budget (R$350,000.00) by 7.25%."),
        ("within", "0", Language.PT_BR, "No valor do orçamento informado (R$ 350.000,00)."),
        ("within", "0", Language.EN, "Exactly the stated budget (R$350,000.00)."),
    ],
)
def test_the_budget_sentence_in_each_language(verdict: str, difference: str, language: Language, sentence: str) -> None:
    comparison = BudgetComparison.model_validate(
        {
            "budget": "350000.00",
            "total": "300000.00",
            "currency": "BRL",
            "verdict": verdict,
            "difference_percent": difference,
        }
    )
    written = budget_context(comparison, None, language, labels_for(language))
    assert written is not None and written["sentence"] == sentence


@pytest.mark.parametrize("language", list(Language))
def test_the_budget_sentence_is_printed_under_the_total(default_template: TemplateFolder, language: Language) -> None:
    text = pdf_text(sample_drafted(language), default_template)
    if language is Language.PT_BR:
        sentence = "Abaixo do orçamento informado (R$ 350.000,00) em 12,86%."
        total, basis = "Total R$ 320.229,00", "Comparação feita com o valor sem impostos (R$ 304.980,00)."
    else:
        sentence = "Under the stated budget (R$300,000.00) by 18.38%."
        total, basis = "Total R$257,088.83", "Compared before taxes (R$244,846.50)."
    assert text.index(total) < text.index(sentence) < text.index(basis)


def test_the_budget_basis_is_left_out_when_the_total_is_the_one_compared() -> None:
    items = investment_items((line("Build", "Developer", "10", "100.00"),))
    priced = quote(items)
    comparison = BudgetComparison(
        budget=Decimal("2000.00"), total=priced.total, currency="BRL", verdict="under", difference_percent=Decimal(-50)
    )
    written = budget_context(comparison, priced, Language.EN, labels_for(Language.EN))
    assert written is not None and written["basis"] is None


def test_the_annex_lists_the_cited_case_studies_only_when_the_manifest_asks(
    default_template: TemplateFolder, annexed_template: TemplateFolder
) -> None:
    drafted = sample_drafted(Language.PT_BR)
    studies = [passage for passage in drafted.cited_passages if passage.kind == "case_study"]
    assert len(studies) == 2
    without = pdf_text(drafted, default_template)
    assert "Casos de sucesso citados" not in without and "Laticínios Bom Pasto Setor" not in without
    text = pdf_text(drafted, annexed_template)
    assert "Anexo: Casos de sucesso citados" in text  # in the contents
    for study in studies:
        assert study.title in text
    assert "RESULTADOS 62% menos ligações ao atendimento em seis meses" in text
    assert "Citado em: Sumário executivo, Diferenciais" in text
    assert "Levantamento, construção e implantação assistida." not in text  # a service passage, not a case study


def test_the_annex_keeps_case_studies_cited_once_per_entry_and_drops_the_uncited() -> None:
    entry = uuid.uuid4()
    first = ContextPassage(id=uuid.uuid4(), kind="case_study", title="Acme", text="Problem: slow", entry_id=entry)
    second = ContextPassage(id=uuid.uuid4(), kind="case_study", title="Acme", text="Results: fast", entry_id=entry)
    uncited = ContextPassage(id=uuid.uuid4(), kind="case_study", title="Other", text="Year: 2020")
    drafted = sample_drafted(Language.EN).model_copy(
        update={
            "sources": (
                SectionSources(section=SectionKey.SOLUTION, passage_ids=(first.id,)),
                SectionSources(section=SectionKey.DIFFERENTIALS, passage_ids=(second.id, first.id)),
            ),
            "cited_passages": (first, second, uncited, first),
        }
    )
    assert case_studies_context(drafted) == [
        {
            "title": "Acme",
            "paragraphs": [{"label": "Problem", "text": "slow"}, {"label": "Results", "text": "fast"}],
            "cited_in": ["Proposed solution", "Differentials"],
        }
    ]


def test_a_bio_with_markdown_and_html_is_printed_as_text(default_template: TemplateFolder) -> None:
    hostile = (
        '<script>alert(1)</script> <img src="http://evil.example/x.png" onerror="alert(2)"> '
        "**not bold** [click](javascript:alert(3)) </div></article><h1>Fake</h1>"
    )
    member = TeamMember(
        person_id=uuid.uuid4(),
        name="Eve <b>Mallory</b>",
        role_id=uuid.uuid4(),
        role_name="Dev & Ops",
        seniority="<i>senior</i>",
        bio=hostile,
        project_role="**lead**",
    )
    drafted = sample_drafted(Language.EN).model_copy(update={"team": (member,)})
    html = build_html(drafted, default_template)
    assert "<script>" not in html and '<img src="http://evil' not in html and "<h1>Fake" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "Eve &lt;b&gt;Mallory&lt;/b&gt;" in html
    text = pdf_text(drafted, default_template)
    assert "Eve <b>Mallory</b>" in text and "Dev & Ops" in text and "**lead**" in text
    assert "<script>alert(1)</script>" in text and "**not bold** [click](javascript:alert(3))" in text


def test_the_markdown_export_has_the_team_effort_budget_and_annex(
    default_template: TemplateFolder, annexed_template: TemplateFolder
) -> None:
    drafted = sample_drafted(Language.EN)
    markdown = export_markdown(drafted, annexed_template.manifest)
    assert "### Helena Duarte" in markdown and "*Project manager · Senior*" in markdown
    assert "| Product designer | 12.5 | R$175.00 | R$2,187.50 |" in markdown
    assert "Rollout — Product designer" not in markdown
    assert "| | | **Total** | **R$257,088.83** |" in markdown
    assert "**Under the stated budget (R$300,000.00) by 18.38%.**" in markdown
    assert "## Annex: Case studies cited" in markdown and "**Results:** 58% fewer service calls" in markdown
    assert "## Annex" not in export_markdown(drafted, default_template.manifest)
