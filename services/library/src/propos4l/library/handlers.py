"""The library service's transport edge: read an event, call the domain, publish the outcome."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from propos4l.library.client_documents import ClientDocumentReader
from propos4l.library.indexing import DocumentIndexer
from propos4l.shared.delivery import DeadLetter, Delivery, Publisher
from propos4l.shared.events import (
    LibraryDocumentFailed,
    LibraryDocumentIndexed,
    LibraryDocumentUploaded,
    LibraryEntryChanged,
    LibraryFailureCode,
    ProposalDocumentFailed,
    ProposalDocumentUploaded,
    derived_event_id,
)
from propos4l.shared.telemetry import record_library_document, span

__all__ = ["EmbedPending", "LibraryHandlers"]

logger = logging.getLogger(__name__)

EmbedPending = Callable[[], Awaitable[object]]
"""Embeds the passages that lack an embedding for the current model (propos4l.library.embedding.embed_pending,
bound to the pool, client and model); None where no embedding model is configured."""


class LibraryHandlers:
    """Handlers of the library service's consumer."""

    def __init__(
        self,
        indexer: DocumentIndexer,
        publisher: Publisher,
        embed_pending: EmbedPending | None,
        client_documents: ClientDocumentReader | None = None,
    ) -> None:
        self._indexer = indexer
        self._publisher = publisher
        self._embed_pending = embed_pending
        self._client_documents = client_documents

    async def on_proposal_document_uploaded(self, delivery: Delivery) -> None:
        """Read a client's document into requirements and request fields; publish read or failed."""
        uploaded = delivery.envelope.open(ProposalDocumentUploaded)
        if self._client_documents is None:
            raise RuntimeError("this library service reads no client documents")
        started = time.monotonic()
        with span("read client document", {"propos4l.proposal_id": str(uploaded.proposal_id)}):
            outcome = await self._client_documents.read(uploaded)
        await self._publisher.publish(outcome)
        logger.info(
            "client document handled",
            extra={
                "proposal_id": str(uploaded.proposal_id),
                "document_id": str(uploaded.document_id),
                "outcome": outcome.event_type,
                "seconds": round(time.monotonic() - started, 3),
            },
        )

    async def on_document_uploaded(self, delivery: Delivery) -> None:
        """Extract, split and index the document; publish indexed or failed."""
        uploaded = delivery.envelope.open(LibraryDocumentUploaded)
        started = time.monotonic()
        attributes = {
            "propos4l.library.document_id": str(uploaded.document_id),
            "propos4l.library.media_type": uploaded.media_type,
        }
        with span("index library document", attributes) as index_span:
            outcome = await self._indexer.index(uploaded)
            if outcome is not None:
                index_span.set_attribute("propos4l.library.outcome", outcome.event_type)
        if outcome is None:
            return
        seconds = time.monotonic() - started
        if isinstance(outcome, LibraryDocumentIndexed):
            record_library_document(uploaded.media_type, "indexed", seconds, outcome.pages, outcome.ocr_pages)
        else:
            record_library_document(uploaded.media_type, outcome.code.value, seconds)
        await self._publisher.publish(outcome)
        logger.info(
            "library document handled",
            extra={
                "document_id": str(uploaded.document_id),
                "outcome": outcome.event_type,
                "seconds": round(seconds, 3),
            },
        )
        await self._embed()

    async def on_entry_changed(self, delivery: Delivery) -> None:
        """An entry's passages changed (the gateway wrote them): embed what lacks an embedding."""
        changed = delivery.envelope.open(LibraryEntryChanged)
        logger.info("library entry changed", extra={"entry_id": str(changed.entry_id), "deleted": changed.deleted})
        await self._embed()

    async def on_dead_letter(self, dead: DeadLetter) -> None:
        """An upload the service gave up on (it crashed the handler each time): the document fails, with why."""
        if dead.envelope is not None and dead.envelope.event_type == ProposalDocumentUploaded.event_type:
            client_document = dead.envelope.open(ProposalDocumentUploaded)
            await self._publisher.publish(
                ProposalDocumentFailed(
                    event_id=derived_event_id(client_document.event_id, ProposalDocumentFailed.event_type),
                    proposal_id=client_document.proposal_id,
                    version=client_document.version,
                    document_id=client_document.document_id,
                    code=LibraryFailureCode.MALFORMED,
                    reason=f"The document could not be read after several attempts ({dead.reason}).".strip()[:2000],
                )
            )
            return
        if dead.envelope is None or dead.envelope.event_type != LibraryDocumentUploaded.event_type:
            return
        uploaded = dead.envelope.open(LibraryDocumentUploaded)
        await self._publisher.publish(
            LibraryDocumentFailed(
                event_id=derived_event_id(uploaded.event_id, LibraryDocumentFailed.event_type),
                document_id=uploaded.document_id,
                code=LibraryFailureCode.MALFORMED,
                reason=(
                    "The library service could not index this document after several attempts "
                    f"({dead.reason}); check the file, or upload it again as PDF or text."
                )[:2000],
            )
        )

    async def _embed(self) -> None:
        """Embed pending passages; a failure here never fails the event (search stays full-text meanwhile)."""
        if self._embed_pending is None:
            return
        try:
            await self._embed_pending()
        except Exception as error:
            logger.warning("embedding pending passages failed", extra={"error": str(error)})
