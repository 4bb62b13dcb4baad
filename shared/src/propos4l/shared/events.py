"""Versioned event schemas: what the services tell each other through Redis Streams.

Every event carries its own id, the proposal it concerns (the correlation id), and when it happened. A change that
breaks an event's shape gets a new `schema_version`; consumers refuse versions they do not know.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, ClassVar, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from propos4l.shared.grounding import (
    BudgetComparison,
    ClaimFlag,
    ContextPassage,
    DraftingContext,
    EffortLine,
    SectionSources,
    TeamMember,
)
from propos4l.shared.requirement_records import RequestFieldsRecord, RequirementRecord
from propos4l.shared.requirements import Obligation, RequirementKind
from propos4l.shared.sections import SECTION_KEYS, Language, SectionKey
from propos4l.shared.streams import Stream

__all__ = [
    "EVENT_TYPES",
    "REVIEW_KIND_PREFIX",
    "ComplianceLine",
    "Event",
    "FailureStage",
    "FieldError",
    "GenerationStarted",
    "IntakeRejected",
    "InvestmentItem",
    "LibraryDocumentFailed",
    "LibraryDocumentIndexed",
    "LibraryDocumentUploaded",
    "LibraryEntryChanged",
    "LibraryFailureCode",
    "LifecycleFailure",
    "LifecycleKind",
    "LifecyclePdf",
    "LifecycleReview",
    "LlmUsage",
    "ProposalDocumentFailed",
    "ProposalDocumentProgressed",
    "ProposalDocumentRead",
    "ProposalDocumentUploaded",
    "ProposalDrafted",
    "ProposalEvent",
    "ProposalFailed",
    "ProposalLifecycleChanged",
    "ProposalProgressed",
    "ProposalRendered",
    "ProposalRequest",
    "ProposalRequested",
    "ProposalRequirementsFound",
    "ProposalRequirementsReviewed",
    "RequirementMerge",
    "RequirementRelabel",
    "Section",
    "SectionRegenerationRequested",
    "TemplateAction",
    "TemplateChanged",
    "TimelinePhase",
    "derived_event_id",
]

# Field limits, shared by the HTTP edge (which refuses oversize input with a clear error) and the events.
SHORT_TEXT_MAX: Final = 200
LONG_TEXT_MAX: Final = 20_000
SECTION_CONTENT_MAX: Final = 40_000
# The default of PROPOSAL_MAX_CHARACTERS, the sum of a proposal's sections (gateway and renderer): ten sections at
# SECTION_CONTENT_MAX would hold a render worker for minutes.
PROPOSAL_CONTENT_DEFAULT_MAX: Final = 120_000


def _no_nul(text: str) -> str:
    """Refuse NUL characters: PostgreSQL text cannot hold them, and no person types one."""
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    return text


ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=SHORT_TEXT_MAX), AfterValidator(_no_nul)
]
LongText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=LONG_TEXT_MAX), AfterValidator(_no_nul)
]
OptionalLongText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=LONG_TEXT_MAX), AfterValidator(_no_nul)
]
TemplateName = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


def _now() -> datetime:
    return datetime.now(UTC)


class ProposalRequest(BaseModel):
    """What a user asks for: the client and the work, as typed into the request form."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    client_name: ShortText
    industry: ShortText
    requirements: LongText
    scope: OptionalLongText | None = None
    timeline: OptionalLongText | None = None
    budget: OptionalLongText | None = None
    language: Language = Language.PT_BR
    template: TemplateName = "default"
    discount_percent: Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)] | None = Field(
        default=None, description="discount on the investment's subtotal, in percent (0 to 100, two decimals)"
    )


class Section(BaseModel):
    """One section of a proposal: a stable key, its heading in the proposal's language, Markdown content."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: SectionKey
    title: Annotated[str, StringConstraints(min_length=1, max_length=SHORT_TEXT_MAX)]
    content: Annotated[str, StringConstraints(max_length=SECTION_CONTENT_MAX)]


class InvestmentItem(BaseModel):
    """One line of the investment table; totals are computed by code, never by the model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    quantity: Annotated[Decimal, Field(gt=0, le=1_000_000, max_digits=12, decimal_places=3)]
    unit_price: Annotated[Decimal, Field(ge=0, le=10_000_000_000, max_digits=14, decimal_places=2)]


Deliverable = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class TimelinePhase(BaseModel):
    """One phase of the timeline table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    duration: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    deliverables: tuple[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)], ...
    ] = ()


Assumption = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Origin = Literal["draft", "regenerate", "edit"]


class LlmUsage(BaseModel):
    """What drafting cost, as the model server reported it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt_tokens: int | None = None
    output_tokens: int | None = None
    duration_ms: int | None = None


