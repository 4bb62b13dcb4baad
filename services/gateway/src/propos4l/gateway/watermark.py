"""The "DRAFT - NOT APPROVED" watermark (issue #19, ADR 0023): whether a version gets it, and its stamp on a PDF.

`watermark_for` decides, for every format people inside the consultancy get (the PDF, the HTML, DOCX, Markdown and
PDF/A exports, the web app's view), by one rule (`approval_rules.needs_watermark`). Stored PDFs are written once and
never change (ADR 0011), and an approval comes after the render: so the stored file stays clean and a download of a
version that needs approval and lacks it gets a stamped copy. The stamp is one page WeasyPrint lays out (the same
engine as the proposal, transparent but for the words) merged over each page by pypdf. The exports rendered at each
request carry the words in their own markup instead (`propos4l.renderer.watermark_markup`, the Word writer).
"""

from __future__ import annotations

import functools
import io
import math
from decimal import Decimal
from typing import Final

import asyncpg
from pypdf import PageObject, PdfReader, PdfWriter
from weasyprint import HTML

from propos4l.gateway.approval_rules import needs_watermark, requires_approval
from propos4l.gateway.template_pricing import TemplatePricingReader

__all__ = ["WATERMARK_TEXT", "watermark_for", "watermark_pdf", "watermark_text"]

WATERMARK_TEXT: Final = {"pt-BR": "RASCUNHO - NÃO APROVADO", "en": "DRAFT - NOT APPROVED"}


def watermark_text(language: str) -> str:
    """The watermark's words in the proposal's language (Portuguese unless English)."""
    return WATERMARK_TEXT.get(language, WATERMARK_TEXT["pt-BR"])


async def watermark_for(
    connection: asyncpg.Connection, proposal: asyncpg.Record, pricing: TemplatePricingReader, version: int
) -> str | None:
    """The watermark's words for `version` of `proposal` (a row of proposals), or None when it needs none."""
    if proposal["approved_version"] == version:  # approved: no need to price it against the rules
        return None
    matched = await requires_approval(connection, proposal["id"], pricing, version)
    if not needs_watermark(matched, proposal["approved_version"], version):
        return None
    return watermark_text(proposal["language"])


@functools.lru_cache(maxsize=16)
def _stamp(text: str, width: Decimal, height: Decimal) -> bytes:
    """A one-page PDF of `width` x `height` points: `text` along its rising diagonal, pale red, about nine tenths
    of its length; the rest transparent."""
    diagonal = math.hypot(width, height)
    angle = math.degrees(math.atan2(height, width))
    font_size = round(0.9 * diagonal / (len(text) * 0.95), 1)  # a bold capital of a sans is about 0.95 em wide
    html = f"""<!doctype html><html><head><style>
        @page {{ size: {width}pt {height}pt; margin: 0; }}
        html, body {{ margin: 0; height: 100%; }}
        body {{ display: flex; align-items: center; justify-content: center; font-family: sans-serif; }}
        p {{ transform: rotate(-{angle:.2f}deg); font-size: {font_size}pt; font-weight: bold;
             color: rgba(190, 30, 45, 0.3); white-space: nowrap; margin: 0; }}
    </style></head><body><p>{text}</p></body></html>"""
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def watermark_pdf(pdf: bytes, text: str) -> bytes:
    """`pdf` with `text` stamped over every page (each page's own size); the document's metadata kept."""
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter(clone_from=reader)
    stamps: dict[tuple[Decimal, Decimal], PageObject] = {}  # one per page size: its font is embedded once
    for page in writer.pages:
        box = page.mediabox
        size = (Decimal(str(round(float(box.width), 2))), Decimal(str(round(float(box.height), 2))))
        if size not in stamps:
            stamps[size] = PdfReader(io.BytesIO(_stamp(text, *size))).pages[0]
        page.merge_translated_page(stamps[size], float(box.left), float(box.bottom), over=True)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
