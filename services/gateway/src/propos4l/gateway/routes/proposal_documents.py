"""A proposal's client documents (RFP, edital), the requirements found in them and the compliance matrix (#16)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from pathlib import PurePath
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from propos4l.gateway.client_documents import (
    AssessedRequirements,
    ComplianceChange,
    DocumentLimitReached,
    UnknownRequirement,
)
from propos4l.gateway.compliance_export import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, matrix_csv, matrix_rows, matrix_xlsx
from propos4l.gateway.deps import ClientDocumentStore, Editor, Proposals, Settings, Viewer, audited, ensure_may_change
from propos4l.gateway.problems import Problem
from propos4l.gateway.questionnaire import QuestionnaireRefused, answer_questionnaire
from propos4l.gateway.uploads import receive_upload
from propos4l.shared.library_files import CLIENT_MEDIA_TYPES
from propos4l.shared.requirement_records import LocationRecord, RequestFieldsRecord
from propos4l.shared.sections import SECTION_KEYS, SectionKey

__all__ = ["router"]

router = APIRouter(
    prefix="/api/proposals",
    tags=["requirements"],
    dependencies=[audited("proposal_document", reads=frozenset({"answer_client_questionnaire"}))],
)

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        401: "No or wrong API token",
        404: "No such proposal (or requirement)",
        413: "The file, or the proposal's documents together, are larger than the limits allow",
        415: "The file is not a PDF, DOCX, XLSX, HTML, Markdown or text file",
        422: "Invalid request",
    }.items()
}

DocumentStatus = Literal["uploaded", "reading", "read", "failed"]
ComplianceStatus = Literal["answered", "partial", "not_answered", "not_applicable"]
RequirementId = Annotated[str, StringConstraints(pattern=r"^REQ-[0-9A-F]{12}$")]


class RequirementReviewView(BaseModel):
    """The model's pass over a document's requirements (after the rules'): what it changed, what was refused."""

    model: str
    relabelled: int = Field(description="requirements whose kind or obligation the model set (quote checked)")
    merged: int = Field(description="repeats folded into an earlier requirement")
    confirmed: int
    ignored: int = Field(description="answers refused: a changed quote, an unknown id, a merge of unlike texts")
    failed_batches: int
    batches: int
    skipped: str | None = Field(description="why there was no pass (no model, the model not answering)")
    reviewed_at: datetime


class ClientDocumentView(BaseModel):
    """A client's document attached to a proposal, and how far reading it is."""

    id: uuid.UUID
    filename: str
    media_type: str = Field(description="as told from the file's content, not its name")
    sha256: str
    size_bytes: int
    status: DocumentStatus
    pages_total: int | None
    pages_done: int
    ocr_pages: int
    requirement_count: int
    request_fields: RequestFieldsRecord | None = Field(
        description="what the document states of the request (client, object, budget ceiling, dates), for a person "
        "to confirm; null until it is read"
    )
    review: RequirementReviewView | None = Field(
        default=None, description="the model's classify-and-merge pass; null until it ran"
    )
    failure_code: str | None = Field(description="with status failed: a LibraryFailureCode")
    failure_reason: str | None
    uploaded_by: str
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, row: asyncpg.Record) -> ClientDocumentView:
        values: dict[str, Any] = {**dict(row), "sha256": bytes(row["sha256"]).hex()}
        values.pop("proposal_id", None)
        return cls(**values)


class ClientDocumentList(BaseModel):
    """A proposal's client documents, oldest first."""

    items: list[ClientDocumentView]


class ComplianceView(BaseModel):
    """A requirement's answer as of a version: status, note, the sections that answer it."""

    status: ComplianceStatus
    note: str
    sections: list[SectionKey]
    version: int = Field(description="the version this status was set at (it holds for the later ones)")
    changed_by: str
    changed_at: datetime


