"""The grounded drafting evaluation's requests parse, are enough and varied, fit the fixture consultancy's domains,
and state the budgets they say they state."""

from __future__ import annotations

from propos4l.shared.budget import parse_budget
from propos4l.shared.library_import_folder import read_folder
from propos4l.shared.library_text import fold_accents
from tests.support.library_fixture import FIXTURE, read_grounded_requests


def _industry(text: str) -> str:
    return fold_accents(text.strip().lower())


def test_the_requests_parse_and_are_at_least_twenty_in_both_languages_and_several_domains() -> None:
    requests = read_grounded_requests()
    assert len(requests) >= 20
    assert len({item.id for item in requests}) == len(requests)
    assert {item.request.language.value for item in requests} == {"pt-BR", "en"}
    assert len({item.domain for item in requests}) >= 5
    assert any(item.budget_amount is None for item in requests)


def test_every_request_s_industry_has_a_case_study_or_a_service_of_the_fixture() -> None:
    folder = read_folder(FIXTURE)
    industries = {_industry(record.fields["industry"]) for record in folder.case_studies}
    for service in folder.services:
        industries |= {_industry(industry) for industry in service.fields.get("industries", [])}
    for item in read_grounded_requests():
        assert _industry(item.request.industry) in industries, (item.id, item.request.industry)


def test_every_stated_budget_reads_as_the_amount_the_fixture_expects_in_reais() -> None:
    for item in read_grounded_requests():
        stated = parse_budget(item.request.budget)
        if item.budget_amount is None:
            assert stated is None, item.id
        else:
            assert stated is not None and (stated.amount, stated.currency) == (item.budget_amount, "BRL"), item.id