class FailureStage(StrEnum):
    """Where in the pipeline a proposal failed."""

    GENERATION = "generation"
    RENDERING = "rendering"
    RECORDING = "recording"
    DELIVERY = "delivery"


class Event(BaseModel):
    """Base of every event: identity and time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int] = 1
    stream: ClassVar[Stream]

    event_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    occurred_at: datetime = Field(default_factory=_now)


def _check_sections(sections: tuple[Section, ...]) -> tuple[Section, ...]:
    keys = tuple(section.key for section in sections)
    if keys != SECTION_KEYS:
        raise ValueError(f"sections must be exactly {[k.value for k in SECTION_KEYS]} in order")
    return sections


class ProposalEvent(Event):
    """An event about one version of a proposal; the proposal id is the correlation id."""

    proposal_id: uuid.UUID
    version: Annotated[int, Field(ge=1)]


class ProposalRequested(ProposalEvent):
    """The gateway accepted a request; a draft of `version` is wanted."""

    event_type: ClassVar[str] = "proposal.requested"
    stream: ClassVar[Stream] = Stream.PROPOSAL_REQUESTED

    request: ProposalRequest
    context: DraftingContext | None = Field(
        default=None, description="what the knowledge library gave for this request (None: it was not consulted)"
    )


class GenerationStarted(ProposalEvent):
    """A generator replica began drafting."""

    event_type: ClassVar[str] = "proposal.generation-started"
    stream: ClassVar[Stream] = Stream.GENERATION_STARTED

    provider: str
    model: str


class ComplianceLine(BaseModel):
    """One row of the compliance annex: a client's requirement, where it is, and how the draft answers it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, StringConstraints(pattern=r"^REQ-[0-9A-F]{12}$")]
    quote: Annotated[str, StringConstraints(min_length=1, max_length=2_000)]
    obligation: Obligation
    page: Annotated[int, Field(ge=1)] | None = None
    clause: Annotated[str, StringConstraints(max_length=40)] | None = None
    status: Literal["answered", "partial", "not_answered", "not_applicable"]
    sections: tuple[SectionKey, ...] = ()


class ProposalDrafted(ProposalEvent):
    """The sections of a version are written and validated; they are ready to render."""

    event_type: ClassVar[str] = "proposal.drafted"
    stream: ClassVar[Stream] = Stream.PROPOSAL_DRAFTED

    request: ProposalRequest
    sections: tuple[Section, ...]
    provider: str
    model: str
    ai_generated: bool
    prompt_version: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    usage: LlmUsage = LlmUsage()
    investment_items: tuple[InvestmentItem, ...] = ()
    timeline_phases: tuple[TimelinePhase, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    origin: Origin = "draft"
    edited_section: SectionKey | None = None
    sources: tuple[SectionSources, ...] = Field(default=(), description="the context passages each section cites")
    team: tuple[TeamMember, ...] = Field(default=(), description="people from the roster, as the roster has them")
    effort: tuple[EffortLine, ...] = Field(default=(), description="hours per phase and role, priced by code")
    flags: tuple[ClaimFlag, ...] = Field(default=(), description="claims no cited source supports, for review")
    budget_comparison: BudgetComparison | None = None
    cited_passages: tuple[ContextPassage, ...] = Field(
        default=(), description="the context passages the sections' sources cite, with their text (e.g. for an annex)"
    )
    compliance: Annotated[tuple[ComplianceLine, ...], Field(max_length=200)] = Field(
        default=(),
        description="the client's requirements the draft was written with and how its text answers each (the "
        "automatic check at drafting): the PDF's compliance annex",
    )

    @field_validator("sections")
    @classmethod
    def _every_section_once_in_order(cls, sections: tuple[Section, ...]) -> tuple[Section, ...]:
        return _check_sections(sections)


class ProposalProgressed(ProposalEvent):
    """Drafting is under way: the section being written and its text so far (sent throttled)."""

    event_type: ClassVar[str] = "proposal.progressed"
    stream: ClassVar[Stream] = Stream.PROPOSAL_PROGRESSED

    section: SectionKey | None
    text: Annotated[str, StringConstraints(max_length=SECTION_CONTENT_MAX)]
    completed: tuple[SectionKey, ...] = ()
    characters: Annotated[int, Field(ge=0)]
    notice: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        default=None,
        description="news for the people following the draft, in its language (the model is not answering)",
    )
    retry_in_seconds: Annotated[int, Field(ge=0)] | None = Field(
        default=None, description="with a notice: when the model server is tried again"
    )