class RequirementView(BaseModel):
    """A requirement of the client's documents, quoted exactly, with where it is and its compliance."""

    id: str = Field(description="stable: the same quote at the same clause always has this id")
    quote: str
    obligation: Literal["mandatory", "desirable"]
    kind: Literal["functional", "technical", "qualification", "commercial", "deadline"]
    document_id: uuid.UUID
    location: LocationRecord
    also_at: list[LocationRecord] = Field(
        description="every other place the same quote is found, in this document or another of the proposal's "
        "(kept when the model merges a repeat)"
    )
    heading: str | None
    classified_by: Literal["rules", "model"] = Field(
        default="rules", description="who set kind and obligation: the rules, or the model's checked pass"
    )
    compliance: ComplianceView | None = Field(description="null: not assessed yet")

    @classmethod
    def of(cls, row: asyncpg.Record) -> RequirementView:
        compliance = None
        if row["status"] is not None:
            compliance = ComplianceView(
                status=row["status"],
                note=row["note"],
                sections=row["sections"],
                version=row["status_version"],
                changed_by=row["changed_by"],
                changed_at=row["changed_at"],
            )
        return cls(
            id=row["requirement_id"],
            quote=row["quote"],
            obligation=row["obligation"],
            kind=row["kind"],
            document_id=row["document_id"],
            location=LocationRecord(file=row["file"], page=row["page"], clause=row["clause"]),
            also_at=[
                LocationRecord(file=place["file"], page=place["page"], clause=place["clause"])
                for place in row["also_at"]
            ],
            heading=row["heading"],
            classified_by=row["classified_by"],
            compliance=compliance,
        )


class RequirementList(BaseModel):
    """The compliance matrix of a proposal version: every requirement, in reading order, with its status."""

    version: int
    items: list[RequirementView]
    counts: dict[str, int] = Field(description="requirements per compliance status ('unassessed' for none)")


class ComplianceEdit(BaseModel):
    """A person's assessment of one requirement, recorded at the proposal's current version."""

    model_config = ConfigDict(extra="forbid")

    status: ComplianceStatus
    note: Annotated[str, StringConstraints(max_length=2_000, pattern=r"^[^\x00]*$")] = ""
    sections: Annotated[list[SectionKey], Field(max_length=len(SECTION_KEYS))] = []


async def _proposal(proposals: Proposals, proposal_id: uuid.UUID) -> asyncpg.Record:
    proposal = await proposals.get(proposal_id)
    if proposal is None:
        raise Problem(404, f"There is no proposal {proposal_id}.")
    return proposal


@router.post(
    "/{proposal_id}/documents",
    status_code=201,
    response_model=ClientDocumentView,
    responses={
        **_PROBLEMS,
        200: {"model": ClientDocumentView, "description": "The same content is already attached: that document"},
    },
)
async def upload_client_document(
    proposal_id: uuid.UUID,
    response: Response,
    principal: Editor,
    settings: Settings,
    proposals: Proposals,
    documents: ClientDocumentStore,
    file: Annotated[
        UploadFile,
        File(
            description="the client's RFP, edital or questionnaire: PDF, DOCX, XLSX (each question row a requirement) "
            "or text"
        ),
    ],
) -> ClientDocumentView:
    """Attach a client's document to a proposal; it is read in the background (its requirements and the request
    fields it states; follow `status` or the proposal's events)."""
    await ensure_may_change(proposals, proposal_id, principal)
    proposal = await _proposal(proposals, proposal_id)
    upload = await receive_upload(
        documents.folder,
        file,
        settings.proposal_document_max_mb,
        too_large="A client document may be",
        unreadable=lambda name: f"{name or 'This file'!r} cannot be read",
        accepted=CLIENT_MEDIA_TYPES,
    )
    received, media_type, filename = upload.received, upload.media_type, upload.filename
    try:
        row, created = await documents.add(
            proposal,
            received,
            filename=filename,
            media_type=media_type,
            uploaded_by=principal.name,
            max_files=settings.proposal_documents_max_files,
            max_total_bytes=settings.proposal_documents_max_mb * 1024 * 1024,
        )
    except DocumentLimitReached as error:
        raise Problem(413, f"The document was not attached: {error}.") from None
    response.status_code = 201 if created else 200
    if created:
        response.headers["Location"] = f"/api/proposals/{proposal_id}/documents"
    return ClientDocumentView.of(row)


