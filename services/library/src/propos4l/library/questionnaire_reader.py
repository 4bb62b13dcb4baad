"""A client's XLSX questionnaire read as requirements (issue #16): each question row is one requirement.

A question is the longest text cell of a row that reads as a question or a demand (at least `MIN_WORDS` words; a
header row of short labels is skipped); its place is the sheet and row ("Perguntas!12") in the clause field, so the
same workbook gives the same ids. A question the bidder must answer is mandatory unless its own words make it
desirable ("desejável", "should"...); its kind is classified as the rules classify a clause. The archive is checked
before it is opened (total size, compression ratio: a zip bomb is refused unread) and read only, values only.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, Final

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from propos4l.shared.requirements import (
    Location,
    Obligation,
    Requirement,
    classify_kind,
    classify_obligation,
    requirement_id,
)

__all__ = ["MIN_WORDS", "QuestionnaireUnreadable", "questionnaire_requirements"]

MIN_WORDS: Final = 4
_MAX_RATIO: Final = 200
_MAX_ROWS: Final = 20_000
_QUOTE_MAX: Final = 2_000


class QuestionnaireUnreadable(ValueError):
    """The workbook cannot be read safely: not an XLSX, too large unpacked, or a zip bomb."""


def _check_archive(path: Path, max_uncompressed_bytes: int) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise QuestionnaireUnreadable("the file is not an XLSX workbook (not a zip archive)") from None
    if sum(member.file_size for member in members) > max_uncompressed_bytes:
        raise QuestionnaireUnreadable(
            f"the workbook would unpack to more than {max_uncompressed_bytes // (1024 * 1024)} MB"
        )
    for member in members:
        if member.compress_size and member.file_size / member.compress_size > _MAX_RATIO:
            raise QuestionnaireUnreadable(f"the workbook holds {member.filename} compressed beyond any real workbook")


def questionnaire_requirements(
    path: Path, filename: str, *, max_uncompressed_bytes: int, client_names: tuple[str, ...] = ()
) -> tuple[list[Requirement], int]:
    """The questions of every sheet of the workbook at `path`, in sheet and row order, and how many sheets it has."""
    _check_archive(path, max_uncompressed_bytes)
    # Opened as a file object: the stored file has no name extension, which openpyxl would otherwise insist on.
    with path.open("rb") as handle:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
            raise QuestionnaireUnreadable(f"the workbook cannot be read ({error})") from None
        return _questions(workbook, filename, client_names)


def _questions(workbook: Any, filename: str, client_names: tuple[str, ...]) -> tuple[list[Requirement], int]:
    found: list[Requirement] = []
    seen: set[str] = set()
    try:
        for sheet in workbook.worksheets:
            for number, row in enumerate(sheet.iter_rows(values_only=True, max_row=_MAX_ROWS), start=1):
                texts = [" ".join(str(value).split()) for value in row if isinstance(value, str) and value.strip()]
                question = max(texts, key=len, default="")
                if len(question.split()) < MIN_WORDS:
                    continue
                quote = question[:_QUOTE_MAX]
                clause = f"{sheet.title[:31]}!{number}"
                identifier = requirement_id(quote, clause)
                if identifier in seen:
                    continue
                seen.add(identifier)
                obligation = classify_obligation(quote, client_names)
                found.append(
                    Requirement(
                        id=identifier,
                        quote=quote,
                        obligation=Obligation.DESIRABLE if obligation is Obligation.DESIRABLE else Obligation.MANDATORY,
                        kind=classify_kind(quote, sheet.title),
                        location=Location(file=filename, page=None, clause=clause),
                        heading=sheet.title[:300],
                    )
                )
        return found, len(workbook.worksheets)
    finally:
        workbook.close()
