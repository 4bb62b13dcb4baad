"""Everything about people and money that reaches the client, done by code from the context, never by the model.

The team's names, roles and bios are copied from the roster by id. The effort (hours per phase and role, the only
thing the model proposes) is priced from the rate card in force with Decimal: amount = hours x hourly rate, rounded
half-up to the cent. Rates in more than one currency: the currency most roles are priced in wins (on a tie, the
first in the rate card's order) and the other roles' lines stay unpriced, each with a flag for a person to price.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from propos4l.shared import effort_pricing as shared_pricing
from propos4l.shared.effort_pricing import ProposedEffort
from propos4l.shared.grounding import ClaimFlag, DraftingContext, EffortLine, RateCardLine, TeamMember
from propos4l.shared.sections import Language, SectionKey

__all__ = [
    "PricedEffort",
    "investment_items",
    "missing_prices_note",
    "price_effort",
    "team_from_roster",
]

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


def price_effort(
    effort: Iterable[tuple[str, uuid.UUID, Decimal]], rate_card: Sequence[RateCardLine], language: Language
) -> PricedEffort:
    """Each (phase, role id, hours) priced from the rate card (`shared.effort_pricing`); a role not on it dropped.

    A role whose rate is in another currency than the proposal's is flagged once, for a person to price.
    """
    priced = shared_pricing.price_effort(
        (ProposedEffort(phase, role_id, hours) for phase, role_id, hours in effort), rate_card
    )
    rates = {line.role_id: line for line in rate_card}
    flags: dict[uuid.UUID, ClaimFlag] = {}
    for line, reason in priced.unpriced:
        if reason == "other_currency" and line.role_id not in flags:
            rate = rates[line.role_id]
            text = _OTHER_CURRENCY[language].format(role=rate.role_name, currency=rate.currency, chosen=priced.currency)
            flags[line.role_id] = ClaimFlag(section=SectionKey.INVESTMENT, text=text, reason="rate_in_other_currency")
    return PricedEffort(priced.lines, priced.currency, priced.total, tuple(flags.values()))


investment_items = shared_pricing.investment_items


def missing_prices_note(language: Language) -> str:
    """The sentence code adds to the investment section when some effort has no price."""
    return _MISSING_PRICES[language]