class SectionRegenerationRequested(ProposalEvent):
    """A user asked for one section of the proposal to be written again, as a new version."""

    event_type: ClassVar[str] = "section.regeneration-requested"
    stream: ClassVar[Stream] = Stream.SECTION_REGENERATION_REQUESTED

    request: ProposalRequest
    section: SectionKey
    instructions: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2_000)] | None = None
    base_sections: tuple[Section, ...]
    investment_items: tuple[InvestmentItem, ...] = ()
    timeline_phases: tuple[TimelinePhase, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    ai_generated: bool = True
    context: DraftingContext | None = Field(
        default=None, description="what the knowledge library gave, retrieved again with the instructions"
    )
    base_sources: tuple[SectionSources, ...] = ()
    team: tuple[TeamMember, ...] = ()
    effort: tuple[EffortLine, ...] = ()
    base_flags: tuple[ClaimFlag, ...] = Field(
        default=(), description="the flags of the base version, kept for the sections not written again"
    )

    @field_validator("base_sections")
    @classmethod
    def _every_section_once_in_order(cls, sections: tuple[Section, ...]) -> tuple[Section, ...]:
        return _check_sections(sections)


class ProposalRendered(ProposalEvent):
    """A version's PDF is written durably to the PDF storage."""

    event_type: ClassVar[str] = "proposal.rendered"
    stream: ClassVar[Stream] = Stream.PROPOSAL_RENDERED

    pdf_path: Annotated[str, StringConstraints(pattern=r"^[0-9a-f-]{36}/v[0-9]+\.pdf$")]
    pdf_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    pdf_bytes: Annotated[int, Field(ge=1)]
    pages: Annotated[int, Field(ge=1)]
    render_ms: Annotated[int, Field(ge=0)]
    template_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        default=None,
        description="the tree digest of the template folder the PDF was rendered with (absent from older renderers)",
    )


class ProposalFailed(ProposalEvent):
    """A version could not be produced; `detail` says why, for a person to read."""

    event_type: ClassVar[str] = "proposal.failed"
    stream: ClassVar[Stream] = Stream.PROPOSAL_FAILED

    stage: FailureStage
    detail: Annotated[str, StringConstraints(min_length=1, max_length=4_000)]


class TemplateAction(StrEnum):
    """What happened to a template."""

    INSTALLED = "installed"
    UPDATED = "updated"
    DELETED = "deleted"


class TemplateChanged(Event):
    """A template under TEMPLATES_DIR was installed, changed or deleted (the backup agent backs it up)."""

    event_type: ClassVar[str] = "template.changed"
    stream: ClassVar[Stream] = Stream.TEMPLATE_CHANGED

    template: TemplateName
    template_version: Annotated[int, Field(ge=1)]
    action: TemplateAction


class LibraryEntryChanged(Event):
    """A library entry (company profile, service, person, case study) was saved or deleted; its passages changed."""

    event_type: ClassVar[str] = "library.entry-changed"
    stream: ClassVar[Stream] = Stream.LIBRARY_ENTRY_CHANGED

    entry_id: uuid.UUID
    kind: Literal["company", "service", "person", "case_study"]
    deleted: bool = False


class LibraryDocumentUploaded(Event):
    """A file was stored in the library (content-addressed by `sha256`); the library service extracts and indexes it."""

    event_type: ClassVar[str] = "library.document-uploaded"
    stream: ClassVar[Stream] = Stream.LIBRARY_DOCUMENT_UPLOADED

    document_id: uuid.UUID
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    media_type: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    filename: Annotated[str, StringConstraints(min_length=1, max_length=300)]


class LibraryFailureCode(StrEnum):
    """Why a document could not be indexed, as a code the web app words in the reader's language."""

    UNSUPPORTED_TYPE = "unsupported_type"
    ENCRYPTED = "encrypted"
    MALFORMED = "malformed"
    NO_TEXT = "no_text"
    TOO_MANY_PAGES = "too_many_pages"
    TOO_LARGE = "too_large"
    TIMED_OUT = "timed_out"
    OUT_OF_MEMORY = "out_of_memory"
    FILE_MISSING = "file_missing"


class LibraryDocumentIndexed(Event):
    """A document's text was extracted, split into passages and indexed."""

    event_type: ClassVar[str] = "library.document-indexed"
    stream: ClassVar[Stream] = Stream.LIBRARY_DOCUMENT_INDEXED

    document_id: uuid.UUID
    pages: Annotated[int, Field(ge=0)]
    passages: Annotated[int, Field(ge=0)]
    ocr_pages: Annotated[int, Field(ge=0)] = 0


