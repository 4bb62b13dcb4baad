"""A proposal's client documents, the requirements found in them and the compliance matrix (issue #16).

A document is stored content-addressed under LIBRARY_DIR/client-documents (apart from the library's own files), or
with STORAGE_URL in the bucket's `<prefix>/library/client-documents/`, and its row is inserted with a
`ProposalDocumentUploaded` event in one transaction. The library service reads it (from the same store) and
reports back; `ClientDocumentRecorder` records what it found. The compliance matrix is versioned with the proposal:
a status is written at the proposal's current version, and a version's matrix is, per requirement, the newest status
at or before it (migration 0018).
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import asyncpg

from propos4l.gateway.library_storage import ReceivedFile, remove_stored, store
from propos4l.gateway.progress_log import append_event
from propos4l.gateway.repository import add_to_outbox
from propos4l.shared.db import mark_processed
from propos4l.shared.delivery import Delivery
from propos4l.shared.events import (
    ProposalDocumentFailed,
    ProposalDocumentProgressed,
    ProposalDocumentRead,
    ProposalDocumentUploaded,
    ProposalRequirementsFound,
    ProposalRequirementsReviewed,
    RequirementMerge,
    derived_event_id,
)
from propos4l.shared.grounding import (
    REQUIREMENTS_MAX,
    SECTION_REQUIREMENTS_MAX,
    ContextRequirement,
    RequirementAssessment,
)
from propos4l.shared.library_files import CLIENT_DOCUMENTS_FOLDER
from propos4l.shared.object_store import LocalFolderStore, ObjectStore
from propos4l.shared.outages import DependencyUnavailable
from propos4l.shared.requirement_coverage import assess, sections_for
from propos4l.shared.requirements import RequirementKind
from propos4l.shared.sections import SECTION_KEYS, Language, SectionKey
from propos4l.shared.streams import ConsumerGroup

__all__ = [
    "CHECK_AUTHOR",
    "AssessedRequirements",
    "ClientDocumentRecorder",
    "ClientDocuments",
    "ComplianceChange",
    "DocumentLimitReached",
    "UnknownRequirement",
    "check_coverage",
    "client_documents_dir",
]

logger = logging.getLogger(__name__)

_GROUP: Final = ConsumerGroup.GATEWAY.value
SECTION_VALUES: Final = frozenset(key.value for key in SECTION_KEYS)
_LOCK_CLASS: Final = 0x52455153  # "REQS": the first key of the advisory lock on a proposal's documents


def client_documents_dir(library_dir: Path) -> Path:
    """Where clients' documents are stored: LIBRARY_DIR/client-documents/<aa>/<sha256>."""
    return library_dir / CLIENT_DOCUMENTS_FOLDER


class DocumentLimitReached(ValueError):
    """A proposal already holds as many documents, or as many bytes of them, as it may."""


class AssessedRequirements(Exception):
    """A document's requirements carry statuses a person set: deleting it would throw their answers away."""

    def __init__(self, count: int) -> None:
        super().__init__(f"{count} of its requirements were assessed by a person")
        self.count = count


class UnknownRequirement(LookupError):
    """The proposal has no requirement with this id."""


@dataclass(frozen=True, slots=True)
class ComplianceChange:
    """A person's answer for one requirement: status, note and the sections that answer it."""

    status: str
    note: str
    sections: tuple[str, ...]


