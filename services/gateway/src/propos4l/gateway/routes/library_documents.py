"""The library's documents: upload (type told from the content), list, read, passages, delete, add a proposal."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, datetime
from pathlib import PurePath
from typing import Annotated, Final, Literal

import asyncpg
from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from propos4l.gateway.deps import Documents, Editor, Proposals, Settings, Viewer, audited
from propos4l.gateway.library_documents import NewDocument, proposal_markdown
from propos4l.gateway.library_storage import receive_bytes
from propos4l.gateway.problems import Problem
from propos4l.gateway.proposal_listing import InvalidCursor, ListPosition
from propos4l.gateway.uploads import receive_upload
from propos4l.shared.library_files import MARKDOWN

__all__ = ["router"]

router = APIRouter(prefix="/api/library/documents", tags=["library"], dependencies=[audited("library_document")])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        401: "No or wrong API token",
        404: "No such document (or proposal)",
        409: "The proposal version has no sections yet",
        413: "The file is larger than LIBRARY_MAX_UPLOAD_MB",
        415: "The file is not a PDF, DOCX, HTML, Markdown or text file",
        422: "Invalid request",
    }.items()
}

Category = Literal["past_proposal", "rfp_answer", "methodology", "cv", "other"]
Status = Literal["uploaded", "indexing", "indexed", "failed"]
LibraryLanguage = Literal["pt-BR", "en"]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300, pattern=r"^[^\x00]*$")]
Owner = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00]*$")]


class DocumentView(BaseModel):
    """A library document and how far its indexing is."""

    id: uuid.UUID
    title: str
    filename: str
    media_type: str = Field(description="as told from the file's content, not its name")
    sha256: str = Field(description="the file's SHA-256 (hex): the same content is stored once")
    size_bytes: int
    category: Category
    language: LibraryLanguage | None = Field(description="null: guessed from the text when it is indexed")
    person_id: uuid.UUID | None
    proposal_id: uuid.UUID | None
    proposal_version: int | None
    status: Status
    pages_total: int | None = Field(description="known once extraction began; null until then")
    pages_done: int
    passage_count: int
    ocr_pages: int = Field(description="pages whose text came from OCR")
    failure_code: str | None = Field(description="with status failed: a LibraryFailureCode")
    failure_reason: str | None = Field(description="with status failed: what went wrong, for a person to act on")
    owner: str
    review_by: date | None
    uploaded_by: str
    created_at: datetime
    updated_at: datetime
    indexed_at: datetime | None

    @classmethod
    def of(cls, row: asyncpg.Record) -> DocumentView:
        """The view of a document row."""
        return cls(**{**dict(row), "sha256": bytes(row["sha256"]).hex()})


class DocumentList(BaseModel):
    """One page of documents, newest first."""

    items: list[DocumentView]
    next_cursor: str | None = Field(description="pass as `after` for the next page; null on the last page")


class PassageView(BaseModel):
    """A passage of a document, as search finds it."""

    id: uuid.UUID
    ordinal: int
    language: LibraryLanguage
    title: str
    heading_path: list[str]
    page: int | None
    body: str


class PassageList(BaseModel):
    """One page of a document's passages, in reading order."""

    items: list[PassageView]
    next_cursor: str | None = Field(description="pass as `after` for the next page; null on the last page")


class FromProposal(BaseModel):
    """A proposal version to add to the library as a past proposal."""

    model_config = ConfigDict(extra="forbid")

    proposal_id: uuid.UUID
    version: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="unset: the newest version with a PDF, else the current version"
    )


def _accepted(row: asyncpg.Record, created: bool, response: Response) -> DocumentView:
    response.status_code = 201 if created else 200
    if created:
        response.headers["Location"] = f"/api/library/documents/{row['id']}"
    return DocumentView.of(row)


@router.post(
    "",
    status_code=201,
    response_model=DocumentView,
    responses={
        **_PROBLEMS,
        200: {"model": DocumentView, "description": "The same content is already in the library: that document"},
    },
)
async def upload_document(
    response: Response,
    principal: Editor,
    settings: Settings,
    documents: Documents,
    file: Annotated[UploadFile, File(description="PDF, DOCX, HTML, Markdown or plain text")],
    title: Annotated[Title | None, Form()] = None,
    category: Annotated[Category, Form()] = "other",
    language: Annotated[LibraryLanguage | None, Form(description="unset: guessed from the text")] = None,
    person_id: Annotated[uuid.UUID | None, Form(description="the person whose CV this is")] = None,
    owner: Annotated[Owner | None, Form(description="who keeps it current; unset: the uploader")] = None,
    review_by: Annotated[date | None, Form()] = None,
) -> DocumentView:
    """Add a file to the library; it is indexed in the background (follow `status`). The same content uploaded
    again answers 200 with the document already there."""
    upload = await receive_upload(
        settings.library_dir,
        file,
        settings.library_max_upload_mb,
        too_large="The library takes files",
        unreadable=lambda name: f"The library cannot read {name or 'this file'!r}",
    )
    received, media_type, filename = upload.received, upload.media_type, upload.filename
    document = NewDocument(
        title=title or (PurePath(filename).stem or filename)[:300],
        filename=filename,
        media_type=media_type,
        category=category,
        language=language,
        owner=owner or principal.name,
        uploaded_by=principal.name,
        review_by=review_by,
        person_id=person_id,
    )
    try:
        row, created = await documents.add(received, document)
    except asyncpg.ForeignKeyViolationError:
        raise Problem(422, f"There is no person with id {person_id} in the library.") from None
    return _accepted(row, created, response)


