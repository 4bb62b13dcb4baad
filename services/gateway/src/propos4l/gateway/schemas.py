"""The HTTP API's response shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from propos4l.shared.events import SECTION_CONTENT_MAX, InvestmentItem, Section, TimelinePhase

__all__ = [
    "DraftInfo",
    "FailureView",
    "ProposalList",
    "ProposalSummary",
    "ProposalView",
    "SectionEdit",
    "SectionRegeneration",
    "Status",
    "VersionList",
    "VersionView",
]

Status = Literal["queued", "generating", "rendering", "ready", "failed"]


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


class ProposalView(ProposalSummary):
    """A proposal with its request and the content of its current version."""

    requirements: str
    scope: str | None = None
    timeline: str | None = None
    budget: str | None = None
    discount_percent: Decimal | None = Field(default=None, description="discount on the investment's subtotal (%)")
    sections: list[Section] = []
    investment_items: list[InvestmentItem] = []
    timeline_phases: list[TimelinePhase] = []
    assumptions: list[str] = []
    draft: DraftInfo | None = None
    pages: int | None = None
    pdf_version: int | None = Field(default=None, description="the version the pdf_url serves (the latest rendered)")


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
    total: int
    page: int
    page_size: int