class ClientDocuments:
    """Client document rows, their files, their requirements and the compliance matrix."""

    def __init__(self, pool: asyncpg.Pool, library_dir: Path, files: ObjectStore | None = None) -> None:
        """`files`: where the documents are kept (`client_documents_store`); the folder by default. The folder
        always receives uploads while they arrive."""
        self.pool = pool
        self.folder = client_documents_dir(library_dir)
        self.files = files if files is not None else LocalFolderStore(self.folder)

    async def add(
        self,
        proposal: asyncpg.Record,
        received: ReceivedFile,
        *,
        filename: str,
        media_type: str,
        uploaded_by: str,
        max_files: int,
        max_total_bytes: int,
    ) -> tuple[asyncpg.Record, bool]:
        """Store the file and insert its row with a ProposalDocumentUploaded event, in one transaction; the same
        content already attached to this proposal gives the existing row (and False)."""
        proposal_id: uuid.UUID = proposal["id"]
        sha = bytes.fromhex(received.sha256)
        try:
            async with self.pool.acquire() as connection, connection.transaction():
                # One upload at a time per proposal, so the limits hold under concurrent uploads.
                await connection.execute("SELECT pg_advisory_xact_lock($1, $2)", _LOCK_CLASS, _lock_key(proposal_id))
                existing = await connection.fetchrow(
                    "SELECT * FROM proposal_documents WHERE proposal_id = $1 AND sha256 = $2", proposal_id, sha
                )
                if existing is not None:
                    return existing, False
                count, total = await connection.fetchrow(
                    "SELECT count(*), coalesce(sum(size_bytes), 0) FROM proposal_documents WHERE proposal_id = $1",
                    proposal_id,
                )
                if count >= max_files:
                    raise DocumentLimitReached(f"the proposal already has {count} documents, the most it may hold")
                if total + received.size > max_total_bytes:
                    raise DocumentLimitReached(
                        f"the proposal's documents would take {(total + received.size) / 1024 / 1024:.1f} MB, more "
                        f"than the {max_total_bytes // (1024 * 1024)} MB a proposal may hold"
                    )
                # The file is in place before the row that names it commits; write-once, so a file stored for
                # another proposal (the same content) is simply kept.
                await asyncio.to_thread(store, self.files, received)
                row = await connection.fetchrow(
                    """INSERT INTO proposal_documents (id, proposal_id, filename, media_type, sha256, size_bytes,
                           uploaded_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *""",
                    uuid.uuid4(),
                    proposal_id,
                    filename,
                    media_type,
                    sha,
                    received.size,
                    uploaded_by,
                )
                await add_to_outbox(
                    connection,
                    ProposalDocumentUploaded(
                        proposal_id=proposal_id,
                        version=proposal["current_version"],
                        document_id=row["id"],
                        sha256=received.sha256,
                        media_type=media_type,
                        filename=filename,
                        client_name=str(proposal["client_name"])[:200],
                    ),
                )
                await append_event(
                    connection,
                    proposal_id,
                    proposal["current_version"],
                    "document",
                    {"document_id": str(row["id"]), "filename": filename, "status": "uploaded"},
                )
                return row, True
        finally:
            received.discard()

    async def documents(self, proposal_id: uuid.UUID) -> Sequence[asyncpg.Record]:
        """A proposal's documents, oldest first."""
        rows: Sequence[asyncpg.Record] = await self.pool.fetch(
            "SELECT * FROM proposal_documents WHERE proposal_id = $1 ORDER BY created_at, id", proposal_id
        )
        return rows

    async def matrix(self, proposal_id: uuid.UUID, version: int) -> Sequence[asyncpg.Record]:
        """The requirements and, for each, its status as of `version` (None: not yet assessed), in reading order."""
        rows: Sequence[asyncpg.Record] = await self.pool.fetch(
            """SELECT r.*, d.filename AS document_filename, c.status, c.note, c.sections, c.version AS status_version,
                      c.changed_by, c.changed_at
               FROM proposal_requirements r
               JOIN proposal_documents d ON d.id = r.document_id
               LEFT JOIN LATERAL (
                   SELECT * FROM proposal_compliance c
                   WHERE c.proposal_id = r.proposal_id AND c.requirement_id = r.requirement_id AND c.version <= $2
                   ORDER BY c.version DESC LIMIT 1
               ) c ON true
               WHERE r.proposal_id = $1
               ORDER BY d.created_at, d.id, r.ordinal""",
            proposal_id,
            version,
        )
        return rows

    async def section_requirements(
        self, proposal_id: uuid.UUID, version: int, section: SectionKey, *, limit: int = SECTION_REQUIREMENTS_MAX
    ) -> tuple[ContextRequirement, ...]:
        """The requirements a section should answer, for its regeneration's prompt (mandatory first)."""
        chosen = [requirement for requirement in await self.draft_requirements(proposal_id, version, limit=None)
                  if requirement.to_answer and section in requirement.sections]  # fmt: skip
        return tuple(requirement.model_copy(update={"sections": ()}) for requirement in chosen[:limit])

    async def draft_requirements(
        self, proposal_id: uuid.UUID, version: int, *, limit: int | None = REQUIREMENTS_MAX
    ) -> tuple[ContextRequirement, ...]:
        """The requirements of a version about to be drafted, each with the sections it is mapped to (those its
        status names, else those its kind maps to: `sections_for`) and a person's status as it is now (the PDF's
        compliance annex shows it); mandatory first, then in reading order, those a person marked not applicable
        last (in the annex, never shown to the model)."""
        rows = list(await self.matrix(proposal_id, version))
        # stable: reading order within each group
        rows.sort(key=lambda row: (row["status"] == "not_applicable", row["obligation"] != "mandatory"))
        return tuple(
            ContextRequirement(
                id=row["requirement_id"],
                quote=row["quote"],
                obligation=row["obligation"],
                kind=row["kind"],
                page=row["page"],
                clause=row["clause"],
                sections=_sections(row["sections"]) if row["sections"] else sections_for(RequirementKind(row["kind"])),
                assessment=RequirementAssessment(status=row["status"], sections=_sections(row["sections"]))
                if row["status"] is not None and row["changed_by"] != CHECK_AUTHOR
                else None,
            )
            for row in rows[:limit]
        )

    async def set_compliance(
        self, proposal_id: uuid.UUID, version: int, requirement_id: str, change: ComplianceChange, changed_by: str
    ) -> None:
        """Record a requirement's status at `version` (the proposal's current one); raise UnknownRequirement."""
        async with self.pool.acquire() as connection, connection.transaction():
            known = await connection.fetchval(
                "SELECT true FROM proposal_requirements WHERE proposal_id = $1 AND requirement_id = $2",
                proposal_id,
                requirement_id,
            )
            if not known:
                raise UnknownRequirement(requirement_id)
            await connection.execute(
                """INSERT INTO proposal_compliance (proposal_id, requirement_id, version, status, note, sections,
                       changed_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
                   ON CONFLICT (proposal_id, requirement_id, version) DO UPDATE
                   SET status = excluded.status, note = excluded.note, sections = excluded.sections,
                       changed_by = excluded.changed_by, changed_at = now()""",
                proposal_id,
                requirement_id,
                version,
                change.status,
                change.note,
                list(change.sections),
                changed_by,
            )

    async def delete(self, proposal_id: uuid.UUID, document_id: uuid.UUID, *, force: bool) -> bool:
        """Remove a document and the requirements found only in it (their statuses go with them), and its file when
        no other row refers to it. A requirement a person assessed is a record of the proposal: without `force`,
        raise AssessedRequirements and change nothing. False if the proposal has no such document."""
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute("SELECT pg_advisory_xact_lock($1, $2)", _LOCK_CLASS, _lock_key(proposal_id))
            sha = await connection.fetchval(
                "SELECT sha256 FROM proposal_documents WHERE id = $1 AND proposal_id = $2 FOR UPDATE",
                document_id,
                proposal_id,
            )
            if sha is None:
                return False
            # A requirement another document also states is handed on to it (below), with its status: only those
            # found in this document alone would lose a person's answer.
            assessed = await connection.fetchval(
                """SELECT count(DISTINCT r.requirement_id) FROM proposal_requirements r
                   JOIN proposal_compliance c ON c.proposal_id = r.proposal_id AND c.requirement_id = r.requirement_id
                   WHERE r.document_id = $1 AND c.changed_by <> $2
                     AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(r.also_at) place
                                     WHERE place ->> 'document_id' <> $1::text)""",
                document_id,
                CHECK_AUTHOR,
            )
            if assessed and not force:
                raise AssessedRequirements(assessed)
            await _hand_on_requirements(connection, proposal_id, document_id)
            # ON DELETE CASCADE: its other requirements, and their statuses, go with it.
            await connection.execute("DELETE FROM proposal_documents WHERE id = $1", document_id)
            await append_event(
                connection,
                proposal_id,
                await connection.fetchval("SELECT current_version FROM proposals WHERE id = $1", proposal_id),
                "document",
                {"document_id": str(document_id), "status": "deleted"},
            )
        await self.remove_unreferenced([bytes(sha).hex()])
        return True

    async def remove_unreferenced(self, sha256s: Sequence[str]) -> None:
        """Remove stored files no document row refers to (after their proposal was deleted)."""
        for sha256 in sha256s:
            referenced = await self.pool.fetchval(
                "SELECT true FROM proposal_documents WHERE sha256 = $1 LIMIT 1", bytes.fromhex(sha256)
            )
            if not referenced:
                await asyncio.to_thread(remove_stored, self.files, sha256)


