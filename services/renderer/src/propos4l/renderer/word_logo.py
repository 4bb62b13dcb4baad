"""The template's logo as a picture Word can hold: an SVG rasterised to PNG (python-docx cannot embed SVG)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pypdfium2
from lxml import etree
from PIL import Image

from propos4l.renderer.errors import TemplateError, TemplateProblem
from propos4l.renderer.fetcher import TemplateUrlFetcher
from propos4l.renderer.paths import PathOutsideFolder, resolve_inside
from propos4l.renderer.weasy import HTML

__all__ = ["LOGO_DPI", "LogoPicture", "logo_picture"]

LOGO_DPI: Final = 300
"""The resolution an SVG logo is rasterised at, for the width it is shown at: sharp in print."""
# Formats python-docx places as they are; anything else Pillow reads (WebP) is converted to PNG.
_WORD_FORMATS: Final = frozenset({"PNG", "JPEG", "GIF"})
_LENGTH: Final = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px|pt|mm|cm|in)?\s*$")
_PARSER: Final = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_CSS_PX_PER_CM: Final = 96 / 2.54


@dataclass(frozen=True, slots=True)
class LogoPicture:
    """A logo ready for Word: PNG, JPEG or GIF bytes and its width over its height."""

    data: bytes
    aspect: float


def logo_picture(template_dir: Path, logo: str, *, width_cm: float) -> LogoPicture:
    """The template's logo file as a picture for Word, an SVG rasterised at `LOGO_DPI` for `width_cm` (blocking).

    Raises `TemplateError` naming the file when it is missing, outside the folder or not an image.
    """
    try:
        path = resolve_inside(template_dir, logo)
        data = path.read_bytes()
    except (OSError, PathOutsideFolder) as error:
        raise _logo_error(logo, f"cannot be read: {type(error).__name__}") from None
    try:
        if logo.lower().endswith(".svg"):
            return _rasterised_svg(template_dir, logo, data, width_cm)
        return _bitmap(data)
    except TemplateError:
        raise
    except Exception as error:
        raise _logo_error(logo, f"cannot be drawn for the DOCX: {type(error).__name__}: {error}") from None


def _bitmap(data: bytes) -> LogoPicture:
    with Image.open(io.BytesIO(data)) as image:
        aspect = image.width / image.height
        if image.format in _WORD_FORMATS:
            return LogoPicture(data, aspect)
        converted = io.BytesIO()
        image.save(converted, format="PNG")
    return LogoPicture(converted.getvalue(), aspect)


def _rasterised_svg(template_dir: Path, logo: str, data: bytes, width_cm: float) -> LogoPicture:
    """Lay the SVG out with WeasyPrint (the renderer's own SVG support, template files only), then draw that page
    with PDFium onto a transparent bitmap."""
    aspect = _svg_aspect(data)
    width_px = width_cm * _CSS_PX_PER_CM
    height_px = width_px / aspect
    html = (
        f"<style>@page {{ size: {width_px:.3f}px {height_px:.3f}px; margin: 0 }} html, body {{ margin: 0 }}"
        f"img {{ display: block; width: {width_px:.3f}px; height: {height_px:.3f}px }}</style>"
        f'<img src="{logo}">'
    )
    fetcher = TemplateUrlFetcher(template_dir)
    pdf = HTML(string=html, base_url=str(fetcher.root) + "/", url_fetcher=fetcher).write_pdf()
    if fetcher.problems:
        raise _logo_error(logo, "; ".join(fetcher.problems[:3]))
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        scale = LOGO_DPI / 72  # PDFium draws 72 points to the inch at scale 1
        bitmap = page.render(scale=scale, fill_color=(255, 255, 255, 0))
        image = bitmap.to_pil()
        output = io.BytesIO()
        image.save(output, format="PNG", dpi=(LOGO_DPI, LOGO_DPI))
    finally:
        document.close()
    return LogoPicture(output.getvalue(), aspect)


def _svg_aspect(data: bytes) -> float:
    """Width over height of an SVG, from its viewBox, else its width and height attributes."""
    root = etree.fromstring(data, _PARSER)
    view_box = (root.get("viewBox") or "").replace(",", " ").split()
    if len(view_box) == 4 and float(view_box[2]) > 0 and float(view_box[3]) > 0:
        return float(view_box[2]) / float(view_box[3])
    width, height = _LENGTH.match(root.get("width") or ""), _LENGTH.match(root.get("height") or "")
    if width and height and float(height[1]) > 0 and float(width[1]) > 0:
        return float(width[1]) / float(height[1])
    return 1.0


def _logo_error(logo: str, message: str) -> TemplateError:
    return TemplateError(f"the template's logo {logo!r} {message}", (TemplateProblem(message, logo),))
