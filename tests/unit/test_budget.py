"""A request's free-text budget becomes a Decimal, and the priced total is compared with it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from propos4l.shared.budget import StatedBudget, compare_with_budget, parse_budget


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("R$ 500.000,00", "500000.00", "BRL"),
        ("até 300 mil reais", "300000.00", "BRL"),
        ("USD 120k", "120000.00", "USD"),
        ("1,2 milhão", "1200000.00", None),
        ("US$ 1.5 million", "1500000.00", "USD"),
        ("$120,000", "120000.00", "USD"),
        ("R$ 80.000", "80000.00", "BRL"),
        ("entre 100 e 200 mil reais", "200000.00", "BRL"),
        ("EUR 45.500,50", "45500.50", "EUR"),
        ("around 2,500,000.75 dollars", "2500000.75", "USD"),
        ("R$ 1,5 mi", "1500000.00", "BRL"),
        ("orçamento de 750 mil", "750000.00", None),
    ],
)
def test_budgets_as_people_type_them_are_read(text: str, amount: str, currency: str | None) -> None:
    assert parse_budget(text) == StatedBudget(Decimal(amount), currency)


@pytest.mark.parametrize("text", [None, "", "a definir", "to be agreed", "sem orçamento definido"])
def test_a_text_without_a_figure_is_no_budget(text: str | None) -> None:
    assert parse_budget(text) is None


def test_a_total_above_the_budget_is_over_by_its_percentage() -> None:
    comparison = compare_with_budget("R$ 100.000,00", Decimal("112345.67"), "BRL")
    assert comparison is not None
    assert comparison.verdict == "over"
    assert comparison.difference_percent == Decimal("12.35")
    assert comparison.budget == Decimal("100000.00")


def test_a_total_up_to_ten_percent_below_is_within_and_further_below_is_under() -> None:
    within = compare_with_budget("100 mil", Decimal("90000.00"), "BRL")
    under = compare_with_budget("100 mil", Decimal("89999.99"), "BRL")
    exact = compare_with_budget("100 mil", Decimal("100000.00"), "BRL")
    assert within is not None and within.verdict == "within" and within.difference_percent == Decimal("-10.00")
    assert under is not None and under.verdict == "under"
    assert exact is not None and exact.verdict == "within" and exact.difference_percent == Decimal("0.00")


def test_a_budget_in_another_currency_is_not_compared() -> None:
    assert compare_with_budget("USD 120k", Decimal("100000"), "BRL") is None
    assert compare_with_budget("a definir", Decimal("100000"), "BRL") is None
