"""Requirements and request fields as events carry them (issue #16): pydantic records of the rule-based pass.

`propos4l.shared.requirements` and `propos4l.shared.request_fields` find them as plain dataclasses; these records
are what the library service sends the gateway in `proposal.document-read` and the gateway stores.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from propos4l.shared.request_fields import FoundField, RequestFields
from propos4l.shared.requirements import Location, Obligation, Requirement, RequirementKind

__all__ = ["DeadlineRecord", "FieldRecord", "LocationRecord", "RequestFieldsRecord", "RequirementRecord", "records_of"]

QUOTE_MAX = 2_000
_Text = Annotated[str, StringConstraints(max_length=QUOTE_MAX)]
_Short = Annotated[str, StringConstraints(max_length=300)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LocationRecord(_Frozen):
    """Where a quote is: file, page (None for files without pages) and clause ("5.2.1", "5.3 b)")."""

    file: _Short
    page: Annotated[int, Field(ge=1)] | None
    clause: Annotated[str, StringConstraints(max_length=40)] | None

    @classmethod
    def of(cls, location: Location) -> LocationRecord:
        return cls(file=location.file[:300], page=location.page, clause=location.clause)


class RequirementRecord(_Frozen):
    """A requirement found in a client's document, with its exact quote and every place it is found."""

    id: Annotated[str, StringConstraints(pattern=r"^REQ-[0-9A-F]{12}$")]
    quote: Annotated[str, StringConstraints(min_length=1, max_length=QUOTE_MAX)]
    obligation: Obligation
    kind: RequirementKind
    location: LocationRecord
    heading: _Short | None = None
    also_at: tuple[LocationRecord, ...] = ()

    @classmethod
    def of(cls, requirement: Requirement) -> RequirementRecord:
        return cls(
            id=requirement.id,
            quote=requirement.quote,
            obligation=requirement.obligation,
            kind=requirement.kind,
            location=LocationRecord.of(requirement.location),
            heading=requirement.heading[:300] if requirement.heading else None,
            also_at=tuple(LocationRecord.of(location) for location in requirement.also_at[:50]),
        )


class FieldRecord(_Frozen):
    """A request field read from the document, with the sentence it came from."""

    value: _Text
    quote: _Text
    file: _Short
    page: Annotated[int, Field(ge=1)] | None

    @classmethod
    def of(cls, found: FoundField | None) -> FieldRecord | None:
        if found is None:
            return None
        return cls(value=found.value[:QUOTE_MAX], quote=found.quote[:QUOTE_MAX], file=found.file[:300], page=found.page)


class DeadlineRecord(_Frozen):
    """A date the document sets for bidders."""

    kind: Literal["questions", "visit", "submission", "opening"]
    date: date
    quote: _Text
    file: _Short
    page: Annotated[int, Field(ge=1)] | None


class RequestFieldsRecord(_Frozen):
    """What a document states of the request, for a person to confirm; every field may be missing."""

    client: FieldRecord | None = None
    object: FieldRecord | None = None
    budget_ceiling: Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2)] | None = None
    budget_currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] | None = None
    budget_quote: FieldRecord | None = None
    submission_date: date | None = None
    deadlines: tuple[DeadlineRecord, ...] = ()

    @classmethod
    def of(cls, fields: RequestFields) -> RequestFieldsRecord:
        return cls(
            client=FieldRecord.of(fields.client),
            object=FieldRecord.of(fields.object),
            budget_ceiling=fields.budget_ceiling,
            budget_currency=fields.budget_currency,
            budget_quote=FieldRecord.of(fields.budget_quote),
            submission_date=fields.submission_date,
            deadlines=tuple(
                DeadlineRecord(
                    kind=found.kind,
                    date=found.date,
                    quote=found.quote[:QUOTE_MAX],
                    file=found.file[:300],
                    page=found.page,
                )
                for found in fields.deadlines[:20]
            ),
        )


def records_of(requirements: Sequence[Requirement]) -> tuple[RequirementRecord, ...]:
    """The records of found requirements, in reading order."""
    return tuple(RequirementRecord.of(requirement) for requirement in requirements)
