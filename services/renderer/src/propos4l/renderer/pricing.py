"""The investment table's arithmetic and how money, quantities and percentages are written in each language.

Totals are computed here, with `Decimal` and half-up rounding to cents, never taken from the model: each line is
quantity x unit price, the discount applies to the subtotal, and each tax applies to the discounted subtotal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from propos4l.shared.events import InvestmentItem
from propos4l.shared.sections import Language

__all__ = [
    "CENT",
    "PricedLine",
    "Quote",
    "TaxLine",
    "TaxRate",
    "currency_symbol",
    "format_money",
    "format_percent",
    "format_quantity",
    "quote",
]

CENT: Final = Decimal("0.01")
_HUNDRED: Final = Decimal(100)
_MINUS: Final = "\u2212"  # the typographic minus sign

# Symbols by ISO 4217 code; a code not listed is written as itself ("CHF 1,234.56").
_SYMBOLS: Final[dict[str, dict[Language, str]]] = {
    "BRL": {Language.PT_BR: "R$", Language.EN: "R$"},
    "USD": {Language.PT_BR: "US$", Language.EN: "$"},
    "EUR": {Language.PT_BR: "€", Language.EN: "€"},
    "GBP": {Language.PT_BR: "£", Language.EN: "£"},
}


@dataclass(frozen=True, slots=True)
class TaxRate:
    """A tax the consultancy adds to the invoice: its label ("ISS") and rate in percent."""

    label: str
    rate: Decimal


@dataclass(frozen=True, slots=True)
class PricedLine:
    """One line of the investment table with its amount."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class TaxLine:
    """One tax and what it adds."""

    label: str
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Quote:
    """The investment: lines, subtotal, discount, the discounted base, taxes and the total, all in cents."""

    lines: tuple[PricedLine, ...]
    subtotal: Decimal
    discount_percent: Decimal | None
    discount: Decimal
    net: Decimal
    taxes: tuple[TaxLine, ...]
    total: Decimal


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def quote(
    items: Iterable[InvestmentItem], *, discount_percent: Decimal | None = None, taxes: Sequence[TaxRate] = ()
) -> Quote:
    """Price the line items: amounts, subtotal, discount on the subtotal, taxes on the discounted base, total."""
    if discount_percent is not None and not Decimal(0) <= discount_percent <= _HUNDRED:
        raise ValueError(f"a discount must be between 0 and 100 percent, not {discount_percent}")
    lines = tuple(
        PricedLine(item.description, item.quantity, item.unit_price, _cents(item.quantity * item.unit_price))
        for item in items
    )
    subtotal = sum((line.amount for line in lines), Decimal("0.00"))
    discount = _cents(subtotal * discount_percent / _HUNDRED) if discount_percent else Decimal("0.00")
    net = subtotal - discount
    tax_lines = tuple(TaxLine(tax.label, tax.rate, _cents(net * tax.rate / _HUNDRED)) for tax in taxes)
    total = net + sum((tax.amount for tax in tax_lines), Decimal("0.00"))
    return Quote(lines, subtotal, discount_percent, discount, net, tax_lines, total)


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return separator.join(groups)


def _number(value: Decimal, language: Language, places: int | None) -> str:
    """`value` with the language's separators; `places` fixed, or None for as many as it needs."""
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    elif value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    else:
        value = value.normalize()
    sign, text = ("-", f"{-value:f}") if value < 0 else ("", f"{value:f}")
    whole, _, fraction = text.partition(".")
    thousands, decimal_mark = (".", ",") if language is Language.PT_BR else (",", ".")
    grouped = _group(whole, thousands)
    return sign + (f"{grouped}{decimal_mark}{fraction}" if fraction else grouped)


def currency_symbol(currency: str, language: Language) -> str:
    """The symbol a reader of `language` expects for an ISO 4217 code ("R$", "US$", "$"), or the code itself."""
    return _SYMBOLS.get(currency, {}).get(language, currency)


def format_money(amount: Decimal, currency: str, language: Language) -> str:
    """Money as the language writes it: "R$ 1.234,56" in pt-BR, "R$1,234.56" in en; negatives with a minus."""
    digits = _number(abs(amount), language, 2)
    symbol = currency_symbol(currency, language)
    sign = _MINUS if amount < 0 else ""
    if language is Language.PT_BR or symbol == currency:  # pt-BR always, and bare codes, put a space after it
        return f"{sign}{symbol} {digits}"
    return f"{sign}{symbol}{digits}"


def format_quantity(quantity: Decimal, language: Language) -> str:
    """A quantity with only the decimals it has: "3", "2,5" in pt-BR, "1,500.25" in en."""
    return _number(quantity, language, None)


def format_percent(percent: Decimal, language: Language) -> str:
    """A percentage with only the decimals it has: "5%", "2,5%" in pt-BR, "12.75%" in en."""
    return f"{_number(percent, language, None)}%"