@router.post(
    "/from-proposal",
    status_code=201,
    response_model=DocumentView,
    responses={
        **_PROBLEMS,
        200: {"model": DocumentView, "description": "This version is already in the library: that document"},
    },
)
async def add_proposal(
    body: FromProposal, response: Response, principal: Editor, proposals: Proposals, documents: Documents
) -> DocumentView:
    """Add a proposal version's sections to the library as a Markdown past proposal."""
    proposal = await proposals.get(body.proposal_id)
    if proposal is None:
        raise Problem(404, f"There is no proposal with id {body.proposal_id}.")
    if body.version is not None:
        version = await proposals.version(body.proposal_id, body.version)
    else:
        version = await proposals.latest_rendered(body.proposal_id) or await proposals.version(
            body.proposal_id, proposal["current_version"]
        )
    if version is None:
        raise Problem(404, f"Proposal {body.proposal_id} has no version {body.version}.")
    if not version["sections"]:
        raise Problem(409, f"Version {version['version']} of this proposal has no drafted sections yet.")
    title = f"{proposal['client_name']} (v{version['version']})"[:300]
    markdown = proposal_markdown(title, version["sections"])
    received = await asyncio.to_thread(receive_bytes, documents.library_dir, markdown.encode())
    row, created = await documents.add(
        received,
        NewDocument(
            title=title,
            filename=f"proposal-{body.proposal_id}-v{version['version']}.md",
            media_type=MARKDOWN,
            category="past_proposal",
            language=proposal["language"],
            owner=principal.name,
            uploaded_by=principal.name,
            proposal_id=body.proposal_id,
            proposal_version=version["version"],
        ),
    )
    return _accepted(row, created, response)


@router.get("", response_model=DocumentList, responses=_PROBLEMS)
async def list_documents(
    _: Viewer,
    documents: Documents,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page")] = None,
) -> DocumentList:
    """The library's documents, newest first (keyset pages)."""
    try:
        position = ListPosition.from_cursor(after) if after is not None else None
    except InvalidCursor as error:
        raise Problem(422, f"The {error}.") from None
    page = await documents.list(limit=limit, after=position)
    return DocumentList(
        items=[DocumentView.of(row) for row in page.rows],
        next_cursor=page.next_position.cursor() if page.next_position is not None else None,
    )


@router.get("/{document_id}", response_model=DocumentView, responses=_PROBLEMS)
async def get_document(document_id: uuid.UUID, _: Viewer, documents: Documents) -> DocumentView:
    """One document, with its indexing status and progress."""
    row = await documents.get(document_id)
    if row is None:
        raise Problem(404, f"There is no library document with id {document_id}.")
    return DocumentView.of(row)


@router.get("/{document_id}/passages", response_model=PassageList, responses=_PROBLEMS)
async def list_passages(
    document_id: uuid.UUID,
    _: Viewer,
    documents: Documents,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: Annotated[
        str | None, Query(pattern=r"^[0-9]{1,9}$", description="`next_cursor` of the previous page")
    ] = None,
) -> PassageList:
    """A document's passages, in reading order (empty until it is indexed)."""
    if await documents.get(document_id) is None:
        raise Problem(404, f"There is no library document with id {document_id}.")
    page = await documents.passages(document_id, limit=limit, after=int(after) if after is not None else None)
    return PassageList(
        items=[PassageView(**{**dict(row), "heading_path": list(row["heading_path"])}) for row in page.rows],
        next_cursor=str(page.next_after) if page.next_after is not None else None,
    )


class DocumentChange(BaseModel):
    """New details for a document: only the fields given change (`review_by: null` clears the date)."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = Field(default=None, description="a new title indexes the document again")
    category: Category | None = None
    language: LibraryLanguage | None = Field(default=None, description="a new language indexes the document again")
    owner: Owner | None = None
    review_by: date | None = None
    person_id: uuid.UUID | None = Field(default=None, description="the person whose CV this is; null: nobody")


_NOT_NULL: Final = frozenset({"title", "category", "owner"})


@router.patch("/{document_id}", response_model=DocumentView, responses=_PROBLEMS)
async def change_document(
    document_id: uuid.UUID, change: DocumentChange, _: Editor, documents: Documents
) -> DocumentView:
    """Change a document's title, category, language, owner, review date or person (e.g. to take it off the stale
    list after a review). A new title or language indexes it again: follow `status`."""
    changes = {name: getattr(change, name) for name in change.model_fields_set}
    if cleared := sorted(name for name, value in changes.items() if value is None and name in _NOT_NULL):
        raise Problem(422, f"{', '.join(cleared)} cannot be null: leave a field out to keep it as it is.")
    if (person_id := changes.get("person_id")) is not None and not await documents.is_person(person_id):
        raise Problem(422, f"There is no person with id {person_id} in the library.")
    row = await documents.change(document_id, changes)
    if row is None:
        raise Problem(404, f"There is no library document with id {document_id}.")
    return DocumentView.of(row)


@router.delete("/{document_id}", status_code=204, responses=_PROBLEMS)
async def delete_document(document_id: uuid.UUID, _: Editor, documents: Documents) -> Response:
    """Delete a document, its passages and (when no other document has the same content) its file."""
    if not await documents.delete(document_id):
        raise Problem(404, f"There is no library document with id {document_id}.")
    return Response(status_code=204)
