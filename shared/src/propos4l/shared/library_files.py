"""What kind of document an upload to the library is, decided by its content, never by its name.

The gateway sniffs each upload with `sniff_media_type` and refuses what it returns None for; the library service
reads the document by the media type recorded then.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Final

from propos4l.shared.object_store import ObjectStore, open_store

__all__ = [
    "ACCEPTED_MEDIA_TYPES",
    "CLIENT_DOCUMENTS_FOLDER",
    "CLIENT_MEDIA_TYPES",
    "DOCX",
    "HTML",
    "MARKDOWN",
    "PDF",
    "PLAIN_TEXT",
    "SNIFF_BYTES",
    "XLSX",
    "client_documents_store",
    "sniff_media_type",
]

PDF: Final = "application/pdf"
DOCX: Final = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML: Final = "text/html"
MARKDOWN: Final = "text/markdown"
PLAIN_TEXT: Final = "text/plain"
XLSX: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACCEPTED_MEDIA_TYPES: Final = (PDF, DOCX, HTML, MARKDOWN, PLAIN_TEXT)
# A client's documents may also be an XLSX questionnaire (issue #16): each question row is a requirement. The
# library's own documents may not (nothing there reads a spreadsheet).
CLIENT_MEDIA_TYPES: Final = (*ACCEPTED_MEDIA_TYPES, XLSX)
# The folder of LIBRARY_DIR where clients' documents attached to proposals are stored (issue #16), apart from the
# library's own files so that deleting a library document never takes a client's file with it.
CLIENT_DOCUMENTS_FOLDER: Final = "client-documents"


def client_documents_store(storage_url: str | None, endpoint_url: str | None, library_dir: Path) -> ObjectStore:
    """Where clients' documents are kept, at `<aa>/<sha256>`: LIBRARY_DIR/client-documents, or with STORAGE_URL the
    bucket's `<prefix>/library/client-documents/` (inside the library's folder, so its backups hold them too)."""
    return open_store(
        storage_url, endpoint_url, f"library/{CLIENT_DOCUMENTS_FOLDER}", library_dir / CLIENT_DOCUMENTS_FOLDER
    )


# How much of the start of a file `sniff_media_type` wants to see.
SNIFF_BYTES: Final = 8192

# PDF readers accept the header anywhere in the first kilobyte (some producers put junk before it).
_PDF_HEADER_WINDOW: Final = 1024
_ZIP_MAGIC: Final = b"PK\x03\x04"
_BINARY_MAGICS: Final = (b"\x7fELF", b"MZ", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"#!")
_HTML_START = re.compile(
    rb"^(?:\s|<!--.*?-->|<\?xml[^>]*>)*<(?:!doctype\s+html|html|head|body|h[1-6]|p|div|table|meta|title|article)\b",
    re.IGNORECASE | re.DOTALL,
)
_MARKDOWN_LINE = re.compile(
    r"^(?:#{1,6}[ \t]+\S|[ \t]{0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+\S|[ \t]{0,3}(?:```|~~~)|[ \t]{0,3}>[ \t]?\S|=+[ \t]*$)",
    re.MULTILINE,
)
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def sniff_media_type(head: bytes, path: Path | None = None) -> str | None:
    """The media type of a document that starts with `head` (at least its first SNIFF_BYTES, or all of it), or None
    when it is none the library accepts.

    A zip archive is a DOCX when its central directory lists word/document.xml; that needs the whole file, read from
    `path` (or `head` when it is the whole file). Nothing is unpacked.
    """
    if any(head.startswith(magic) for magic in _BINARY_MAGICS):
        return None
    if b"%PDF-" in head[:_PDF_HEADER_WINDOW]:
        return PDF
    if head.startswith(_ZIP_MAGIC):
        members = _archive_members(head, path)
        if "word/document.xml" in members:
            return DOCX
        return XLSX if "xl/workbook.xml" in members else None
    text = _as_text(head)
    if text is None:
        return None
    if _HTML_START.match(head.removeprefix(b"\xef\xbb\xbf")):
        return HTML
    if _MARKDOWN_LINE.search(text):
        return MARKDOWN
    return PLAIN_TEXT if text.strip() else None


def _archive_members(head: bytes, path: Path | None) -> frozenset[str]:
    """The names in the zip's central directory (read without unpacking any member); none for a broken archive."""
    try:
        with zipfile.ZipFile(path if path is not None else io.BytesIO(head)) as archive:
            return frozenset(member.filename for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return frozenset()


def _as_text(head: bytes) -> str | None:
    """`head` as UTF-8 text (a character cut at its end is forgiven), or None for binary data."""
    if b"\x00" in head:
        return None
    for cut in range(4):  # a UTF-8 character is at most 4 bytes; the head may end inside one
        try:
            text = head[: len(head) - cut].decode("utf-8-sig")
            break
        except UnicodeDecodeError:
            continue
    else:
        return None
    if len(_CONTROL_CHARACTERS.findall(text)) > max(len(text) // 100, 0):
        return None
    return text
