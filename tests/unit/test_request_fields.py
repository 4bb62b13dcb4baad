"""An edital's or RFP's request fields (client, object, budget ceiling, dates) are read with their quotes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from propos4l.shared.request_fields import extract_request_fields, parse_date
from propos4l.shared.requirements import SourcePage

EDITAL = """PREFEITURA MUNICIPAL DE VALE VERDE
SECRETARIA MUNICIPAL DE ADMINISTRAÇÃO
EDITAL DE PREGÃO ELETRÔNICO Nº 12/2027

OBJETO: Contratação de empresa especializada para implantação de sistema de protocolo digital.

1. DO OBJETO
1.1 Constitui objeto deste edital a contratação de empresa especializada em protocolo digital.
1.2 O valor global estimado da contratação é de R$ 1.250.000,00 (um milhão, duzentos e cinquenta mil
reais), para 12 meses.

2. DOS PRAZOS
2.1 Os pedidos de esclarecimento deverão ser enviados até 10/03/2027.
2.2 A visita técnica poderá ser agendada até 12 de março de 2027.
2.3 A sessão pública de abertura das propostas ocorrerá em 20 de março de 2027, às 10h.
"""
RFP = """Request for Proposals No. 2027-004
Issued by: Harbor City Transit Authority

1. Purpose
Harbor City Transit Authority is seeking proposals for a passenger information system with real-time arrivals.

2. Budget
The maximum budget for the initial term is USD 850,000.00, taxes included.

3. Schedule
Written questions must be received by March 3, 2027.
Proposals are due April 14, 2027 at 2:00 PM local time.
"""


def test_an_edital_gives_client_object_budget_and_dates_with_their_quotes_and_pages() -> None:
    fields = extract_request_fields([SourcePage("edital.pdf", 1, EDITAL)])
    assert fields.client is not None and fields.client.value == "PREFEITURA MUNICIPAL DE VALE VERDE"
    assert fields.object is not None
    assert (
        fields.object.value == "Contratação de empresa especializada para implantação de sistema de protocolo digital"
    )
    assert fields.object.page == 1
    assert fields.budget_ceiling == Decimal("1250000.00") and fields.budget_currency == "BRL"
    assert fields.budget_quote is not None and "R$ 1.250.000,00" in fields.budget_quote.quote
    assert [(d.kind, d.date) for d in fields.deadlines] == [
        ("questions", date(2027, 3, 10)),
        ("visit", date(2027, 3, 12)),
        ("opening", date(2027, 3, 20)),
    ]
    assert fields.submission_date == date(2027, 3, 20)


def test_an_english_rfp_gives_its_labelled_issuer_seeking_sentence_budget_and_due_date() -> None:
    fields = extract_request_fields([SourcePage("rfp.docx", None, RFP)])
    assert fields.client is not None and fields.client.value == "Harbor City Transit Authority"
    assert fields.object is not None
    assert fields.object.value == "for a passenger information system with real-time arrivals"
    assert fields.budget_ceiling == Decimal("850000.00") and fields.budget_currency == "USD"
    assert [(d.kind, d.date) for d in fields.deadlines] == [
        ("questions", date(2027, 3, 3)),
        ("submission", date(2027, 4, 14)),
    ]
    assert fields.submission_date == date(2027, 4, 14)


def test_a_document_that_states_none_of_them_gives_no_field() -> None:
    fields = extract_request_fields([SourcePage("notes.txt", None, "Notas da reunião.\nFalamos do projeto.\n")])
    assert (fields.client, fields.object, fields.budget_ceiling, fields.submission_date) == (None, None, None, None)
    assert fields.deadlines == ()


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("até 05/04/2027", True, date(2027, 4, 5)),
        ("by 04/05/2027", False, date(2027, 4, 5)),
        ("em 5 de abril de 2027", True, date(2027, 4, 5)),
        ("on 5 April 2027", False, date(2027, 4, 5)),
        ("on April 5th, 2027", False, date(2027, 4, 5)),
        ("2027-04-05", True, date(2027, 4, 5)),
        ("31/02/2027", True, None),
        ("sem data", True, None),
    ],
)
def test_dates_are_read_as_editais_and_rfps_write_them(text: str, day_first: bool, expected: date | None) -> None:
    assert parse_date(text, day_first=day_first) == expected
