"""The Word styles a DOCX export starts from: the template's own `reference.docx`, or the brand's colours on
python-docx's default document."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Final

import docx
from docx.document import Document
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from propos4l.renderer.errors import TemplateError, TemplateProblem
from propos4l.renderer.manifest import BrandColors
from propos4l.renderer.paths import PathOutsideFolder, resolve_inside

__all__ = ["BODY_FONT", "REFERENCE_FILE", "REQUIRED_STYLES", "apply_brand_styles", "base_document", "brand_reference"]

REFERENCE_FILE: Final = "reference.docx"
"""A template's Word styles: a DOCX whose styles (fonts, colours, spacing) the export uses; its content is not."""
BODY_FONT: Final = "Calibri"  # the manifest names no font; the template's own (Inter) is rarely installed for Word
REQUIRED_STYLES: Final = (
    "Normal",
    "Title",
    "Subtitle",
    *(f"Heading {level}" for level in range(1, 10)),
    "TOC Heading",
    "List Bullet",
    "List Paragraph",
    "Quote",
    "Table Grid",
)
"""The styles the export writes with; those a reference.docx lacks are taken from python-docx's default."""
_BRANDED_STYLES: Final = ("Title", "Heading 1", "Heading 2", "Heading 3", "Heading 4", "TOC Heading")


def base_document(template_dir: Path | None, colors: BrandColors) -> Document:
    """The document to write the export into: the template's reference.docx emptied of its content, with every
    style the export needs; without one, python-docx's default document in the brand's colours (blocking).

    Raises `TemplateError` naming reference.docx when it is there but not a Word document.
    """
    reference = _reference_bytes(template_dir)
    if reference is None:
        document = docx.Document()
        apply_brand_styles(document, colors)
        return document
    try:
        document = docx.Document(io.BytesIO(reference))
    except Exception as error:
        message = f"is not a Word document (.docx): {type(error).__name__}: {error}"
        problem = TemplateProblem(message, REFERENCE_FILE)
        raise TemplateError(f"the template's {REFERENCE_FILE} {message}", (problem,)) from None
    _empty_body(document)
    _add_missing_styles(document)
    return document


def apply_brand_styles(document: Document, colors: BrandColors) -> None:
    """The body font and the brand's text colour; the title and headings in the brand's primary colour."""
    normal = document.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = Pt(10.5)
    normal.font.color.rgb = _rgb(colors.text)
    for name in _BRANDED_STYLES:
        style = document.styles[name]
        style.font.color.rgb = _rgb(colors.primary)
        style.font.name = BODY_FONT


def brand_reference(colors: BrandColors) -> bytes:
    """A reference.docx of the brand's styles, as the default template ships it (an empty document)."""
    document = docx.Document()
    apply_brand_styles(document, colors)
    _empty_body(document)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _reference_bytes(template_dir: Path | None) -> bytes | None:
    if template_dir is None:
        return None
    try:
        path = resolve_inside(template_dir, REFERENCE_FILE)
    except (FileNotFoundError, PathOutsideFolder):
        return None
    return path.read_bytes() if path.is_file() else None


def _empty_body(document: Document) -> None:
    """Remove the reference's own paragraphs and tables; keep its page set-up (the last w:sectPr)."""
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)


def _add_missing_styles(document: Document) -> None:
    """Copy into `document` the styles the export needs that it lacks, from python-docx's default document."""
    present = {style.name for style in document.styles}
    missing = [name for name in REQUIRED_STYLES if name not in present]
    if not missing:
        return
    default = docx.Document()
    for name in missing:
        document.styles.element.append(copy.deepcopy(default.styles[name].element))


def _rgb(hex_color: str) -> RGBColor:
    return RGBColor.from_string(hex_color.removeprefix("#").upper())
