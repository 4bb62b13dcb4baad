"""Indexing an uploaded document: extract its text, split it into passages, write them, and say how it went.

Idempotent: a redelivered upload event whose outcome is already recorded (the inbox, `processed_events`) is answered
with that outcome again and no new work; one that is not (the service stopped midway) is indexed again, which
writes the same passages with the same ids (`propos4l.shared.library_text.passage_id`), keeping their embeddings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

import asyncpg

from propos4l.library.extraction import Extracted, ExtractionFailed
from propos4l.library.language import guess_language
from propos4l.library.passages import PassageDraft, split
from propos4l.shared.db import mark_processed
from propos4l.shared.events import (
    LibraryDocumentFailed,
    LibraryDocumentIndexed,
    LibraryDocumentUploaded,
    LibraryFailureCode,
    derived_event_id,
)
from propos4l.shared.library_text import (
    LibraryLanguage,
    content_digest,
    document_search_text,
    passage_id,
    search_config,
)
from propos4l.shared.object_store import ObjectStore, local_copy
from propos4l.shared.streams import ConsumerGroup

__all__ = ["DocumentIndexer", "Extractor", "library_key"]

logger = logging.getLogger(__name__)

_GROUP: Final = ConsumerGroup.LIBRARY.value
_PROGRESS_INTERVAL_SECONDS: Final = 0.5

Outcome = LibraryDocumentIndexed | LibraryDocumentFailed


class Extractor(Protocol):
    """What indexing needs of the extraction pool (propos4l.library.extraction.ExtractionPool)."""

    async def extract(
        self, path: Path, media_type: str, *, on_page: Callable[[int, int], None] | None = None
    ) -> Extracted:
        """The document's text blocks; raises ExtractionFailed."""
        ...


def library_key(sha256: str) -> str:
    """Where the gateway stored the file with this SHA-256 (hex): <aa>/<sha256> of the library's store."""
    return f"{sha256[:2]}/{sha256}"


@dataclass(frozen=True, slots=True)
class _Document:
    id: uuid.UUID
    title: str
    category: str
    language: str | None


