"""Model-written Markdown as real Word structures: paragraphs, runs, hyperlinks, numbered and nested lists, tables.

The Markdown is read by the same markdown-it configuration as the PDF (`markdown.parse_markdown`), so a link the PDF
drops is dropped here too, an image is its alt text, and raw HTML is literal text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any, Final

from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from markdown_it.token import Token

from propos4l.renderer.markdown import parse_markdown

__all__ = [
    "HYPERLINK_STYLE",
    "MarkdownWriter",
    "Numbering",
    "add_cell_text",
    "add_table",
    "ensure_hyperlink_style",
    "mark_header_rows",
    "xml_text",
]

HYPERLINK_STYLE: Final = "Hyperlink"
_CODE_FONT: Final = "Courier New"
_INDENT_TWIPS: Final = 360
_LIST_LEVELS: Final = 9
_BULLETS: Final = ("•", "◦", "▪")
_DECIMAL_FORMATS: Final = ("decimal", "lowerLetter", "lowerRoman")
# Characters XML 1.0 cannot hold (lxml refuses them): C0 controls but tab and line breaks, lone surrogates, U+FFFE/F.
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """Text with the characters XML cannot hold removed."""
    return _NOT_XML.sub("", text)


class Numbering:
    """The list and heading numbering definitions of one document: one bullet and one decimal scheme, and a new
    numbering instance per list, so every Markdown list starts at its own first number."""

    def __init__(self, document: Document) -> None:
        self._numbering = document.part.numbering_part.element
        self._abstract: dict[str, int] = {}

    def new_list(self, ordered: bool, start: int = 1) -> int:
        """A numbering instance for one list (restarting at `start` on every level); its w:numId."""
        abstract_id = self._abstract_id("decimal" if ordered else "bullet")
        num = self._numbering.add_num(abstract_id)
        for level in range(_LIST_LEVELS):
            override = parse_xml(
                f'<w:lvlOverride {nsdecls("w")} w:ilvl="{level}">'
                f'<w:startOverride w:val="{start if level == 0 else 1}"/></w:lvlOverride>'
            )
            num.append(override)
        return int(num.numId)

    def heading_numbering(self, style_id: str = "Heading1") -> int:
        """The numbering instance of the section headings: "01", "02", ... on Heading 1 (whose style id a
        reference.docx made by a localised Word may spell otherwise, e.g. "Ttulo1")."""
        return int(self._numbering.add_num(self._abstract_id("heading", style_id)).numId)

    def _abstract_id(self, kind: str, heading_style_id: str = "Heading1") -> int:
        if kind in self._abstract:
            return self._abstract[kind]
        existing = [int(element.get(qn("w:abstractNumId"))) for element in self._numbering.iter(qn("w:abstractNum"))]
        abstract_id = max(existing, default=-1) + 1
        count = 1 if kind == "heading" else _LIST_LEVELS
        levels = "".join(_level_xml(kind, level, heading_style_id) for level in range(count))
        abstract = parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
            f'<w:multiLevelType w:val="{"singleLevel" if kind == "heading" else "multilevel"}"/>{levels}'
            "</w:abstractNum>"
        )
        first_num = self._numbering.find(qn("w:num"))
        if first_num is None:
            self._numbering.append(abstract)
        else:  # the schema wants every w:abstractNum before the first w:num
            first_num.addprevious(abstract)
        self._abstract[kind] = abstract_id
        return abstract_id


def _level_xml(kind: str, level: int, heading_style_id: str) -> str:
    if kind == "heading":
        return (
            '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimalZero"/>'
            f'<w:pStyle w:val="{escape(heading_style_id, quote=True)}"/>'
            '<w:lvlText w:val="%1"/><w:lvlJc w:val="left"/><w:suff w:val="space"/></w:lvl>'
        )
    indent = _INDENT_TWIPS * 2 * (level + 1)
    if kind == "bullet":
        number_format, text = "bullet", _BULLETS[level % len(_BULLETS)]
    else:
        number_format, text = _DECIMAL_FORMATS[level % len(_DECIMAL_FORMATS)], f"%{level + 1}."
    return (
        f'<w:lvl w:ilvl="{level}"><w:start w:val="1"/><w:numFmt w:val="{number_format}"/>'
        f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/>'
        f'<w:pPr><w:ind w:left="{indent}" w:hanging="{_INDENT_TWIPS}"/></w:pPr></w:lvl>'
    )


@dataclass
class _ListState:
    num_id: int
    first_paragraph: bool = False


@dataclass
class _InlineState:
    bold: int = 0
    italic: int = 0
    strike: int = 0
    links: list[Any] = field(default_factory=list)


class MarkdownWriter:
    """Writes Markdown into a document: `# x` as Heading (1 + `heading_offset`), lists, tables, quotes and code."""

    def __init__(self, document: Document, numbering: Numbering, *, heading_offset: int = 1) -> None:
        self._document = document
        self._numbering = numbering
        self._heading_offset = heading_offset
        self._style_ids: dict[str, str] = {}
        self._body_end: Any = None  # the body's w:sectPr, which stays its last element
        ensure_hyperlink_style(document)

    def write(self, markdown: str) -> None:
        """Append the Markdown's blocks to the end of the document."""
        self._blocks(parse_markdown(markdown))

    def _blocks(self, tokens: Sequence[Token]) -> None:
        lists: list[_ListState] = []
        quotes = 0
        index = 0
        while index < len(tokens):
            token = tokens[index]
            kind = token.type
            if kind == "heading_open":
                level = min(int(token.tag[1]) + self._heading_offset, 9)
                paragraph = self._add_paragraph(f"Heading {level}")
                self.inline(paragraph, tokens[index + 1].children or [])
                index += 3
                continue
            if kind == "paragraph_open":
                paragraph = self._paragraph(lists, quotes)
                self.inline(paragraph, tokens[index + 1].children or [])
                index += 3
                continue
            if kind in ("bullet_list_open", "ordered_list_open"):
                start = int(token.attrGet("start") or 1) if kind == "ordered_list_open" else 1
                lists.append(_ListState(self._numbering.new_list(kind == "ordered_list_open", start)))
            elif kind in ("bullet_list_close", "ordered_list_close"):
                lists.pop()
            elif kind == "list_item_open":
                lists[-1].first_paragraph = True
            elif kind == "blockquote_open":
                quotes += 1
            elif kind == "blockquote_close":
                quotes -= 1
            elif kind in ("fence", "code_block"):
                self._code(token.content.rstrip("\n"), lists, quotes)
            elif kind == "hr":
                _bottom_border(self._add_paragraph()._p)
            elif kind == "table_open":
                end = next(i for i in range(index, len(tokens)) if tokens[i].type == "table_close")
                self._table(tokens[index : end + 1])
                index = end
            index += 1

    def _add_paragraph(self, style: str | None = None) -> Paragraph:
        """A paragraph at the end of the body, of the style named `style`. Quicker than python-docx's
        `add_paragraph`, which walks every style of the document to find the style, and every paragraph of the
        body to find where the body ends, for each paragraph: 30 s for a list of 5,000 items."""
        element = OxmlElement("w:p")
        if self._body_end is None:
            self._body_end = self._document.element.body.find(qn("w:sectPr"))
        if self._body_end is not None:
            self._body_end.addprevious(element)
        else:
            self._document.element.body.append(element)
        paragraph = Paragraph(element, self._document._body)
        if style is not None:
            paragraph._p.style = self._style_id(style)
        return paragraph

    def _style_id(self, name: str) -> str:
        if name not in self._style_ids:
            self._style_ids[name] = self._document.styles[name].style_id
        return self._style_ids[name]

    def _paragraph(self, lists: list[_ListState], quotes: int) -> Paragraph:
        if lists:
            paragraph = self._add_paragraph("List Paragraph")
            state = lists[-1]
            if state.first_paragraph:
                _number(paragraph, state.num_id, len(lists) - 1)
                state.first_paragraph = False
            else:  # a second paragraph of an item: under the item's text, without a number
                _indent(paragraph, _INDENT_TWIPS * 2 * len(lists))
            return paragraph
        if quotes:
            return self._add_paragraph("Quote")
        return self._add_paragraph()

    def _code(self, code: str, lists: list[_ListState], quotes: int) -> None:
        paragraph = self._add_paragraph("Quote" if quotes else None)
        if lists:
            _indent(paragraph, _INDENT_TWIPS * 2 * len(lists))
        run = paragraph.add_run(xml_text(code))
        run.font.name = _CODE_FONT
        run.font.size = Pt(9)

    def _table(self, tokens: Sequence[Token]) -> None:
        rows: list[list[tuple[list[Token], str | None]]] = []
        header_rows = 0
        for index, token in enumerate(tokens):
            if token.type == "tr_open":
                rows.append([])
            elif token.type in ("th_open", "td_open"):
                rows[-1].append((tokens[index + 1].children or [], _alignment(token)))
            elif token.type == "thead_close":
                header_rows = len(rows)
        columns = max((len(row) for row in rows), default=0)
        if not columns:
            return
        table = add_table(self._document, columns)
        for row_number, row in enumerate(rows):
            cells = _new_row(table).cells
            for (children, alignment), cell in zip(row, cells, strict=False):
                paragraph = cell.paragraphs[0]
                if alignment == "right":
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                elif alignment == "center":
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                self.inline(paragraph, children, bold=row_number < header_rows)
        mark_header_rows(table, header_rows)
        self._document.add_paragraph()

    def inline(self, paragraph: Paragraph, children: Sequence[Token], *, bold: bool = False) -> None:
        """Append inline Markdown (text, emphasis, code, links, breaks) to a paragraph as runs and hyperlinks."""
        state = _InlineState(bold=int(bold))
        for token in children:
            kind = token.type
            if kind == "text":
                self._run(paragraph, token.content, state)
            elif kind == "softbreak":
                self._run(paragraph, " ", state)
            elif kind == "hardbreak":
                self._run(paragraph, "\n", state)
            elif kind == "code_inline":
                self._run(paragraph, token.content, state).font.name = _CODE_FONT
            elif kind == "image":
                self._run(paragraph, token.content, state)
            elif kind in ("strong_open", "strong_close"):
                state.bold += 1 if kind == "strong_open" else -1
            elif kind in ("em_open", "em_close"):
                state.italic += 1 if kind == "em_open" else -1
            elif kind in ("s_open", "s_close"):
                state.strike += 1 if kind == "s_open" else -1
            elif kind == "link_open":
                state.links.append(_hyperlink(paragraph, str(token.attrGet("href") or "")))
            elif kind == "link_close" and state.links:
                state.links.pop()

    def _run(self, paragraph: Paragraph, text: str, state: _InlineState) -> Any:
        run = paragraph.add_run(xml_text(text))
        run.bold = state.bold > 0 or None
        run.italic = state.italic > 0 or None
        if state.strike > 0:
            run.font.strike = True
        if state.links:
            run._r.style = self._style_id(HYPERLINK_STYLE)
            state.links[-1].append(run._r)  # move the run into the w:hyperlink
        return run


