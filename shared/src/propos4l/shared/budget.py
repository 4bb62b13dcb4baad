"""The budget a request states in free text ("R$ 500.000,00", "até 300 mil reais", "USD 120k"), as a Decimal.

People type budgets as they speak them; the proposal compares its priced total with the budget (issue #15), so
the amount and, when it says so, the currency are read here. A range or several figures count as the highest one
(a budget is a ceiling); a text with no figure is no budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final

from propos4l.shared.grounding import BudgetComparison

__all__ = ["WITHIN_SHARE", "StatedBudget", "compare_with_budget", "parse_budget"]

WITHIN_SHARE: Final = Decimal("0.10")
"""A total at most this share below the budget (and not above it) is `within` the budget."""

_CENT: Final = Decimal("0.01")
_NUMBER: Final = re.compile(
    r"(?<![\w.,])(?P<number>\d{1,3}(?:[.,\s]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)\s*(?P<scale>[A-Za-zçõã]+\b)?",
    re.IGNORECASE,
)
_SCALES: Final = {
    "k": Decimal(1_000),
    "mil": Decimal(1_000),
    "thousand": Decimal(1_000),
    "thousands": Decimal(1_000),
    "m": Decimal(1_000_000),
    "mm": Decimal(1_000_000),
    "mi": Decimal(1_000_000),
    "mio": Decimal(1_000_000),
    "milhão": Decimal(1_000_000),
    "milhao": Decimal(1_000_000),
    "milhões": Decimal(1_000_000),
    "milhoes": Decimal(1_000_000),
    "million": Decimal(1_000_000),
    "millions": Decimal(1_000_000),
    "bi": Decimal(1_000_000_000),
    "bn": Decimal(1_000_000_000),
    "bilhão": Decimal(1_000_000_000),
    "bilhao": Decimal(1_000_000_000),
    "bilhões": Decimal(1_000_000_000),
    "bilhoes": Decimal(1_000_000_000),
    "billion": Decimal(1_000_000_000),
    "billions": Decimal(1_000_000_000),
}
# Checked in order: "R$" and "US$" before a bare "$".
_CURRENCIES: Final = (
    (re.compile(r"R\$|\bBRL\b|\breais\b|\breal\b", re.IGNORECASE), "BRL"),
    (re.compile(r"US\$|\bUSD\b|d[óo]lar(?:es)?\b|\bdollars?\b", re.IGNORECASE), "USD"),
    (re.compile(r"€|\bEUR\b|\beuros?\b", re.IGNORECASE), "EUR"),
    (re.compile(r"£|\bGBP\b|\bpounds?\b|\blibras?\b", re.IGNORECASE), "GBP"),
    (re.compile(r"\$"), "USD"),
)


@dataclass(frozen=True, slots=True)
class StatedBudget:
    """A budget read from text: the amount and the currency it names (None: it names none)."""

    amount: Decimal
    currency: str | None


def parse_budget(text: str | None) -> StatedBudget | None:
    """The highest amount `text` states, with its currency; None when it states no amount."""
    if not text:
        return None
    amounts = [amount for amount in (_amount(match) for match in _NUMBER.finditer(text)) if amount is not None]
    if not amounts:
        return None
    currency = next((code for pattern, code in _CURRENCIES if pattern.search(text)), None)
    return StatedBudget(max(amounts).quantize(_CENT, rounding=ROUND_HALF_UP), currency)


def _amount(match: re.Match[str]) -> Decimal | None:
    scale_word = (match["scale"] or "").lower()
    scale = _SCALES.get(scale_word, Decimal(1))
    try:
        value = Decimal(_plain_number(match["number"]))
    except InvalidOperation:
        return None
    amount = value * scale
    return amount if amount > 0 else None


def _plain_number(number: str) -> str:
    """A number as typed (pt-BR or en separators) in plain form: "1.234,5" and "1,234.5" give "1234.5"."""
    number = re.sub(r"\s", "", number)
    if "," in number and "." in number:
        decimal_mark = "," if number.rfind(",") > number.rfind(".") else "."
        thousands = "." if decimal_mark == "," else ","
        return number.replace(thousands, "").replace(decimal_mark, ".")
    for mark in (",", "."):
        if mark in number:
            parts = number.split(mark)
            # One mark followed by exactly three digits, or several marks, group thousands: "500.000", "1,200,000".
            if len(parts) > 2 or len(parts[-1]) == 3:
                return "".join(parts)
            return number.replace(mark, ".")
    return number


def compare_with_budget(
    budget_text: str | None, total: Decimal, currency: str, *, within_share: Decimal = WITHIN_SHARE
) -> BudgetComparison | None:
    """How `total` (in `currency`) compares with the budget stated in `budget_text`.

    None when no budget is stated or it names another currency (no exchange rates here). `within`: not above the
    budget and at most `within_share` below it; the difference is in percent of the budget, negative below it.
    """
    stated = parse_budget(budget_text)
    if stated is None or (stated.currency is not None and stated.currency != currency):
        return None
    budget = stated.amount
    difference = ((total - budget) / budget * 100).quantize(_CENT, rounding=ROUND_HALF_UP)
    if total > budget:
        verdict = "over"
    elif total >= budget * (1 - within_share):
        verdict = "within"
    else:
        verdict = "under"
    return BudgetComparison(
        budget=budget,
        total=total.quantize(_CENT, rounding=ROUND_HALF_UP),
        currency=currency,
        verdict=verdict,
        difference_percent=difference,
    )
