"""The HTTP API's response shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from propos4l.gateway.decimal_text import DecimalText
from propos4l.gateway.grounding_schemas import GroundingFields
from propos4l.gateway.review_schemas import MatchedRuleView
from propos4l.gateway.template_pricing import PricingSource
from propos4l.shared.events import (
    LONG_TEXT_MAX,
    SECTION_CONTENT_MAX,
    SHORT_TEXT_MAX,
    InvestmentItem,
    Section,
    TemplateName,
    TimelinePhase,
)
from propos4l.shared.review import ReviewState
from propos4l.shared.sections import Language

__all__ = [
    "DraftInfo",
    "FailureView",
    "InvestmentLineView",
    "InvestmentView",
    "ProposalList",
    "ProposalStart",
    "ProposalSummary",
    "ProposalView",
    "SectionEdit",
    "SectionRegeneration",
    "Status",
    "TaxView",
    "VersionList",
    "VersionView",
]

Status = Literal["awaiting_confirmation", "queued", "generating", "rendering", "ready", "failed"]
"""`awaiting_confirmation`: started from the client's documents, not yet a request (issue #16)."""


class FailureView(BaseModel):
    """Why a proposal failed."""

    stage: str
    detail: str


class DraftInfo(BaseModel):
    """How the current version was drafted."""

    provider: str
    model: str
    ai_generated: bool
    prompt_version: str | None = None
    prompt_tokens: int | None = None
    output_tokens: int | None = None
    duration_ms: int | None = None


class OwnerView(BaseModel):
    """A proposal's owner."""

    id: uuid.UUID
    display_name: str


class ProposalSummary(BaseModel):
    """A proposal as the list shows it."""

    id: uuid.UUID
    status: Status
    version: int
    client_name: str
    industry: str
    language: str
    template: str
    created_at: datetime
    updated_at: datetime
    error: FailureView | None = None
    pdf_url: str | None = None
    owner: OwnerView | None = Field(default=None, description="who created it (the system user for older ones)")
    review_state: ReviewState = Field(
        default=ReviewState.DRAFT, description="where it stands in review and with the client (ADR 0023)"
    )


class InvestmentLineView(BaseModel):
    """One priced line of the investment table."""

    description: str
    quantity: DecimalText = Field(examples=["3"])
    unit_price: DecimalText = Field(examples=["1500.00"])
    amount: DecimalText = Field(description="quantity x unit_price, rounded half up to cents", examples=["4500.00"])


class TaxView(BaseModel):
    """One tax of the template, charged on the discounted subtotal (`net`)."""

    label: str = Field(examples=["ISS"])
    rate: DecimalText = Field(description="rate in percent", examples=["5"])
    amount: DecimalText = Field(description="net x rate / 100, rounded half up to cents", examples=["247.50"])


class InvestmentView(BaseModel):
    """The investment table as the PDF prints it, computed by the same code: every number an exact decimal string."""

    currency: str = Field(description="ISO 4217 code, from the template's manifest (`pricing.currency`)")
    lines: list[InvestmentLineView]
    subtotal: DecimalText = Field(description="sum of the lines' amounts")
    discount_percent: DecimalText | None = Field(
        default=None, description="the request's discount on the subtotal, in percent; null without one"
    )
    discount: DecimalText = Field(description='subtotal x discount_percent / 100, rounded half up to cents ("0.00")')
    net: DecimalText = Field(description="subtotal - discount: the base the taxes apply to")
    taxes: list[TaxView] = Field(description="the template's taxes (`pricing.taxes`), each on `net`")
    total: DecimalText = Field(description="net + every tax")
    pricing_source: PricingSource = Field(
        description="where currency and taxes came from: the proposal's template; the default template, when the "
        "proposal's can no longer be read (deleted); or the built-in BRL without taxes, when neither can"
    )
    note: str | None = Field(default=None, description="why the pricing is not the proposal's template's, when not")


_NO_NUL = r"^[^\x00]*$"
_StartText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=SHORT_TEXT_MAX, pattern=_NO_NUL)]
_StartLongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=LONG_TEXT_MAX, pattern=_NO_NUL)]


