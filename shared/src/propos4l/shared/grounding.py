"""What a grounded draft stands on and what it says about its sources, team and effort (issue #15).

The gateway retrieves a `DraftingContext` for each request (passages with stable ids, the active roster,
the rate card in force); the generator shows the model only that context, constrains the ids it may cite or pick
by the JSON schema, and prices the effort the model proposes with code (`Decimal`), never taking a price from it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from propos4l.shared.sections import SectionKey

__all__ = [
    "REQUIREMENTS_MAX",
    "SECTION_REQUIREMENTS_MAX",
    "BudgetComparison",
    "ClaimFlag",
    "ContextPassage",
    "ContextRequirement",
    "DraftingContext",
    "EffortLine",
    "RateCardLine",
    "RequirementAssessment",
    "RosterPerson",
    "SectionSources",
    "TeamMember",
]

PASSAGE_TEXT_MAX = 4_000
_Name = Annotated[str, StringConstraints(min_length=1, max_length=300)]
_Text = Annotated[str, StringConstraints(max_length=PASSAGE_TEXT_MAX)]
_Short = Annotated[str, StringConstraints(max_length=300)]
Money = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2)]
Hours = Annotated[Decimal, Field(gt=0, le=100_000, max_digits=9, decimal_places=2)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ContextPassage(_Frozen):
    """A library passage shown to the model, which may cite it by `id`."""

    id: uuid.UUID
    kind: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    title: _Name
    heading_path: tuple[_Short, ...] = ()
    page: int | None = None
    text: _Text
    entry_id: uuid.UUID | None = None
    document_id: uuid.UUID | None = None


class RosterPerson(_Frozen):
    """An active person of the consultancy, whom the model may pick by `id`."""

    id: uuid.UUID
    name: _Name
    role_id: uuid.UUID
    role_name: _Name
    seniority: Annotated[str, StringConstraints(max_length=50)]
    bio: Annotated[str, StringConstraints(max_length=PASSAGE_TEXT_MAX)] = ""
    skills: tuple[_Short, ...] = ()
    certifications: tuple[_Short, ...] = ()
    languages: tuple[_Short, ...] = ()


class RateCardLine(_Frozen):
    """A rate-card role and the hourly rate in force when the context was taken (None: no rate yet)."""

    role_id: uuid.UUID
    role_name: _Name
    rate_id: uuid.UUID | None = None
    hourly_rate: Money | None = None
    currency: Currency | None = None
    valid_from: date | None = None


class ContextRequirement(_Frozen):
    """A requirement of the client's document the section being written should answer (issue #16): its exact
    quote, shown to the model as data, never as an instruction."""

    id: Annotated[str, StringConstraints(pattern=r"^REQ-[0-9A-F]{12}$")]
    quote: Annotated[str, StringConstraints(min_length=1, max_length=2_000)]
    obligation: Literal["mandatory", "desirable"]
    kind: Literal["functional", "technical", "qualification", "commercial", "deadline"]
    page: Annotated[int, Field(ge=1)] | None = None
    clause: Annotated[str, StringConstraints(max_length=40)] | None = None
    sections: tuple[SectionKey, ...] = Field(
        default=(),
        description="the sections of a first draft that answer it (each section's call is shown its own); empty in "
        "a regeneration's context, whose requirements are all the regenerated section's",
    )
    assessment: RequirementAssessment | None = Field(
        default=None, description="a person's status when the version was asked for; null: the check decides"
    )

    @property
    def to_answer(self) -> bool:
        """Whether the draft should answer it: not when a person marked it not applicable."""
        return self.assessment is None or self.assessment.status != "not_applicable"


class RequirementAssessment(_Frozen):
    """A person's status of a requirement when a version was asked for: the compliance annex shows it as it is
    (the automatic check decides only the requirements no person assessed)."""

    status: Literal["answered", "partial", "not_answered", "not_applicable"]
    sections: tuple[SectionKey, ...] = ()


REQUIREMENTS_MAX = 200
"""The most requirements a context carries (mandatory first); each section's call is shown at most
`SECTION_REQUIREMENTS_MAX` of them."""
SECTION_REQUIREMENTS_MAX = 40


class DraftingContext(_Frozen):
    """Everything a grounded draft may use besides the request: retrieved once, recorded with the version."""

    passages: tuple[ContextPassage, ...] = ()
    roster: tuple[RosterPerson, ...] = ()
    rate_card: tuple[RateCardLine, ...] = ()
    requirements: Annotated[tuple[ContextRequirement, ...], Field(max_length=REQUIREMENTS_MAX)] = Field(
        default=(),
        description="the client's requirements: in a first draft each with the sections it is mapped to; in a "
        "regeneration those mapped to the section being written; those a person marked not applicable are here for "
        "the compliance annex only (`requirements_to_answer`)",
    )
    search_mode: Literal["hybrid", "full_text", "none"] = "none"
    retrieved_at: datetime | None = None

    @property
    def requirements_to_answer(self) -> tuple[ContextRequirement, ...]:
        """The requirements a draft is shown: all but those a person marked not applicable."""
        return tuple(requirement for requirement in self.requirements if requirement.to_answer)

    @property
    def empty(self) -> bool:
        """Whether there is nothing at all to stand on (no passage, no person, no role, no client requirement)."""
        return not (self.passages or self.roster or self.rate_card or self.requirements)


class SectionSources(_Frozen):
    """The passages a section says it used: only ids of the context's passages."""

    section: SectionKey
    passage_ids: tuple[uuid.UUID, ...] = ()


class TeamMember(_Frozen):
    """A person on the proposed team: name, role and bio copied from the roster by code, never from the model."""

    person_id: uuid.UUID
    name: _Name
    role_id: uuid.UUID
    role_name: _Name
    seniority: Annotated[str, StringConstraints(max_length=50)] = ""
    bio: Annotated[str, StringConstraints(max_length=PASSAGE_TEXT_MAX)] = ""
    project_role: Annotated[str, StringConstraints(max_length=300)] = Field(
        default="", description="what the person does in this project, in the model's words"
    )


class EffortLine(_Frozen):
    """Hours of one rate-card role in one phase; priced by code from the rate card in force (None: no rate)."""

    phase: _Name
    role_id: uuid.UUID
    role_name: _Name
    hours: Hours
    hourly_rate: Money | None = None
    currency: Currency | None = None
    rate_id: uuid.UUID | None = None
    amount: Money | None = None


class ClaimFlag(_Frozen):
    """A sentence that claims something (experience, a certification, a number) no cited source supports.

    `rate_in_other_currency`: a role's rate is in another currency than the rest of the rate card, so its effort
    line was left unpriced (`text` names the role and the currency) and a person must price it.
    """

    section: SectionKey
    text: Annotated[str, StringConstraints(min_length=1, max_length=1_000)]
    reason: Literal["no_source", "number_without_source", "certification_without_source", "rate_in_other_currency"]


class BudgetComparison(_Frozen):
    """How the priced total compares with the budget the request states."""

    budget: Money
    total: Money
    currency: Currency
    verdict: Literal["under", "within", "over"]
    difference_percent: Annotated[Decimal, Field(max_digits=9, decimal_places=2)]