class DocumentIndexer:
    """Indexes documents into library_passages and records their progress on library_documents."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        extractor: Extractor,
        files: ObjectStore,
        *,
        passage_max_characters: int = 1500,
        scratch: Path | None = None,
    ) -> None:
        self._pool = pool
        self._extractor = extractor
        self._files = files
        # Where a file of a bucket is downloaded to while it is extracted (a local folder's files are read in place).
        self._scratch = scratch or Path(tempfile.gettempdir()) / "propos4l-library"
        self._passage_max_characters = passage_max_characters

    async def index(self, uploaded: LibraryDocumentUploaded) -> Outcome | None:
        """Index the uploaded document; the event to publish, or None when the document was deleted meanwhile."""
        recorded = await self._recorded_outcome(uploaded)
        if recorded is not None:
            return recorded
        document = await self._start(uploaded.document_id)
        if document is None:
            logger.info("uploaded document no longer in the library", extra={"document_id": str(uploaded.document_id)})
            return None
        try:
            extracted = await self._extract_stored(document.id, uploaded)
        except ExtractionFailed as failure:
            return await self._fail(uploaded, document, failure)
        drafts = split(extracted, max_characters=self._passage_max_characters)
        language: LibraryLanguage = (
            "en"
            if document.language == "en"
            else "pt-BR"
            if document.language == "pt-BR"
            else guess_language(draft.body for draft in drafts)
        )
        return await self._finish(uploaded, document, extracted, drafts, language)

    async def _extract_stored(self, document_id: uuid.UUID, uploaded: LibraryDocumentUploaded) -> Extracted:
        with contextlib.ExitStack() as stack:
            path = await asyncio.to_thread(
                stack.enter_context, local_copy(self._files, library_key(uploaded.sha256), self._scratch)
            )
            if path is None:
                raise ExtractionFailed(
                    LibraryFailureCode.FILE_MISSING,
                    "The uploaded file is missing from the library folder; upload it again.",
                )
            try:
                return await self._extract(document_id, path, uploaded.media_type)
            finally:
                await asyncio.to_thread(stack.close)

    async def _recorded_outcome(self, uploaded: LibraryDocumentUploaded) -> Outcome | None:
        """The outcome of an upload event handled before (its event id in the inbox), or None."""
        async with self._pool.acquire() as connection:
            done = await connection.fetchval(
                "SELECT true FROM processed_events WHERE consumer_group = $1 AND event_id = $2",
                _GROUP,
                uploaded.event_id,
            )
            if not done:
                return None
            row = await connection.fetchrow(
                """SELECT pages_total, ocr_pages, failure_code, failure_reason,
                          (SELECT count(*) FROM library_passages WHERE document_id = d.id) AS passages
                   FROM library_documents d WHERE id = $1""",
                uploaded.document_id,
            )
        if row is None:
            return None
        if row["failure_code"] is not None:
            return self._failed_event(uploaded, LibraryFailureCode(row["failure_code"]), row["failure_reason"])
        return self._indexed_event(uploaded, row["pages_total"] or 0, row["passages"], row["ocr_pages"])

    async def _start(self, document_id: uuid.UUID) -> _Document | None:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                """UPDATE library_documents
                   SET status = 'indexing', pages_done = 0, failure_code = NULL, failure_reason = NULL,
                       updated_at = now()
                   WHERE id = $1
                   RETURNING id, title, category, language""",
                document_id,
            )
        return None if row is None else _Document(row["id"], row["title"], row["category"], row["language"])

    async def _extract(self, document_id: uuid.UUID, path: Path, media_type: str) -> Extracted:
        """Extract, writing the pages done as they are (at most every half second)."""
        latest: list[tuple[int, int]] = []
        changed = asyncio.Event()

        def on_page(done: int, total: int) -> None:
            latest.append((done, total))
            changed.set()

        async def write_progress() -> None:
            while True:
                await changed.wait()
                changed.clear()
                done, total = latest[-1]
                latest.clear()
                async with self._pool.acquire() as connection:
                    await connection.execute(
                        """UPDATE library_documents SET pages_done = $2, pages_total = $3, updated_at = now()
                           WHERE id = $1 AND status = 'indexing'""",
                        document_id,
                        done,
                        total,
                    )
                await asyncio.sleep(_PROGRESS_INTERVAL_SECONDS)

        writer = asyncio.create_task(write_progress(), name="library progress")
        try:
            return await self._extractor.extract(path, media_type, on_page=on_page)
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    async def _finish(
        self,
        uploaded: LibraryDocumentUploaded,
        document: _Document,
        extracted: Extracted,
        drafts: Sequence[PassageDraft],
        language: LibraryLanguage,
    ) -> Outcome | None:
        rows = [_passage_row(document, draft, language) for draft in drafts]
        async with self._pool.acquire() as connection, connection.transaction():
            if not await _lock_document(connection, document.id):
                await mark_processed(connection, _GROUP, uploaded.event_id)
                return None
            # Passages whose content is unchanged keep their ids (and embeddings); the others are replaced.
            await connection.execute(
                "DELETE FROM library_passages WHERE document_id = $1 AND NOT (id = ANY($2::uuid[]))",
                document.id,
                [row[0] for row in rows],
            )
            await connection.executemany(
                """INSERT INTO library_passages (id, document_id, ordinal, kind, language, title, heading_path, page,
                       body, search_config, search_text, content_sha256)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::regconfig, $11, $12)
                   ON CONFLICT (id) DO NOTHING""",
                rows,
            )
            await connection.execute(
                """UPDATE library_documents
                   SET pages_total = $2, pages_done = $2, ocr_pages = $3, passage_count = $4, updated_at = now()
                   WHERE id = $1""",
                document.id,
                extracted.pages,
                extracted.ocr_pages,
                len(rows),
            )
            await mark_processed(connection, _GROUP, uploaded.event_id)
        logger.info(
            "library document indexed",
            extra={
                "document_id": str(document.id),
                "pages": extracted.pages,
                "ocr_pages": extracted.ocr_pages,
                "passages": len(rows),
                "language": language,
            },
        )
        return self._indexed_event(uploaded, extracted.pages, len(rows), extracted.ocr_pages)

    async def _fail(
        self, uploaded: LibraryDocumentUploaded, document: _Document, failure: ExtractionFailed
    ) -> Outcome | None:
        async with self._pool.acquire() as connection, connection.transaction():
            if not await _lock_document(connection, document.id):
                await mark_processed(connection, _GROUP, uploaded.event_id)
                return None
            await connection.execute(
                """UPDATE library_documents
                   SET status = 'failed', failure_code = $2, failure_reason = $3, updated_at = now()
                   WHERE id = $1""",
                document.id,
                failure.code.value,
                failure.reason,
            )
            await mark_processed(connection, _GROUP, uploaded.event_id)
        logger.warning(
            "library document not indexed",
            extra={"document_id": str(document.id), "code": failure.code.value, "reason": failure.reason},
        )
        return self._failed_event(uploaded, failure.code, failure.reason)

    @staticmethod
    def _indexed_event(uploaded: LibraryDocumentUploaded, pages: int, passages: int, ocr: int) -> Outcome:
        return LibraryDocumentIndexed(
            event_id=derived_event_id(uploaded.event_id, LibraryDocumentIndexed.event_type),
            document_id=uploaded.document_id,
            pages=pages,
            passages=passages,
            ocr_pages=ocr,
        )

    @staticmethod
    def _failed_event(uploaded: LibraryDocumentUploaded, code: LibraryFailureCode, reason: str) -> Outcome:
        return LibraryDocumentFailed(
            event_id=derived_event_id(uploaded.event_id, LibraryDocumentFailed.event_type),
            document_id=uploaded.document_id,
            code=code,
            reason=reason[:2000],
        )


async def _lock_document(connection: asyncpg.Connection, document_id: uuid.UUID) -> bool:
    """Lock the document's row for the transaction; False when it was deleted meanwhile."""
    found = await connection.fetchval("SELECT true FROM library_documents WHERE id = $1 FOR UPDATE", document_id)
    return bool(found)


def _passage_row(document: _Document, draft: PassageDraft, language: LibraryLanguage) -> tuple[object, ...]:
    headings = tuple(draft.heading_path)
    digest = content_digest(document.title, *headings, draft.body)
    return (
        passage_id(document.id, draft.ordinal, digest),
        document.id,
        draft.ordinal,
        document.category,
        language,
        document.title,
        list(headings),
        draft.page,
        draft.body,
        search_config(language),
        document_search_text(document.title, draft.ordinal, draft.body, headings),
        digest,
    )
