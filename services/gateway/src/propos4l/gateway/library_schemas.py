"""The knowledge library's entries as the API reads and writes them: company profile, services, people, case studies.

Each kind's own fields are stored in `library_entries.fields` (jsonb) as `fields()` gives them; these models are
what validates them on the way in and shapes them on the way out.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from propos4l.gateway.library_records import EntryRecord
from propos4l.shared.events import OptionalLongText, ShortText
from propos4l.shared.library_text import LibraryLanguage

__all__ = [
    "CaseStudyBody",
    "CaseStudyList",
    "CaseStudyView",
    "CompanyBody",
    "CompanyView",
    "EntryBody",
    "ImportKey",
    "Owner",
    "PersonBody",
    "PersonList",
    "PersonView",
    "Seniority",
    "ServiceBody",
    "ServiceList",
    "ServiceView",
    "StaleItem",
    "StaleList",
    "Tag",
]

Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^\x00]*$")]
Tags = Annotated[list[Tag], Field(max_length=100)]
Owner = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
ImportKey = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00]*$")
]
Seniority = Literal["junior", "mid", "senior", "principal"]

_OWNER = "who keeps it up to date (default: the caller's name)"
_REVIEW_BY = "when it should be reviewed again; after that date it is listed as stale"
_IMPORT_KEY = (
    "a stable key from an import: a POST with a key already used updates that entry instead of adding one (200)"
)


class EntryBody(BaseModel):
    """What every library entry has: who owns it and when to review it."""

    model_config = ConfigDict(extra="forbid")

    owner: Owner | None = Field(default=None, description=_OWNER)
    review_by: date | None = Field(default=None, description=_REVIEW_BY)

    def fields(self) -> dict[str, Any]:
        """The kind's own fields, as stored in `fields`."""
        raise NotImplementedError


class _Stamped(BaseModel):
    """What every stored entry shows besides its own fields."""

    id: uuid.UUID
    owner: str
    review_by: date | None
    import_key: str | None
    created_at: datetime
    updated_at: datetime


class CompanyBody(EntryBody):
    """The company profile in one language."""

    description: OptionalLongText = ""
    positioning: OptionalLongText = Field(default="", description="what sets the company apart")
    certifications: Tags = Field(default_factory=list, description="e.g. 'ISO 27001'")
    partnerships: Tags = Field(default_factory=list, description="e.g. 'AWS Advanced Partner'")
    standard_terms: OptionalLongText = Field(default="", description="payment, validity and other standard terms")

    def fields(self) -> dict[str, Any]:
        """The profile's texts and lists."""
        return self.model_dump(
            mode="json", include={"description", "positioning", "certifications", "partnerships", "standard_terms"}
        )


class CompanyView(_Stamped):
    """The company profile in one language."""

    language: LibraryLanguage
    description: str
    positioning: str
    certifications: list[str]
    partnerships: list[str]
    standard_terms: str

    @classmethod
    def of(cls, record: EntryRecord) -> CompanyView:
        """The view of a stored profile."""
        return cls(**_stamp(record), language=record.language, **record.fields)


class ServiceBody(EntryBody):
    """A service the company offers."""

    name: ShortText
    description: OptionalLongText = ""
    deliverables: Tags = Field(default_factory=list, description="what the client typically receives")
    typical_duration_weeks: Annotated[int, Field(ge=1, le=520)] | None = None
    industries: Tags = Field(default_factory=list)
    technologies: Tags = Field(default_factory=list)
    language: LibraryLanguage = "pt-BR"
    import_key: ImportKey | None = Field(default=None, description=_IMPORT_KEY)

    def title(self) -> str:
        """The service's name."""
        return self.name

    def fields(self) -> dict[str, Any]:
        """Everything but the name, the language and the stamps."""
        return self.model_dump(
            mode="json",
            include={"description", "deliverables", "typical_duration_weeks", "industries", "technologies"},
        )


class ServiceView(_Stamped):
    """A service."""

    name: str
    description: str
    deliverables: list[str]
    typical_duration_weeks: int | None
    industries: list[str]
    technologies: list[str]
    language: LibraryLanguage

    @classmethod
    def of(cls, record: EntryRecord) -> ServiceView:
        """The view of a stored service."""
        return cls(**_stamp(record), name=record.title, language=record.language, **record.fields)


