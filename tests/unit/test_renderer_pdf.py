"""Drafted proposals render to PDFs a reader can use, and the rendering never reaches outside the template."""

from __future__ import annotations

import io
import json
import re
import shutil
import socket
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from propos4l.renderer.document import build_html
from propos4l.renderer.errors import TemplateError
from propos4l.renderer.folders import read_folder, tree_digest
from propos4l.renderer.labels import labels_for
from propos4l.renderer.pdf import RenderedPdf, render_drafted, render_pdf_bytes
from propos4l.renderer.sample import main as sample_main
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.templates import TemplateFolder, install_default_template, load_template
from propos4l.shared.events import InvestmentItem, ProposalDrafted, Section
from propos4l.shared.sections import Language, SectionKey


@pytest.fixture(scope="module")
def templates_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("templates")
    install_default_template(path)
    return path


@pytest.fixture(scope="module")
def default_template(templates_dir: Path) -> TemplateFolder:
    return load_template(templates_dir, "default")


@pytest.fixture(scope="module")
def rendered(default_template: TemplateFolder) -> dict[Language, tuple[ProposalDrafted, RenderedPdf]]:
    result = {}
    for language in Language:
        drafted = sample_drafted(language)
        result[language] = (drafted, render_pdf_bytes(build_html(drafted, default_template), default_template.path))
    return result


@pytest.fixture(scope="module")
def rendered_plain(default_template: TemplateFolder) -> dict[Language, tuple[ProposalDrafted, RenderedPdf]]:
    """The sample as a draft without grounding has it: plain line items, no team, no effort."""
    result = {}
    for language in Language:
        drafted = sample_drafted(language, grounded=False)
        result[language] = (drafted, render_pdf_bytes(build_html(drafted, default_template), default_template.path))
    return result


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.3)
    yield sock
    sock.close()


def _pages(pdf: RenderedPdf) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf.data))
    assert len(reader.pages) == pdf.pages
    return [page.extract_text() for page in reader.pages]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _unhyphenated(text: str) -> str:
    """Flat text with the hyphens of words broken across lines (the template hyphenates) joined again."""
    return re.sub(r"(\w)[-\u2010] (\w)", r"\1\2", _flat(text))


def _with_content(drafted: ProposalDrafted, key: SectionKey, content: str) -> ProposalDrafted:
    sections = tuple(
        Section(key=s.key, title=s.title, content=content) if s.key is key else s for s in drafted.sections
    )
    return drafted.model_copy(update={"sections": sections})


@pytest.mark.parametrize("language", list(Language))
def test_client_titles_and_content_are_in_the_text(
    rendered: dict[Language, tuple[ProposalDrafted, RenderedPdf]], language: Language
) -> None:
    drafted, pdf = rendered[language]
    assert pdf.data.startswith(b"%PDF-")
    text = _flat(" ".join(_pages(pdf)))
    assert drafted.request.client_name in text
    assert drafted.request.industry in text
    for section in drafted.sections:
        assert section.title in text
        first_words = _flat(re.sub(r"[*#>|`\[\]()-]", " ", section.content))[:40]
        assert first_words.split()[0] in text


@pytest.mark.parametrize("language", list(Language))
def test_contents_page_numbers_match_where_sections_start(
    rendered: dict[Language, tuple[ProposalDrafted, RenderedPdf]], language: Language
) -> None:
    drafted, pdf = rendered[language]
    pages = _pages(pdf)
    contents = _flat(pages[1])
    assert labels_for(language).contents in contents
    headings = [rf"{number:02d}\s*{re.escape(s.title)}" for number, s in enumerate(drafted.sections, start=1)]
    headings.append(re.escape(labels_for(language).acceptance))
    for heading in headings:
        listed = re.search(heading + r"[\s.]+(\d+)", contents)  # the title, a dotted leader, the page number
        assert listed, f"{heading!r} is not in the contents"
        starts = [i + 1 for i, page in enumerate(pages[2:], start=2) if re.search(heading, _flat(page))]
        assert starts, f"{heading!r} heading not found"
        assert int(listed[1]) == starts[0], heading
    assert len({int(n) for n in re.findall(r"\.{3,}\s*(\d+)", contents)}) > 2, "sections start on several pages"