CHECK_AUTHOR: Final = "check"
"""`changed_by` of the statuses the coverage check sets (a person's statuses are never replaced by it)."""


async def check_coverage(
    connection: asyncpg.Connection, proposal_id: uuid.UUID, version: int, sections: Mapping[str, str]
) -> int:
    """Mark, at a drafted version, how its sections answer each requirement (`propos4l.shared.requirement_coverage`),
    inside the caller's transaction; a requirement a person assessed keeps that status. Returns how many were set."""
    rows = await connection.fetch(
        """SELECT r.requirement_id, r.quote, r.kind FROM proposal_requirements r
           LEFT JOIN LATERAL (
               SELECT changed_by FROM proposal_compliance c
               WHERE c.proposal_id = r.proposal_id AND c.requirement_id = r.requirement_id AND c.version <= $2
               ORDER BY c.version DESC LIMIT 1
           ) latest ON true
           WHERE r.proposal_id = $1 AND (latest.changed_by IS NULL OR latest.changed_by = $3)""",
        proposal_id,
        version,
        CHECK_AUTHOR,
    )
    if not rows:
        return 0
    texts = {SectionKey(key): text for key, text in sections.items() if key in SECTION_VALUES}
    values = []
    for row in rows:
        coverage = assess(row["quote"], RequirementKind(row["kind"]), texts)
        values.append(
            (
                proposal_id,
                row["requirement_id"],
                version,
                coverage.status,
                coverage.sentence or "",
                [key.value for key in coverage.sections],
                CHECK_AUTHOR,
            )
        )
    await connection.executemany(
        """INSERT INTO proposal_compliance (proposal_id, requirement_id, version, status, note, sections, changed_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (proposal_id, requirement_id, version) DO UPDATE
           SET status = excluded.status, note = excluded.note, sections = excluded.sections, changed_at = now()
           WHERE proposal_compliance.changed_by = excluded.changed_by""",
        values,
    )
    return len(values)


