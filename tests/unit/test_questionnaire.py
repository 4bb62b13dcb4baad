"""A client's XLSX questionnaire is answered back into a copy of the same workbook, read back with openpyxl: each
question's answer cell gets the proposal's sentence that holds most of its words; hostile workbooks are refused."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from openpyxl.styles import Font

from propos4l.gateway.questionnaire import QuestionnaireRefused, answer_questionnaire
from propos4l.shared.sections import SectionKey

SECTIONS = {
    SectionKey.SOLUTION: "A plataforma integra-se ao Active Directory por LDAP. Os relatórios são exportados em PDF.",
    SectionKey.TEAM: "O coordenador tem certificação PMP e dez anos de experiência em órgãos públicos.",
    SectionKey.TERMS: '=HYPERLINK("http://example.com") não é fórmula aqui.',
}
LIMIT = 16 * 1024 * 1024


def _questionnaire() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Questionário"
    sheet.append(["#", "Pergunta", "Resposta", "Observação"])
    sheet.append([1, "A solução integra-se ao Active Directory via LDAP?", None, "obrigatório"])
    sheet.append([2, "O coordenador possui certificação PMP?", None, None])
    sheet.append([3, "Qual o prazo de garantia do hardware fornecido?", None, None])
    sheet.append([4, "Os relatórios são exportados em PDF?", "Sim (resposta já dada)", None])
    sheet["B1"].font = Font(bold=True)
    workbook.create_sheet("Instruções")["A1"] = "Responda na coluna C."
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def _answer(data: bytes, **overrides: object) -> tuple[openpyxl.Workbook, int, int]:
    options: dict[str, object] = {
        "question_column": "B",
        "answer_column": "C",
        "first_row": 2,
        "sheet": None,
        "max_uncompressed_bytes": LIMIT,
    }
    options.update(overrides)
    answered = answer_questionnaire(data, SECTIONS, **options)  # type: ignore[arg-type]
    return openpyxl.load_workbook(io.BytesIO(answered.content)), answered.questions, answered.answered


def test_each_question_gets_the_sentence_that_answers_it_in_a_copy_of_the_same_workbook() -> None:
    workbook, questions, answered = _answer(_questionnaire())
    assert (questions, answered) == (4, 2)
    sheet = workbook["Questionário"]
    assert sheet["C2"].value == "A plataforma integra-se ao Active Directory por LDAP."
    assert sheet["C3"].value == "O coordenador tem certificação PMP e dez anos de experiência em órgãos públicos."
    assert sheet["C4"].value is None  # nothing in the proposal answers it: left for a person
    assert sheet["C5"].value == "Sim (resposta já dada)"  # an answer already there is kept
    assert (sheet["D2"].value, sheet["B1"].font.bold) == ("obrigatório", True)  # the rest is kept as it was
    assert workbook["Instruções"]["A1"].value == "Responda na coluna C."


def test_an_answer_that_looks_like_a_formula_is_written_as_text() -> None:
    data = _questionnaire()
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.active
    assert sheet is not None
    sheet["B6"] = "HYPERLINK example.com não é fórmula?"
    output = io.BytesIO()
    workbook.save(output)
    answered, _, _ = _answer(output.getvalue())
    cell = answered["Questionário"]["C6"]
    assert cell.data_type == "s" and str(cell.value).startswith("'=HYPERLINK")


@pytest.mark.parametrize(
    ("data", "overrides", "message"),
    [
        (b"%PDF-1.7 not a workbook", {}, "not an XLSX"),
        (None, {"answer_column": "B"}, "two different column letters"),
        (None, {"question_column": "B1"}, "column letters"),
        (None, {"sheet": "Outra"}, "no sheet 'Outra'"),
        (None, {"max_uncompressed_bytes": 1024}, "unpack to more than"),
    ],
)
def test_what_cannot_be_answered_is_refused_with_a_reason(
    data: bytes | None, overrides: dict[str, object], message: str
) -> None:
    with pytest.raises(QuestionnaireRefused, match=message):
        _answer(data if data is not None else _questionnaire(), **overrides)


def test_a_zip_bomb_is_refused_unread() -> None:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (8 * 1024 * 1024))
    with pytest.raises(QuestionnaireRefused, match="zip bomb"):
        _answer(output.getvalue())