@pytest.mark.parametrize(
    ("language", "footer", "cover_words"),
    [
        (
            Language.PT_BR,
            "Página {page} de {pages}",
            ["Proposta comercial", "Preparado para", "29 de novembro de 2026"],
        ),
        (Language.EN, "Page {page} of {pages}", ["Commercial proposal", "Prepared for", "November 29, 2026"]),
    ],
)
def test_cover_then_header_footer_and_page_x_of_y_on_every_other_page(
    rendered: dict[Language, tuple[ProposalDrafted, RenderedPdf]],
    language: Language,
    footer: str,
    cover_words: list[str],
) -> None:
    drafted, pdf = rendered[language]
    pages = [_flat(page) for page in _pages(pdf)]
    assert pdf.pages >= 3
    cover = pages[0]
    for words in cover_words:
        assert words.lower() in cover.lower()
    assert drafted.proposal_id.hex[:8].upper() in cover
    assert footer.split()[0] not in cover  # no page footer on the cover
    title = f"{labels_for(language).document_title} · {labels_for(language).proposal_number}"
    assert title not in cover
    for page in range(2, pdf.pages + 1):
        text = pages[page - 1]
        assert footer.format(page=page, pages=pdf.pages) in text
        assert text.count(footer.split()[0]) == 1  # exactly one "page X of Y" line
        assert drafted.request.client_name in text  # running header: the client ...
        assert f"{title} {drafted.proposal_id.hex[:8].upper()}" in text  # ... and the title
        assert "Propos4l Consultoria" in text  # running footer


def test_pdf_metadata_and_language(rendered: dict[Language, tuple[ProposalDrafted, RenderedPdf]]) -> None:
    drafted, pdf = rendered[Language.PT_BR]
    reader = PdfReader(io.BytesIO(pdf.data))
    assert reader.metadata is not None
    assert reader.metadata.title == f"Proposta comercial – {drafted.request.client_name}"
    assert reader.metadata.author == "Propos4l Consultoria"
    assert drafted.request.client_name in (reader.metadata.subject or "")
    assert str(reader.root_object["/Lang"]) == "pt-BR"
    assert "Agronegócio" in str(reader.metadata.get("/Keywords"))
    titles = [item.title for item in reader.outline if not isinstance(item, list)]
    assert "01 Sumário executivo" in titles


@pytest.mark.parametrize("language", list(Language))
def test_the_template_fonts_are_embedded(
    rendered: dict[Language, tuple[ProposalDrafted, RenderedPdf]], language: Language
) -> None:
    reader = PdfReader(io.BytesIO(rendered[language][1].data))
    embedded = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font).get(
                "/FontDescriptor"
            )
            files = [key for key in ("/FontFile", "/FontFile2", "/FontFile3") if key in descriptor.get_object()]
            embedded[str(font["/BaseFont"]).split("+")[-1]] = bool(files)
    assert embedded and all(embedded.values()), embedded
    assert {"Inter", "Inter-Semi-Bold", "Inter-Bold"} <= set(embedded), embedded  # Regular is plain "Inter"


@pytest.mark.parametrize(
    ("language", "label"),
    [
        (Language.PT_BR, "Rascunho gerado sem IA (modo outline)"),
        (Language.EN, "Draft produced without AI (outline mode)"),
    ],
)
def test_outline_mode_label_on_the_cover(default_template: TemplateFolder, language: Language, label: str) -> None:
    assert label not in build_html(sample_drafted(language), default_template)
    drafted = sample_drafted(language, ai_generated=False)
    pdf = render_pdf_bytes(build_html(drafted, default_template), default_template.path)
    assert label in _flat(_pages(pdf)[0])


def test_html_document_shape(default_template: TemplateFolder) -> None:
    drafted = sample_drafted(Language.EN)
    html = build_html(drafted, default_template)
    assert '<html lang="en">' in html
    for section in drafted.sections:
        assert f'id="{section.key.value}"' in html
        assert f'href="#{section.key.value}"' in html
    assert '<meta name="author" content="Propos4l Consultoria">' in html


def test_raw_html_in_the_request_and_sections_is_literal_text(default_template: TemplateFolder) -> None:
    base = sample_drafted(Language.EN)
    hostile = "<script>alert('x')</script> and <b>bold</b> and <style>body{display:none}</style>"
    drafted = _with_content(base, SectionKey.SCOPE, hostile)
    drafted = drafted.model_copy(
        update={"request": base.request.model_copy(update={"client_name": "ACME <img src=x onerror=y>"})}
    )
    html = build_html(drafted, default_template)
    assert "<script>" not in html
    assert "<img src=x" not in html
    text = _flat(" ".join(_pages(render_pdf_bytes(html, default_template.path))))
    assert "<script>alert('x')</script>" in text
    assert "<b>bold</b>" in text
    assert "<style>body{display:none}</style>" in text
    assert "ACME <img src=x onerror=y>" in text