async def _merge_requirement(
    connection: asyncpg.Connection, proposal_id: uuid.UUID, document_id: uuid.UUID, merge: RequirementMerge
) -> int:
    """Fold `merge.merged` into `merge.kept` (both this document's): its places join the kept one's `also_at` and
    its row goes. A repeat a person assessed stays as it is (their status is not thrown away). 1 if merged."""
    rows = await connection.fetch(
        """SELECT r.requirement_id, r.file, r.page, r.clause, r.also_at,
                  EXISTS (SELECT 1 FROM proposal_compliance c WHERE c.proposal_id = r.proposal_id
                          AND c.requirement_id = r.requirement_id AND c.changed_by <> $4) AS assessed
           FROM proposal_requirements r
           WHERE r.proposal_id = $1 AND r.document_id = $2 AND r.requirement_id = ANY($3::text[])""",
        proposal_id,
        document_id,
        [merge.kept, merge.merged],
        CHECK_AUTHOR,
    )
    found = {row["requirement_id"]: row for row in rows}
    kept, merged = found.get(merge.kept), found.get(merge.merged)
    if kept is None or merged is None or merged["assessed"]:
        return 0
    places = [
        *kept["also_at"],
        {"file": merged["file"], "page": merged["page"], "clause": merged["clause"]},
        *merged["also_at"],
    ]
    await connection.execute(
        "UPDATE proposal_requirements SET also_at = $3 WHERE proposal_id = $1 AND requirement_id = $2",
        proposal_id,
        merge.kept,
        _places(places),
    )
    await connection.execute(
        "DELETE FROM proposal_requirements WHERE proposal_id = $1 AND requirement_id = $2", proposal_id, merge.merged
    )
    return 1


PLACES_MAX: Final = 50
"""The most places (`also_at`) a requirement keeps besides its first."""


def _places(places: Sequence[Mapping[str, object]]) -> list[Mapping[str, object]]:
    """`places` without repeats (the same file, page, clause and document), at most PLACES_MAX."""
    seen: set[tuple[object, ...]] = set()
    kept: list[Mapping[str, object]] = []
    for place in places:
        key = (place.get("file"), place.get("page"), place.get("clause"), place.get("document_id"))
        if key not in seen:
            seen.add(key)
            kept.append(place)
    return kept[:PLACES_MAX]


