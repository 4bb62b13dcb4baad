"""The investment's arithmetic is done by code, in Decimal, half-up to cents; money is written per language."""

from __future__ import annotations

from decimal import Decimal

import pytest

from propos4l.renderer.pricing import TaxRate, format_money, format_percent, format_quantity, quote
from propos4l.shared.events import InvestmentItem
from propos4l.shared.sections import Language


def item(quantity: str, price: str, description: str = "Serviço") -> InvestmentItem:
    return InvestmentItem(description=description, quantity=Decimal(quantity), unit_price=Decimal(price))


def test_lines_subtotal_discount_taxes_and_total() -> None:
    priced = quote(
        [item("320", "212.50"), item("8", "26750"), item("12.5", "1480"), item("1", "0.01")],
        discount_percent=Decimal("8"),
        taxes=[TaxRate("ISS", Decimal("5")), TaxRate("PIS", Decimal("0.65"))],
    )
    assert [line.amount for line in priced.lines] == [
        Decimal("68000.00"),
        Decimal("214000.00"),
        Decimal("18500.00"),
        Decimal("0.01"),
    ]
    assert priced.subtotal == Decimal("300500.01")
    assert priced.discount == Decimal("24040.00")  # 24040.0008 rounds down
    assert priced.net == Decimal("276460.01")
    assert [(tax.label, tax.amount) for tax in priced.taxes] == [
        ("ISS", Decimal("13823.00")),  # 13823.0005
        ("PIS", Decimal("1796.99")),  # 1796.990065
    ]
    assert priced.total == Decimal("292080.00")


def test_each_amount_rounds_half_up_to_cents() -> None:
    priced = quote([item("1.5", "0.05"), item("0.333", "10.00")])
    assert [line.amount for line in priced.lines] == [Decimal("0.08"), Decimal("3.33")]  # 0.075 -> 0.08, 3.33
    assert priced.subtotal == Decimal("3.41")
    half = quote([item("1", "10.00")], discount_percent=Decimal("0.05"))  # 0.005 -> 0.01
    assert half.discount == Decimal("0.01")
    assert half.total == Decimal("9.99")


def test_no_discount_no_taxes_and_no_items() -> None:
    priced = quote([item("2", "1000")])
    assert (priced.discount, priced.taxes, priced.total) == (Decimal("0.00"), (), Decimal("2000.00"))
    assert priced.discount_percent is None
    empty = quote([], discount_percent=Decimal("10"), taxes=[TaxRate("ISS", Decimal("5"))])
    assert (empty.subtotal, empty.discount, empty.total) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))


def test_a_full_discount_leaves_nothing_to_tax() -> None:
    priced = quote([item("3", "99.99")], discount_percent=Decimal("100"), taxes=[TaxRate("ISS", Decimal("5"))])
    assert (priced.net, priced.taxes[0].amount, priced.total) == (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"))


@pytest.mark.parametrize("percent", ["-1", "100.01"])
def test_a_discount_outside_0_to_100_is_refused(percent: str) -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        quote([item("1", "1")], discount_percent=Decimal(percent))


@pytest.mark.parametrize(
    ("amount", "currency", "language", "written"),
    [
        ("1234.56", "BRL", Language.PT_BR, "R$ 1.234,56"),
        ("1234.56", "BRL", Language.EN, "R$1,234.56"),
        ("1234567.8", "BRL", Language.PT_BR, "R$ 1.234.567,80"),
        ("1234567.8", "USD", Language.EN, "$1,234,567.80"),
        ("1234567.8", "USD", Language.PT_BR, "US$ 1.234.567,80"),
        ("0", "BRL", Language.PT_BR, "R$ 0,00"),
        ("0.005", "BRL", Language.PT_BR, "R$ 0,01"),
        ("999.999", "EUR", Language.EN, "€1,000.00"),
        ("-26520", "BRL", Language.PT_BR, "−R$ 26.520,00"),
        ("-26520", "BRL", Language.EN, "−R$26,520.00"),
        ("1500", "CHF", Language.EN, "CHF 1,500.00"),
        ("1500", "CHF", Language.PT_BR, "CHF 1.500,00"),
    ],
)
def test_money_is_written_as_the_language_writes_it(
    amount: str, currency: str, language: Language, written: str
) -> None:
    assert format_money(Decimal(amount), currency, language) == written


@pytest.mark.parametrize(
    ("quantity", "language", "written"),
    [
        ("3", Language.PT_BR, "3"),
        ("3.000", Language.EN, "3"),
        ("12.5", Language.PT_BR, "12,5"),
        ("1500.25", Language.EN, "1,500.25"),
        ("1500.250", Language.PT_BR, "1.500,25"),
        ("0.125", Language.EN, "0.125"),
    ],
)
def test_quantities_keep_only_their_decimals(quantity: str, language: Language, written: str) -> None:
    assert format_quantity(Decimal(quantity), language) == written


def test_percentages() -> None:
    assert format_percent(Decimal("5"), Language.PT_BR) == "5%"
    assert format_percent(Decimal("2.50"), Language.PT_BR) == "2,5%"
    assert format_percent(Decimal("12.75"), Language.EN) == "12.75%"