def ensure_hyperlink_style(document: Document) -> None:
    """Add the character style Word gives links (blue, underlined) when the document has none."""
    names = {style.name for style in document.styles}
    if HYPERLINK_STYLE in names:
        return
    style = document.styles.add_style(HYPERLINK_STYLE, WD_STYLE_TYPE.CHARACTER)
    style.font.color.rgb = RGBColor(0x05, 0x63, 0xC1)
    style.font.underline = True


def add_table(document: Document, columns: int, widths_cm: Sequence[float] = ()) -> Table:
    """An empty bordered table, centred, to add rows to; with `widths_cm`, its columns have those widths."""
    table: Table = document.add_table(rows=0, cols=columns)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    if widths_cm:
        table.autofit = False
        for column, width in zip(table.columns, widths_cm, strict=True):
            column.width = Cm(width)
    return table


def add_cell_text(
    table: Table, values: Sequence[str], *, bold: bool = False, italic: bool = False, right_from: int = 99
) -> None:
    """Add a row of plain text; columns from `right_from` on are right-aligned (amounts)."""
    cells = _new_row(table).cells
    for column, (cell, value) in enumerate(zip(cells, values, strict=False)):
        paragraph = cell.paragraphs[0]
        if column >= right_from:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        run = paragraph.add_run(xml_text(value))
        run.bold = bold or None
        run.italic = italic or None