async def _add_places_elsewhere(connection: asyncpg.Connection, event: ProposalDocumentRead) -> None:
    """For each requirement of `event` another document of the proposal already holds (the same id: the same quote
    at the same clause), add this document's places to that row's `also_at`, marked with this document's id (so
    deleting the first document can hand the requirement on, `ClientDocuments.delete`)."""
    held = await connection.fetch(
        """SELECT requirement_id, also_at FROM proposal_requirements
           WHERE proposal_id = $1 AND document_id <> $2 AND requirement_id = ANY($3::text[])
           FOR UPDATE""",
        event.proposal_id,
        event.document_id,
        [requirement.id for requirement in event.requirements],
    )
    if not held:
        return
    found = {requirement.id: requirement for requirement in event.requirements}
    document = str(event.document_id)
    await connection.executemany(
        "UPDATE proposal_requirements SET also_at = $3 WHERE proposal_id = $1 AND requirement_id = $2",
        [
            (
                event.proposal_id,
                row["requirement_id"],
                _places(
                    [
                        *row["also_at"],
                        *(
                            {**location.model_dump(mode="json"), "document_id": document}
                            for location in (found[row["requirement_id"]].location,
                                             *found[row["requirement_id"]].also_at)
                        ),
                    ]
                ),
            )
            for row in held
        ],
    )  # fmt: skip


async def _hand_on_requirements(connection: asyncpg.Connection, proposal_id: uuid.UUID, document_id: uuid.UUID) -> None:
    """Before `document_id` is deleted: each of its requirements another document also states moves to that
    document's first place (same id, statuses kept), and the other requirements forget their places in it."""
    document = str(document_id)
    rows = await connection.fetch(
        """SELECT requirement_id, document_id, also_at FROM proposal_requirements
           WHERE proposal_id = $1 AND (document_id = $2 OR also_at @> $3::jsonb)""",
        proposal_id,
        document_id,
        [{"document_id": document}],
    )
    for row in rows:
        places: list[Mapping[str, object]] = row["also_at"]
        if row["document_id"] != document_id:  # another document's requirement: only its places in this one go
            remaining = [place for place in places if place.get("document_id") != document]
            await connection.execute(
                "UPDATE proposal_requirements SET also_at = $3 WHERE proposal_id = $1 AND requirement_id = $2",
                proposal_id,
                row["requirement_id"],
                remaining,
            )
            continue
        elsewhere = [place for place in places if place.get("document_id") not in (None, document)]
        if not elsewhere:
            continue  # found in this document only: it goes with it
        first, heir = elsewhere[0], uuid.UUID(str(elsewhere[0]["document_id"]))
        # The heir's places are its own from now on: the id mark is only for places in other documents.
        rest = [
            {key: value for key, value in place.items() if key != "document_id"}
            if place.get("document_id") == first["document_id"]
            else place
            for place in elsewhere[1:]
        ]
        await connection.execute(
            """UPDATE proposal_requirements SET document_id = $3, file = $4, page = $5, clause = $6, also_at = $7
               WHERE proposal_id = $1 AND requirement_id = $2""",
            proposal_id,
            row["requirement_id"],
            heir,
            first["file"],
            first["page"],
            first["clause"],
            rest,
        )


def _sections(keys: Sequence[str] | None) -> tuple[SectionKey, ...]:
    return tuple(SectionKey(key) for key in keys or () if key in SECTION_VALUES)


def _lock_key(proposal_id: uuid.UUID) -> int:
    return int.from_bytes(proposal_id.bytes[:4], "big", signed=True)