@router.get("/{proposal_id}/documents", response_model=ClientDocumentList, responses=_PROBLEMS)
async def list_client_documents(
    proposal_id: uuid.UUID, _: Viewer, proposals: Proposals, documents: ClientDocumentStore
) -> ClientDocumentList:
    """The proposal's client documents, with how far each is read and the request fields each states."""
    await _proposal(proposals, proposal_id)
    return ClientDocumentList(items=[ClientDocumentView.of(row) for row in await documents.documents(proposal_id)])


@router.delete(
    "/{proposal_id}/documents/{document_id}",
    status_code=204,
    response_class=Response,
    responses={**_PROBLEMS, 409: {"content": {"application/problem+json": {}}, "description": "Assessed requirements"}},
)
async def delete_client_document(
    proposal_id: uuid.UUID,
    document_id: uuid.UUID,
    principal: Editor,
    proposals: Proposals,
    documents: ClientDocumentStore,
    force: Annotated[
        bool, Query(description="delete even when a person assessed some of its requirements (their statuses go)")
    ] = False,
) -> Response:
    """Remove a client's document attached by mistake: the requirements found only in it go with it, with their
    statuses; when a person assessed any of them, only with `force` (409 otherwise). Drafted versions keep what
    they were written with."""
    await ensure_may_change(proposals, proposal_id, principal)
    try:
        deleted = await documents.delete(proposal_id, document_id, force=force)
    except AssessedRequirements as error:
        raise Problem(
            409,
            f"{error.count} of the document's requirements carry a status a person set; delete with force=true to "
            "discard them too.",
            code="requirements_assessed",
        ) from None
    if not deleted:
        raise Problem(404, f"Proposal {proposal_id} has no document {document_id}.")
    return Response(status_code=204)


@router.get("/{proposal_id}/requirements", response_model=RequirementList, responses=_PROBLEMS)
async def list_requirements(
    proposal_id: uuid.UUID,
    _: Viewer,
    proposals: Proposals,
    documents: ClientDocumentStore,
    version: Annotated[int | None, Query(ge=1, description="unset: the current version")] = None,
) -> RequirementList:
    """The compliance matrix: the requirements found in the proposal's documents, with their status as of a version."""
    proposal = await _proposal(proposals, proposal_id)
    shown = version or proposal["current_version"]
    if shown > proposal["current_version"]:
        raise Problem(404, f"Proposal {proposal_id} has no version {shown}.")
    items = [RequirementView.of(row) for row in await documents.matrix(proposal_id, shown)]
    counts: dict[str, int] = {}
    for item in items:
        key = item.compliance.status if item.compliance else "unassessed"
        counts[key] = counts.get(key, 0) + 1
    return RequirementList(version=shown, items=items, counts=counts)


@router.put(
    "/{proposal_id}/requirements/{requirement_id}/compliance", response_model=RequirementView, responses=_PROBLEMS
)
async def set_compliance(
    proposal_id: uuid.UUID,
    requirement_id: RequirementId,
    body: ComplianceEdit,
    principal: Editor,
    proposals: Proposals,
    documents: ClientDocumentStore,
) -> RequirementView:
    """Set a requirement's status, note and answering sections at the proposal's current version (earlier versions
    keep theirs)."""
    await ensure_may_change(proposals, proposal_id, principal)
    proposal = await _proposal(proposals, proposal_id)
    version = proposal["current_version"]
    change = ComplianceChange(body.status, body.note, tuple(dict.fromkeys(key.value for key in body.sections)))
    try:
        await documents.set_compliance(proposal_id, version, requirement_id, change, principal.name)
    except UnknownRequirement:
        raise Problem(404, f"Proposal {proposal_id} has no requirement {requirement_id}.") from None
    row = next(row for row in await documents.matrix(proposal_id, version) if row["requirement_id"] == requirement_id)
    return RequirementView.of(row)


