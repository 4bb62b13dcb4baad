"""What kind of file a library upload is, told from its content, never from its name.

A minimal version (helper B1's, for the gateway's uploads): helper B2 owns this module and its fuller checks; the two
are to be merged, keeping this signature.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Final

__all__ = [
    "ACCEPTED_MEDIA_TYPES",
    "DOCX",
    "HTML",
    "MARKDOWN",
    "PDF",
    "PLAIN_TEXT",
    "SNIFF_BYTES",
    "sniff_media_type",
]

PDF: Final = "application/pdf"
DOCX: Final = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML: Final = "text/html"
MARKDOWN: Final = "text/markdown"
PLAIN_TEXT: Final = "text/plain"

ACCEPTED_MEDIA_TYPES: Final = (PDF, DOCX, HTML, MARKDOWN, PLAIN_TEXT)
"""What the library can extract text from."""
SNIFF_BYTES: Final = 8192
"""How much of the start of a file `sniff_media_type` wants to see."""

_HTML_START: Final = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]", re.I | re.S)
_MARKDOWN_HINT: Final = re.compile(r"^(?:#{1,6} |\* |- |\d+\. |> |```)", re.M)


def sniff_media_type(head: bytes, path: Path | None = None) -> str | None:
    """The media type of the file at `path` whose first bytes are `head`, or None when the library cannot read it.

    PDF by its signature, DOCX as a zip holding word/document.xml, HTML by its opening tag, Markdown or plain text
    when the whole file is UTF-8 text without NUL characters (Markdown when a line looks like Markdown).
    """
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return DOCX if path is not None and _is_docx(path) else None
    if b"\x00" in head:
        return None
    if _HTML_START.match(head.removeprefix(b"\xef\xbb\xbf")):
        return HTML
    text = _utf8_text(path) if path is not None else _decoded(head)
    if text is None:
        return None
    if _MARKDOWN_HINT.search(text):
        return MARKDOWN
    return PLAIN_TEXT


def _is_docx(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _utf8_text(path: Path) -> str | None:
    """The file as text when it is all UTF-8 without NUL characters, else None."""
    try:
        text = path.read_bytes().decode("utf-8")
    except (UnicodeDecodeError, OSError):
        return None
    return None if "\x00" in text else text


def _decoded(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None