class LibraryDocumentFailed(Event):
    """A document could not be indexed, for a reason a person can act on."""

    event_type: ClassVar[str] = "library.document-failed"
    stream: ClassVar[Stream] = Stream.LIBRARY_DOCUMENT_FAILED

    document_id: uuid.UUID
    code: LibraryFailureCode
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2_000)]


class ProposalDocumentUploaded(ProposalEvent):
    """A client's document (RFP, edital) was attached to a proposal and stored content-addressed under
    LIBRARY_DIR/client-documents; the library service reads it and finds its requirements (issue #16)."""

    event_type: ClassVar[str] = "proposal.document-uploaded"
    stream: ClassVar[Stream] = Stream.PROPOSAL_DOCUMENT_UPLOADED

    document_id: uuid.UUID
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    media_type: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    filename: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    client_name: Annotated[str, StringConstraints(max_length=SHORT_TEXT_MAX)] = Field(
        default="", description="the proposal's client, whose own duties in the document are not requirements"
    )


class ProposalDocumentProgressed(ProposalEvent):
    """A client's document is being read: pages done of the total (sent throttled)."""

    event_type: ClassVar[str] = "proposal.document-progressed"
    stream: ClassVar[Stream] = Stream.PROPOSAL_DOCUMENT_PROGRESSED

    document_id: uuid.UUID
    filename: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    pages_done: Annotated[int, Field(ge=0)]
    pages_total: Annotated[int, Field(ge=0)]


class ProposalDocumentRead(ProposalEvent):
    """A client's document was read: its requirements (rule-based pass, ADR 0020) and the request fields it states."""

    event_type: ClassVar[str] = "proposal.document-read"
    stream: ClassVar[Stream] = Stream.PROPOSAL_DOCUMENT_READ

    document_id: uuid.UUID
    filename: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    pages: Annotated[int, Field(ge=0)]
    ocr_pages: Annotated[int, Field(ge=0)] = 0
    requirements: Annotated[tuple[RequirementRecord, ...], Field(max_length=5_000)]
    fields: RequestFieldsRecord


class ProposalDocumentFailed(ProposalEvent):
    """A client's document could not be read, for a reason a person can act on."""

    event_type: ClassVar[str] = "proposal.document-failed"
    stream: ClassVar[Stream] = Stream.PROPOSAL_DOCUMENT_FAILED

    document_id: uuid.UUID
    code: LibraryFailureCode
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2_000)]


class ProposalRequirementsFound(ProposalEvent):
    """The gateway recorded a read document's requirements: the generator asks the model to classify and merge them
    (issue #16; the rules' labels stay where the model's answer cannot be checked)."""

    event_type: ClassVar[str] = "proposal.requirements-found"
    stream: ClassVar[Stream] = Stream.PROPOSAL_REQUIREMENTS_FOUND

    document_id: uuid.UUID
    filename: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    language: Language
    requirements: Annotated[tuple[RequirementRecord, ...], Field(min_length=1, max_length=5_000)]


class RequirementRelabel(BaseModel):
    """A requirement the model classified otherwise than the rules, its quote checked unchanged."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, StringConstraints(pattern=r"^REQ-[0-9A-F]{12}$")]
    kind: RequirementKind
    obligation: Obligation


class RequirementMerge(BaseModel):
    """A requirement the model found repeating an earlier one (their words checked alike): `merged` joins `kept`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kept: Annotated[str, StringConstraints(pattern=r"^REQ-[0-9A-F]{12}$")]
    merged: Annotated[str, StringConstraints(pattern=r"^REQ-[0-9A-F]{12}$")]


class ProposalRequirementsReviewed(ProposalEvent):
    """The model's pass over a document's requirements: what it relabelled and merged, what it confirmed, what was
    refused; `skipped` says why there was no pass (no model, the model server failing), the rules then stand."""

    event_type: ClassVar[str] = "proposal.requirements-reviewed"
    stream: ClassVar[Stream] = Stream.PROPOSAL_REQUIREMENTS_REVIEWED

    document_id: uuid.UUID
    model: Annotated[str, StringConstraints(max_length=300)]
    relabels: Annotated[tuple[RequirementRelabel, ...], Field(max_length=5_000)] = ()
    merges: Annotated[tuple[RequirementMerge, ...], Field(max_length=5_000)] = ()
    confirmed: Annotated[int, Field(ge=0)] = 0
    ignored: Annotated[int, Field(ge=0)] = 0
    failed_batches: Annotated[int, Field(ge=0)] = 0
    batches: Annotated[int, Field(ge=0)] = 0
    skipped: Annotated[str, StringConstraints(max_length=500)] | None = None


