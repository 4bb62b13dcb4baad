"""The compliance matrix as a spreadsheet: CSV and XLSX (openpyxl), one row per requirement, in the proposal's language.

Every cell is the document's or a person's text: a cell that a spreadsheet would take for a formula (starting with
"=", "+", "-", "@", a tab or a carriage return) is written with a leading apostrophe in CSV and as a string in XLSX,
so opening the matrix never runs anything (CSV/formula injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any, Final

import asyncpg
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

__all__ = ["CSV_MEDIA_TYPE", "XLSX_MEDIA_TYPE", "matrix_csv", "matrix_rows", "matrix_xlsx"]

CSV_MEDIA_TYPE: Final = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")

_HEADERS: Final = {
    "pt-BR": ("ID", "Arquivo", "Página", "Cláusula", "Requisito", "Obrigatoriedade", "Tipo", "Situação", "Seções",
              "Observação", "Também em"),
    "en": ("ID", "File", "Page", "Clause", "Requirement", "Obligation", "Kind", "Status", "Sections", "Note",
           "Also at"),
}  # fmt: skip
_WORDS: Final = {
    "pt-BR": {
        "mandatory": "obrigatório",
        "desirable": "desejável",
        "functional": "funcional",
        "technical": "técnico",
        "qualification": "habilitação/jurídico",
        "commercial": "comercial",
        "deadline": "prazo",
        "answered": "atendido",
        "partial": "parcial",
        "not_answered": "não atendido",
        "not_applicable": "não se aplica",
        "": "não avaliado",
        "page": "p.",
    },
    "en": {
        "mandatory": "mandatory",
        "desirable": "desirable",
        "functional": "functional",
        "technical": "technical",
        "qualification": "legal/qualification",
        "commercial": "commercial",
        "deadline": "deadline",
        "answered": "answered",
        "partial": "partial",
        "not_answered": "not answered",
        "not_applicable": "not applicable",
        "": "not assessed",
        "page": "p.",
    },
}


def matrix_rows(rows: Sequence[asyncpg.Record], language: str) -> list[tuple[str | int | None, ...]]:
    """The matrix's rows (headers first) from `ClientDocuments.matrix`, words in `language` (pt-BR or en); the last
    column lists every other place the requirement is found."""
    words = _WORDS.get(language, _WORDS["pt-BR"])
    table: list[tuple[str | int | None, ...]] = [_HEADERS.get(language, _HEADERS["pt-BR"])]
    for row in rows:
        table.append(
            (
                row["requirement_id"],
                row["file"],
                row["page"],
                row["clause"] or "",
                row["quote"],
                words[row["obligation"]],
                words[row["kind"]],
                words[row["status"] or ""],
                ", ".join(row["sections"] or ()),
                row["note"] or "",
                "; ".join(_place(place, words["page"]) for place in row["also_at"] or ()),
            )
        )
    return table


def _place(place: Mapping[str, Any], page_word: str) -> str:
    """One more place of a requirement: "anexo.pdf, p. 3, 5.1"."""
    parts = [str(place["file"]), f"{page_word} {place['page']}" if place.get("page") else "", place.get("clause") or ""]
    return ", ".join(part for part in parts if part)


def _inert(value: str | int | None) -> str | int | None:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def matrix_csv(table: Sequence[tuple[str | int | None, ...]]) -> bytes:
    """The table as CSV (UTF-8 with a byte order mark, so spreadsheets read the accents)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in table:
        writer.writerow(["" if cell is None else _inert(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def matrix_xlsx(table: Sequence[tuple[str | int | None, ...]], title: str) -> bytes:
    """The table as an XLSX workbook of one sheet; every text cell a string, never a formula."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = title[:31]
    for row in table:
        sheet.append(row)
    for row_cells in sheet.iter_rows():
        for cell in row_cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a string, even when it starts with "="
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEFGHIJK", (18, 24, 8, 10, 80, 14, 18, 14, 24, 50, 40), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
