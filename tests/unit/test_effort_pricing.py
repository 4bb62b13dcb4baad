"""Effort priced from the rate card by code: rate x hours to the cent, one currency, unpriced lines said why."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from propos4l.shared.effort_pricing import ProposedEffort, investment_items, price_effort
from propos4l.shared.grounding import RateCardLine

ARCHITECT, DEVELOPER, ANALYST, DOLLAR_ROLE = (uuid.uuid4() for _ in range(4))
RATE_CARD = (
    RateCardLine(
        role_id=ARCHITECT,
        role_name="Arquiteto de soluções sênior",
        rate_id=uuid.uuid4(),
        hourly_rate=Decimal("333.33"),
        currency="BRL",
        valid_from=date(2026, 1, 1),
    ),
    RateCardLine(role_id=DEVELOPER, role_name="Desenvolvedor pleno", hourly_rate=Decimal("180.50"), currency="BRL"),
    RateCardLine(role_id=ANALYST, role_name="Analista de negócios"),
    RateCardLine(role_id=DOLLAR_ROLE, role_name="Offshore engineer", hourly_rate=Decimal("40.00"), currency="USD"),
)


def test_each_line_is_rate_times_hours_half_up_to_the_cent() -> None:
    priced = price_effort(
        [
            ProposedEffort("Descoberta", ARCHITECT, Decimal("12.5")),
            ProposedEffort("Construção", DEVELOPER, Decimal("0.07")),
        ],
        RATE_CARD,
    )
    architect, developer = priced.lines
    assert architect.amount == Decimal("4166.63")  # 4166.625 rounds half up
    assert architect.role_name == "Arquiteto de soluções sênior" and architect.rate_id == RATE_CARD[0].rate_id
    assert developer.amount == Decimal("12.64")  # 12.635
    assert priced.currency == "BRL" and priced.total == Decimal("4179.27") and not priced.unpriced


def test_a_role_without_a_rate_or_in_another_currency_stays_unpriced_and_says_why() -> None:
    priced = price_effort(
        [
            ProposedEffort("Descoberta", ANALYST, Decimal(8)),
            ProposedEffort("Construção", DEVELOPER, Decimal(10)),
            ProposedEffort("Construção", DOLLAR_ROLE, Decimal(10)),
            ProposedEffort("Construção", uuid.uuid4(), Decimal(10)),
        ],
        RATE_CARD,
    )
    assert priced.currency == "BRL"
    assert [line.amount for line in priced.lines] == [None, Decimal("1805.00"), None]
    assert [reason for _, reason in priced.unpriced] == ["no_rate", "other_currency", "unknown_role"]
    assert priced.total == Decimal("1805.00")


def test_only_priced_lines_become_investment_items() -> None:
    priced = price_effort(
        [ProposedEffort("Descoberta", ANALYST, Decimal(8)), ProposedEffort("Operação", DEVELOPER, Decimal(3))],
        RATE_CARD,
    )
    (item,) = investment_items(priced.lines)
    assert item.description == "Operação — Desenvolvedor pleno"
    assert item.quantity == Decimal(3) and item.unit_price == Decimal("180.50")


def test_no_rate_card_prices_nothing() -> None:
    priced = price_effort([ProposedEffort("Descoberta", ARCHITECT, Decimal(8))], ())
    assert priced.lines == () and priced.currency is None and priced.total == Decimal("0.00")
    assert investment_items(priced.lines) == ()
