"""Uploads are typed by their content, never by their name: what the library cannot read is refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from propos4l.shared.library_files import (
    ACCEPTED_MEDIA_TYPES,
    CLIENT_MEDIA_TYPES,
    DOCX,
    HTML,
    MARKDOWN,
    PDF,
    PLAIN_TEXT,
    SNIFF_BYTES,
    XLSX,
    sniff_media_type,
)
from tests.support import library_documents as documents


def test_the_accepted_types_are_the_five_the_library_reads() -> None:
    assert set(ACCEPTED_MEDIA_TYPES) == {PDF, DOCX, HTML, MARKDOWN, PLAIN_TEXT}


def test_a_pdf_is_known_by_its_header_even_after_leading_junk() -> None:
    pdf = documents.proposal_pdf()
    assert sniff_media_type(pdf[:SNIFF_BYTES]) == PDF
    assert sniff_media_type(b"\r\n\xef\xbb\xbfjunk" + pdf[:SNIFF_BYTES]) == PDF


def test_a_docx_is_a_zip_whose_central_directory_holds_word_document_xml(tmp_path: Path) -> None:
    path = documents.proposal_docx(tmp_path / "renamed.txt")
    data = path.read_bytes()
    assert sniff_media_type(data[:SNIFF_BYTES], path) == DOCX
    assert sniff_media_type(data) == DOCX  # the whole file in `head`, no path


def test_another_zip_is_refused_and_a_workbook_is_told_apart_for_client_documents_only(tmp_path: Path) -> None:
    path = tmp_path / "planilha.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert sniff_media_type(path.read_bytes()[:SNIFF_BYTES], path) == XLSX
    assert XLSX in CLIENT_MEDIA_TYPES and XLSX not in ACCEPTED_MEDIA_TYPES  # the library's own documents refuse it
    slides = tmp_path / "slides.docx"
    with zipfile.ZipFile(slides, "w") as archive:
        archive.writestr("ppt/presentation.xml", "<presentation/>")
    assert sniff_media_type(slides.read_bytes()[:SNIFF_BYTES], slides) is None


def test_a_zip_head_without_the_rest_of_the_file_is_refused() -> None:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("word/document.xml", "x" * 20_000)
    assert sniff_media_type(output.getvalue()[:SNIFF_BYTES]) is None


@pytest.mark.parametrize(
    "head",
    [
        b"\x7fELF\x02\x01\x01\x00" + bytes(100),
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(100),
        b"\x89PNG\r\n\x1a\n" + bytes(100),
        bytes(range(256)),
        b"\xff\xd8\xff\xe0 JFIF",
        b"",
        b"   \n\n  ",
    ],
    ids=["elf", "exe", "png", "binary", "jpeg", "empty", "blank"],
)
def test_binaries_and_empty_files_are_refused_whatever_their_name(head: bytes, tmp_path: Path) -> None:
    assert sniff_media_type(head, tmp_path / "proposta.pdf") is None


@pytest.mark.parametrize(
    "text",
    [
        "<!DOCTYPE html><html><body><p>Olá</p></body></html>",
        "\ufeff  <html lang='pt-BR'><head><title>x</title></head></html>",
        "<?xml version='1.0'?>\n<!-- gerado --><html xmlns='http://www.w3.org/1999/xhtml'></html>",
        "<h1>Título</h1><p>texto</p>",
    ],
)
def test_html_is_known_by_its_opening_tags(text: str) -> None:
    assert sniff_media_type(text.encode()) == HTML


@pytest.mark.parametrize(
    "text",
    [
        "# Proposta\n\nTexto.",
        "Introdução\n\n## Escopo\n\nTexto.",
        "Itens:\n\n- migração\n- testes\n",
        "Passos:\n1. avaliar\n2. migrar\n",
        "Título\n======\n\ntexto",
    ],
)
def test_markdown_is_text_with_markdown_headings_or_lists(text: str) -> None:
    assert sniff_media_type(text.encode()) == MARKDOWN


def test_other_utf8_text_is_plain_text() -> None:
    assert sniff_media_type("Relatório de migração.\nSem marcação alguma; #hashtag no meio.".encode()) == PLAIN_TEXT


def test_a_utf8_character_cut_by_the_head_is_forgiven() -> None:
    data = ("ação " * 2000).encode()
    cut = data.rindex("ç".encode(), 0, SNIFF_BYTES) + 1  # inside the two bytes of a "ç"
    with pytest.raises(UnicodeDecodeError):
        data[:cut].decode()
    assert sniff_media_type(data[:cut]) == PLAIN_TEXT


def test_text_that_is_not_utf8_is_refused() -> None:
    assert sniff_media_type("Relatório de migração".encode("latin-1")) is None
