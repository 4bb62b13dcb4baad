"""The HTTP API's response shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from propos4l.shared.events import Section

__all__ = ["FailureView", "ProposalList", "ProposalSummary", "ProposalView", "Status"]

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
    """A proposal with its request and the sections of its current version."""

    requirements: str
    scope: str | None = None
    timeline: str | None = None
    budget: str | None = None
    sections: list[Section] = []
    draft: DraftInfo | None = None
    pages: int | None = None


class ProposalList(BaseModel):
    """One page of proposals."""

    items: list[ProposalSummary]
    total: int
    page: int
    page_size: int
