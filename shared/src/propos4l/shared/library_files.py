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
    "TEXT",
    "sniff_media_type",
]

PDF: Final = "application/pdf"
DOCX: Final = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML: Final = "text/html"
MARKDOWN: Final = "text/markdown"
TEXT: Final = "text/plain"

ACCEPTED_MEDIA_TYPES: Final = (PDF, DOCX, HTML, MARKDOWN, TEXT)
"""What the library can extract text from."""

_HTML_START: Final = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)[\s>]", re.I | re.S)
_MARKDOWN_HINT: Final = re.compile(r"^(?:#{1,6} |\* |- |\d+\. |> |```)", re.M)
_MARKDOWN_SUFFIXES: Final = frozenset({".md", ".markdown"})


def sniff_media_type(head: bytes, path: Path) -> str | None:
    """The media type of the file at `path` whose first bytes are `head`, or None when the library cannot read it.

    PDF by its signature, DOCX as a zip holding word/document.xml, HTML by its opening tag, Markdown or plain text
    when the whole file is UTF-8 text without NUL characters (Markdown when it looks like Markdown or is named so).
    """
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return DOCX if _is_docx(path) else None
    if b"\x00" in head:
        return None
    if _HTML_START.match(head.removeprefix(b"\xef\xbb\xbf")):
        return HTML
    text = _utf8_text(path)
    if text is None:
        return None
    if path.suffix.lower() in _MARKDOWN_SUFFIXES or _MARKDOWN_HINT.search(text):
        return MARKDOWN
    return TEXT


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
