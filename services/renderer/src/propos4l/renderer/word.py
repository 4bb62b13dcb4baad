"""The proposal as a Word document (DOCX): the same version, content and computed totals as the PDF, as real Word
structures (heading styles, a TOC field, numbered lists, tables, hyperlinks, page-number fields) a person can edit."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Final

from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Length, Pt, RGBColor
from docx.text.paragraph import Paragraph

from propos4l.renderer.document import proposal_context
from propos4l.renderer.errors import RenderLimitExceeded
from propos4l.renderer.manifest import TemplateManifest
from propos4l.renderer.word_logo import logo_picture
from propos4l.renderer.word_markdown import (
    MarkdownWriter,
    Numbering,
    add_cell_text,
    add_table,
    mark_header_rows,
    xml_text,
)
from propos4l.renderer.word_styles import base_document
from propos4l.shared.events import ProposalDrafted

__all__ = ["DEFAULT_MAX_DOCX_BYTES", "DOCX_MEDIA_TYPE", "TOC_INSTRUCTION", "export_docx"]

DOCX_MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DEFAULT_MAX_DOCX_BYTES: Final = 50 * 1024 * 1024
TOC_INSTRUCTION: Final = 'TOC \\o "1-3" \\h \\z \\u'
LOGO_WIDTH_CM: Final = 4.5
_AMOUNT_COLUMNS: Final = 1
_WATERMARK_RED: Final = RGBColor(0xBE, 0x1E, 0x2D)  # the PDF stamp's red


def export_docx(
    drafted: ProposalDrafted,
    manifest: TemplateManifest,
    template_dir: Path | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_DOCX_BYTES,
    watermark: str | None = None,
) -> bytes:
    """The proposal as DOCX bytes (blocking). Raises `RenderLimitExceeded` past `max_bytes`.

    With the template's folder, the styles come from its reference.docx (when it has one) and its logo is on the
    cover (an SVG rasterised to PNG); without it, the brand's colours on python-docx's default styles and no logo.
    `watermark` (the words for a version that needs approval and lacks it) heads the cover and every page's header.
    """
    context = proposal_context(drafted, manifest)
    document = base_document(template_dir, manifest.brand.colors)
    _page_and_language(document, context)
    _properties(document, context)
    numbering = Numbering(document)
    writer = MarkdownWriter(document, numbering)
    if template_dir is not None:
        _logo(document, template_dir, manifest.brand.logo)
    if watermark is not None:
        _watermark_paragraph(document.add_paragraph(), watermark, size=Pt(16))
    _cover(document, context, drafted.ai_generated)
    if watermark is not None:
        _watermark_paragraph(document.sections[0].header.add_paragraph(), watermark, size=Pt(10))
    _contents(document, context)
    section_numbers = numbering.heading_numbering(document.styles["Heading 1"].style_id)
    _number_heading_style(document, section_numbers)
    for section, source in zip(context["sections"], drafted.sections, strict=True):
        document.add_paragraph(xml_text(section["title"]), style="Heading 1")
        writer.write(source.content)
        _structured_parts(document, section["key"], context)
    _acceptance(document, context)
    _annex(document, context)
    buffer = io.BytesIO()
    document.save(buffer)
    data = buffer.getvalue()
    if len(data) > max_bytes:
        raise RenderLimitExceeded(
            f"the DOCX would be {len(data):,} bytes, more than the {max_bytes:,} allowed", limit="output_size"
        )
    return data


# --- the document's frame ------------------------------------------------------------------------------------------


def _page_and_language(document: Document, context: dict[str, Any]) -> None:
    """A4 with the PDF's margins, and the proposal's language on every run (spelling, hyphenation)."""
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin = section.bottom_margin = Cm(2.2)
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is None:
        defaults = OxmlElement("w:docDefaults")
        styles.insert(0, defaults)
    run_defaults = defaults.find(qn("w:rPrDefault"))
    if run_defaults is None:
        run_defaults = OxmlElement("w:rPrDefault")
        defaults.insert(0, run_defaults)
    properties = run_defaults.find(qn("w:rPr"))
    if properties is None:
        properties = OxmlElement("w:rPr")
        run_defaults.append(properties)
    for old in properties.findall(qn("w:lang")):
        properties.remove(old)
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), context["lang"])
    properties.append(language)
    _update_fields_on_open(document)


def _logo(document: Document, template_dir: Path, logo: str) -> None:
    """The brand's logo at the top of the cover, as the PDF's cover has it."""
    picture = logo_picture(template_dir, logo, width_cm=LOGO_WIDTH_CM)
    document.add_paragraph().add_run().add_picture(io.BytesIO(picture.data), width=Cm(LOGO_WIDTH_CM))


def _update_fields_on_open(document: Document) -> None:
    """Ask Word and LibreOffice to fill the TOC and page fields when the file is opened."""
    settings = document.settings.element
    for old in settings.findall(qn("w:updateFields")):
        settings.remove(old)
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings.append(update)


def _properties(document: Document, context: dict[str, Any]) -> None:
    proposal = context["proposal"]
    labels = context["labels"]
    properties = document.core_properties
    properties.title = f"{labels.document_title}: {proposal['client_name']}"
    properties.subject = proposal["subject"] or proposal["description"]
    properties.author = context["brand"]["company_name"]
    properties.last_modified_by = context["brand"]["company_name"]
    properties.keywords = proposal["keywords"]
    properties.language = context["lang"]
    properties.comments = proposal["description"]
    properties.identifier = proposal["number"]
    properties.version = str(proposal["version"])
    properties.revision = proposal["version"]


def _number_heading_style(document: Document, num_id: int) -> None:
    """Number Heading 1 ("01", "02", ...) through its style, as Word's own numbered headings do."""
    properties = document.styles["Heading 1"].element.get_or_add_pPr()
    for old in properties.findall(qn("w:numPr")):  # a reference.docx may number its headings its own way
        properties.remove(old)
    properties.insert(0, parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr>'))


def _unnumbered_heading(document: Document, text: str, style: str = "Heading 1") -> Paragraph:
    """A Heading 1 (or a style based on it) without the section number: the contents, acceptance and annex."""
    paragraph = document.add_paragraph(xml_text(text), style=style)
    paragraph._p.get_or_add_pPr().insert(
        0, parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="0"/><w:numId w:val="0"/></w:numPr>')
    )
    return paragraph


def _cover(document: Document, context: dict[str, Any], ai_generated: bool) -> None:
    labels = context["labels"]
    proposal = context["proposal"]
    document.add_paragraph(xml_text(labels.document_title), style="Title")
    document.add_paragraph(xml_text(proposal["client_name"]), style="Subtitle")
    if proposal["subject"]:
        document.add_paragraph().add_run(xml_text(proposal["subject"])).italic = True
    if not ai_generated:
        document.add_paragraph().add_run(xml_text(labels.draft_without_ai)).bold = True
    facts = [
        (labels.prepared_for, proposal["client_name"]),
        (labels.industry, proposal["industry"]),
        (labels.prepared_by, context["brand"]["company_name"]),
        (labels.proposal_number, proposal["number"]),
        (labels.version, str(proposal["version"])),
        (labels.date, proposal["date"]),
        (labels.valid_until, proposal["valid_until"]),
    ]
    table = add_table(document, 2, (5.0, 11.6))
    for name, value in facts:
        add_cell_text(table, (name, value))
        table.rows[-1].cells[0].paragraphs[0].runs[0].bold = True
    _header_and_footer(document, context)
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _header_and_footer(document: Document, context: dict[str, Any]) -> None:
    """The header (company, title, client) and footer ("Página 3 de 12") of the pages after the cover."""
    labels = context["labels"]
    section = document.sections[0]
    section.different_first_page_header_footer = True  # the cover has none
    header = section.header.paragraphs[0]
    header.text = xml_text(
        f"{context['brand']['company_name']} · {labels.document_title}: {context['proposal']['client_name']}"
    )
    header.runs[0].font.size = Pt(8)
    header.runs[0].font.color.rgb = RGBColor.from_string(context["brand"]["colors"]["muted"].removeprefix("#").upper())
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer.add_run(f"{labels.page} ")
    _field(footer, "PAGE", "1")
    footer.add_run(f" {labels.of} ")
    _field(footer, "NUMPAGES", "1")
    for run in footer.runs:
        run.font.size = Pt(8)


def _watermark_paragraph(paragraph: Paragraph, text: str, *, size: Length) -> None:
    """`text` centred in bold red: the "not approved" mark where Word shows it on every page (the header) and on
    the cover (which has no header). Plain text rather than a VML shape behind the page, so every editor and
    converter shows it and it cannot be mistaken for the template's own artwork."""
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = paragraph.add_run(xml_text(text))
    run.bold = True
    run.font.size = size
    run.font.color.rgb = _WATERMARK_RED


def _contents(document: Document, context: dict[str, Any]) -> None:
    """The table of contents as a Word TOC field over Heading 1-3, which Word and LibreOffice can update; until
    then it shows the section titles (a converter that does not update fields still prints a useful list)."""
    _unnumbered_heading(document, context["labels"].contents, style="TOC Heading")
    entries = [f"{section['number']:02d} {section['title']}" for section in context["sections"]]
    first = document.add_paragraph()
    _field_start(first, TOC_INSTRUCTION)
    paragraphs = [first, *(document.add_paragraph() for _ in entries[1:])]
    for paragraph, entry in zip(paragraphs, entries, strict=True):
        paragraph.add_run(xml_text(entry))
    _field_char(paragraphs[-1], "end")
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _field(paragraph: Paragraph, instruction: str, placeholder: str) -> None:
    """A complex field in one paragraph: begin, instruction, separate, the value shown until updated, end."""
    _field_start(paragraph, instruction)
    paragraph.add_run(xml_text(placeholder))
    _field_char(paragraph, "end")


def _field_start(paragraph: Paragraph, instruction: str) -> None:
    """The start of a complex field, marked dirty so it is updated on open, up to its shown value."""
    _field_char(paragraph, "begin")
    element = OxmlElement("w:instrText")
    element.set(qn("xml:space"), "preserve")
    element.text = f" {instruction} "
    paragraph.add_run()._r.append(element)
    _field_char(paragraph, "separate")


def _field_char(paragraph: Paragraph, kind: str) -> None:
    element = OxmlElement("w:fldChar")
    element.set(qn("w:fldCharType"), kind)
    if kind == "begin":
        element.set(qn("w:dirty"), "true")
    paragraph.add_run()._r.append(element)


# --- the tables and parts that code writes, as the PDF shows them --------------------------------------------------


def _structured_parts(document: Document, key: str, context: dict[str, Any]) -> None:
    labels = context["labels"]
    if key == "scope" and context["assumptions"]:
        document.add_paragraph(xml_text(labels.assumptions), style="Heading 3")
        for assumption in context["assumptions"]:
            document.add_paragraph(xml_text(assumption), style="List Bullet")
    if key == "timeline" and context["timeline"]:
        table = add_table(document, 4, (1.0, 5.0, 3.0, 7.6))
        add_cell_text(table, ("#", labels.phase, labels.duration, labels.deliverables), bold=True)
        for number, phase in enumerate(context["timeline"], start=1):
            add_cell_text(table, (str(number), phase["name"], phase["duration"], "; ".join(phase["deliverables"])))
        mark_header_rows(table, 1)
        document.add_paragraph()
    if key == "team" and context["team"]:
        _team(document, context)
    if key == "investment" and context["effort"]:
        _effort(document, context)
    elif key == "investment" and context["investment"]:
        _investment(document, context)
    if key == "terms":
        document.add_paragraph().add_run(xml_text(context["proposal"]["validity_note"])).bold = True


def _investment(document: Document, context: dict[str, Any]) -> None:
    labels = context["labels"]
    investment = context["investment"]
    table = add_table(document, 4, (6.8, 2.0, 3.6, 4.2))
    add_cell_text(table, (labels.item, labels.quantity, labels.unit_price, labels.amount), bold=True, right_from=1)
    for line in investment["lines"]:
        values = (line["description"], line["quantity"], line["unit_price"], line["amount"])
        add_cell_text(table, values, right_from=_AMOUNT_COLUMNS)
    _totals(table, investment, labels)
    mark_header_rows(table, 1)
    _investment_notes(document, context, investment["currency_symbol"], investment["currency"])


def _totals(table: Any, investment: dict[str, Any], labels: Any) -> None:
    for name, amount in _total_lines(investment, labels):
        add_cell_text(table, ("", "", name, amount), bold=True, right_from=2)


def _total_lines(investment: dict[str, Any], labels: Any) -> list[tuple[str, str]]:
    totals = [(labels.subtotal, investment["subtotal"])]
    if investment["discount"]:
        totals.append((f"{labels.discount} ({investment['discount']['percent']})", investment["discount"]["amount"]))
    totals += [(f"{tax['label']} ({tax['rate']})", tax["amount"]) for tax in investment["taxes"]]
    totals.append((labels.total, investment["total"]))
    return totals


def _effort(document: Document, context: dict[str, Any]) -> None:
    """The effort table by phase (a dash where a line has no rate), then the totals of the investment."""
    labels = context["labels"]
    effort = context["effort"]
    table = add_table(document, 4, (6.8, 2.0, 3.6, 4.2))
    headings = (f"{labels.phase} / {labels.team_role}", labels.hours, labels.hourly_rate, labels.amount)
    add_cell_text(table, headings, bold=True, right_from=1)
    for phase in effort["phases"]:
        add_cell_text(table, (phase["name"], "", "", ""), bold=True)
        for line in phase["lines"]:
            add_cell_text(table, (line["role"], line["hours"], line["hourly_rate"], line["amount"]), right_from=1)
        if len(effort["phases"]) > 1:
            subtotal = f"{labels.phase_subtotal} · {phase['name']}"
            add_cell_text(table, (subtotal, phase["hours"], "", phase["subtotal"]), italic=True, right_from=1)
    add_cell_text(table, (labels.total_hours, effort["total_hours"], "", ""), italic=True, right_from=1)
    if context["investment"]:
        _totals(table, context["investment"], labels)
    mark_header_rows(table, 1)
    _investment_notes(document, context, effort["currency_symbol"], effort["currency"])


def _investment_notes(document: Document, context: dict[str, Any], symbol: str, currency: str) -> None:
    """Under the table: the budget sentence, the lines left unpriced, and the currency and taxes note."""
    labels = context["labels"]
    budget = context["budget_comparison"]
    if budget:
        paragraph = document.add_paragraph()
        paragraph.add_run(xml_text(budget["sentence"])).bold = True
        if budget["basis"]:
            paragraph.add_run(" " + xml_text(budget["basis"]))
    effort = context["effort"]
    if effort and effort["unpriced_note"]:
        document.add_paragraph(xml_text(effort["unpriced_note"]), style="Quote")
    note = f"{labels.amounts_in} {symbol} ({currency})."
    if context["investment"] and context["investment"]["taxes"]:
        note += f" {labels.taxes_note}"
    document.add_paragraph().add_run(xml_text(note)).italic = True


def _team(document: Document, context: dict[str, Any]) -> None:
    """The people on the team, as the roster has them: name, role, seniority, role in this project, bio."""
    labels = context["labels"]
    for person in context["team"]:
        document.add_paragraph(xml_text(person["name"]), style="Heading 3")
        role = person["role"] + (f" · {person['seniority']}" if person["seniority"] else "")
        document.add_paragraph().add_run(xml_text(role)).italic = True
        if person["project_role"]:
            paragraph = document.add_paragraph()
            paragraph.add_run(xml_text(f"{labels.project_role}: ")).bold = True
            paragraph.add_run(xml_text(person["project_role"]))
        for text in person["bio_paragraphs"]:
            document.add_paragraph(xml_text(text))


def _acceptance(document: Document, context: dict[str, Any]) -> None:
    labels = context["labels"]
    signatory = context["signatory"]
    company = context["company"]
    ours = [signatory["name"], signatory["role"]] if signatory else [context["brand"]["company_name"]]
    ours.append(company["legal_name"] or context["brand"]["company_name"])
    _unnumbered_heading(document, labels.acceptance)
    document.add_paragraph(xml_text(labels.acceptance_note))
    for who, names in ((labels.for_company, ", ".join(ours)), (labels.for_client, context["proposal"]["client_name"])):
        paragraph = document.add_paragraph()
        paragraph.add_run(xml_text(f"{who}: ")).bold = True
        paragraph.add_run(xml_text(names))
    document.add_paragraph(
        xml_text(
            f"{labels.name}: ____________________  {labels.role}: ____________________  "
            f"{labels.signature_date}: ____/____/______"
        )
    )


def _annex(document: Document, context: dict[str, Any]) -> None:
    """The case studies the sections cite, when the template asks for the annex."""
    if not context["annex"]:
        return
    labels = context["labels"]
    _unnumbered_heading(document, f"{labels.annex}: {labels.case_studies_annex}")
    document.add_paragraph(xml_text(labels.case_studies_intro))
    for study in context["annex"]["case_studies"]:
        document.add_paragraph(xml_text(study["title"]), style="Heading 2")
        for paragraph_text in study["paragraphs"]:
            paragraph = document.add_paragraph()
            if paragraph_text["label"]:
                paragraph.add_run(xml_text(f"{paragraph_text['label']}: ")).bold = True
            paragraph.add_run(xml_text(paragraph_text["text"]))
        if study["cited_in"]:
            cited = f"{labels.cited_in}: {', '.join(study['cited_in'])}"
            document.add_paragraph().add_run(xml_text(cited)).italic = True