def mark_header_rows(table: Table, count: int) -> None:
    """Make the first `count` rows repeat at the top of each page the table runs onto."""
    for row in list(table.rows)[:count]:
        properties = row._tr.get_or_add_trPr()
        header = OxmlElement("w:tblHeader")
        header.set(qn("w:val"), "true")
        properties.append(header)


def _new_row(table: Table) -> Any:
    return table.add_row()  # type: ignore[no-untyped-call]  # python-docx leaves it untyped


def _alignment(token: Token) -> str | None:
    style = str(token.attrGet("style") or "")
    return style.removeprefix("text-align:") or None


def _hyperlink(paragraph: Paragraph, href: str) -> Any:
    """A w:hyperlink at the end of the paragraph: an external relationship, or an anchor for `#fragment`."""
    element = OxmlElement("w:hyperlink")
    if href.startswith("#"):
        element.set(qn("w:anchor"), href[1:])
    else:
        element.set(qn("r:id"), paragraph.part.relate_to(href, RELATIONSHIP_TYPE.HYPERLINK, is_external=True))
    element.set(qn("w:history"), "1")
    paragraph._p.append(element)
    return element


def _number(paragraph: Paragraph, num_id: int, level: int) -> None:
    properties = paragraph._p.get_or_add_pPr()
    numbering = parse_xml(
        f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{min(level, _LIST_LEVELS - 1)}"/><w:numId w:val="{num_id}"/></w:numPr>'
    )
    properties.insert_element_before(numbering, *_AFTER_NUMPR)


def _indent(paragraph: Paragraph, twips: int) -> None:
    paragraph.paragraph_format.left_indent = twips * 635  # EMU per twip


def _bottom_border(paragraph_element: Any) -> None:
    properties = paragraph_element.get_or_add_pPr()
    properties.append(
        parse_xml(f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="6" w:space="1" w:color="auto"/></w:pBdr>')
    )


# The elements of w:pPr that come after w:numPr in the schema's order.
_AFTER_NUMPR: Final = (
    "w:suppressLineNumbers",
    "w:pBdr",
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)
