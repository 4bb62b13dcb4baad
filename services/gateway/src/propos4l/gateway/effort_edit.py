"""A person's edit of a version's effort hours, priced again by code with the rates that version recorded.

The rates are those of the base version (the rate card in its context, and the rates its effort was priced with),
never today's: a proposal keeps the prices it was made with, and an edit of hours changes only hours. A role that
was not on that rate card is refused. The investment items the effort gave are replaced by the new effort's; items
of any other origin are kept. The budget comparison is made again, after the request's discount and before taxes,
as the generator makes it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from propos4l.gateway.version_grounding import VersionGrounding, rates_used
from propos4l.shared.effort_pricing import ProposedEffort, budget_comparison, investment_items, price_effort
from propos4l.shared.events import InvestmentItem, ProposalRequest
from propos4l.shared.grounding import DraftingContext, RateCardLine

__all__ = ["EditedEffort", "UnknownRoles", "recorded_rate_card", "reprice_effort"]


class UnknownRoles(ValueError):
    """Roles of an effort edit that the base version's rate card did not have."""

    def __init__(self, role_ids: Sequence[uuid.UUID]) -> None:
        super().__init__(", ".join(str(role) for role in role_ids))
        self.role_ids = tuple(role_ids)


@dataclass(frozen=True, slots=True)
class EditedEffort:
    """The new version's grounding (effort, rates used and budget comparison replaced) and investment items."""

    grounding: VersionGrounding
    investment_items: tuple[InvestmentItem, ...]


def recorded_rate_card(context: DraftingContext | None, grounding: VersionGrounding | None) -> list[RateCardLine]:
    """The rate card a version was priced with: its context's, each priced role at the rate its effort used."""
    lines = {line.role_id: line for line in (context.rate_card if context else ())}
    for rate in grounding.rates_used if grounding else ():
        lines[rate.role_id] = rate.as_rate_card_line()
    return list(lines.values())


def reprice_effort(
    proposed: Sequence[ProposedEffort],
    *,
    request: ProposalRequest,
    context: DraftingContext | None,
    grounding: VersionGrounding | None,
    items: Sequence[InvestmentItem],
) -> EditedEffort:
    """`proposed` priced with the base version's recorded rates; raise UnknownRoles for roles not on its card."""
    rate_card = recorded_rate_card(context, grounding)
    known = {line.role_id for line in rate_card}
    unknown = list(dict.fromkeys(effort.role_id for effort in proposed if effort.role_id not in known))
    if unknown:
        raise UnknownRoles(unknown)
    priced = price_effort(proposed, rate_card)
    base = grounding or VersionGrounding()
    from_effort = set(investment_items(base.effort))
    kept = [item for item in items if item not in from_effort]
    edited = base.model_copy(
        update={
            "effort": priced.lines,
            "rates_used": rates_used(priced.lines),
            "budget_comparison": budget_comparison(request, priced.lines),
        }
    )
    return EditedEffort(edited, (*investment_items(priced.lines), *kept))
