"""The HTTP shapes of review (issue #19): transitions, comment threads and approval rules."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from propos4l.gateway.approval_rules import MatchedRule
from propos4l.shared.review import REASON_MAX, ReviewState

__all__ = [
    "ApprovalRuleBody",
    "ApprovalRuleList",
    "ApprovalRuleView",
    "CommentBody",
    "CommentView",
    "MatchedRuleView",
    "ReviewView",
    "ThreadBody",
    "ThreadChange",
    "ThreadList",
    "ThreadView",
    "TransitionBody",
    "TransitionView",
]

COMMENT_MAX = 10_000
_NO_NUL = r"^[^\x00]*$"
RuleKindField = Literal["discount_above", "total_above", "template", "industry"]


class MatchedRuleView(BaseModel):
    """An approval rule a proposal meets, and why."""

    rule_id: uuid.UUID
    name: str
    kind: RuleKindField
    reason: str = Field(examples=["discount 20% is above 15%"], description="in English, for a person")
    threshold: str | None = Field(default=None, description="the rule's threshold (exact decimal text)")
    value: str | None = Field(default=None, description="the rule's template or industry")
    actual: str | None = Field(default=None, description="the proposal's discount (%) or total (exact decimal text)")
    currency: str | None = Field(default=None, description="the total's currency, with total_above")

    @classmethod
    def of(cls, rule: MatchedRule) -> MatchedRuleView:
        """The view of a matched rule."""
        return cls(
            rule_id=rule.rule_id,
            name=rule.name,
            kind=rule.kind,
            reason=rule.reason,
            threshold=None if rule.threshold is None else format(rule.threshold, "f"),
            value=rule.value,
            actual=None if rule.actual is None else format(rule.actual, "f"),
            currency=rule.currency,
        )


class TransitionBody(BaseModel):
    """A move of the review state made by a person. Sending, and the client's answers, have their own routes."""

    model_config = ConfigDict(extra="forbid")

    to: Literal["draft", "in_review", "approved", "withdrawn"] = Field(
        description="in_review: submit; draft: request changes (or take back); approved: approve; withdrawn"
    )
    reason: Annotated[str, StringConstraints(max_length=REASON_MAX, pattern=_NO_NUL)] | None = None
    override: bool = Field(
        default=False, description="approve over open comment threads (managers; needs a reason, recorded)"
    )


class TransitionView(BaseModel):
    """One recorded move of the review state."""

    id: int
    from_state: ReviewState
    to_state: ReviewState
    version: int
    actor_user_id: uuid.UUID | None
    actor: str = Field(description="the person's name, or system/client")
    reason: str | None
    override: bool = Field(description="an approval given over open comment threads")
    at: datetime


class ReviewView(BaseModel):
    """Where a proposal stands in review: its state, what the caller may do next, what approval it needs."""

    proposal_id: uuid.UUID
    state: ReviewState
    version: int = Field(description="the current version")
    approved_version: int | None
    sent_version: int | None
    approval_required: bool = Field(description="an approval rule matches the current version")
    approval_rules: list[MatchedRuleView]
    open_threads: int
    next_states: list[ReviewState] = Field(
        description="the moves the caller's role allows from here (guards such as open threads aside)"
    )
    transitions: list[TransitionView] = Field(description="the history, oldest first")


class CommentBody(BaseModel):
    """A comment: Markdown-free text; `@name@example.com` or `@[Display Name]` mentions a user."""

    model_config = ConfigDict(extra="forbid")

    body: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=COMMENT_MAX, pattern=_NO_NUL)
    ]
    mention_user_ids: Annotated[list[uuid.UUID], Field(max_length=50)] = Field(
        default_factory=list, description="users to mention besides those named in the body"
    )


class ThreadBody(CommentBody):
    """A new thread with its first comment, on a section, a requirement of the compliance matrix or the proposal."""

    anchor_kind: Literal["proposal", "section", "requirement"] = "proposal"
    anchor: Annotated[str, StringConstraints(max_length=200, pattern=_NO_NUL)] = Field(
        default="", description="the section key or the requirement id (REQ-...); empty for the proposal"
    )

    @model_validator(mode="after")
    def _anchor_matches_kind(self) -> ThreadBody:
        if (self.anchor_kind == "proposal") != (self.anchor == ""):
            raise ValueError("anchor: give a section key or requirement id, or none for the proposal as a whole")
        return self


class ThreadChange(BaseModel):
    """Resolve or reopen a thread."""

    model_config = ConfigDict(extra="forbid")

    resolved: bool


class MentionView(BaseModel):
    """A user a comment mentions."""

    user_id: uuid.UUID
    display_name: str | None


class CommentView(BaseModel):
    """One comment of a thread."""

    id: uuid.UUID
    author_user_id: uuid.UUID | None
    author: str
    body: str
    mentions: list[MentionView]
    created_at: datetime


class ThreadView(BaseModel):
    """A comment thread and its comments, oldest first."""

    id: uuid.UUID
    anchor_kind: Literal["proposal", "section", "requirement"]
    anchor: str
    version: int = Field(description="the version it was opened on")
    resolved: bool
    resolved_by: uuid.UUID | None
    resolved_at: datetime | None
    created_by: uuid.UUID | None
    created_at: datetime
    comments: list[CommentView]


class ThreadList(BaseModel):
    """A proposal's comment threads, oldest first."""

    items: list[ThreadView]
    open: int


class ApprovalRuleBody(BaseModel):
    """An approval rule: `threshold` for discount_above (percent) and total_above (with an optional `currency`),
    `value` for template and industry."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=_NO_NUL)]
    kind: RuleKindField
    threshold: Annotated[Decimal, Field(ge=0, le=Decimal("9999999999999999.99"), decimal_places=2)] | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    value: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=_NO_NUL)] | None
    ) = None
    enabled: bool = True

    @model_validator(mode="after")
    def _fields_match_kind(self) -> ApprovalRuleBody:
        numeric = self.kind in ("discount_above", "total_above")
        if numeric and self.threshold is None:
            raise ValueError(f"threshold: a {self.kind} rule needs a threshold")
        if not numeric and self.value is None:
            raise ValueError(f"value: a {self.kind} rule needs a value")
        if numeric and self.value is not None:
            raise ValueError(f"value: a {self.kind} rule takes a threshold, not a value")
        if not numeric and self.threshold is not None:
            raise ValueError(f"threshold: a {self.kind} rule takes a value, not a threshold")
        if self.currency is not None and self.kind != "total_above":
            raise ValueError("currency: only a total_above rule has a currency")
        if self.kind == "discount_above" and self.threshold is not None and self.threshold > 100:
            raise ValueError("threshold: a discount is at most 100 percent")
        return self


class ApprovalRuleView(BaseModel):
    """An approval rule as stored."""

    id: uuid.UUID
    name: str
    kind: RuleKindField
    threshold: str | None = Field(description="exact decimal text")
    currency: str | None
    value: str | None
    enabled: bool
    created_at: datetime
    updated_at: datetime


class ApprovalRuleList(BaseModel):
    """Every approval rule."""

    items: list[ApprovalRuleView]
