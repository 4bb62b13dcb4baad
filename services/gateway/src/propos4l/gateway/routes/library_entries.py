"""The knowledge library's entries: the company profile, services, people and case studies; and what is stale.

Any token may read and write them. A POST with an `import_key` another entry of its kind already has updates that
entry (200) instead of adding one (201): what makes `propos4l library import` idempotent.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Final

from fastapi import APIRouter, Query, Response

from propos4l.gateway.deps import Database, Documents, Editor, Library, Outbox, Viewer, audited
from propos4l.gateway.library_cursor import InvalidCursor, ListPosition
from propos4l.gateway.library_entries import EntryConflict, EntryFilters, LibraryEntries, RoleUnknown, SavedEntry
from propos4l.gateway.library_passages import company_title
from propos4l.gateway.library_records import EntryDraft, EntryKind, EntryRecord
from propos4l.gateway.library_review import stale_records
from propos4l.gateway.library_schemas import (
    CaseStudyBody,
    CaseStudyList,
    CaseStudyView,
    CompanyBody,
    CompanyView,
    PersonBody,
    PersonList,
    PersonView,
    ServiceBody,
    ServiceList,
    ServiceView,
    StaleItem,
    StaleList,
)
from propos4l.gateway.problems import Problem
from propos4l.shared.library_text import LibraryLanguage

__all__ = ["router"]

_UPDATED_BY_IMPORT_KEY = "The entry of this kind with the body's `import_key` already existed: it was updated"

router = APIRouter(prefix="/api/library", tags=["library"], dependencies=[audited("library_entry")])

PROBLEMS: Final[dict[int | str, dict[str, object]]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        401: "No or wrong API token",
        404: "No such entry",
        409: "Another entry has this import key",
        422: "Invalid request",
    }.items()
}

_NO_NUL = r"^[^\x00]*$"
Limit = Annotated[int, Query(ge=1, le=200, description="at most this many items")]
After = Annotated[str | None, Query(max_length=500, description="`next_cursor` of the previous page")]
Tag = Annotated[str | None, Query(min_length=1, max_length=100, pattern=_NO_NUL)]
_NAMES: Final[dict[str, str]] = {"service": "service", "person": "person", "case_study": "case study"}
_PATHS: Final[dict[str, str]] = {"service": "services", "person": "people", "case_study": "case-studies"}


def _position(after: str | None) -> ListPosition | None:
    try:
        return ListPosition.from_cursor(after) if after is not None else None
    except InvalidCursor as error:
        raise Problem(422, f"The {error}.") from None


def _not_found(kind: EntryKind, entry_id: uuid.UUID) -> Problem:
    return Problem(404, f"There is no {_NAMES[kind]} with id {entry_id}.")


async def _create(
    library: LibraryEntries, draft: EntryDraft, caller: str, response: Response, outbox: Outbox
) -> EntryRecord:
    try:
        saved: SavedEntry = await library.create(draft, caller)
    except RoleUnknown as error:
        raise Problem(422, str(error)) from None
    outbox.wake()
    response.status_code = 201 if saved.created else 200
    response.headers["Location"] = f"/api/library/{_PATHS[draft.kind]}/{saved.entry.id}"
    return saved.entry


async def _read(library: LibraryEntries, kind: EntryKind, entry_id: uuid.UUID) -> EntryRecord:
    entry = await library.get(kind, entry_id)
    if entry is None:
        raise _not_found(kind, entry_id)
    return entry


async def _update(library: LibraryEntries, entry_id: uuid.UUID, draft: EntryDraft, outbox: Outbox) -> EntryRecord:
    try:
        entry = await library.update(draft.kind, entry_id, draft)
    except RoleUnknown as error:
        raise Problem(422, str(error)) from None
    except EntryConflict as error:
        raise Problem(409, str(error)) from None
    if entry is None:
        raise _not_found(draft.kind, entry_id)
    outbox.wake()
    return entry


async def _delete(library: LibraryEntries, kind: EntryKind, entry_id: uuid.UUID, outbox: Outbox) -> Response:
    if not await library.delete(kind, entry_id):
        raise _not_found(kind, entry_id)
    outbox.wake()
    return Response(status_code=204)


# The company profile ---------------------------------------------------------------------------------------------


@router.get("/company/{language}", response_model=CompanyView, responses=PROBLEMS)
async def get_company(language: LibraryLanguage, _: Viewer, library: Library) -> CompanyView:
    """The company profile in `language` (404 until someone writes it)."""
    entry = await library.company(language)
    if entry is None:
        raise Problem(404, f"There is no company profile in {language} yet; PUT one.")
    return CompanyView.of(entry)


@router.put(
    "/company/{language}",
    response_model=CompanyView,
    responses={**PROBLEMS, 201: {"model": CompanyView, "description": "The first profile in this language"}},
)
async def put_company(
    language: LibraryLanguage,
    body: CompanyBody,
    response: Response,
    principal: Editor,
    library: Library,
    outbox: Outbox,
) -> CompanyView:
    """Write the company profile in `language` whole (201 the first time); search finds it at once."""
    draft = EntryDraft(
        kind="company",
        language=language,
        title=company_title(language),
        fields=body.fields(),
        owner=body.owner,
        review_by=body.review_by,
    )
    saved = await library.put_company(draft, principal.name)
    outbox.wake()
    response.status_code = 201 if saved.created else 200
    return CompanyView.of(saved.entry)


# Services ----------------------------------------------------------------------------------------------------------


def _service_draft(body: ServiceBody) -> EntryDraft:
    return EntryDraft(
        kind="service",
        language=body.language,
        title=body.title(),
        fields=body.fields(),
        owner=body.owner,
        review_by=body.review_by,
        import_key=body.import_key,
    )


@router.get("/services", response_model=ServiceList, responses=PROBLEMS)
async def list_services(
    _: Viewer,
    library: Library,
    industry: Tag = None,
    technology: Tag = None,
    language: LibraryLanguage | None = None,
    limit: Limit = 50,
    after: After = None,
) -> ServiceList:
    """Services, last updated first, filtered by industry and technology tags (any case) and language."""
    filters = EntryFilters(language=language, industry=industry, technology=technology)
    page = await library.list("service", filters, limit=limit, after=_position(after))
    return ServiceList(
        items=[ServiceView.of(entry) for entry in page.entries],
        next_cursor=page.next_position.cursor() if page.next_position else None,
    )


@router.post(
    "/services",
    status_code=201,
    response_model=ServiceView,
    responses={**PROBLEMS, 200: {"model": ServiceView, "description": _UPDATED_BY_IMPORT_KEY}},
)
async def create_service(
    body: ServiceBody, response: Response, principal: Editor, library: Library, outbox: Outbox
) -> ServiceView:
    """Add a service (or update the one with this `import_key`)."""
    return ServiceView.of(await _create(library, _service_draft(body), principal.name, response, outbox))


@router.get("/services/{entry_id}", response_model=ServiceView, responses=PROBLEMS)
async def get_service(entry_id: uuid.UUID, _: Viewer, library: Library) -> ServiceView:
    """A service."""
    return ServiceView.of(await _read(library, "service", entry_id))


@router.put("/services/{entry_id}", response_model=ServiceView, responses=PROBLEMS)
async def update_service(
    entry_id: uuid.UUID, body: ServiceBody, _: Editor, library: Library, outbox: Outbox
) -> ServiceView:
    """Replace a service's fields (its owner kept unless given)."""
    return ServiceView.of(await _update(library, entry_id, _service_draft(body), outbox))