class PersonBody(EntryBody):
    """A person of the team: only what a proposal needs (LGPD)."""

    name: ShortText
    role_id: uuid.UUID | None = Field(default=None, description="a role of the rate card")
    seniority: Seniority | None = None
    bio: OptionalLongText = Field(default="", description="a short professional bio")
    skills: Tags = Field(default_factory=list)
    certifications: Tags = Field(default_factory=list)
    languages: Tags = Field(default_factory=list, description="languages the person works in, e.g. 'English'")
    active: bool = Field(default=True, description="false for someone who left or is unavailable")
    language: LibraryLanguage = Field(default="pt-BR", description="the language the bio is written in")
    import_key: ImportKey | None = Field(default=None, description=_IMPORT_KEY)

    def title(self) -> str:
        """The person's name."""
        return self.name

    def fields(self) -> dict[str, Any]:
        """Seniority, bio and lists (role and active have columns of their own)."""
        return self.model_dump(mode="json", include={"seniority", "bio", "skills", "certifications", "languages"})


class PersonView(_Stamped):
    """A person of the team."""

    name: str
    role_id: uuid.UUID | None
    role_name: str | None = Field(description="the role's name in the rate card")
    seniority: Seniority | None
    bio: str
    skills: list[str]
    certifications: list[str]
    languages: list[str]
    active: bool
    language: LibraryLanguage

    @classmethod
    def of(cls, record: EntryRecord) -> PersonView:
        """The view of a stored person."""
        return cls(
            **_stamp(record),
            name=record.title,
            role_id=record.role_id,
            role_name=record.role_name,
            active=record.active,
            language=record.language,
            **record.fields,
        )


class CaseStudyBody(EntryBody):
    """A piece of work done for a client, told so that a proposal may cite it."""

    client: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200, pattern=r"^[^\x00]*$")] = Field(
        default="", description="the client's name; never searchable when anonymised or not may_be_named"
    )
    anonymised: bool = Field(default=False, description="told without the client's name")
    may_be_named: bool = Field(default=False, description="the client agreed to be named in proposals")
    industry: ShortText
    problem: OptionalLongText = ""
    solution: OptionalLongText = ""
    results: OptionalLongText = ""
    year: Annotated[int, Field(ge=1950, le=2100)] | None = None
    technologies: Tags = Field(default_factory=list)
    language: LibraryLanguage = "pt-BR"
    import_key: ImportKey | None = Field(default=None, description=_IMPORT_KEY)

    def named(self) -> bool:
        """Whether the client's name may be shown and searched."""
        return self.may_be_named and not self.anonymised and bool(self.client)

    def title(self) -> str:
        """The client (or the words for an anonymised one), the industry and the year."""
        return case_study_title(self.fields(), self.language)

    def fields(self) -> dict[str, Any]:
        """Everything but the language and the stamps."""
        return self.model_dump(
            mode="json",
            include={
                "client",
                "anonymised",
                "may_be_named",
                "industry",
                "problem",
                "solution",
                "results",
                "year",
                "technologies",
            },
        )


class CaseStudyView(_Stamped):
    """A case study."""

    title: str = Field(description="as lists and search show it: without the client's name unless it may be named")
    client: str
    anonymised: bool
    may_be_named: bool
    industry: str
    problem: str
    solution: str
    results: str
    year: int | None
    technologies: list[str]
    language: LibraryLanguage

    @classmethod
    def of(cls, record: EntryRecord) -> CaseStudyView:
        """The view of a stored case study."""
        return cls(**_stamp(record), title=record.title, language=record.language, **record.fields)


_ANONYMOUS_CLIENT = {"pt-BR": "cliente anonimizado", "en": "anonymised client"}


def client_label(fields: dict[str, Any], language: str) -> str:
    """The client as search and lists may show it: its name, or the words for an anonymised client."""
    named = fields.get("may_be_named") and not fields.get("anonymised") and fields.get("client")
    return str(fields["client"]) if named else _ANONYMOUS_CLIENT[language]


def case_study_title(fields: dict[str, Any], language: str) -> str:
    """'<client> · <industry> (<year>)', the client hidden unless it may be named."""
    year = f" ({fields['year']})" if fields.get("year") else ""
    return f"{client_label(fields, language)} · {fields['industry']}{year}"[:300]


class ServiceList(BaseModel):
    """A page of services."""

    items: list[ServiceView]
    next_cursor: str | None = Field(description="pass as `after` (with the same filters) for the next page")


class PersonList(BaseModel):
    """A page of people."""

    items: list[PersonView]
    next_cursor: str | None = Field(description="pass as `after` (with the same filters) for the next page")


class CaseStudyList(BaseModel):
    """A page of case studies."""

    items: list[CaseStudyView]
    next_cursor: str | None = Field(description="pass as `after` (with the same filters) for the next page")


class StaleItem(BaseModel):
    """An entry, role or document whose review date has passed."""

    kind: Literal["company", "service", "person", "case_study", "role", "document"]
    id: uuid.UUID
    title: str
    owner: str
    review_by: date


class StaleList(BaseModel):
    """What is due for review, oldest review date first."""

    items: list[StaleItem]


def _stamp(record: EntryRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "owner": record.owner,
        "review_by": record.review_by,
        "import_key": record.import_key,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
    }
