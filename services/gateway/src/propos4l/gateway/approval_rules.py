"""Approval rules (issue #19, ADR 0023): which proposals need a manager's approval before they are sent.

An admin sets rules of four kinds: a discount above X %, a total above Y (priced as the PDF prices it, in one
currency or any), a template, an industry. A proposal matching any enabled rule needs approval; the proposal view
shows which rules matched, and sending checks them (review_transitions.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final, Literal

import asyncpg

from propos4l.gateway.template_pricing import TemplatePricingReader
from propos4l.renderer.pricing import quote
from propos4l.shared.events import InvestmentItem

__all__ = [
    "ApprovalRule",
    "ApprovalRuleStore",
    "MatchedRule",
    "RuleDraft",
    "RuleKind",
    "matched_rules",
    "needs_watermark",
    "requires_approval",
]

RuleKind = Literal["discount_above", "total_above", "template", "industry"]

_COLUMNS: Final = "id, name, kind, threshold, currency, value, enabled, created_by, created_at, updated_at"


@dataclass(frozen=True, slots=True)
class ApprovalRule:
    """One rule, as stored."""

    id: uuid.UUID
    name: str
    kind: RuleKind
    threshold: Decimal | None
    currency: str | None
    value: str | None
    enabled: bool
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> ApprovalRule:
        """The rule of a row of approval_rules."""
        return cls(**{name: row[name] for name in _COLUMNS.split(", ")})


@dataclass(frozen=True, slots=True)
class RuleDraft:
    """What an admin writes of a rule (the fields its kind uses; the others None)."""

    name: str
    kind: RuleKind
    threshold: Decimal | None = None
    currency: str | None = None
    value: str | None = None
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class MatchedRule:
    """A rule a proposal meets, and why: `reason` in English for a person, and the parts a client words itself
    (`actual` is the proposal's discount or total, `currency` the total's)."""

    rule_id: uuid.UUID
    name: str
    kind: RuleKind
    reason: str
    threshold: Decimal | None = None
    value: str | None = None
    actual: Decimal | None = None
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class _Facts:
    template: str
    industry: str
    discount_percent: Decimal | None
    total: Decimal | None
    currency: str | None


def matched_rules(rules: Sequence[ApprovalRule], facts: _Facts) -> list[MatchedRule]:
    """The enabled rules among `rules` that `facts` meet, in the order given."""
    found: list[MatchedRule] = []
    for rule in rules:
        if not rule.enabled:
            continue
        reason = _reason(rule, facts)
        if reason is not None:
            actual = {"discount_above": facts.discount_percent, "total_above": facts.total}.get(rule.kind)
            found.append(
                MatchedRule(
                    rule.id,
                    rule.name,
                    rule.kind,
                    reason,
                    threshold=rule.threshold,
                    value=rule.value,
                    actual=actual,
                    currency=facts.currency if rule.kind == "total_above" else None,
                )
            )
    return found


def _reason(rule: ApprovalRule, facts: _Facts) -> str | None:
    if rule.kind == "discount_above" and rule.threshold is not None:
        discount = facts.discount_percent
        if discount is not None and discount > rule.threshold:
            return f"discount {discount}% is above {rule.threshold}%"
    elif rule.kind == "total_above" and rule.threshold is not None:
        if facts.total is None or (rule.currency is not None and rule.currency != facts.currency):
            return None
        if facts.total > rule.threshold:
            return f"total {facts.currency} {facts.total} is above {rule.threshold}"
    elif rule.kind == "template" and rule.value is not None:
        if facts.template == rule.value:
            return f"template is {rule.value}"
    elif rule.kind == "industry" and rule.value is not None and facts.industry.casefold() == rule.value.casefold():
        return f"industry is {rule.value}"
    return None


async def requires_approval(
    connection: asyncpg.Connection,
    proposal_id: uuid.UUID,
    pricing: TemplatePricingReader,
    version: int | None = None,
) -> list[MatchedRule]:
    """The enabled rules the proposal meets (at `version`, by default its current one): empty when it needs no
    approval. The total is the investment priced as the PDF prices it (discount, then the template's taxes)."""
    row = await connection.fetchrow(
        """SELECT p.template, p.industry, p.discount_percent, v.investment_items
           FROM proposals p
           LEFT JOIN proposal_versions v ON v.proposal_id = p.id AND v.version = coalesce($2, p.current_version)
           WHERE p.id = $1""",
        proposal_id,
        version,
    )
    if row is None:
        return []
    rules = [ApprovalRule.from_row(rule) for rule in await connection.fetch(_SELECT_RULES + " WHERE enabled")]
    if not rules:
        return []
    total: Decimal | None = None
    currency: str | None = None
    items = [InvestmentItem.model_validate(item) for item in row["investment_items"] or []]
    if items and any(rule.kind == "total_above" for rule in rules):
        terms = await pricing.terms_of(row["template"])
        priced = quote(
            items, discount_percent=row["discount_percent"], taxes=[tax.as_rate() for tax in terms.pricing.taxes]
        )
        total, currency = priced.total, terms.pricing.currency
    facts = _Facts(row["template"], row["industry"], row["discount_percent"], total, currency)
    return matched_rules(rules, facts)


def needs_watermark(matched: Sequence[MatchedRule], approved_version: int | None, version: int) -> bool:
    """Whether what people inside the consultancy get of `version` (its PDF, every export, the web app's view) is
    marked "not approved": it meets an approval rule (`matched`, its rules) and is not the version a manager
    approved. The one rule for every format (ADR 0023)."""
    return bool(matched) and approved_version != version


_SELECT_RULES: Final = f"SELECT {_COLUMNS} FROM approval_rules"  # noqa: S608


class ApprovalRuleStore:
    """Reads and writes of approval_rules."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def list(self) -> list[ApprovalRule]:
        """Every rule, oldest first."""
        rows = await self._pool.fetch(_SELECT_RULES + " ORDER BY created_at, id")
        return [ApprovalRule.from_row(row) for row in rows]

    async def get(self, rule_id: uuid.UUID) -> ApprovalRule | None:
        """One rule, or None."""
        row = await self._pool.fetchrow(_SELECT_RULES + " WHERE id = $1", rule_id)
        return ApprovalRule.from_row(row) if row is not None else None

    async def create(self, draft: RuleDraft, created_by: uuid.UUID | None) -> ApprovalRule:
        """Store a new rule."""
        row = await self._pool.fetchrow(
            f"""INSERT INTO approval_rules (id, name, kind, threshold, currency, value, enabled, created_by)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {_COLUMNS}""",  # noqa: S608
            uuid.uuid4(),
            draft.name,
            draft.kind,
            draft.threshold,
            draft.currency,
            draft.value,
            draft.enabled,
            created_by,
        )
        assert row is not None
        return ApprovalRule.from_row(row)

    async def replace(self, rule_id: uuid.UUID, draft: RuleDraft) -> ApprovalRule | None:
        """Replace a rule's fields; None when there is no such rule."""
        row = await self._pool.fetchrow(
            f"""UPDATE approval_rules SET name = $2, kind = $3, threshold = $4, currency = $5, value = $6,
                       enabled = $7, updated_at = now()
                WHERE id = $1 RETURNING {_COLUMNS}""",  # noqa: S608
            rule_id,
            draft.name,
            draft.kind,
            draft.threshold,
            draft.currency,
            draft.value,
            draft.enabled,
        )
        return ApprovalRule.from_row(row) if row is not None else None

    async def delete(self, rule_id: uuid.UUID) -> bool:
        """Delete a rule; False when there was none."""
        status: str = await self._pool.execute("DELETE FROM approval_rules WHERE id = $1", rule_id)
        return status.endswith(" 1")