@router.get(
    "/{proposal_id}/requirements/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}}}, **_PROBLEMS},
)
async def export_requirements(
    proposal_id: uuid.UUID,
    _: Viewer,
    proposals: Proposals,
    documents: ClientDocumentStore,
    format: Annotated[Literal["csv", "xlsx"], Query(description="csv: UTF-8 CSV; xlsx: an Excel workbook")],
    version: Annotated[int | None, Query(ge=1, description="unset: the current version")] = None,
) -> Response:
    """The compliance matrix as a spreadsheet, in the proposal's language: requirement, where, obligation, kind,
    status, answering sections, note, and every other place the requirement is found."""
    proposal = await _proposal(proposals, proposal_id)
    shown = version or proposal["current_version"]
    if shown > proposal["current_version"]:
        raise Problem(404, f"Proposal {proposal_id} has no version {shown}.")
    table = matrix_rows(await documents.matrix(proposal_id, shown), proposal["language"])
    stem = (
        f"requisitos-{proposal_id}-v{shown}"
        if proposal["language"] == "pt-BR"
        else f"requirements-{proposal_id}-v{shown}"
    )
    if format == "csv":
        body, media_type = matrix_csv(table), CSV_MEDIA_TYPE
    else:
        sheet = "Matriz de conformidade" if proposal["language"] == "pt-BR" else "Compliance matrix"
        body, media_type = await asyncio.to_thread(matrix_xlsx, table, sheet), XLSX_MEDIA_TYPE
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{stem}.{format}"', "Cache-Control": "no-store"},
    )


ColumnLetter = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]{1,3}$")]


@router.post(
    "/{proposal_id}/questionnaire",
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}, 409: _PROBLEMS[422] | {"description": "Nothing drafted yet"},
               **_PROBLEMS},
)  # fmt: skip
async def answer_client_questionnaire(
    proposal_id: uuid.UUID,
    _: Viewer,
    settings: Settings,
    proposals: Proposals,
    file: Annotated[UploadFile, File(description="the client's questionnaire, an XLSX workbook")],
    question_column: Annotated[ColumnLetter, Form(description="the column of the questions, e.g. B")],
    answer_column: Annotated[ColumnLetter, Form(description="the column to write the answers in, e.g. C")],
    first_row: Annotated[int, Form(ge=1, le=1_048_576)] = 2,
    sheet: Annotated[str | None, Form(max_length=31)] = None,
) -> Response:
    """The questionnaire answered back into a copy of the same workbook, from the current drafted version: each
    question's answer is the sentence of the proposal that holds most of its words (rules; empty answer cells only)."""
    proposal = await _proposal(proposals, proposal_id)
    if not proposal["sections"]:
        raise Problem(409, f"Proposal {proposal_id} has no drafted sections yet; answer the questionnaire once it has.")
    limit = settings.proposal_document_max_mb * 1024 * 1024
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise Problem(413, f"A questionnaire may be up to {settings.proposal_document_max_mb} MB.")
    sections = {SectionKey(section["key"]): section["content"] for section in proposal["sections"]}
    try:
        answered = await asyncio.to_thread(
            answer_questionnaire,
            data,
            sections,
            question_column=question_column,
            answer_column=answer_column,
            first_row=first_row,
            sheet=sheet or None,
            max_uncompressed_bytes=4 * limit,
        )
    except QuestionnaireRefused as error:
        raise Problem(422, f"The questionnaire cannot be answered: {error}.") from None
    stem = PurePath(file.filename or "questionnaire.xlsx").stem[:100] or "questionnaire"
    return Response(
        answered.content,
        media_type=XLSX_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{stem}-answered.xlsx"',
            "X-Questions": str(answered.questions),
            "X-Answered": str(answered.answered),
            "Cache-Control": "no-store",
        },
    )
