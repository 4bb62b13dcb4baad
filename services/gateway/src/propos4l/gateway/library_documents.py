"""The library's document rows: adding a received file (once per content), listing, reading, deleting.

A document row and its file go together: a file is stored before its row is inserted and removed after its row is
deleted, both under an advisory lock on the file's hash, so an upload of the same content at the same moment as a
deletion never ends with a row whose file is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

import asyncpg

from propos4l.gateway.library_storage import ReceivedFile, remove_stored, store
from propos4l.gateway.proposal_listing import ListPosition
from propos4l.gateway.repository import add_to_outbox
from propos4l.shared.events import LibraryDocumentUploaded
from propos4l.shared.object_store import ObjectStore

__all__ = ["DocumentPage", "LibraryDocuments", "NewDocument", "PassagePage", "proposal_markdown"]

_LOCK_CLASS: Final = 0x4C494252  # "LIBR": the first key of the two-key advisory locks on a file's hash


@dataclass(frozen=True, slots=True)
class NewDocument:
    """What the uploader tells about a document (the file itself is a `ReceivedFile`)."""

    title: str
    filename: str
    media_type: str
    category: str
    language: str | None
    owner: str
    uploaded_by: str
    review_by: date | None = None
    person_id: uuid.UUID | None = None
    proposal_id: uuid.UUID | None = None
    proposal_version: int | None = None


@dataclass(frozen=True, slots=True)
class DocumentPage:
    """Documents, newest first, and where the next page starts (None on the last page)."""

    rows: Sequence[asyncpg.Record]
    next_position: ListPosition | None


@dataclass(frozen=True, slots=True)
class PassagePage:
    """A document's passages in order, and the ordinal the next page starts after (None on the last page)."""

    rows: Sequence[asyncpg.Record]
    next_after: int | None


_CHANGEABLE: Final = ("title", "category", "language", "owner", "review_by", "person_id")
"""The columns `LibraryDocuments.change` may set (the only names its SQL is built from)."""