@router.delete("/services/{entry_id}", status_code=204, responses=PROBLEMS)
async def delete_service(entry_id: uuid.UUID, _: Editor, library: Library, outbox: Outbox) -> Response:
    """Delete a service; search no longer finds it."""
    return await _delete(library, "service", entry_id, outbox)


# People ------------------------------------------------------------------------------------------------------------


def _person_draft(body: PersonBody) -> EntryDraft:
    return EntryDraft(
        kind="person",
        language=body.language,
        title=body.title(),
        fields=body.fields(),
        owner=body.owner,
        review_by=body.review_by,
        role_id=body.role_id,
        active=body.active,
        import_key=body.import_key,
    )


@router.get("/people", response_model=PersonList, responses=PROBLEMS)
async def list_people(
    _: Viewer,
    library: Library,
    active: bool | None = None,
    role_id: uuid.UUID | None = None,
    language: LibraryLanguage | None = None,
    limit: Limit = 50,
    after: After = None,
) -> PersonList:
    """People, last updated first, filtered by active, role and language."""
    filters = EntryFilters(language=language, active=active, role_id=role_id)
    page = await library.list("person", filters, limit=limit, after=_position(after))
    return PersonList(
        items=[PersonView.of(entry) for entry in page.entries],
        next_cursor=page.next_position.cursor() if page.next_position else None,
    )


@router.post(
    "/people",
    status_code=201,
    response_model=PersonView,
    responses={**PROBLEMS, 200: {"model": PersonView, "description": _UPDATED_BY_IMPORT_KEY}},
)
async def create_person(
    body: PersonBody, response: Response, principal: Editor, library: Library, outbox: Outbox
) -> PersonView:
    """Add a person (or update the one with this `import_key`); 422 if the role is not in the rate card."""
    return PersonView.of(await _create(library, _person_draft(body), principal.name, response, outbox))


