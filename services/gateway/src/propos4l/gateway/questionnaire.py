"""A client's XLSX questionnaire answered back into a copy of the same workbook (issue #16), from a drafted version.

The person names the sheet, the column that holds the questions, the column for the answers and the first row. Each
question gets, in its row's answer cell, the sentence of the proposal's sections that holds most of its telling words
(`propos4l.shared.requirement_coverage.best_answer`, rules, no model); a row no sentence answers, or whose answer cell
is already filled, is left as it is. Everything else in the workbook is kept as openpyxl reads it (values, styles,
other sheets; macros and pivot caches are not kept). A workbook is a zip: one that would unpack to more than the
limit, or is compressed like no real workbook is, is refused unread.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from propos4l.shared.requirement_coverage import best_answer
from propos4l.shared.sections import SectionKey

__all__ = ["AnsweredQuestionnaire", "QuestionnaireRefused", "answer_questionnaire"]

_COLUMN: Final = re.compile(r"^[A-Z]{1,3}$")
_MAX_RATIO: Final = 200
_FORMULA_STARTS: Final = ("=", "+", "-", "@")


class QuestionnaireRefused(ValueError):
    """The file is not a workbook that can be answered (a reason a person can act on)."""


@dataclass(frozen=True, slots=True)
class AnsweredQuestionnaire:
    """The answered copy and how many of its questions got an answer."""

    content: bytes
    questions: int
    answered: int


def answer_questionnaire(
    data: bytes,
    sections: Mapping[SectionKey, str],
    *,
    question_column: str,
    answer_column: str,
    first_row: int,
    sheet: str | None,
    max_uncompressed_bytes: int,
) -> AnsweredQuestionnaire:
    """`data` (an XLSX) with answers written in `answer_column` for the questions of `question_column`."""
    question_column, answer_column = question_column.upper(), answer_column.upper()
    if not _COLUMN.match(question_column) or not _COLUMN.match(answer_column) or question_column == answer_column:
        raise QuestionnaireRefused("question and answer columns must be two different column letters, such as B and C")
    _check_archive(data, max_uncompressed_bytes)
    try:
        workbook = load_workbook(io.BytesIO(data))
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise QuestionnaireRefused(f"the file is not an XLSX workbook that can be read ({error})") from None
    if sheet is not None and sheet not in workbook.sheetnames:
        raise QuestionnaireRefused(f"the workbook has no sheet {sheet!r}; its sheets: {', '.join(workbook.sheetnames)}")
    worksheet = workbook[sheet] if sheet is not None else workbook.active
    if worksheet is None:
        raise QuestionnaireRefused("the workbook has no sheet to answer")
    questions = answered = 0
    for row in range(first_row, worksheet.max_row + 1):
        question = worksheet[f"{question_column}{row}"].value
        if not isinstance(question, str) or not question.strip():
            continue
        questions += 1
        cell = worksheet[f"{answer_column}{row}"]
        if cell.value not in (None, ""):
            continue
        found = best_answer(question, sections)
        if found is None:
            continue
        text = found[1]
        cell.value = "'" + text if text.startswith(_FORMULA_STARTS) else text
        cell.data_type = "s"
        answered += 1
    output = io.BytesIO()
    workbook.save(output)
    return AnsweredQuestionnaire(output.getvalue(), questions, answered)


def _check_archive(data: bytes, max_uncompressed_bytes: int) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile:
        raise QuestionnaireRefused("the file is not an XLSX workbook (not a zip archive)") from None
    if sum(member.file_size for member in members) > max_uncompressed_bytes:
        raise QuestionnaireRefused(
            f"the workbook would unpack to more than {max_uncompressed_bytes // (1024 * 1024)} MB; "
            "it was refused unread"
        )
    for member in members:
        if member.compress_size and member.file_size / member.compress_size > _MAX_RATIO:
            raise QuestionnaireRefused(
                f"the workbook holds {member.filename} compressed {member.file_size // member.compress_size} to 1, "
                "which no real workbook does (a zip bomb); it was refused unread"
            )
