"""The budget a request states, read from its free text, and how a priced total compares with it.

A minimal stand-in with the same names and meaning as `propos4l.shared.budget` (written with the generator's
grounded drafting, issue #15): `parse_budget(text)` and `compare_with_budget(budget_text, total, currency)`. The
gateway needs them when a person edits the effort hours; once both are merged, this module can import them from
there instead.
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
_NUMBER: Final = re.compile(r"(?<![\w.,])(\d{1,3}(?:[.,\s]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)\s*([A-Za-zçõã]+\b)?")
_SCALES: Final = {
    **dict.fromkeys(("k", "mil", "thousand"), Decimal(1_000)),
    **dict.fromkeys(("m", "mi", "mm", "milhão", "milhao", "milhões", "milhoes", "million"), Decimal(1_000_000)),
}
_CURRENCIES: Final = (  # in order: "R$" and "US$" before a bare "$"
    (re.compile(r"R\$|\bBRL\b|\breais\b", re.IGNORECASE), "BRL"),
    (re.compile(r"US\$|\bUSD\b|d[óo]lar(?:es)?\b|\bdollars?\b", re.IGNORECASE), "USD"),
    (re.compile(r"€|\bEUR\b|\beuros?\b", re.IGNORECASE), "EUR"),
    (re.compile(r"\$"), "USD"),
)


@dataclass(frozen=True, slots=True)
class StatedBudget:
    """A budget read from text: the amount and the currency it names (None: it names none)."""

    amount: Decimal
    currency: str | None


def _plain(number: str) -> str:
    """A number typed with pt-BR or en separators in plain form: "1.234,5" and "1,234.5" give "1234.5"."""
    number = re.sub(r"\s", "", number)
    if "," in number and "." in number:
        decimal_mark = "," if number.rfind(",") > number.rfind(".") else "."
        return number.replace("." if decimal_mark == "," else ",", "").replace(decimal_mark, ".")
    for mark in (",", "."):
        if mark in number:
            parts = number.split(mark)
            return "".join(parts) if len(parts) > 2 or len(parts[-1]) == 3 else number.replace(mark, ".")
    return number


def parse_budget(text: str | None) -> StatedBudget | None:
    """The highest amount `text` states (a budget is a ceiling), with its currency; None without an amount."""
    amounts: list[Decimal] = []
    for number, scale in _NUMBER.findall(text or ""):
        try:
            amount = Decimal(_plain(number)) * _SCALES.get(scale.lower(), Decimal(1))
        except InvalidOperation:
            continue
        if amount > 0:
            amounts.append(amount)
    if not amounts:
        return None
    currency = next((code for pattern, code in _CURRENCIES if pattern.search(text or "")), None)
    return StatedBudget(max(amounts).quantize(_CENT, rounding=ROUND_HALF_UP), currency)


def compare_with_budget(
    budget_text: str | None, total: Decimal, currency: str, *, within_share: Decimal = WITHIN_SHARE
) -> BudgetComparison | None:
    """How `total` (in `currency`) compares with the budget `budget_text` states; None without a budget or when it
    names another currency. The difference is in percent of the budget, negative below it."""
    stated = parse_budget(budget_text)
    if stated is None or (stated.currency is not None and stated.currency != currency):
        return None
    budget = stated.amount
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
        difference_percent=((total - budget) / budget * 100).quantize(_CENT, rounding=ROUND_HALF_UP),
    )
