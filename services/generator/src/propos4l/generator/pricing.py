"""Everything about people and money that reaches the client, done by code from the context, never by the model.

The team's names, roles and bios are copied from the roster by id. The effort (hours per phase and role, the only
thing the model proposes) is priced from the rate card in force with Decimal: amount = hours x hourly rate, rounded
half-up to the cent. Rates in more than one currency: the currency most roles are priced in wins (on a tie, the
first in the rate card's order) and the other roles' lines stay unpriced, each with a flag for a person to price.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from propos4l.shared.events import InvestmentItem
from propos4l.shared.grounding import ClaimFlag, DraftingContext, EffortLine, RateCardLine, TeamMember
from propos4l.shared.sections import Language, SectionKey

__all__ = [
    "PricedEffort",
    "investment_items",
    "missing_prices_note",
    "price_effort",
    "pricing_currency",
    "team_from_roster",
]

_CENT: Final = Decimal("0.01")
_MISSING_PRICES: Final = {
    Language.PT_BR: (
        "*Alguns papéis ainda não têm valor-hora na tabela de preços da consultoria; as linhas sem preço ficam de fora "
        "do total e serão precificadas antes do envio.*"
    ),
    Language.EN: (
        "*Some roles have no hourly rate in the consultancy's rate card yet; their lines are left out of the total "
        "and will be priced before this proposal is sent.*"
    ),
}
_OTHER_CURRENCY: Final = {
    Language.PT_BR: "{role}: o valor-hora está em {currency}, não em {chosen}; linha deixada sem preço.",
    Language.EN: "{role}: the hourly rate is in {currency}, not {chosen}; line left unpriced.",
}


@dataclass(frozen=True, slots=True)
class PricedEffort:
    """The effort priced by code, the currency of its prices, their total, and the flags pricing raised."""

    lines: tuple[EffortLine, ...]
    currency: str | None
    total: Decimal
    flags: tuple[ClaimFlag, ...]

    @property
    def unpriced(self) -> bool:
        """Whether some line has no price."""
        return any(line.amount is None for line in self.lines)


def team_from_roster(picks: Iterable[tuple[uuid.UUID, str]], context: DraftingContext) -> tuple[TeamMember, ...]:
    """The picked people as the roster has them (any id not in the roster is dropped), with their project role."""
    roster = {person.id: person for person in context.roster}
    team: list[TeamMember] = []
    for person_id, project_role in picks:
        person = roster.get(person_id)
        if person is None or any(member.person_id == person_id for member in team):
            continue
        team.append(
            TeamMember(
                person_id=person.id,
                name=person.name,
                role_id=person.role_id,
                role_name=person.role_name,
                seniority=person.seniority,
                bio=person.bio,
                project_role=project_role[:300],
            )
        )
    return tuple(team)


def pricing_currency(rate_card: Sequence[RateCardLine]) -> str | None:
    """The currency most priced roles are in (on a tie, the first in the rate card); None with no rate at all."""
    counts = Counter(line.currency for line in rate_card if line.hourly_rate is not None and line.currency)
    if not counts:
        return None
    most = max(counts.values())
    return next(
        line.currency
        for line in rate_card
        if line.hourly_rate is not None and line.currency and counts[line.currency] == most
    )


def price_effort(
    effort: Iterable[tuple[str, uuid.UUID, Decimal]], rate_card: Sequence[RateCardLine], language: Language
) -> PricedEffort:
    """Each (phase, role id, hours) priced from the rate card; a role with no rate, or another currency, unpriced."""
    rates = {line.role_id: line for line in rate_card}
    currency = pricing_currency(rate_card)
    lines: list[EffortLine] = []
    flags: dict[uuid.UUID, ClaimFlag] = {}
    total = Decimal("0.00")
    for phase, role_id, hours in effort:
        rate = rates.get(role_id)
        if rate is None:
            continue
        line = EffortLine(phase=phase[:300], role_id=role_id, role_name=rate.role_name, hours=hours)
        if rate.hourly_rate is not None and rate.currency == currency:
            amount = (hours * rate.hourly_rate).quantize(_CENT, rounding=ROUND_HALF_UP)
            line = line.model_copy(
                update={
                    "hourly_rate": rate.hourly_rate,
                    "currency": rate.currency,
                    "rate_id": rate.rate_id,
                    "amount": amount,
                }
            )
            total += amount
        elif rate.hourly_rate is not None and rate.currency is not None and role_id not in flags:
            text = _OTHER_CURRENCY[language].format(role=rate.role_name, currency=rate.currency, chosen=currency)
            flags[role_id] = ClaimFlag(section=SectionKey.INVESTMENT, text=text, reason="rate_in_other_currency")
        lines.append(line)
    return PricedEffort(tuple(lines), currency, total, tuple(flags.values()))


def investment_items(effort: Iterable[EffortLine]) -> tuple[InvestmentItem, ...]:
    """The investment table's lines from the priced effort ("phase — role", hours, hourly rate); unpriced lines none.

    The renderer's quote path computes amounts, discount, taxes and totals from these unchanged: its per-line
    rounding (half-up to the cent) is the same as the effort's, so its subtotal equals the effort's total.
    """
    return tuple(
        InvestmentItem(description=f"{line.phase} — {line.role_name}"[:300], quantity=line.hours, unit_price=rate)
        for line in effort
        if (rate := line.hourly_rate) is not None and line.amount is not None
    )


def missing_prices_note(language: Language) -> str:
    """The sentence code adds to the investment section when some effort has no price."""
    return _MISSING_PRICES[language]
