"""Documents for the library's extraction tests and benchmark, made on the spot with the libraries that write them:
WeasyPrint for PDFs, python-docx for DOCX, pypdf for encrypted, scripted and very long PDFs, pdfium and Pillow for
scanned (image-only) pages."""

from __future__ import annotations

import html
import io
import os
import shutil
import zipfile
from pathlib import Path

import docx
import pypdf
import pypdfium2 as pdfium
from pypdf.actions import JavaScript

from propos4l.renderer.weasy import HTML

REPO = Path(__file__).resolve().parents[2]

_STYLE = "@page { size: A4; margin: 2cm } body { font-family: 'DejaVu Sans', sans-serif; font-size: 11pt }"


def tesseract_command() -> str | None:
    """Tesseract on the PATH, or the one `make install` unpacked into .tools/bin; None when neither exists."""
    local = REPO / ".tools" / "bin" / "tesseract"
    return shutil.which("tesseract") or (str(local) if local.exists() else None)


def pdf_from_html(body: str) -> bytes:
    """A PDF that WeasyPrint makes from an HTML body."""
    document = f"<html><head><meta charset='utf-8'><style>{_STYLE}</style></head><body>{body}</body></html>"
    data: bytes = HTML(string=document).write_pdf()
    return data


def proposal_pdf() -> bytes:
    """Two pages: a title, numbered sections with subsections, paragraphs; the second section on page two."""
    return pdf_from_html(
        "<h1>Proposta de migração</h1>"
        "<h2>1 Contexto</h2>"
        "<p>A Acme Logística opera um ERP legado em servidores próprios. A migração para a nuvem reduz custos "
        "e o tempo de fechamento contábil.</p>"
        "<p>O segundo parágrafo do contexto descreve as integrações existentes com transportadoras.</p>"
        "<h3>1.1 Objetivos</h3>"
        "<p>Concluir a migração em doze semanas sem parar a operação.</p>"
        "<h2 style='break-before: page'>2 Equipe</h2>"
        "<p>Um arquiteto de soluções sênior lidera a equipe de quatro pessoas.</p>"
    )


def text_pdf(pages: int, paragraphs_per_page: int = 6) -> bytes:
    """A text PDF of `pages` pages, each a heading and paragraphs (for the throughput benchmark)."""
    parts = []
    for page in range(1, pages + 1):
        parts.append(f"<h2 style='break-before: page'>{page} Seção {page}</h2>")
        parts += [
            f"<p>Parágrafo {paragraph} da seção {page}: a equipe propõe a migração dos sistemas legados para a "
            "nuvem com segurança, observabilidade e custos previsíveis, em fases curtas e com entregas "
            "verificáveis a cada duas semanas.</p>"
            for paragraph in range(paragraphs_per_page)
        ]
    return pdf_from_html("".join(parts))


def scanned_pdf(lines: list[str], pages: int = 1) -> bytes:
    """An image-only PDF (no text layer), like a scanner's: the text is set by WeasyPrint, rasterised by pdfium at
    200 dpi, and the images saved as a PDF by Pillow."""
    body = "".join(f"<p style='font-size: 16pt'>{html.escape(line)}</p>" for line in lines)
    typeset = pdfium.PdfDocument(pdf_from_html(body))
    try:
        image = typeset[0].render(scale=200 / 72, grayscale=True).to_pil()
    finally:
        typeset.close()
    output = io.BytesIO()
    images = [image.copy() for _ in range(pages)]
    images[0].save(output, format="PDF", resolution=200.0, save_all=True, append_images=images[1:])
    return output.getvalue()


def encrypted_pdf(data: bytes, password: str = "segredo") -> bytes:  # noqa: S107 (a test document)
    """`data` protected by a user password (it cannot be opened without it)."""
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password=password, owner_password=password, algorithm="AES-256")
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def scripted_pdf(data: bytes, script: str = "while (true) { app.alert('pwned'); }") -> bytes:
    """`data` with a document-level JavaScript action that would loop forever if anything ran it."""
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(data))
    writer.add_open_action(JavaScript(script))
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def blank_pdf(pages: int) -> bytes:
    """A PDF of `pages` empty pages, made cheaply (pypdf shares nothing but writes small page objects)."""
    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def proposal_docx(path: Path) -> Path:
    """A DOCX with Title, Heading 1 and Heading 2 paragraphs, body text and a table (the rate card)."""
    document = docx.Document()
    document.add_heading("Metodologia Acme", level=0)
    document.add_heading("Descoberta", level=1)
    document.add_paragraph("Entrevistas com as áreas de negócio durante duas semanas.")
    document.add_heading("Entregáveis", level=2)
    document.add_paragraph("Mapa de processos e backlog priorizado.")
    document.add_heading("Equipe e valores", level=1)
    table = document.add_table(rows=3, cols=2)
    rates = [("Papel", "Valor/hora"), ("Arquiteto sênior", "350,00"), ("Analista", "180,00")]
    for row, (role, rate) in enumerate(rates):
        table.cell(row, 0).text = role
        table.cell(row, 1).text = rate
    document.add_paragraph("Valores em reais, sem impostos.")
    document.save(str(path))
    return path


def zip_bomb_docx(path: Path, inflated_bytes: int = 64 * 1024 * 1024) -> Path:
    """A DOCX-shaped zip whose one extra member inflates from a few kilobytes to `inflated_bytes` of zeros."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(
            "[Content_Types].xml", "<Types xmlns='http://schemas.openxmlformats.org/package/2006/content-types'/>"
        )
        archive.writestr(
            "word/document.xml", "<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'/>"
        )
        chunk = bytes(1024 * 1024)
        with archive.open("word/media/image1.png", "w", force_zip64=True) as member:
            for _ in range(inflated_bytes // len(chunk)):
                member.write(chunk)
    return path


def random_bytes_docx(path: Path, size: int) -> Path:
    """A DOCX-shaped zip with a member of `size` incompressible bytes (large, but no bomb)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "word/document.xml", "<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'/>"
        )
        archive.writestr("word/media/image1.png", os.urandom(size))
    return path