class ProposalStart(BaseModel):
    """A proposal started from the client's documents: what is known before they are read, all of it optional
    but the language and template; the request is confirmed later (`POST /api/proposals/{id}/confirm`)."""

    model_config = ConfigDict(extra="forbid")

    client_name: _StartText = ""
    industry: _StartText = ""
    requirements: _StartLongText = ""
    scope: _StartLongText | None = None
    timeline: _StartLongText | None = None
    budget: _StartLongText | None = None
    language: Language = Language.PT_BR
    template: TemplateName = "default"


class ProposalView(ProposalSummary, GroundingFields):
    """A proposal with its request and the content of its current version (or of the version asked for), with what
    its draft stands on: sources per section, team, priced effort, budget comparison, flags."""

    requirements: str
    scope: str | None = None
    timeline: str | None = None
    budget: str | None = None
    discount_percent: Decimal | None = Field(default=None, description="discount on the investment's subtotal (%)")
    sections: list[Section] = []
    investment_items: list[InvestmentItem] = []
    investment: InvestmentView | None = Field(
        default=None,
        description="the investment items priced as the PDF prices them: amounts, subtotal, discount, taxes and "
        "total in the template's currency; null when the version has no investment items",
    )
    timeline_phases: list[TimelinePhase] = []
    assumptions: list[str] = []
    draft: DraftInfo | None = None
    pages: int | None = None
    pdf_version: int | None = Field(default=None, description="the version the pdf_url serves (the latest rendered)")
    trace_id: str | None = Field(
        default=None, description="the trace of the request that created the proposal (null when it was not traced)"
    )
    trace_url: str | None = Field(
        default=None, description="that trace in the tracing UI (TRACING_UI_URL); null without either"
    )
    collaborators: list[uuid.UUID] = Field(
        default_factory=list, description="users who may edit it besides its owner (and managers)"
    )
    approved_version: int | None = Field(default=None, description="the version a manager approved, if any")
    sent_version: int | None = Field(default=None, description="the version sent to the client, if any")
    approval_required: bool | None = Field(
        default=None,
        description="whether an approval rule matches the current version (a manager must approve it before it is "
        "sent); null in the answers to changes, which do not evaluate the rules",
    )
    approval_rules: list[MatchedRuleView] = Field(
        default_factory=list, description="the approval rules it matches, and why"
    )
    open_threads: int | None = Field(default=None, description="comment threads still open (null: not counted)")
    watermark: str | None = Field(
        default=None,
        description='the "not approved" words ("RASCUNHO - NÃO APROVADO", "DRAFT - NOT APPROVED") the current '
        "version's PDF and exports carry, which a view of it shows too: it meets an approval rule and is not the "
        "approved version; null when it needs none (or in the answers to changes, which do not evaluate the rules)",
    )
    from_documents: bool = Field(
        default=False,
        description="started from the client's documents: its PDF has the compliance matrix as an annex by default",
    )


class VersionView(BaseModel):
    """One version of a proposal: how it was made, and its PDF when rendered."""

    version: int
    origin: Literal["draft", "regenerate", "edit"]
    section_key: str | None = None
    instructions: str | None = None
    created_at: datetime
    drafted_at: datetime | None = None
    rendered_at: datetime | None = None
    draft: DraftInfo | None = None
    pages: int | None = None
    pdf_url: str | None = None


class VersionList(BaseModel):
    """Every version of a proposal, oldest first."""

    items: list[VersionView]


class SectionEdit(BaseModel):
    """New content for a section, written by a person (Markdown)."""

    model_config = ConfigDict(extra="forbid")

    content: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=SECTION_CONTENT_MAX)]


class SectionRegeneration(BaseModel):
    """How the model should rewrite the section ("shorter", "stress security"); optional."""

    model_config = ConfigDict(extra="forbid")

    instructions: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2_000)] | None = None


class ProposalList(BaseModel):
    """One page of proposals."""

    items: list[ProposalSummary]
    total: int = Field(description="how many proposals match, counted up to PROPOSAL_LIST_COUNT_LIMIT")
    total_exact: bool = Field(description="false when more than `total` match (the count stopped at its limit)")
    page: int
    page_size: int
    next_cursor: str | None = Field(
        description="pass as `cursor` (with the same filters) for the next page; null on the last page"
    )