class FieldError(BaseModel):
    """One field's error, in the shape of the HTTP API's 422 `errors`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str = Field(description="the field, dotted (`request.client_name`)")
    message: str
    type: str = Field(description="pydantic's error type (`missing`, `string_too_long`...): a client words it")
    limits: dict[str, int | float | str] | None = None


class IntakeRejected(Event):
    """Public: a message of the intake stream was refused; nothing was created. Read by the producers."""

    event_type: ClassVar[str] = "intake.rejected"
    stream: ClassVar[Stream] = Stream.INTAKE_REJECTED

    intake_message_id: str = Field(description="the refused message's entry id in the intake stream")
    source: str | None = Field(default=None, description="the message's `source`, when it had one")
    idempotency_key: str | None = None
    correlation_id: str | None = Field(default=None, description="the producer's correlation id, when it gave one")
    detail: Annotated[str, StringConstraints(min_length=1, max_length=4_000)]
    errors: tuple[FieldError, ...] = ()


LifecycleKind = Literal[
    "accepted",
    "drafted",
    "ready",
    "failed",
    # A move of the review state (issue #19, ADR 0023): `review.<the state it moved to>`. Added in schema version 1
    # without a bump: new kinds, with `review` set; the four above keep their meaning (`accepted` is the request's,
    # `review.accepted` the client's).
    "review.draft",
    "review.in_review",
    "review.approved",
    "review.sent",
    "review.viewed",
    "review.accepted",
    "review.declined",
    "review.expired",
    "review.withdrawn",
]
REVIEW_KIND_PREFIX: Final = "review."


class LifecyclePdf(BaseModel):
    """The PDF of a ready version: where the API serves it, its digest and its pages."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_path: str = Field(description="GET it from the gateway with an API token")
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    pages: Annotated[int, Field(ge=1)]
    bytes: Annotated[int, Field(ge=1)]


class LifecycleFailure(BaseModel):
    """Where a version failed, and why, for a person to read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: str
    reason: str


class LifecycleReview(BaseModel):
    """A move of a proposal's review state: from where, to where, who made it and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    from_state: str
    to_state: str
    actor: str = Field(description="the person's name, or `system`/`client` for moves the platform makes")
    reason: str | None = None
    transition_id: int = Field(description="the move's id in the proposal's transition history")


class ProposalLifecycleChanged(ProposalEvent):
    """Public: a proposal's version was accepted, drafted, is ready (with its PDF) or failed; or the proposal's
    review state moved (`review.*`, with `review`).

    Versioned and kept compatible (ADR 0018): fields may be added, none removed or changed in meaning; a breaking
    change is a new `schema_version`. Internal events may change shape; this one does not.
    """

    event_type: ClassVar[str] = "proposal.lifecycle"
    stream: ClassVar[Stream] = Stream.PROPOSAL_LIFECYCLE

    kind: LifecycleKind
    api_path: str = Field(description="the proposal in the HTTP API")
    correlation_id: str | None = Field(default=None, description="the producer's, for a proposal that came by intake")
    source: str | None = Field(default=None, description="the producer, for a proposal that came by intake")
    callback: dict[str, str] | None = Field(default=None, description="the producer's metadata, as it sent it")
    pdf: LifecyclePdf | None = Field(default=None, description="with `ready`")
    failure: LifecycleFailure | None = Field(default=None, description="with `failed`")
    review: LifecycleReview | None = Field(default=None, description="with `review.*`")


EVENT_TYPES: Final[dict[str, type[Event]]] = {
    cls.event_type: cls
    for cls in (
        ProposalRequested,
        GenerationStarted,
        ProposalProgressed,
        SectionRegenerationRequested,
        ProposalDrafted,
        ProposalRendered,
        ProposalFailed,
        TemplateChanged,
        LibraryEntryChanged,
        LibraryDocumentUploaded,
        LibraryDocumentIndexed,
        LibraryDocumentFailed,
        ProposalDocumentUploaded,
        ProposalDocumentProgressed,
        ProposalDocumentRead,
        ProposalDocumentFailed,
        ProposalRequirementsFound,
        ProposalRequirementsReviewed,
        IntakeRejected,
        ProposalLifecycleChanged,
    )
}


def derived_event_id(cause: uuid.UUID, event_type: str) -> uuid.UUID:
    """The id of the event that `cause` leads to: the same cause always yields the same id.

    Stateless services derive their output ids this way, so a redelivered input produces a duplicate that the
    consumer's inbox recognises and skips.
    """
    return uuid.uuid5(cause, event_type)