class LibraryDocuments:
    """Document rows in PostgreSQL and their files under LIBRARY_DIR."""

    def __init__(self, pool: asyncpg.Pool, library_dir: Path, files: ObjectStore) -> None:
        self.pool = pool
        self.library_dir = library_dir  # where uploads are received (and, without STORAGE_URL, the store itself)
        self.files = files

    async def add(self, received: ReceivedFile, document: NewDocument) -> tuple[asyncpg.Record, bool]:
        """Store the file and insert its row with a LibraryDocumentUploaded event, in one transaction; when the same
        content is already in the library, the existing row (and False: nothing was added)."""
        sha = bytes.fromhex(received.sha256)
        try:
            async with self._file_locked(received.sha256) as connection:
                existing = await connection.fetchrow("SELECT * FROM library_documents WHERE sha256 = $1", sha)
                if existing is not None:
                    return existing, False
                await asyncio.to_thread(store, self.files, received)
                try:
                    async with connection.transaction():
                        row = await self._insert(connection, received, document)
                        await add_to_outbox(
                            connection,
                            LibraryDocumentUploaded(
                                document_id=row["id"],
                                sha256=received.sha256,
                                media_type=document.media_type,
                                filename=document.filename,
                            ),
                        )
                except BaseException:
                    # No row refers to the file (the lock keeps others out): it goes with the failed insert.
                    await asyncio.to_thread(remove_stored, self.files, received.sha256)
                    raise
                return row, True
        finally:
            received.discard()

    async def list(self, *, limit: int, after: ListPosition | None = None) -> DocumentPage:
        """A page of documents, newest first."""
        async with self.pool.acquire() as connection:
            if after is None:
                rows = await connection.fetch(
                    "SELECT * FROM library_documents ORDER BY created_at DESC, id DESC LIMIT $1", limit + 1
                )
            else:
                rows = await connection.fetch(
                    """SELECT * FROM library_documents WHERE (created_at, id) < ($1, $2)
                       ORDER BY created_at DESC, id DESC LIMIT $3""",
                    after.created_at,
                    after.proposal_id,
                    limit + 1,
                )
        if len(rows) <= limit:
            return DocumentPage(rows, None)
        last = rows[limit - 1]
        return DocumentPage(rows[:limit], ListPosition(last["created_at"], last["id"]))

    async def get(self, document_id: uuid.UUID) -> asyncpg.Record | None:
        """One document, or None."""
        async with self.pool.acquire() as connection:
            return await connection.fetchrow("SELECT * FROM library_documents WHERE id = $1", document_id)

    async def passages(self, document_id: uuid.UUID, *, limit: int, after: int | None = None) -> PassagePage:
        """A page of a document's passages, in reading order."""
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(
                """SELECT id, ordinal, language, title, heading_path, page, body FROM library_passages
                   WHERE document_id = $1 AND ordinal > $2 ORDER BY ordinal LIMIT $3""",
                document_id,
                -1 if after is None else after,
                limit + 1,
            )
        if len(rows) <= limit:
            return PassagePage(rows, None)
        return PassagePage(rows[:limit], rows[limit - 1]["ordinal"])

    async def change(self, document_id: uuid.UUID, changes: Mapping[str, object]) -> asyncpg.Record | None:
        """Change a document's details (`changes`: column -> value); None when there is no such document.

        A new title or language changes what its passages say and how they are searched: the document is indexed
        again (its passages go at once, a LibraryDocumentUploaded event brings new ones), in the same transaction.
        A new category is its passages' kind. Owner, review date and person change the row only.
        """
        columns = [column for column in _CHANGEABLE if column in changes]
        async with self.pool.acquire() as connection, connection.transaction():
            current = await connection.fetchrow("SELECT * FROM library_documents WHERE id = $1 FOR UPDATE", document_id)
            if current is None:
                return None
            if not columns:
                return current
            assignments = ", ".join(f"{column} = ${number}" for number, column in enumerate(columns, start=2))
            row = await connection.fetchrow(
                f"UPDATE library_documents SET {assignments}, updated_at = now() WHERE id = $1 RETURNING *",  # noqa: S608
                document_id,
                *(changes[column] for column in columns),
            )
            if row["category"] != current["category"]:
                await connection.execute(
                    "UPDATE library_passages SET kind = $2 WHERE document_id = $1", document_id, row["category"]
                )
            if row["title"] != current["title"] or row["language"] != current["language"]:
                await connection.execute("DELETE FROM library_passages WHERE document_id = $1", document_id)
                row = await connection.fetchrow(
                    """UPDATE library_documents SET status = 'uploaded', pages_done = 0, passage_count = 0,
                           failure_code = NULL, failure_reason = NULL, indexed_at = NULL, updated_at = now()
                       WHERE id = $1 RETURNING *""",
                    document_id,
                )
                await add_to_outbox(
                    connection,
                    LibraryDocumentUploaded(
                        document_id=document_id,
                        sha256=bytes(row["sha256"]).hex(),
                        media_type=row["media_type"],
                        filename=row["filename"],
                    ),
                )
            return row

    async def is_person(self, entry_id: uuid.UUID) -> bool:
        """Whether `entry_id` is a person of the library (a CV's owner)."""
        found = await self.pool.fetchval("SELECT true FROM library_entries WHERE id = $1 AND kind = 'person'", entry_id)
        return bool(found)

    async def delete(self, document_id: uuid.UUID) -> bool:
        """Delete a document, its passages (by cascade) and its file; False when there is no such document."""
        async with self.pool.acquire() as connection:
            sha = await connection.fetchval("SELECT sha256 FROM library_documents WHERE id = $1", document_id)
        if sha is None:
            return False
        async with self._file_locked(bytes(sha).hex()) as connection:
            deleted = await connection.fetchval(
                "DELETE FROM library_documents WHERE id = $1 RETURNING true", document_id
            )
            if deleted:
                # sha256 is unique: no other row refers to the file, and the lock keeps a new upload of it waiting.
                await asyncio.to_thread(remove_stored, self.files, bytes(sha).hex())
        return bool(deleted)

    async def person_files(self, person_id: uuid.UUID) -> tuple[str, ...]:
        """The SHA-256 (hex) of a person's documents' files (their CVs)."""
        rows = await self.pool.fetch("SELECT sha256 FROM library_documents WHERE person_id = $1", person_id)
        return tuple(bytes(row["sha256"]).hex() for row in rows)

    async def remove_unreferenced(self, sha256s: Sequence[str]) -> None:
        """Remove the files no document row refers to any more (after a cascade deleted their rows)."""
        for sha256 in sha256s:
            async with self._file_locked(sha256) as connection:
                referenced = await connection.fetchval(
                    "SELECT true FROM library_documents WHERE sha256 = $1", bytes.fromhex(sha256)
                )
                if not referenced:
                    await asyncio.to_thread(remove_stored, self.files, sha256)

    @contextlib.asynccontextmanager
    async def _file_locked(self, sha256: str) -> AsyncIterator[asyncpg.Connection]:
        """A connection holding the advisory lock of the file with this hash (for as long as the block runs)."""
        key = int.from_bytes(bytes.fromhex(sha256)[:4], "big", signed=True)
        async with self.pool.acquire() as connection:
            await connection.execute("SELECT pg_advisory_lock($1, $2)", _LOCK_CLASS, key)
            try:
                yield connection
            finally:
                try:
                    await connection.execute("SELECT pg_advisory_unlock($1, $2)", _LOCK_CLASS, key)
                except BaseException:
                    # The pool does not reset sessions (`shared/db.py`): a lock that may still be held must not go
                    # back to it with the connection.
                    connection.terminate()
                    raise

    @staticmethod
    async def _insert(connection: asyncpg.Connection, received: ReceivedFile, document: NewDocument) -> asyncpg.Record:
        return await connection.fetchrow(
            """INSERT INTO library_documents (id, title, filename, media_type, sha256, size_bytes, category, language,
                   person_id, proposal_id, proposal_version, owner, review_by, uploaded_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
               RETURNING *""",
            uuid.uuid4(),
            document.title,
            document.filename,
            document.media_type,
            bytes.fromhex(received.sha256),
            received.size,
            document.category,
            document.language,
            document.person_id,
            document.proposal_id,
            document.proposal_version,
            document.owner,
            document.review_by,
            document.uploaded_by,
        )


def proposal_markdown(title: str, sections: Sequence[dict[str, str]]) -> str:
    """A proposal version as one Markdown document: its title, then each section under its title as a heading."""
    parts = [f"# {title}"]
    for section in sections:
        parts.append(f"## {section['title']}")
        if section["content"].strip():
            parts.append(section["content"].strip())
    return "\n\n".join(parts) + "\n"