def test_markdown_images_and_links_make_no_connection(
    default_template: TemplateFolder, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    content = (
        f"Architecture: ![Target architecture](http://127.0.0.1:{port}/arch.png)\n\n"
        f"See [our site](http://127.0.0.1:{port}/site) and <http://127.0.0.1:{port}/auto>."
    )
    drafted = _with_content(sample_drafted(Language.EN), SectionKey.SOLUTION, content)
    text = _flat(" ".join(_pages(render_pdf_bytes(build_html(drafted, default_template), default_template.path))))
    assert "Target architecture" in text
    assert "our site" in text
    with pytest.raises(TimeoutError):
        listener.accept()


def test_a_template_cannot_reach_outside_its_folder(
    templates_dir: Path, tmp_path: Path, listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    folder = tmp_path / "sneaky"
    shutil.copytree(templates_dir / "default", folder)
    (folder / "manifest.json").write_text((folder / "manifest.json").read_text().replace('"default"', '"sneaky"'))
    (tmp_path / "secret.txt").write_text("top secret")
    extra = (
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">'
        f'<link rel="attachment" href="{(tmp_path / "secret.txt").as_uri()}">'
        '<link rel="attachment" href="../secret.txt">'
        '<link rel="attachment" href="file:///etc/hostname">'
        '<link rel="attachment" href="assets/logo.svg" title="logo">'
    )
    body = f'<img src="{(tmp_path / "secret.txt").as_uri()}"><img src="http://127.0.0.1:{port}/x.png">'
    html = (folder / "template.html").read_text()
    html = html.replace("</head>", extra + "</head>").replace("<body>", "<body>" + body)
    (folder / "template.html").write_text(html)
    template = load_template(tmp_path, "sneaky")
    filled = build_html(sample_drafted(Language.EN), template)

    with pytest.raises(TemplateError, match="resources the renderer does not serve") as refused:
        render_pdf_bytes(filled, template.path)
    problems = " ".join(str(problem) for problem in refused.value.problems)
    for url in (f"http://127.0.0.1:{port}/x.css", "etc/hostname", f"http://127.0.0.1:{port}/x.png"):
        assert url in problems
    assert "secret.txt" in problems and str(tmp_path) not in problems  # named relative to the template

    lenient = render_pdf_bytes(filled, template.path, strict=False)  # even when the render goes on ...
    attachments = PdfReader(io.BytesIO(lenient.data)).attachments
    assert list(attachments) == ["logo.svg"]  # ... only the file inside the folder was embedded
    assert b"top secret" not in lenient.data
    with pytest.raises(TimeoutError):
        listener.accept()


def test_a_template_bug_is_a_template_error(templates_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "buggy"
    shutil.copytree(templates_dir / "default", folder)
    (folder / "manifest.json").write_text((folder / "manifest.json").read_text().replace('"default"', '"buggy"'))
    (folder / "template.html").write_text("<p>{{ proposal.no_such_field }}</p>")
    base = sample_drafted(Language.EN)
    drafted = base.model_copy(update={"request": base.request.model_copy(update={"template": "buggy"})})
    with pytest.raises(TemplateError, match=r"could not be filled in: template\.html:1: .*no_such_field") as error:
        render_drafted(drafted, tmp_path)
    assert [(p.file, p.line) for p in error.value.problems] == [("template.html", 1)]


def test_sample_command_writes_both_languages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795962600")  # main() would otherwise set it for the whole run
    assert sample_main([str(tmp_path / "out")]) == 0
    for language in Language:
        data = (tmp_path / "out" / f"sample-proposal-{language.value}.pdf").read_bytes()
        assert data.startswith(b"%PDF-")
    assert sample_main([]) == 2


@pytest.mark.parametrize(
    ("grounded", "language", "rows"),
    [
        (
            True,
            Language.PT_BR,
            [
                "Gerente de projeto 43 R$ 240,00 R$ 10.320,00",
                "Subtotal · Implantação 177 R$ 36.460,00",
                "Total de horas 1.533 Subtotal R$ 331.500,00",
                "Desconto (8%) −R$ 26.520,00",
                "ISS (5%) R$ 15.249,00",
                "Total R$ 320.229,00",
                "Valores em R$ (BRL).",
            ],
        ),
        (
            True,
            Language.EN,
            [
                "Product designer 12.5 R$175.00 R$2,187.50",
                "Subtotal · Rollout 150.5 R$28,857.50",
                "Total hours 1,318.5 Subtotal R$266,137.50",
                "Discount (8%) −R$21,291.00",
                "ISS (5%) R$12,242.33",
                "Total R$257,088.83",
                "Amounts in R$ (BRL).",
            ],
        ),
        (
            False,
            Language.PT_BR,
            [
                "Implantação assistida nas unidades (dias) 12,5 R$ 1.480,00 R$ 18.500,00",
                "Subtotal R$ 331.500,00",
                "Desconto (8%) −R$ 26.520,00",
                "ISS (5%) R$ 15.249,00",
                "Total R$ 320.229,00",
                "Valores em R$ (BRL).",
            ],
        ),
        (
            False,
            Language.EN,
            [
                "Assisted rollout at the centres (days) 10.5 R$1,395.00 R$14,647.50",
                "Subtotal R$266,137.50",
                "Discount (8%) −R$21,291.00",
                "ISS (5%) R$12,242.33",  # 12,242.325 rounded half up
                "Total R$257,088.83",
                "Amounts in R$ (BRL).",
            ],
        ),
    ],
)
def test_investment_totals_are_computed_and_written_in_the_language(
    rendered: dict[Language, tuple[ProposalDrafted, RenderedPdf]],
    rendered_plain: dict[Language, tuple[ProposalDrafted, RenderedPdf]],
    grounded: bool,
    language: Language,
    rows: list[str],
) -> None:
    text = "\n".join(_pages((rendered if grounded else rendered_plain)[language][1]))
    lines = [_flat(line) for line in text.splitlines()]
    positions = [lines.index(row) if row in lines else -1 for row in rows[:-1]]
    assert -1 not in positions, [row for row, at in zip(rows, positions, strict=False) if at == -1]
    assert positions == sorted(positions)  # lines, subtotal, discount, tax, total, in that order
    assert rows[-1] in _flat(text)


def test_totals_follow_the_manifest_taxes_and_currency_and_the_request_discount(
    templates_dir: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "usd"
    shutil.copytree(templates_dir / "default", folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["name"] = "usd"
    manifest["pricing"] = {
        "currency": "USD",
        "taxes": [{"label": "Sales tax", "rate": "7.25"}, {"label": "Fee", "rate": "1"}],
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    base = sample_drafted(Language.EN, template="usd", grounded=False)
    drafted = base.model_copy(
        update={
            "request": base.request.model_copy(update={"discount_percent": Decimal("12.5")}),
            "investment_items": (
                InvestmentItem(description="Architecture review", quantity=Decimal("3"), unit_price=Decimal("999.99")),
                InvestmentItem(description="Workshop", quantity=Decimal("0.5"), unit_price=Decimal("1200")),
            ),
        }
    )
    text = _flat(" ".join(_pages(render_drafted(drafted, tmp_path))))
    # 2,999.97 + 600.00 = 3,599.97; 12.5% off = 449.996 -> 450.00; 3,149.97 x 7.25% = 228.372825 -> 228.37;
    # x 1% = 31.4997 -> 31.50; total 3,409.84
    for row in (
        "Architecture review 3 $999.99 $2,999.97",
        "Workshop 0.5 $1,200.00 $600.00",
        "Subtotal $3,599.97",
        "Discount (12.5%) −$450.00",
        "Sales tax (7.25%) $228.37",
        "Fee (1%) $31.50",
        "Total $3,409.84",
        "Amounts in $ (USD).",
    ):
        assert row in text


@pytest.mark.parametrize("language", list(Language))
def test_timeline_assumptions_validity_and_signatures_are_printed(
    rendered: dict[Language, tuple[ProposalDrafted, RenderedPdf]], language: Language
) -> None:
    drafted, pdf = rendered[language]
    labels = labels_for(language)
    pages = [_unhyphenated(page) for page in _pages(pdf)]
    text = " ".join(pages)
    for phase in drafted.timeline_phases:
        assert f"{phase.name} {phase.duration}" in text
        for deliverable in phase.deliverables:
            assert deliverable in text
    for assumption in drafted.assumptions:
        assert assumption in text
    valid_until = "29 de dezembro de 2026" if language is Language.PT_BR else "December 29, 2026"
    assert labels.validity_note.format(date=valid_until) in text
    last = pages[-1]
    for words in (labels.acceptance, labels.for_company, labels.for_client, "Marina Albuquerque", f"{labels.name}:"):
        assert words.lower() in last.lower()
    assert drafted.request.client_name in last


def test_a_proposal_without_line_items_has_no_investment_table(default_template: TemplateFolder) -> None:
    drafted = sample_drafted(Language.EN, grounded=False).model_copy(
        update={"investment_items": (), "timeline_phases": ()}
    )
    html = build_html(drafted, default_template)
    assert "investment-table" not in html and "timeline-table" not in html
    assert "Payment terms" in html  # the section's own text stays


def test_a_render_says_which_version_of_its_template_made_it(tmp_path: Path) -> None:
    install_default_template(tmp_path)
    drafted = sample_drafted(Language.EN)
    first = render_drafted(drafted, tmp_path)
    assert first.template_sha256 == tree_digest(read_folder(tmp_path / "default"))
    style = tmp_path / "default" / "style.css"
    style.write_text(style.read_text() + "\n/* changed */\n")
    second = render_drafted(drafted, tmp_path)
    assert second.template_sha256 == tree_digest(read_folder(tmp_path / "default")) != first.template_sha256
