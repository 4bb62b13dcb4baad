"""PDF text with pdfium, page by page; pages without a text layer are rendered and read by OCR.

Most PDFs carry no structure tags, so headings are inferred from the text itself: a line set in a larger font than
the body text (pdfium reports each character's font size), a numbered clause ("5.2.1 Escopo") or a short ALL-CAPS
line. Paragraphs are lines whose baselines sit close together; a wider gap starts a new one.

pdfium never runs a PDF's JavaScript (this project does not initialise its form environment, where scripts would
live), so a PDF with scripts is read as text like any other.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from propos4l.library.blocks import Block, Extracted, ExtractionFailed, HeadingTrail
from propos4l.library.ocr import RENDER_DPI, OcrEngine
from propos4l.shared.events import LibraryFailureCode

__all__ = ["read_pdf"]

# A line set at least this much larger than the body text is a heading.
_HEADING_SIZE_RATIO: Final = 1.15
# Baselines further apart than this many font sizes start a new paragraph (lines in one sit about 1.2 apart).
_PARAGRAPH_GAP: Final = 1.6
_HEADING_MAX_CHARACTERS: Final = 150
_NUMBERED_CLAUSE = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.?\s+[^\W\d_]")
_PAGE_NUMBER = re.compile(r"^(?:page|página|pag\.?|p\.)?\s*\d{1,4}(?:\s*(?:/|of|de)\s*\d{1,4})?$", re.IGNORECASE)
# pdfium marks a word broken across lines with these (a soft hyphen); the halves are joined without a space.
_SOFT_HYPHENS: Final = ("\x02", "\xad")


@dataclass(frozen=True, slots=True)
class _Line:
    text: str
    page: int
    size: float | None  # font size in points, None when unknown (OCR)
    starts_paragraph: bool
    joins_next: bool = False  # ends in a soft hyphen


def read_pdf(
    path: Path,
    *,
    max_pages: int,
    ocr: OcrEngine | None,
    on_page: Callable[[int, int], None],
    deadline: float,
) -> Extracted:
    """The text of the PDF at `path`, in blocks; `on_page(done, total)` after each page."""
    try:
        document = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as error:
        if getattr(error, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise ExtractionFailed(
                LibraryFailureCode.ENCRYPTED, "password-protected PDF: remove the password and upload it again"
            ) from None
        raise ExtractionFailed(
            LibraryFailureCode.MALFORMED, "the PDF is damaged or incomplete and cannot be read; export it again"
        ) from None
    try:
        total = len(document)
        if total > max_pages:
            raise ExtractionFailed(
                LibraryFailureCode.TOO_MANY_PAGES,
                f"the PDF has {total} pages, more than the {max_pages} a document may have; split it and upload "
                "the parts",
            )
        lines: list[_Line] = []
        ocr_pages = 0
        for index in range(total):
            page_lines = _text_layer_lines(document, index)
            if not page_lines and ocr is not None:
                page_lines = _ocr_lines(document, index, ocr, deadline)
                ocr_pages += 1
            lines += page_lines
            on_page(index + 1, total)
    finally:
        document.close()
    blocks = _blocks(lines)
    if not blocks:
        if ocr_pages:
            reason = "scanned PDF and OCR found no text: upload a sharper scan or a PDF with a text layer"
        elif ocr is None and total:
            reason = "scanned PDF without a text layer, and OCR (Tesseract) is not installed on the server"
        else:
            reason = "the PDF has no text"
        raise ExtractionFailed(LibraryFailureCode.NO_TEXT, reason)
    return Extracted(pages=total, ocr_pages=ocr_pages, blocks=tuple(blocks))


def _text_layer_lines(document: pdfium.PdfDocument, index: int) -> list[_Line]:
    page = document[index]
    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        # pdfium's text has one character per character index (line ends included) unless a glyph maps to several;
        # the font sizes and positions are only read where the two line up.
        aligned = len(text) == textpage.count_chars()
        lines: list[_Line] = []
        previous_baseline: float | None = None
        offset = 0
        for raw_line in text.splitlines(keepends=True):
            start = offset + (len(raw_line) - len(raw_line.lstrip()))
            offset += len(raw_line)
            line = raw_line.strip()
            if not line:
                previous_baseline = None
                continue
            size = baseline = None
            if aligned:
                size = round(pdfium_c.FPDFText_GetFontSize(textpage, start), 1) or None
                baseline = textpage.get_charbox(start)[1]
            gap = None if previous_baseline is None or baseline is None else previous_baseline - baseline
            starts = previous_baseline is None or gap is None or size is None or gap > _PARAGRAPH_GAP * size or gap < 0
            joins = line.endswith(_SOFT_HYPHENS)
            lines.append(_Line(line.rstrip("".join(_SOFT_HYPHENS)), index + 1, size, starts, joins))
            previous_baseline = baseline
        return lines
    finally:
        textpage.close()
        page.close()


def _ocr_lines(document: pdfium.PdfDocument, index: int, ocr: OcrEngine, deadline: float) -> list[_Line]:
    page = document[index]
    try:
        image = page.render(scale=RENDER_DPI / 72, grayscale=True).to_pil()
    finally:
        page.close()
    text = ocr.read(image, timeout_seconds=deadline - time.monotonic())
    lines: list[_Line] = []
    starts = True
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line:
            starts = True
            continue
        lines.append(_Line(line, index + 1, None, starts))
        starts = False
    return lines


def _blocks(lines: list[_Line]) -> list[Block]:
    """Group lines into headings and paragraphs."""
    lines = [line for line in lines if not _PAGE_NUMBER.match(line.text)]
    body_size = _body_size(lines)
    heading_sizes = sorted(
        {
            line.size
            for line in lines
            if line.size is not None and _is_large(line, body_size) and len(line.text) <= _HEADING_MAX_CHARACTERS
        },
        reverse=True,
    )
    trail = HeadingTrail()
    blocks: list[Block] = []
    paragraph: list[_Line] = []

    def finish_paragraph() -> None:
        if paragraph:
            text = "".join(line.text + ("" if line.joins_next else " ") for line in paragraph).strip()
            blocks.append(Block(text=re.sub(r"\s+", " ", text), heading_path=trail.path, page=paragraph[0].page))
            paragraph.clear()

    position = 0
    while position < len(lines):
        line = lines[position]
        level = _heading_level(line, body_size, heading_sizes)
        if level is None:
            if line.starts_paragraph:
                finish_paragraph()
            paragraph.append(line)
            position += 1
            continue
        finish_paragraph()
        title = [line.text]
        position += 1
        # A heading set in a large font may wrap onto a second line of the same size.
        while (
            position < len(lines)
            and line.size is not None
            and lines[position].size == line.size
            and not lines[position].starts_paragraph
            and lines[position].page == line.page
        ):
            title.append(lines[position].text)
            position += 1
        heading = " ".join(title)
        blocks.append(Block(text=heading, heading_path=trail.enter(level, heading), page=line.page, is_heading=True))
    finish_paragraph()
    return [block for block in blocks if block.text]


def _body_size(lines: list[_Line]) -> float | None:
    """The font size most of the text is set in."""
    sizes: Counter[float] = Counter()
    for line in lines:
        if line.size is not None:
            sizes[line.size] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else None


def _is_large(line: _Line, body_size: float | None) -> bool:
    return line.size is not None and body_size is not None and line.size >= body_size * _HEADING_SIZE_RATIO


def _heading_level(line: _Line, body_size: float | None, heading_sizes: list[float]) -> int | None:
    """The line's heading level (1 outermost), or None for body text."""
    text = line.text
    if len(text) > _HEADING_MAX_CHARACTERS:
        return None
    if _is_large(line, body_size) and line.size in heading_sizes:
        return heading_sizes.index(line.size) + 1
    # Body-size headings must stand at the start of a paragraph, or a wrapped line such as "12 weeks of work" would be
    # taken for clause 12.
    if not line.starts_paragraph or len(text) > 100 or text.endswith((".", ",", ";", ":")):
        return None
    below_sizes = len(heading_sizes)
    numbered = _NUMBERED_CLAUSE.match(text)
    if numbered:
        return below_sizes + numbered.group(1).count(".") + 1
    letters = [character for character in text if character.isalpha()]
    if len(letters) >= 4 and all(character.isupper() for character in letters) and len(text) <= 80:
        return below_sizes + 1
    return None
