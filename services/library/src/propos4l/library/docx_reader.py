"""DOCX text with python-docx: Heading 1..9 (and Title) paragraphs give the heading path; paragraphs and table cells
give the text (a table row by row, its cells joined), in the order the body holds them.

A DOCX is a zip archive; its central directory states each member's size, so a zip bomb (a few kilobytes that
inflate to gigabytes) is refused from those numbers before python-docx inflates anything.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

import docx
from docx.document import Document
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from propos4l.library.blocks import Block, Extracted, ExtractionFailed, HeadingTrail
from propos4l.shared.events import LibraryFailureCode

__all__ = ["MAX_COMPRESSION_RATIO", "check_archive", "read_docx"]

# Word's XML compresses about 5-15 times; past this ratio a member is a bomb, not a document.
MAX_COMPRESSION_RATIO: Final = 100
_RATIO_APPLIES_FROM: Final = 1024 * 1024  # small members may compress well without harm
_HEADING_STYLE = re.compile(r"^(?:heading|título|titulo|überschrift|titre)\s*([1-9])$", re.IGNORECASE)
_MIB: Final = 1024 * 1024


def check_archive(path: Path, *, max_uncompressed_bytes: int) -> None:
    """Refuse a DOCX whose central directory declares too much data, or data compressed too well to be text."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ExtractionFailed(
            LibraryFailureCode.MALFORMED, f"the DOCX is damaged and cannot be opened ({error}); save it again"
        ) from None
    if not any(member.filename == "word/document.xml" for member in members):
        raise ExtractionFailed(LibraryFailureCode.MALFORMED, "the file is a zip archive but not a Word document")
    declared = sum(member.file_size for member in members)
    if declared > max_uncompressed_bytes:
        raise ExtractionFailed(
            LibraryFailureCode.TOO_LARGE,
            f"the DOCX unpacks to {declared // _MIB} MiB, more than the {max_uncompressed_bytes // _MIB} MiB allowed",
        )
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size >= _RATIO_APPLIES_FROM and ratio > MAX_COMPRESSION_RATIO:
            raise ExtractionFailed(
                LibraryFailureCode.TOO_LARGE,
                f"the DOCX holds {member.filename} compressed {ratio:,.0f} to 1, which no real document does "
                "(a zip bomb); it was refused unread",
            )


def read_docx(path: Path, *, max_uncompressed_bytes: int) -> Extracted:
    """The text of the DOCX at `path`, in blocks."""
    check_archive(path, max_uncompressed_bytes=max_uncompressed_bytes)
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise ExtractionFailed(
            LibraryFailureCode.MALFORMED, f"the DOCX is damaged and cannot be read ({error}); save it again"
        ) from None
    except SyntaxError as error:  # lxml's XMLSyntaxError
        raise ExtractionFailed(
            LibraryFailureCode.MALFORMED, f"the DOCX holds broken XML ({error}); save it again"
        ) from None
    trail = HeadingTrail()
    blocks: list[Block] = []
    for item in _body_items(document):
        if isinstance(item, Table):
            blocks += [Block(text=row, heading_path=trail.path, page=None) for row in _table_rows(item)]
            continue
        text = item.text.strip()
        if not text:
            continue
        level = _heading_level(item)
        if level is None:
            blocks.append(Block(text=text, heading_path=trail.path, page=None))
        else:
            blocks.append(Block(text=text, heading_path=trail.enter(level, text), page=None, is_heading=True))
    if not any(not block.is_heading for block in blocks):
        raise ExtractionFailed(LibraryFailureCode.NO_TEXT, "the DOCX has no text")
    return Extracted(pages=1, ocr_pages=0, blocks=tuple(blocks))


def _body_items(document: Document) -> Iterator[Paragraph | Table]:
    yield from document.iter_inner_content()


def _heading_level(paragraph: Paragraph) -> int | None:
    style = paragraph.style
    name = style.name if style is not None and style.name else ""
    if name.lower() == "title":
        return 0  # above Heading 1
    match = _HEADING_STYLE.match(name)
    return int(match.group(1)) if match else None


def _table_rows(table: Table) -> Iterator[str]:
    """Each row's cells joined by " | " (a row reads as one fact: "Arquiteto | 350,00"); a merged cell once."""
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            yield " | ".join(cells)
