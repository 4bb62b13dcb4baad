"""The example images of docs/examples: LibreOffice's rendering of the DOCX export beside the PDF, per language: the
covers, and the pages with the investment's total.

Usage: python -m tests.support.docx_examples docs/examples   (needs LibreOffice: `make libreoffice`)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pypdfium2
from PIL import Image, ImageDraw

from propos4l.renderer.document import proposal_context
from propos4l.renderer.pdf import render_drafted
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.templates import install_default_template, load_template
from propos4l.renderer.word import export_docx
from propos4l.shared.sections import Language
from tests.support.libreoffice import converted_to_pdf, soffice

__all__ = ["beside", "write_examples"]

_HEIGHT = 900
_GAP = 40
_LABEL = 40


def _pages(pdf: Path | bytes, text: str) -> tuple[Image.Image, Image.Image]:
    """The first page, and the last page whose text has `text` (the investment's total), as images."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        found = 0
        for index in range(len(document)):
            textpage = document[index].get_textpage()
            if text in " ".join(textpage.get_text_range().split()):
                found = index
        images = []
        for index in (0, found):
            page = document[index]
            images.append(page.render(scale=_HEIGHT / page.get_height()).to_pil().convert("RGB"))
        return images[0], images[1]
    finally:
        document.close()


def beside(columns: tuple[tuple[Image.Image, ...], ...], labels: tuple[str, ...]) -> Image.Image:
    """Columns of pages side by side on grey, each column with its label above it."""
    width = sum(column[0].width for column in columns) + (len(columns) + 1) * _GAP
    rows = max(len(column) for column in columns)
    canvas = Image.new("RGB", (width, rows * (_HEIGHT + _GAP) + _LABEL + _GAP), (236, 239, 243))
    draw = ImageDraw.Draw(canvas)
    x = _GAP
    for column, label in zip(columns, labels, strict=True):
        draw.text((x, _GAP // 2), label, fill=(31, 41, 51), font_size=24)
        y = _GAP + _LABEL
        for page in column:
            canvas.paste(page, (x, y))
            draw.rectangle((x - 1, y - 1, x + page.width, y + page.height), outline=(160, 170, 180))
            y += page.height + _GAP
        x += column[0].width + _GAP
    return canvas


def write_examples(folder: Path) -> list[Path]:
    """docx-beside-pdf-<language>.png for each language; returns the files written."""
    program = soffice()
    if program is None:
        raise SystemExit("LibreOffice is not installed: run `make libreoffice`")
    written = []
    with tempfile.TemporaryDirectory(prefix="propos4l-examples-") as private:
        templates = Path(private) / "templates"
        install_default_template(templates)
        manifest = load_template(templates, "default").manifest
        for language in Language:
            drafted = sample_drafted(language)
            docx = Path(private) / f"proposal-{language.value}.docx"
            docx.write_bytes(export_docx(drafted, manifest, templates / "default"))
            total = proposal_context(drafted, manifest)["investment"]["total"]
            word = _pages(converted_to_pdf(docx, program), total)
            pdf = _pages(render_drafted(drafted, templates).data, total)
            image = beside((word, pdf), ("DOCX (LibreOffice Writer)", "PDF (WeasyPrint)"))
            target = folder / f"docx-beside-pdf-{language.value}.png"
            image.save(target, optimize=True)
            written.append(target)
    return written


if __name__ == "__main__":
    for path in write_examples(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/examples")):
        print(path)
