"""Recording what the library service reports about a document: indexed (with its counts) or failed (with why)."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from propos4l.shared.db import mark_processed
from propos4l.shared.delivery import Delivery
from propos4l.shared.events import LibraryDocumentFailed, LibraryDocumentIndexed
from propos4l.shared.outages import DependencyUnavailable
from propos4l.shared.streams import ConsumerGroup

__all__ = ["LibraryRecorder"]

logger = logging.getLogger(__name__)

_GROUP = ConsumerGroup.GATEWAY.value


class LibraryRecorder:
    """Applies the library service's document events to library_documents, each once."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def on_indexed(self, delivery: Delivery) -> None:
        """A document is indexed: its status, counts and time."""
        event = delivery.envelope.open(LibraryDocumentIndexed)
        async with self._transaction() as connection:
            if not await mark_processed(connection, _GROUP, event.event_id):
                return
            changed = await connection.execute(
                """UPDATE library_documents
                   SET status = 'indexed', passage_count = $2, pages_total = $3, pages_done = $3, ocr_pages = $4,
                       failure_code = NULL, failure_reason = NULL, indexed_at = $5, updated_at = now()
                   WHERE id = $1""",
                event.document_id,
                event.passages,
                event.pages,
                event.ocr_pages,
                event.occurred_at,
            )
        if changed != "UPDATE 1":
            logger.info("indexed document no longer in the library", extra={"document_id": str(event.document_id)})

    async def on_failed(self, delivery: Delivery) -> None:
        """A document could not be indexed: its status, the code and the reason."""
        event = delivery.envelope.open(LibraryDocumentFailed)
        async with self._transaction() as connection:
            if not await mark_processed(connection, _GROUP, event.event_id):
                return
            await connection.execute(
                """UPDATE library_documents
                   SET status = 'failed', failure_code = $2, failure_reason = $3, updated_at = now()
                   WHERE id = $1""",
                event.document_id,
                event.code.value,
                event.reason,
            )
        logger.warning(
            "library document failed",
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
