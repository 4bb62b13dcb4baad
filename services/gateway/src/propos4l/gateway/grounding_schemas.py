"""What the API shows of a version's grounding (issue #15), and the body of an edit of its effort hours.

Every amount is an exact decimal string, as in the investment view; totals are computed by the gateway, never taken
from the browser.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from propos4l.gateway.decimal_text import DecimalText, decimal_text
from propos4l.gateway.version_grounding import CitedPassage, VersionGrounding
from propos4l.shared.grounding import ClaimFlag, EffortLine, TeamMember
from propos4l.shared.sections import SectionKey

__all__ = [
    "BudgetComparisonView",
    "EffortEdit",
    "EffortEditLine",
    "EffortLineView",
    "EffortView",
    "GroundingFields",
    "SectionSourcesView",
    "SourceView",
    "grounding_fields",
]

EFFORT_LINES_MAX = 200


class SourceView(BaseModel):
    """A library passage a section cites, as it was when the version was drafted."""

    passage_id: uuid.UUID
    kind: str = Field(description="company, service, case_study, or a document's category (past_proposal, ...)")
    title: str
    heading_path: list[str] = Field(description="the headings above the passage in its document, outermost first")
    page: int | None = Field(description="the document's page the passage starts on (1-based), if it has pages")
    snippet: str = Field(description="the start of the passage's text")
    entry_id: uuid.UUID | None = Field(description="the library entry it comes from (GET /api/library/...)")
    document_id: uuid.UUID | None = Field(description="the library document it comes from")

    @classmethod
    def of(cls, passage: CitedPassage) -> SourceView:
        """The view of a cited passage."""
        return cls(
            passage_id=passage.id,
            kind=passage.kind,
            title=passage.title,
            heading_path=list(passage.heading_path),
            page=passage.page,
            snippet=passage.snippet,
            entry_id=passage.entry_id,
            document_id=passage.document_id,
        )


class SectionSourcesView(BaseModel):
    """The passages one section cites."""

    section: SectionKey
    sources: list[SourceView]


class EffortLineView(BaseModel):
    """Hours of one rate-card role in one phase, priced by the gateway or the generator from the rate card."""

    phase: str
    role_id: uuid.UUID
    role_name: str
    hours: DecimalText = Field(examples=["40.00"])
    hourly_rate: DecimalText | None = Field(description="null: the role had no rate (in the proposal's currency)")
    amount: DecimalText | None = Field(description="hours x hourly_rate, rounded half up to cents")
    currency: str | None
    rate_id: uuid.UUID | None = Field(description="the rate-card rate the line was priced with")

    @classmethod
    def of(cls, line: EffortLine) -> EffortLineView:
        """The view of a priced effort line."""
        return cls(
            phase=line.phase,
            role_id=line.role_id,
            role_name=line.role_name,
            hours=decimal_text(line.hours),
            hourly_rate=None if line.hourly_rate is None else decimal_text(line.hourly_rate),
            amount=None if line.amount is None else decimal_text(line.amount),
            currency=line.currency,
            rate_id=line.rate_id,
        )


class EffortView(BaseModel):
    """The proposed effort priced by code, and its total before discount and taxes."""

    lines: list[EffortLineView]
    total: DecimalText = Field(description="sum of the priced lines' amounts (before discount and taxes)")
    currency: str | None = Field(description="the currency of the priced lines; null when no line has a price")
    unpriced_lines: int = Field(description="lines left without a price (no rate, or a rate in another currency)")


class BudgetComparisonView(BaseModel):
    """How the priced total (after the request's discount, before taxes) compares with the request's budget."""

    budget: DecimalText
    total: DecimalText
    currency: str
    verdict: Literal["under", "within", "over"] = Field(
        description="over: above the budget; within: at most 10% below it; under: further below"
    )
    difference_percent: DecimalText = Field(description="(total - budget) / budget in percent; negative below it")


class GroundingFields(BaseModel):
    """A version's sources, team, priced effort, budget comparison and flags (empty before grounded drafting)."""

    search_mode: Literal["hybrid", "full_text", "none"] | None = Field(
        default=None,
        description="how the knowledge library was searched for this version's draft; null: it was not consulted",
    )
    sources: list[SectionSourcesView] = Field(default=[], description="the passages each section cites")
    team: list[TeamMember] = Field(default=[], description="the people proposed, as the roster had them")
    effort: EffortView | None = Field(default=None, description="null when the draft proposed no effort")
    budget_comparison: BudgetComparisonView | None = Field(
        default=None, description="null without a budget in the request, or a budget in another currency"
    )
    flags: list[ClaimFlag] = Field(default=[], description="claims no cited source supports, for review")


def grounding_fields(grounding: VersionGrounding | None, search_mode: str | None) -> GroundingFields:
    """The API's view of a version's grounding."""
    if grounding is None:
        return GroundingFields.model_validate({"search_mode": search_mode})
    cited = {passage.id: passage for passage in grounding.cited_passages}
    sources = [
        SectionSourcesView(
            section=entry.section,
            sources=[SourceView.of(cited[passage]) for passage in entry.passage_ids if passage in cited],
        )
        for entry in grounding.sources
    ]
    effort = None
    if grounding.effort:
        priced = [line for line in grounding.effort if line.amount is not None]
        effort = EffortView(
            lines=[EffortLineView.of(line) for line in grounding.effort],
            total=decimal_text(sum((line.amount for line in priced if line.amount is not None), Decimal("0.00"))),
            currency=next((line.currency for line in priced if line.currency), None),
            unpriced_lines=len(grounding.effort) - len(priced),
        )
    comparison = grounding.budget_comparison
    budget = (
        BudgetComparisonView(
            budget=decimal_text(comparison.budget),
            total=decimal_text(comparison.total),
            currency=comparison.currency,
            verdict=comparison.verdict,
            difference_percent=decimal_text(comparison.difference_percent),
        )
        if comparison is not None
        else None
    )
    return GroundingFields.model_validate(
        {
            "search_mode": search_mode,
            "sources": sources,
            "team": list(grounding.team),
            "effort": effort,
            "budget_comparison": budget,
            "flags": list(grounding.flags),
        }
    )


class EffortEditLine(BaseModel):
    """Hours of one rate-card role in one phase, as a person sets them."""

    model_config = ConfigDict(extra="forbid")

    phase: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300, pattern=r"^[^\x00]*$")]
    role_id: uuid.UUID = Field(description="a role of the rate card recorded with the version")
    hours: Annotated[Decimal, Field(gt=0, le=100_000, max_digits=9, decimal_places=2)]


class EffortEdit(BaseModel):
    """The whole effort of a new version: every line, in order (amounts and totals are computed by the gateway)."""

    model_config = ConfigDict(extra="forbid")

    lines: Annotated[list[EffortEditLine], Field(min_length=1, max_length=EFFORT_LINES_MAX)]