class ClientDocumentRecorder:
    """Applies the library service's reports on client documents: progress, requirements and fields, failure."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def on_progressed(self, delivery: Delivery) -> None:
        """Pages read so far, on the document and on the proposal's live stream ("reading page 34 of 120")."""
        event = delivery.envelope.open(ProposalDocumentProgressed)
        async with self._transaction() as connection:
            if not await mark_processed(connection, _GROUP, event.event_id):
                return
            changed = await connection.execute(
                """UPDATE proposal_documents SET status = 'reading', pages_done = $2, pages_total = $3
                   WHERE id = $1 AND status IN ('uploaded', 'reading') AND pages_done <= $2""",
                event.document_id,
                event.pages_done,
                event.pages_total,
            )
            if changed == "UPDATE 1":
                await append_event(
                    connection,
                    event.proposal_id,
                    event.version,
                    "document",
                    {
                        "document_id": str(event.document_id),
                        "filename": event.filename,
                        "status": "reading",
                        "pages_done": event.pages_done,
                        "pages_total": event.pages_total,
                    },
                )

    async def on_read(self, delivery: Delivery) -> None:
        """The document's requirements and request fields, recorded with its counts ("found 57 requirements")."""
        event = delivery.envelope.open(ProposalDocumentRead)
        async with self._transaction() as connection:
            if not await mark_processed(connection, _GROUP, event.event_id):
                return
            document = await connection.fetchrow(
                "SELECT id FROM proposal_documents WHERE id = $1 FOR UPDATE", event.document_id
            )
            if document is None:
                logger.info("read client document no longer there", extra={"document_id": str(event.document_id)})
                return
            # A requirement already found in another of the proposal's documents keeps its id, its first place and
            # its status; this document's places join its `also_at`, each marked with this document's id.
            await _add_places_elsewhere(connection, event)
            await connection.executemany(
                """INSERT INTO proposal_requirements (proposal_id, requirement_id, document_id, ordinal, quote,
                       obligation, kind, file, page, clause, heading, also_at, found_in_version)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                   ON CONFLICT (proposal_id, requirement_id) DO NOTHING""",
                [
                    (
                        event.proposal_id,
                        requirement.id,
                        event.document_id,
                        ordinal,
                        requirement.quote,
                        requirement.obligation.value,
                        requirement.kind.value,
                        requirement.location.file,
                        requirement.location.page,
                        requirement.location.clause,
                        requirement.heading,
                        [location.model_dump(mode="json") for location in requirement.also_at],
                        event.version,
                    )
                    for ordinal, requirement in enumerate(event.requirements)
                ],
            )
            await connection.execute(
                """UPDATE proposal_documents
                   SET status = 'read', pages_total = $2, pages_done = $2, ocr_pages = $3, requirement_count = $4,
                       request_fields = $5, failure_code = NULL, failure_reason = NULL, read_at = $6
                   WHERE id = $1""",
                event.document_id,
                event.pages,
                event.ocr_pages,
                len(event.requirements),
                json.loads(event.fields.model_dump_json()),
                event.occurred_at,
            )
            # The model's pass (classify, merge) follows in the generator; the rules' requirements stand meanwhile.
            mine = await connection.fetch(
                "SELECT requirement_id FROM proposal_requirements WHERE proposal_id = $1 AND document_id = $2",
                event.proposal_id,
                event.document_id,
            )
            own = {row["requirement_id"] for row in mine}
            language = await connection.fetchval("SELECT language FROM proposals WHERE id = $1", event.proposal_id)
            if own and language is not None:
                await add_to_outbox(
                    connection,
                    ProposalRequirementsFound(
                        event_id=derived_event_id(event.event_id, ProposalRequirementsFound.event_type),
                        proposal_id=event.proposal_id,
                        version=event.version,
                        document_id=event.document_id,
                        filename=event.filename,
                        language=Language(language),
                        requirements=tuple(item for item in event.requirements if item.id in own),
                    ),
                )
            elif event.requirements:  # every one already held by another document: nothing of its own to review
                await connection.execute(
                    "UPDATE proposal_documents SET review = $2 WHERE id = $1",
                    event.document_id,
                    {
                        "model": "",
                        "relabelled": 0,
                        "merged": 0,
                        "confirmed": 0,
                        "ignored": 0,
                        "failed_batches": 0,
                        "batches": 0,
                        "skipped": "every requirement was already found in another of the proposal's documents",
                        "reviewed_at": event.occurred_at.isoformat(),
                    },
                )
            # Requirements found after the current version was drafted are checked against it at once.
            drafted = await connection.fetchrow(
                """SELECT v.version, v.sections FROM proposals p
                   JOIN proposal_versions v ON v.proposal_id = p.id AND v.version = p.current_version
                   WHERE p.id = $1 AND v.drafted_at IS NOT NULL""",
                event.proposal_id,
            )
            if drafted is not None and drafted["sections"]:
                await check_coverage(
                    connection,
                    event.proposal_id,
                    drafted["version"],
                    {section["key"]: section["content"] for section in drafted["sections"]},
                )
            await append_event(
                connection,
                event.proposal_id,
                event.version,
                "document",
                {
                    "document_id": str(event.document_id),
                    "filename": event.filename,
                    "status": "read",
                    "pages_done": event.pages,
                    "pages_total": event.pages,
                    "requirements": len(event.requirements),
                },
            )

    async def on_reviewed(self, delivery: Delivery) -> None:
        """The model's pass over a document's requirements: labels it changed (marked `model`), repeats merged into
        the earlier requirement (their places kept in `also_at`; a repeat a person already assessed is kept), and
        its counts on the document and the live stream."""
        event = delivery.envelope.open(ProposalRequirementsReviewed)
        async with self._transaction() as connection:
            if not await mark_processed(connection, _GROUP, event.event_id):
                return
            document = await connection.fetchrow(
                "SELECT id, filename FROM proposal_documents WHERE id = $1 FOR UPDATE", event.document_id
            )
            if document is None:
                return
            await connection.executemany(
                """UPDATE proposal_requirements SET kind = $4, obligation = $5, classified_by = 'model'
                   WHERE proposal_id = $1 AND document_id = $2 AND requirement_id = $3""",
                [
                    (event.proposal_id, event.document_id, item.id, item.kind.value, item.obligation.value)
                    for item in event.relabels
                ],
            )
            merged = 0
            for merge in event.merges:
                merged += await _merge_requirement(connection, event.proposal_id, event.document_id, merge)
            # Found in it, as at reading: its own requirements and those another document stated first (marked in
            # their `also_at`), so a shared requirement counts for both documents, before and after a hand-on.
            count = await connection.fetchval(
                """SELECT count(*) FROM proposal_requirements
                   WHERE proposal_id = $1 AND (document_id = $2 OR also_at @> $3::jsonb)""",
                event.proposal_id,
                event.document_id,
                [{"document_id": str(event.document_id)}],
            )
            review = {
                "model": event.model,
                "relabelled": len(event.relabels),
                "merged": merged,
                "confirmed": event.confirmed,
                "ignored": event.ignored,
                "failed_batches": event.failed_batches,
                "batches": event.batches,
                "skipped": event.skipped,
                "reviewed_at": event.occurred_at.isoformat(),
            }
            await connection.execute(
                "UPDATE proposal_documents SET requirement_count = $2, review = $3 WHERE id = $1",
                event.document_id,
                count,
                review,
            )
            await append_event(
                connection,
                event.proposal_id,
                event.version,
                "document",
                {
                    "document_id": str(event.document_id),
                    "filename": document["filename"],
                    "status": "reviewed",
                    "requirements": count,
                    "relabelled": len(event.relabels),
                    "merged": merged,
                    "skipped": event.skipped,
                },
            )

    async def on_failed(self, delivery: Delivery) -> None:
        """The document could not be read: its status, code and reason, also on the live stream."""
        event = delivery.envelope.open(ProposalDocumentFailed)
        async with self._transaction() as connection:
            if not await mark_processed(connection, _GROUP, event.event_id):
                return
            filename = await connection.fetchval(
                """UPDATE proposal_documents SET status = 'failed', failure_code = $2, failure_reason = $3
                   WHERE id = $1 RETURNING filename""",
                event.document_id,
                event.code.value,
                event.reason,
            )
            if filename is not None:
                await append_event(
                    connection,
                    event.proposal_id,
                    event.version,
                    "document",
                    {
                        "document_id": str(event.document_id),
                        "filename": filename,
                        "status": "failed",
                        "failure_code": event.code.value,
                        "failure_reason": event.reason,
                    },
                )
        logger.warning(
            "client document failed",
            extra={"document_id": str(event.document_id), "code": event.code.value, "reason": event.reason},
        )

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection in a transaction; PostgreSQL not answering is an outage, not the event's fault."""
        try:
            async with self._pool.acquire() as connection, connection.transaction():
                yield connection
        except (ConnectionError, socket.gaierror, TimeoutError) as error:
            raise DependencyUnavailable("postgresql", f"PostgreSQL is not answering: {error}") from error
