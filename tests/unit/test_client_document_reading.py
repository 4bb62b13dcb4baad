"""The library service reads a client's document into a `proposal.document-read` (or `-failed`) event with ids
derived from the upload's, publishes page progress, and fails a dead-lettered upload with a reason; the gateway's
body limit for client documents applies to their path only."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from propos4l.gateway.limits import BodySizeLimit
from propos4l.library.blocks import Block, Extracted, ExtractionFailed
from propos4l.library.client_documents import ClientDocumentReader, client_document_file
from propos4l.library.handlers import LibraryHandlers
from propos4l.shared.delivery import DeadLetter
from propos4l.shared.envelope import decode, encode
from propos4l.shared.events import (
    Event,
    LibraryFailureCode,
    ProposalDocumentFailed,
    ProposalDocumentProgressed,
    ProposalDocumentRead,
    ProposalDocumentUploaded,
    derived_event_id,
)
from propos4l.shared.library_files import CLIENT_DOCUMENTS_FOLDER
from propos4l.shared.object_store import LocalFolderStore

SHA = "ab" * 32


class FakeExtractor:
    """Reports two pages read and gives fixed blocks (or a failure)."""

    def __init__(self, outcome: Extracted | ExtractionFailed) -> None:
        self.outcome = outcome

    async def extract(
        self, path: Path, media_type: str, *, on_page: Callable[[int, int], None] | None = None
    ) -> Extracted:
        if on_page is not None:
            on_page(1, 2)
            await asyncio.sleep(0.05)  # as a worker takes a while per page; the reporter publishes meanwhile
            on_page(2, 2)
        if isinstance(self.outcome, ExtractionFailed):
            raise self.outcome
        return self.outcome


class Published:
    def __init__(self) -> None:
        self.events: list[Event] = []

    async def publish(self, event: Event, headers: object = None) -> str:
        self.events.append(event)
        return "0-1"


def _uploaded() -> ProposalDocumentUploaded:
    return ProposalDocumentUploaded(
        proposal_id=uuid.uuid4(),
        version=1,
        document_id=uuid.uuid4(),
        sha256=SHA,
        media_type="application/pdf",
        filename="edital.pdf",
        client_name="Prefeitura de Vale Verde",
    )


def _store(library_dir: Path) -> LocalFolderStore:
    return LocalFolderStore(library_dir / CLIENT_DOCUMENTS_FOLDER)


def _stored(library_dir: Path) -> None:
    path = client_document_file(library_dir, SHA)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"%PDF-1.7 (the fake extractor does not read it)")


async def test_a_document_is_read_into_requirements_and_fields_with_ids_derived_from_the_upload(tmp_path: Path) -> None:
    _stored(tmp_path)
    blocks = (
        Block("OBJETO: Contratação de sistema de protocolo digital.", (), 1),
        Block("5.1 A CONTRATADA deverá manter sigilo sobre os dados.", (), 1),
        Block("5.2 A Prefeitura de Vale Verde deverá fornecer acesso à base atual.", (), 2),
    )
    published = Published()
    reader = ClientDocumentReader(FakeExtractor(Extracted(2, 0, blocks)), _store(tmp_path), published.publish)
    uploaded = _uploaded()
    outcome = await reader.read(uploaded)
    assert isinstance(outcome, ProposalDocumentRead)
    assert outcome.event_id == derived_event_id(uploaded.event_id, ProposalDocumentRead.event_type)
    assert (outcome.proposal_id, outcome.document_id, outcome.pages) == (uploaded.proposal_id, uploaded.document_id, 2)
    # The client's own duty, named by the proposal's client name, is not a requirement.
    assert [(r.quote, r.location.page, r.location.clause) for r in outcome.requirements] == [
        ("A CONTRATADA deverá manter sigilo sobre os dados.", 1, "5.1")
    ]
    assert outcome.fields.object is not None
    assert outcome.fields.object.value == "Contratação de sistema de protocolo digital"
    progress = [event for event in published.events if isinstance(event, ProposalDocumentProgressed)]
    assert progress and progress[0].pages_total == 2 and progress[0].filename == "edital.pdf"


async def test_a_file_that_cannot_be_read_or_is_missing_gives_a_failure_with_its_code(tmp_path: Path) -> None:
    published = Published()
    failing = FakeExtractor(ExtractionFailed(LibraryFailureCode.ENCRYPTED, "the PDF is protected by a password"))
    missing = await ClientDocumentReader(failing, _store(tmp_path), published.publish).read(_uploaded())
    assert isinstance(missing, ProposalDocumentFailed) and missing.code is LibraryFailureCode.FILE_MISSING
    _stored(tmp_path)
    locked = await ClientDocumentReader(failing, _store(tmp_path), published.publish).read(_uploaded())
    assert isinstance(locked, ProposalDocumentFailed) and locked.code is LibraryFailureCode.ENCRYPTED


async def test_a_dead_lettered_client_document_is_failed_with_the_reason() -> None:
    published = Published()
    handlers = LibraryHandlers(indexer=None, publisher=published, embed_pending=None)  # type: ignore[arg-type]
    uploaded = _uploaded()
    fields = encode(uploaded)
    await handlers.on_dead_letter(DeadLetter("s", "library", "1-0", fields, "the worker crashed", 5, decode(fields)))
    (failed,) = published.events
    assert isinstance(failed, ProposalDocumentFailed)
    assert (failed.document_id, failed.code) == (uploaded.document_id, LibraryFailureCode.MALFORMED)
    assert "the worker crashed" in failed.reason


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("/api/proposals/0b9c/documents", 11),
        ("/api/proposals/0b9c/documents/", 11),
        ("/api/proposals/0b9c/sections/solution", 5),
        ("/api/proposals", 5),
        ("/api/library/documents", 7),
    ],
)
def test_the_client_document_body_limit_applies_to_its_path_only(path: str, limit: int) -> None:
    middleware = BodySizeLimit(
        app=None,  # type: ignore[arg-type]
        max_bytes=5,
        larger=[("/api/library/documents", 7), ("/api/proposals/*/documents", 11)],
    )
    assert middleware.limit_for(path) == limit
