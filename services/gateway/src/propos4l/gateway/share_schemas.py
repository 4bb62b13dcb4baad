"""Request and response shapes of sending a proposal and of its public share page."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from propos4l.gateway.schemas import InvestmentView
from propos4l.shared.events import Section

__all__ = [
    "AcceptRequest",
    "AnswerView",
    "DeclineRequest",
    "PublicBrand",
    "PublicProposal",
    "SendRequest",
    "SentLink",
    "ShareLinkList",
    "ShareLinkView",
    "TimeOnPage",
    "ViewsView",
]

_Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
_Email = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
]
_Role = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
_Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]


class SendRequest(BaseModel):
    """How to send: the link's lifetime, and an optional access code the consultancy gives the client itself."""

    model_config = ConfigDict(extra="forbid")

    expires_in_days: Annotated[int, Field(ge=1, le=365)] | None = Field(
        default=None, description="how long the link works (default SHARE_LINK_DAYS)"
    )
    access_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=64)] | None = Field(
        default=None, description="a code the client must type to open the page (stored hashed)", repr=False
    )


class ViewsView(BaseModel):
    """How a link was read."""

    first_opened_at: datetime | None
    last_opened_at: datetime | None
    opens: int
    seconds_on_page: int
    downloads: int


class ShareLinkView(BaseModel):
    """A share link, without its token."""

    id: uuid.UUID
    version: int
    state: Literal["active", "expired", "revoked"]
    has_access_code: bool
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    views: ViewsView


class SentLink(BaseModel):
    """A link just made: its token and URL are shown this once."""

    link: ShareLinkView
    token: str
    url: str = Field(description="the public page, for the client (WEB_APP_URL/share#<token>)")


class AnswerView(BaseModel):
    """The client's answer."""

    decision: Literal["accepted", "declined"]
    version: int
    name: str
    email: str
    role: str | None
    note: str | None
    reason: str | None
    answered_at: datetime
    address: str | None = Field(default=None, description="for the consultancy only; not on the public page")
    accepted_pdf_sha256: str | None
    final_pdf_available: bool
    signature_level: Literal["B-B", "B-T"] | None = Field(description="null: the final PDF is not digitally signed")
    final_pdf_problem: str | None = None


class ShareLinkList(BaseModel):
    """A proposal's links (newest first) and the client's answer."""

    links: list[ShareLinkView]
    answer: AnswerView | None


class PublicBrand(BaseModel):
    """The consultancy's brand, from the proposal's template."""

    company_name: str
    primary: str
    accent: str
    text: str
    muted: str
    email: str | None = None
    phone: str | None = None
    website: str | None = None


class PublicProposal(BaseModel):
    """A sent version as the client's page shows it."""

    language: Literal["pt-BR", "en"]
    client_name: str
    version: int
    sections: list[Section]
    investment: InvestmentView | None
    brand: PublicBrand | None
    expires_at: datetime
    visit_id: uuid.UUID = Field(description="the beacon reports this visit's time on page")
    answer: AnswerView | None
    signing_configured: bool = Field(description="whether an acceptance gets a digitally signed PDF")
    state: str = Field(description="the proposal's review state (sent, viewed, accepted, declined, expired, withdrawn)")


class AcceptRequest(BaseModel):
    """Who accepts."""

    model_config = ConfigDict(extra="forbid")

    name: _Name
    email: _Email
    role: _Role | None = None
    note: _Note | None = None


class DeclineRequest(BaseModel):
    """Who declines, and why."""

    model_config = ConfigDict(extra="forbid")

    name: _Name
    email: _Email
    role: _Role | None = None
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class TimeOnPage(BaseModel):
    """The beacon: seconds the page has been visible in this visit so far."""

    model_config = ConfigDict(extra="forbid")

    seconds: Annotated[int, Field(ge=0, le=7 * 24 * 3600)]
