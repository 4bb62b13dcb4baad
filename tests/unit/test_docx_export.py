"""The DOCX export: Markdown as real Word structures, the PDF's computed totals, fields Word updates, sane limits."""

from __future__ import annotations

import io
from typing import Any

import docx
import pytest
from docx.document import Document
from docx.oxml.ns import qn

from propos4l.renderer.document import proposal_context
from propos4l.renderer.errors import RenderLimitExceeded
from propos4l.renderer.manifest import TemplateManifest
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.templates import install_default_template, load_template
from propos4l.renderer.word import TOC_INSTRUCTION, export_docx
from propos4l.shared.events import ProposalDrafted, Section
from propos4l.shared.sections import Language, SectionKey

MARKDOWN = """Intro with **bold**, *italic*, ~~gone~~ and `code`, see [our site](https://example.com/a?b=1).

A [bad link](javascript:alert(1)) stays text.

# Approach

## Phase detail

- first
- second
  - nested one
  - nested two
- third

3. three
4. four

Then:

1. again one

| Item | Amount |
|:-----|-------:|
| Licences | R$ 1.000,00 |
| Support | R$ 2,00 |

> A quote.
"""

PT_BR_TOTALS = ("R$ 331.500,00", "Desconto (8%)", "−R$ 26.520,00", "R$ 15.249,00", "R$ 320.229,00")


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> TemplateManifest:
    path = tmp_path_factory.mktemp("templates")
    install_default_template(path)
    return load_template(path, "default").manifest


def with_content(drafted: ProposalDrafted, key: SectionKey, content: str) -> ProposalDrafted:
    sections = tuple(
        Section(key=s.key, title=s.title, content=content) if s.key is key else s for s in drafted.sections
    )
    return drafted.model_copy(update={"sections": sections})


def opened(data: bytes) -> Document:
    return docx.Document(io.BytesIO(data))


def paragraphs_after(document: Document, title: str) -> list[Any]:
    """The paragraphs of the section whose Heading 1 is `title`, up to the next Heading 1."""
    found: list[Any] = []
    inside = False
    for paragraph in document.paragraphs:
        if paragraph.style.name == "Heading 1":
            if inside:
                break
            inside = paragraph.text == title
            continue
        if inside:
            found.append(paragraph)
    return found


def numbering(paragraph: Any) -> tuple[int, int] | None:
    """(numId, ilvl) of a numbered paragraph, else None."""
    properties = paragraph._p.pPr
    if properties is None or properties.numPr is None:
        return None
    return int(properties.numPr.numId.val), int(properties.numPr.ilvl.val)


def number_format(document: Document, num_id: int, level: int) -> str:
    part = document.part.numbering_part.element
    num = part.num_having_numId(num_id)
    abstract_id = num.abstractNumId.val
    abstract = next(a for a in part.iter(qn("w:abstractNum")) if int(a.get(qn("w:abstractNumId"))) == abstract_id)
    lvl = next(lv for lv in abstract.iter(qn("w:lvl")) if int(lv.get(qn("w:ilvl"))) == level)
    return str(lvl.find(qn("w:numFmt")).get(qn("w:val")))


def test_markdown_becomes_word_styles_runs_links_lists_and_tables(manifest: TemplateManifest) -> None:
    drafted = with_content(sample_drafted(Language.EN), SectionKey.SOLUTION, MARKDOWN)
    document = opened(export_docx(drafted, manifest))
    title = next(s.title for s in drafted.sections if s.key is SectionKey.SOLUTION)
    body = paragraphs_after(document, title)
    intro = body[0]
    runs = {run.text: run for run in intro.runs}
    assert runs["bold"].bold and runs["italic"].italic and runs["gone"].font.strike
    assert runs["code"].font.name == "Courier New"
    assert [(link.text, link.url) for link in intro.hyperlinks] == [("our site", "https://example.com/a?b=1")]
    assert intro.hyperlinks[0].runs[0].style.name == "Hyperlink"
    assert body[1].text == "A [bad link](javascript:alert(1)) stays text." and not body[1].hyperlinks

    styles = {p.text: p.style.name for p in body}
    assert styles["Approach"] == "Heading 2" and styles["Phase detail"] == "Heading 3"

    items = {p.text: numbering(p) for p in body if numbering(p)}
    bullets, nested = items["first"], items["nested one"]
    assert bullets is not None and nested is not None
    assert items["second"] == bullets and items["third"] == bullets and bullets[1] == 0
    assert nested[1] == 1 and items["nested two"] == nested and nested[0] != bullets[0]
    assert number_format(document, bullets[0], 0) == "bullet"
    three, again = items["three"], items["again one"]
    assert three is not None and again is not None
    assert number_format(document, three[0], 0) == "decimal" and again[0] != three[0]  # each list restarts
    start = document.part.numbering_part.element.num_having_numId(three[0]).find(qn("w:lvlOverride"))
    assert start.find(qn("w:startOverride")).get(qn("w:val")) == "3"
    assert styles["A quote."] == "Quote"

    table = next(t for t in document.tables if t.rows[0].cells[0].text == "Item")
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["Item", "Amount"],
        ["Licences", "R$ 1.000,00"],
        ["Support", "R$ 2,00"],
    ]
    assert table.rows[0].cells[0].paragraphs[0].runs[0].bold
    assert table.rows[1].cells[1].paragraphs[0].alignment == 2  # right, as the Markdown column says


