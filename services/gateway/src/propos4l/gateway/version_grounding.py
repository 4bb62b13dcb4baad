"""What a version's draft made of its context, as the gateway records it (`proposal_versions.grounding`).

The drafted event says which passages each section cites, the team, the effort priced by code, the flags and the
budget comparison. The gateway adds what the API shows later without the library (which may have changed since):
each cited passage as it was (kind, title, headings, page, a snippet, its entry or document), and the rates used
(each priced role's rate id, hourly rate and currency), from which an edit of the hours is priced again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Annotated, Any, Final, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from propos4l.shared.events import ProposalDrafted
from propos4l.shared.grounding import (
    BudgetComparison,
    ClaimFlag,
    ContextPassage,
    DraftingContext,
    EffortLine,
    RateCardLine,
    SectionSources,
    TeamMember,
)
from propos4l.shared.sections import SectionKey

__all__ = ["SNIPPET_MAX", "CitedPassage", "RateUsed", "VersionGrounding", "snippet"]

SNIPPET_MAX: Final = 300


def snippet(text: str, limit: int = SNIPPET_MAX) -> str:
    """The start of `text`, spaces collapsed, cut at a word with an ellipsis when longer than `limit`."""
    plain = " ".join(text.split())
    if len(plain) <= limit:
        return plain
    cut = plain[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,.;:") + "…"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CitedPassage(_Frozen):
    """A cited passage as the context gave it: where it comes from, and the start of its text."""

    id: uuid.UUID
    kind: str
    title: str
    heading_path: tuple[str, ...] = ()
    page: int | None = None
    snippet: Annotated[str, StringConstraints(max_length=SNIPPET_MAX)] = ""
    entry_id: uuid.UUID | None = None
    document_id: uuid.UUID | None = None

    @classmethod
    def of(cls, passage: ContextPassage) -> Self:
        """The record of a context passage."""
        return cls(
            id=passage.id,
            kind=passage.kind,
            title=passage.title,
            heading_path=passage.heading_path,
            page=passage.page,
            snippet=snippet(passage.text),
            entry_id=passage.entry_id,
            document_id=passage.document_id,
        )


class RateUsed(_Frozen):
    """The rate a role's effort was priced with."""

    role_id: uuid.UUID
    role_name: str
    rate_id: uuid.UUID | None
    hourly_rate: Decimal
    currency: str

    def as_rate_card_line(self) -> RateCardLine:
        """The rate as a rate-card line, to price with."""
        return RateCardLine(
            role_id=self.role_id,
            role_name=self.role_name,
            rate_id=self.rate_id,
            hourly_rate=self.hourly_rate,
            currency=self.currency,
        )


class VersionGrounding(_Frozen):
    """Sources, team, priced effort, flags and budget comparison of a version, with what the API needs of them."""

    sources: tuple[SectionSources, ...] = ()
    cited_passages: tuple[CitedPassage, ...] = Field(default=(), description="each cited passage, as it was")
    team: tuple[TeamMember, ...] = ()
    effort: tuple[EffortLine, ...] = ()
    flags: tuple[ClaimFlag, ...] = ()
    budget_comparison: BudgetComparison | None = None
    rates_used: tuple[RateUsed, ...] = ()

    @classmethod
    def of_draft(
        cls, event: ProposalDrafted, context: DraftingContext | None, earlier: VersionGrounding | None
    ) -> VersionGrounding | None:
        """What `event` says, its citations resolved against the version's `context` and, for the sections a
        regeneration kept, the `earlier` version's; None when the draft says nothing grounded (no library)."""
        if not (event.sources or event.team or event.effort or event.flags or event.budget_comparison):
            return None
        known = {passage.id: passage for passage in earlier.cited_passages} if earlier else {}
        known.update({passage.id: CitedPassage.of(passage) for passage in context.passages} if context else {})
        return cls(
            sources=event.sources,
            cited_passages=_cited(event.sources, known),
            team=event.team,
            effort=event.effort,
            flags=event.flags,
            budget_comparison=event.budget_comparison,
            rates_used=rates_used(event.effort),
        )

    @classmethod
    def from_column(cls, value: Any) -> VersionGrounding | None:
        """The grounding stored in a row's jsonb column, or None."""
        return cls.model_validate(value) if value else None

    def to_column(self) -> dict[str, Any]:
        """The grounding as the jsonb column keeps it."""
        return self.model_dump(mode="json")

    def without_section(self, section: SectionKey) -> VersionGrounding:
        """The grounding once a person rewrote `section`: its citations and flags no longer stand for its text."""
        sources = tuple(entry for entry in self.sources if entry.section != section)
        return self.model_copy(
            update={
                "sources": sources,
                "cited_passages": _cited(sources, {passage.id: passage for passage in self.cited_passages}),
                "flags": tuple(flag for flag in self.flags if flag.section != section),
            }
        )

    def drafted_fields(self) -> dict[str, Any]:
        """The fields of a ProposalDrafted event that carry this grounding."""
        return {
            "sources": self.sources,
            "team": self.team,
            "effort": self.effort,
            "flags": self.flags,
            "budget_comparison": self.budget_comparison,
        }


def _cited(sources: Iterable[SectionSources], known: Mapping[uuid.UUID, CitedPassage]) -> tuple[CitedPassage, ...]:
    ids = dict.fromkeys(passage for entry in sources for passage in entry.passage_ids)
    return tuple(known[passage] for passage in ids if passage in known)


def rates_used(effort: Iterable[EffortLine]) -> tuple[RateUsed, ...]:
    """The rate of each role whose effort is priced, once per role, in the order of the effort."""
    used: dict[uuid.UUID, RateUsed] = {}
    for line in effort:
        if line.hourly_rate is not None and line.currency is not None and line.role_id not in used:
            used[line.role_id] = RateUsed(
                role_id=line.role_id,
                role_name=line.role_name,
                rate_id=line.rate_id,
                hourly_rate=line.hourly_rate,
                currency=line.currency,
            )
    return tuple(used.values())
