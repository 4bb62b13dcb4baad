"""One entry point that reads a document of any accepted type into blocks; runs inside an extraction worker."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from propos4l.library.blocks import Extracted, ExtractionFailed
from propos4l.library.docx_reader import read_docx
from propos4l.library.markup_reader import read_html, read_markdown, read_text
from propos4l.library.ocr import OcrEngine
from propos4l.library.pdf_reader import read_pdf
from propos4l.shared.events import LibraryFailureCode
from propos4l.shared.library_files import DOCX, HTML, MARKDOWN, PDF, PLAIN_TEXT

__all__ = ["ReadRequest", "read_document"]


@dataclass(frozen=True, slots=True)
class ReadRequest:
    """A document to read and the bounds of reading it (sent to a worker process)."""

    path: Path
    media_type: str
    max_pages: int
    max_uncompressed_bytes: int
    timeout_seconds: float
    ocr: OcrEngine | None


def read_document(request: ReadRequest, on_page: Callable[[int, int], None]) -> Extracted:
    """The blocks of the document `request` names; `on_page(done, total)` as pages are read."""
    if not request.path.is_file():
        raise ExtractionFailed(LibraryFailureCode.FILE_MISSING, "the uploaded file is no longer in the library store")
    media_type = request.media_type.split(";")[0].strip().lower()
    if media_type == PDF:
        return read_pdf(
            request.path,
            max_pages=request.max_pages,
            ocr=request.ocr,
            on_page=on_page,
            deadline=time.monotonic() + request.timeout_seconds,
        )
    if media_type == DOCX:
        extracted = read_docx(request.path, max_uncompressed_bytes=request.max_uncompressed_bytes)
    elif media_type == MARKDOWN:
        extracted = read_markdown(request.path)
    elif media_type == HTML:
        extracted = read_html(request.path)
    elif media_type == PLAIN_TEXT:
        extracted = read_text(request.path)
    else:
        raise ExtractionFailed(
            LibraryFailureCode.UNSUPPORTED_TYPE,
            f"{request.media_type} documents cannot be indexed; upload a PDF, DOCX, Markdown, HTML or text file",
        )
    on_page(extracted.pages, extracted.pages)
    return extracted