@pytest.mark.parametrize("language", list(Language))
def test_the_docx_has_the_cover_contents_field_sections_totals_and_page_numbers(
    manifest: TemplateManifest, language: Language
) -> None:
    drafted = sample_drafted(language)
    data = export_docx(drafted, manifest)
    document = opened(data)
    text = "\n".join(p.text for p in document.paragraphs)
    assert drafted.request.client_name in text
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[: len(drafted.sections)] == [s.title for s in drafted.sections]
    heading_style = document.styles["Heading 1"]
    assert heading_style.font.color.rgb is not None
    assert str(heading_style.font.color.rgb) == manifest.brand.colors.primary.removeprefix("#").upper()
    assert heading_style.element.pPr.numPr is not None  # numbered "01", "02", ... by the style

    xml = document.element.xml
    assert TOC_INSTRUCTION in xml
    settings = document.settings.element
    assert settings.find(qn("w:updateFields")).get(qn("w:val")) == "true"
    footer = document.sections[0].footer._element.xml
    assert " PAGE " in footer and " NUMPAGES " in footer
    assert document.sections[0].different_first_page_header_footer

    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    investment = proposal_context(drafted, manifest)["investment"]  # the PDF's computed, locale-formatted totals
    expected = [investment["subtotal"], investment["discount"]["amount"], investment["taxes"][0]["amount"]]
    for amount in [*expected, investment["total"]]:
        assert amount in cells, amount
    if language is Language.PT_BR:
        assert [cell for cell in cells if cell in PT_BR_TOTALS] == list(PT_BR_TOTALS)  # in the PDF's order

    properties = document.core_properties
    assert drafted.request.client_name in properties.title
    assert properties.author == manifest.brand.company_name
    assert properties.language == language.value and properties.subject


def test_a_section_of_5000_list_items_and_a_200_row_table_is_a_valid_docx(manifest: TemplateManifest) -> None:
    items = "\n".join(f"- {number:04d}" for number in range(5_000))  # 5,000 items in a section's 40,000 characters
    rows = "\n".join(f"| row {number} | {number},00 |" for number in range(200))
    drafted = sample_drafted(Language.PT_BR)
    drafted = with_content(drafted, SectionKey.SCOPE, items)
    drafted = with_content(drafted, SectionKey.SOLUTION, "| a | b |\n|---|---:|\n" + rows)
    data = export_docx(drafted, manifest)  # its speed (once quadratic in the items) is bench/bench_exports.py's
    document = opened(data)
    listed = [p for p in document.paragraphs if len(p.text) == 4 and p.text.isdigit()]
    assert len(listed) == 5_000 and len({numbering(p) for p in listed}) == 1
    big = max(document.tables, key=lambda t: len(t.rows))
    assert len(big.rows) == 201 and big.rows[200].cells[0].text == "row 199"


def test_emoji_right_to_left_text_and_control_characters_still_make_a_valid_docx(manifest: TemplateManifest) -> None:
    content = "Launch 🚀 **now**\n\nمرحبا بالعالم — שלום\n\nbell\x07 and form\x0cfeed"
    drafted = with_content(sample_drafted(Language.EN), SectionKey.EXECUTIVE_SUMMARY, content)
    text = "\n".join(p.text for p in opened(export_docx(drafted, manifest)).paragraphs)
    assert "Launch 🚀 now" in text and "مرحبا بالعالم — שלום" in text and "bell and formfeed" in text


def test_a_docx_past_the_output_limit_is_refused(manifest: TemplateManifest) -> None:
    with pytest.raises(RenderLimitExceeded, match="more than the 2,048 allowed") as raised:
        export_docx(sample_drafted(Language.EN), manifest, max_bytes=2_048)
    assert raised.value.limit == "output_size"


def test_a_watermarked_docx_says_so_on_the_cover_and_in_every_pages_header(manifest: TemplateManifest) -> None:
    words = "RASCUNHO - NÃO APROVADO"
    document = opened(export_docx(sample_drafted(Language.PT_BR), manifest, watermark=words))
    cover = next(p for p in document.paragraphs if p.text)
    assert cover.text == words and cover.runs[0].bold and str(cover.runs[0].font.color.rgb) == "BE1E2D"
    header = document.sections[0].header  # the pages after the cover (the cover has none of its own)
    assert words in [paragraph.text for paragraph in header.paragraphs]
    plain = opened(export_docx(sample_drafted(Language.PT_BR), manifest))
    texts = [p.text for p in plain.paragraphs] + [p.text for p in plain.sections[0].header.paragraphs]
    assert words not in texts
