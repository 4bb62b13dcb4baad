"""Pricing proposed effort from the rate card: code, with `Decimal`, never a number the model wrote (issue #15).

The model proposes hours per phase and rate-card role; this prices each line with the role's rate in force (amount =
hours x rate, half-up to the cent) and turns the priced lines into the investment items the renderer's quote path
already totals (discount and taxes as for any proposal). One proposal has one currency: the currency most of the
rate card's priced roles are in (ties: the first in the rate card's order), whichever roles the effort uses; a line
whose rate is in another currency, or whose role has no rate, is left unpriced and says why.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Literal

from propos4l.shared.budget import compare_with_budget
from propos4l.shared.events import InvestmentItem, ProposalRequest
from propos4l.shared.grounding import BudgetComparison, EffortLine, RateCardLine

__all__ = [
    "PricedEffort",
    "ProposedEffort",
    "UnpricedReason",
    "budget_comparison",
    "investment_items",
    "price_effort",
    "pricing_currency",
]

CENT: Final = Decimal("0.01")
_HUNDRED: Final = Decimal(100)
_DESCRIPTION_MAX: Final = 300  # InvestmentItem.description's limit
_PHASE_MAX: Final = 300  # EffortLine.phase's limit
UnpricedReason = Literal["no_rate", "other_currency", "unknown_role"]


@dataclass(frozen=True, slots=True)
class ProposedEffort:
    """Hours of one role in one phase, as proposed (by the model, the outline provider, or a person's edit)."""

    phase: str
    role_id: uuid.UUID
    hours: Decimal


@dataclass(frozen=True, slots=True)
class PricedEffort:
    """The effort lines, priced where a rate allows, the proposal's currency and the lines left unpriced."""

    lines: tuple[EffortLine, ...]
    currency: str | None
    unpriced: tuple[tuple[EffortLine, UnpricedReason], ...]

    @property
    def total(self) -> Decimal:
        """The sum of the priced lines (before discount and taxes)."""
        return sum((line.amount for line in self.lines if line.amount is not None), Decimal("0.00"))


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def pricing_currency(rate_card: Sequence[RateCardLine]) -> str | None:
    """The currency most priced roles are in (on a tie, the first in the rate card's order); None with no rate."""
    counts = Counter(line.currency for line in rate_card if line.hourly_rate is not None and line.currency)
    if not counts:
        return None
    most = max(counts.values())
    return next(
        line.currency
        for line in rate_card
        if line.hourly_rate is not None and line.currency and counts[line.currency] == most
    )


def price_effort(proposed: Iterable[ProposedEffort], rate_card: Sequence[RateCardLine]) -> PricedEffort:
    """Price `proposed` with `rate_card`; an id not on the rate card is dropped (reported as `unknown_role`)."""
    roles = {line.role_id: line for line in rate_card}
    currency = pricing_currency(rate_card)
    lines: list[EffortLine] = []
    unpriced: list[tuple[EffortLine, UnpricedReason]] = []
    for effort in proposed:
        role = roles.get(effort.role_id)
        hours = _cents(effort.hours)
        phase = effort.phase[:_PHASE_MAX]
        if role is None:
            dropped = EffortLine(phase=phase, role_id=effort.role_id, role_name="?", hours=hours)
            unpriced.append((dropped, "unknown_role"))
            continue
        line = EffortLine(phase=phase, role_id=role.role_id, role_name=role.role_name, hours=hours)
        if role.hourly_rate is None or role.currency is None:
            unpriced.append((line, "no_rate"))
        elif role.currency != currency:
            unpriced.append((line, "other_currency"))
        else:
            line = line.model_copy(
                update={
                    "hourly_rate": role.hourly_rate,
                    "currency": role.currency,
                    "rate_id": role.rate_id,
                    "amount": _cents(hours * role.hourly_rate),
                }
            )
        lines.append(line)
    return PricedEffort(tuple(lines), currency, tuple(unpriced))


def investment_items(lines: Iterable[EffortLine]) -> tuple[InvestmentItem, ...]:
    """The investment table's items for the priced lines: "<phase> — <role>", hours, hourly rate."""
    return tuple(
        InvestmentItem(
            description=f"{line.phase} — {line.role_name}"[:_DESCRIPTION_MAX],
            quantity=line.hours,
            unit_price=line.hourly_rate,
        )
        for line in lines
        if line.hourly_rate is not None
    )


def budget_comparison(request: ProposalRequest, effort: Iterable[EffortLine]) -> BudgetComparison | None:
    """The priced effort's total after the request's discount and before taxes, compared with the request's budget.

    Before taxes: the taxes are the template's (the renderer adds them), and a budget typed into a request is most
    often the amount of the work. The discount is rounded as the renderer's quote rounds it. None when nothing is
    priced or the request states no budget.
    """
    priced = [line for line in effort if line.amount is not None and line.currency is not None]
    if not priced:
        return None
    total = sum((line.amount for line in priced if line.amount is not None), Decimal("0.00"))
    if request.discount_percent:
        total -= _cents(total * request.discount_percent / _HUNDRED)
    currency = priced[0].currency
    assert currency is not None
    return compare_with_budget(request.budget, total, currency)
