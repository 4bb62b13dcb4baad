"""Exports: one HTML file that needs nothing else, and Markdown with the same content and the same totals."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from propos4l.renderer.export import export_html, export_markdown
from propos4l.renderer.inline import inline_resources
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.templates import install_default_template, load_template
from propos4l.shared.events import ProposalDrafted, Section
from propos4l.shared.sections import Language, SectionKey


@pytest.fixture(scope="module")
def templates_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("templates")
    install_default_template(path)
    return path


def with_content(drafted: ProposalDrafted, key: SectionKey, content: str) -> ProposalDrafted:
    sections = tuple(
        Section(key=s.key, title=s.title, content=content) if s.key is key else s for s in drafted.sections
    )
    return drafted.model_copy(update={"sections": sections})


def references(document: str) -> list[str]:
    """Every URL the document points to through an attribute or a CSS url()."""
    attributes = re.findall(r"""\b(?:src|href|poster|srcset)\s*=\s*["']([^"']*)["']""", document, re.IGNORECASE)
    css = re.findall(r"""url\(\s*["']?([^"')]*)""", document, re.IGNORECASE)
    return attributes + css


@pytest.mark.parametrize("language", list(Language))
def test_the_html_export_is_self_contained(templates_dir: Path, language: Language) -> None:
    drafted = sample_drafted(language)
    document = export_html(drafted, templates_dir)
    assert document.startswith("<!DOCTYPE html>")
    assert f'<html lang="{language.value}">' in document
    assert "<link" not in document  # the stylesheet is inlined
    assert "@font-face" in document and document.count("data:font/otf;base64,") == 4
    assert "data:image/svg+xml;base64," in document  # the logo
    for url in references(document):
        assert url.startswith(("data:", "#", "mailto:")), url
    assert drafted.request.client_name in document
    for section in drafted.sections:
        assert f'id="{section.key.value}"' in document


def test_the_html_export_has_the_same_totals_as_the_pdf(templates_dir: Path) -> None:
    document = export_html(sample_drafted(Language.PT_BR), templates_dir)
    for amount in ("R$ 331.500,00", "−R$ 26.520,00", "R$ 15.249,00", "R$ 320.229,00"):
        assert amount in document


def test_inlining_keeps_only_the_template_folder_and_drops_scripts(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    (folder / "css").mkdir(parents=True)
    (folder / "css" / "main.css").write_text('@import "more.css";\nbody { background: url(../bg.png) }')
    (folder / "css" / "more.css").write_text("h1 { color: red }")
    (folder / "bg.png").write_bytes(b"\x89PNG\r\n")
    (tmp_path / "secret.txt").write_text("secret")
    document = inline_resources(
        "<!DOCTYPE html><html><head>"
        '<link rel="stylesheet" href="css/main.css"><link rel="attachment" href="bg.png">'
        '<link rel="icon" href="http://example.com/i.png"><script src="http://example.com/x.js"></script>'
        "<style>p { background: url('http://example.com/t.png') } </style></head>"
        '<body onload="steal()"><img src="../secret.txt"><img src="file:///etc/hostname" alt="&amp; x">'
        '<img src="http://example.com/p.png"><a href="javascript:alert(1)">x</a><a href="#top">top</a>'
        '<script>alert(1)</script><p style="background: url(bg.png)">&eacute;&#233;</p></body></html>',
        folder,
    )
    assert "h1 { color: red }" in document  # the import, inlined
    png = base64.b64encode(b"\x89PNG\r\n").decode()
    assert document.count(f"data:image/png;base64,{png}") == 2  # from main.css and from the style attribute
    assert "secret" not in document and "example.com" not in document and "/etc/hostname" not in document
    assert "<script" not in document and "alert" not in document and "onload" not in document
    assert 'href="#top"' in document and "&eacute;&#233;" in document and 'alt="&amp; x"' in document
    assert document.count("about:invalid") == 4  # two outside files, two network images


def test_markdown_has_every_section_and_the_computed_tables(templates_dir: Path) -> None:
    drafted = sample_drafted(Language.PT_BR, grounded=False)
    markdown = export_markdown(drafted, load_template(templates_dir, "default").manifest)
    assert markdown.startswith("# Proposta comercial: Cooperativa Agroindustrial Vale Verde\n")
    for number, section in enumerate(drafted.sections, start=1):
        assert f"\n## {number:02d} {section.title}\n" in markdown
    assert "\n##### Componentes\n" in markdown  # "###" moved two levels down, below the section's "##"
    for row in (
        "| Implantação assistida nas unidades (dias) | 12,5 | R$ 1.480,00 | R$ 18.500,00 |",
        "| | | **Subtotal** | **R$ 331.500,00** |",
        "| | | **Desconto (8%)** | **−R$ 26.520,00** |",
        "| | | **ISS (5%)** | **R$ 15.249,00** |",
        "| | | **Total** | **R$ 320.229,00** |",
        "| 1 | Descoberta | Semanas 1–3 | Mapa de processos das 12 unidades; Backlog priorizado |",
        "- A cooperativa disponibiliza acesso ao ERP e à sua documentação técnica até a segunda semana.",
        "**Esta proposta é válida até 29 de dezembro de 2026.**",
        "## Aceite",
    ):
        assert row in markdown, row
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    assert sum(token.type == "table_open" for token in tokens) == 3  # facts, timeline, investment


def test_markdown_keeps_raw_html_and_user_text_literal(templates_dir: Path) -> None:
    base = sample_drafted(Language.EN)
    content = "Hello <script>alert(1)</script> and `<b>code</b>` and <https://example.com>\n\n```\n<i>fenced</i>\n```"
    drafted = with_content(base, SectionKey.SOLUTION, content)
    drafted = drafted.model_copy(
        update={"request": drafted.request.model_copy(update={"client_name": "ACME | *Bold* <b>"})}
    )
    markdown = export_markdown(drafted, load_template(templates_dir, "default").manifest)
    assert "Hello \\<script>alert(1)\\</script>" in markdown
    assert "`<b>code</b>`" in markdown and "<https://example.com>" in markdown and "\n<i>fenced</i>\n" in markdown
    assert "# Commercial proposal: ACME \\| \\*Bold\\* \\<b\\>\n" in markdown
    html = MarkdownIt("commonmark").render(markdown)
    assert "<script>" not in html and "<b>" not in html.replace("<code>&lt;b&gt;", "")


def test_markdown_marks_a_draft_made_without_ai(templates_dir: Path) -> None:
    manifest = load_template(templates_dir, "default").manifest
    assert "(outline mode)" in export_markdown(sample_drafted(Language.EN, ai_generated=False), manifest)
    assert "(outline mode)" not in export_markdown(sample_drafted(Language.EN), manifest)


def test_the_html_export_uses_the_proposal_template(templates_dir: Path, tmp_path: Path) -> None:
    shutil.copytree(templates_dir / "default", tmp_path / "other")
    manifest = json.loads((tmp_path / "other" / "manifest.json").read_text())
    manifest["name"] = "other"
    manifest["brand"]["company_name"] = "Outra Consultoria"
    (tmp_path / "other" / "manifest.json").write_text(json.dumps(manifest))
    document = export_html(sample_drafted(Language.EN, template="other"), tmp_path)
    assert "Outra Consultoria" in document
