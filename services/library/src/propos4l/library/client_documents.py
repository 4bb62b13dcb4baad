"""Reading a client's document attached to a proposal (issue #16): extract it, then find its requirements.

The same extraction pool as library documents (worker processes, limits, OCR); then the rule-based pass
(`propos4l.shared.requirements`, ADR 0020) and the request fields. Stateless: the outcome is an event for the gateway,
which owns the proposal's records; a redelivered upload is read again and gives the same requirement ids, and the
outcome's id is derived from the upload's, so the gateway's inbox records it once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final

from propos4l.library.document_pages import source_pages
from propos4l.library.extraction import Extracted, ExtractionFailed
from propos4l.library.indexing import Extractor
from propos4l.library.questionnaire_reader import QuestionnaireUnreadable, questionnaire_requirements
from propos4l.shared.events import (
    LibraryFailureCode,
    ProposalDocumentFailed,
    ProposalDocumentProgressed,
    ProposalDocumentRead,
    ProposalDocumentUploaded,
    derived_event_id,
)
from propos4l.shared.library_files import CLIENT_DOCUMENTS_FOLDER, XLSX
from propos4l.shared.object_store import ObjectStore, local_copy
from propos4l.shared.request_fields import extract_request_fields
from propos4l.shared.requirement_records import RequestFieldsRecord, records_of
from propos4l.shared.requirements import client_aliases, extract_requirements

__all__ = ["ClientDocumentReader", "client_document_file"]

logger = logging.getLogger(__name__)

_PROGRESS_INTERVAL_SECONDS: Final = 1.0
_MAX_REQUIREMENTS: Final = 5_000
_QUESTIONNAIRE_MAX_UNPACKED: Final = 256 * 1024 * 1024

Outcome = ProposalDocumentRead | ProposalDocumentFailed
PublishProgress = Callable[[ProposalDocumentProgressed], Awaitable[object]]


def client_document_file(library_dir: Path, sha256: str) -> Path:
    """Where the gateway stored a client's document without STORAGE_URL: LIBRARY_DIR/client-documents/<aa>/<sha256>."""
    return library_dir / CLIENT_DOCUMENTS_FOLDER / library_key(sha256)


def library_key(sha256: str) -> str:
    """A client document's key in its store (`client_documents_store`), as the gateway stores it."""
    return f"{sha256[:2]}/{sha256}"


class ClientDocumentReader:
    """Reads client documents into requirements and request fields, reporting pages as they are read."""

    def __init__(
        self,
        extractor: Extractor,
        files: ObjectStore,
        publish_progress: PublishProgress,
        *,
        scratch: Path | None = None,
    ) -> None:
        self._extractor = extractor
        self._files = files
        self._publish_progress = publish_progress
        # Where a document of a bucket is downloaded to while it is read (a local folder's is read in place).
        self._scratch = scratch or Path(tempfile.gettempdir()) / "propos4l-client-documents"

    async def read(self, uploaded: ProposalDocumentUploaded) -> Outcome:
        """The document's requirements and fields, or why it could not be read. A store that does not answer
        raises `DependencyUnavailable`: the consumer holds the upload and tries again."""
        try:
            with contextlib.ExitStack() as stack:
                path = await asyncio.to_thread(
                    stack.enter_context, local_copy(self._files, library_key(uploaded.sha256), self._scratch)
                )
                try:
                    if path is None:
                        raise ExtractionFailed(
                            LibraryFailureCode.FILE_MISSING,
                            "The uploaded file is missing from its folder; upload it again.",
                        )
                    if uploaded.media_type == XLSX:
                        return await self._read_questionnaire(uploaded, path)
                    extracted = await self._extract(uploaded, path)
                finally:
                    await asyncio.to_thread(stack.close)
        except ExtractionFailed as failure:
            return ProposalDocumentFailed(
                event_id=derived_event_id(uploaded.event_id, ProposalDocumentFailed.event_type),
                proposal_id=uploaded.proposal_id,
                version=uploaded.version,
                document_id=uploaded.document_id,
                code=failure.code,
                reason=failure.reason[:2000],
            )
        pages = source_pages(uploaded.filename, extracted)
        fields = extract_request_fields(pages)
        names = [*client_aliases(uploaded.client_name)]
        if fields.client is not None:
            names += client_aliases(fields.client.value)
        requirements = extract_requirements(pages, names)
        if len(requirements) > _MAX_REQUIREMENTS:
            logger.warning(
                "client document has more requirements than are recorded",
                extra={"document_id": str(uploaded.document_id), "found": len(requirements)},
            )
        return ProposalDocumentRead(
            event_id=derived_event_id(uploaded.event_id, ProposalDocumentRead.event_type),
            proposal_id=uploaded.proposal_id,
            version=uploaded.version,
            document_id=uploaded.document_id,
            filename=uploaded.filename,
            pages=extracted.pages,
            ocr_pages=extracted.ocr_pages,
            requirements=records_of(requirements[:_MAX_REQUIREMENTS]),
            fields=RequestFieldsRecord.of(fields),
        )

    async def _read_questionnaire(self, uploaded: ProposalDocumentUploaded, path: Path) -> Outcome:
        """An XLSX questionnaire: each question row a requirement, its sheet and row its place (no pages)."""
        try:
            requirements, sheets = await asyncio.to_thread(
                questionnaire_requirements,
                path,
                uploaded.filename,
                max_uncompressed_bytes=_QUESTIONNAIRE_MAX_UNPACKED,
                client_names=client_aliases(uploaded.client_name),
            )
        except QuestionnaireUnreadable as error:
            raise ExtractionFailed(
                LibraryFailureCode.MALFORMED, f"The questionnaire cannot be read: {error}."
            ) from None
        return ProposalDocumentRead(
            event_id=derived_event_id(uploaded.event_id, ProposalDocumentRead.event_type),
            proposal_id=uploaded.proposal_id,
            version=uploaded.version,
            document_id=uploaded.document_id,
            filename=uploaded.filename,
            pages=sheets,
            requirements=records_of(requirements[:_MAX_REQUIREMENTS]),
            fields=RequestFieldsRecord(),
        )

    async def _extract(self, uploaded: ProposalDocumentUploaded, path: Path) -> Extracted:
        """Extract, publishing the pages done as they are (at most every second)."""
        latest: list[tuple[int, int]] = []
        changed = asyncio.Event()

        def on_page(done: int, total: int) -> None:
            latest.append((done, total))
            changed.set()

        async def report() -> None:
            while True:
                await changed.wait()
                changed.clear()
                done, total = latest[-1]
                latest.clear()
                await self._publish_progress(
                    ProposalDocumentProgressed(
                        proposal_id=uploaded.proposal_id,
                        version=uploaded.version,
                        document_id=uploaded.document_id,
                        filename=uploaded.filename,
                        pages_done=done,
                        pages_total=total,
                    )
                )
                await asyncio.sleep(_PROGRESS_INTERVAL_SECONDS)

        reporter = asyncio.create_task(report(), name="client document progress")
        try:
            return await self._extractor.extract(path, uploaded.media_type, on_page=on_page)
        finally:
            reporter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reporter