@router.get("/people/{entry_id}", response_model=PersonView, responses=PROBLEMS)
async def get_person(entry_id: uuid.UUID, _: Viewer, library: Library) -> PersonView:
    """A person."""
    return PersonView.of(await _read(library, "person", entry_id))


@router.put("/people/{entry_id}", response_model=PersonView, responses=PROBLEMS)
async def update_person(
    entry_id: uuid.UUID, body: PersonBody, _: Editor, library: Library, outbox: Outbox
) -> PersonView:
    """Replace a person's fields (their owner kept unless given)."""
    return PersonView.of(await _update(library, entry_id, _person_draft(body), outbox))


@router.delete("/people/{entry_id}", status_code=204, responses=PROBLEMS)
async def delete_person(
    entry_id: uuid.UUID, _: Editor, library: Library, documents: Documents, outbox: Outbox
) -> Response:
    """Delete a person with their passages and CV documents, at once: search no longer finds them (LGPD); their CV
    files are removed from the library folder too."""
    files = await documents.person_files(entry_id)
    response = await _delete(library, "person", entry_id, outbox)
    await documents.remove_unreferenced(files)  # the rows went with the person (cascade); now their files
    return response


# Case studies ------------------------------------------------------------------------------------------------------


def _case_study_draft(body: CaseStudyBody) -> EntryDraft:
    return EntryDraft(
        kind="case_study",
        language=body.language,
        title=body.title(),
        fields=body.fields(),
        owner=body.owner,
        review_by=body.review_by,
        import_key=body.import_key,
    )


@router.get("/case-studies", response_model=CaseStudyList, responses=PROBLEMS)
async def list_case_studies(
    _: Viewer,
    library: Library,
    industry: Tag = None,
    technology: Tag = None,
    language: LibraryLanguage | None = None,
    limit: Limit = 50,
    after: After = None,
) -> CaseStudyList:
    """Case studies, last updated first, filtered by industry, technology (any case) and language."""
    filters = EntryFilters(language=language, industry=industry, technology=technology)
    page = await library.list("case_study", filters, limit=limit, after=_position(after))
    return CaseStudyList(
        items=[CaseStudyView.of(entry) for entry in page.entries],
        next_cursor=page.next_position.cursor() if page.next_position else None,
    )


@router.post(
    "/case-studies",
    status_code=201,
    response_model=CaseStudyView,
    responses={**PROBLEMS, 200: {"model": CaseStudyView, "description": _UPDATED_BY_IMPORT_KEY}},
)
async def create_case_study(
    body: CaseStudyBody, response: Response, principal: Editor, library: Library, outbox: Outbox
) -> CaseStudyView:
    """Add a case study (or update the one with this `import_key`); its client is searchable only if it may be
    named."""
    return CaseStudyView.of(await _create(library, _case_study_draft(body), principal.name, response, outbox))


@router.get("/case-studies/{entry_id}", response_model=CaseStudyView, responses=PROBLEMS)
async def get_case_study(entry_id: uuid.UUID, _: Viewer, library: Library) -> CaseStudyView:
    """A case study."""
    return CaseStudyView.of(await _read(library, "case_study", entry_id))


@router.put("/case-studies/{entry_id}", response_model=CaseStudyView, responses=PROBLEMS)
async def update_case_study(
    entry_id: uuid.UUID, body: CaseStudyBody, _: Editor, library: Library, outbox: Outbox
) -> CaseStudyView:
    """Replace a case study's fields (its owner kept unless given)."""
    return CaseStudyView.of(await _update(library, entry_id, _case_study_draft(body), outbox))


@router.delete("/case-studies/{entry_id}", status_code=204, responses=PROBLEMS)
async def delete_case_study(entry_id: uuid.UUID, _: Editor, library: Library, outbox: Outbox) -> Response:
    """Delete a case study; search no longer finds it."""
    return await _delete(library, "case_study", entry_id, outbox)


# Review --------------------------------------------------------------------------------------------------------------


@router.get("/stale", response_model=StaleList, responses=PROBLEMS)
async def list_stale(
    _: Viewer,
    database: Database,
    limit: Annotated[int, Query(ge=1, le=1000, description="at most this many items")] = 200,
) -> StaleList:
    """Entries, roles and documents whose review date has passed, the oldest review date first."""
    records = await stale_records(database, limit=limit)
    return StaleList(
        items=[StaleItem(kind=r.kind, id=r.id, title=r.title, owner=r.owner, review_by=r.review_by) for r in records]
    )
