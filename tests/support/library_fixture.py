"""The retrieval fixture library (bench/fixtures/library/): a fictional Brazilian consultancy's records, past proposals
and the queries that should find them, and loading it into a database the way production does.

Records go through the gateway's API (in process, with the import CLI's own code); documents through the library
service's extraction pool and splitter, then written as the library service's indexer writes them (one row per
document, its passages with ids and search text from `propos4l.shared.library_text`). A document's language is the
folder it is in (`documents/pt-BR/`, `documents/en/`), where the service would guess it from the text.

A source is named by a key: `person:<id>`, `case_study:<id>`, `service:<id>` (the record's `id` in its JSON file),
`company:<language>`, or `document:<path under the folder>#<heading>` (a passage matches when the heading is one of
the headings above it, so a section's key covers its subsections).
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import asyncpg

from propos4l.library.extraction import ExtractionLimits, ExtractionPool
from propos4l.library.passages import split
from propos4l.shared.events import ProposalRequest
from propos4l.shared.library_files import MARKDOWN
from propos4l.shared.library_import import import_folder
from propos4l.shared.library_import_folder import RECORD_FILES, read_folder
from propos4l.shared.library_search import SearchHit
from propos4l.shared.library_text import content_digest, document_search_text, passage_id, search_config

REPO: Final = Path(__file__).resolve().parents[2]
FIXTURE: Final = REPO / "bench" / "fixtures" / "library"
GROUNDED_REQUESTS: Final = REPO / "bench" / "fixtures" / "grounded_requests.json"
DOCUMENT_CATEGORY: Final = "past_proposal"
_ENTRY_KINDS: Final = {"services": "service", "people": "person", "case_studies": "case_study"}

__all__ = [
    "FIXTURE",
    "GROUNDED_REQUESTS",
    "FixtureQuery",
    "GroundedRequest",
    "LoadedLibrary",
    "document_language",
    "load_library",
    "read_grounded_requests",
    "read_queries",
    "record_keys",
]


@dataclass(frozen=True, slots=True)
class FixtureQuery:
    """A query a person might type, its language, what kind of test it is, and the sources that should come back."""

    id: str
    language: str
    query: str
    expected: tuple[str, ...]
    tags: tuple[str, ...] = ()


def read_queries(folder: Path = FIXTURE) -> list[FixtureQuery]:
    """The queries of `folder`/queries.json."""
    data = json.loads((folder / "queries.json").read_text(encoding="utf-8"))
    return [
        FixtureQuery(
            id=item["id"],
            language=item["language"],
            query=item["query"],
            expected=tuple(item["expected"]),
            tags=tuple(item.get("tags", ())),
        )
        for item in data
    ]


@dataclass(frozen=True, slots=True)
class GroundedRequest:
    """A proposal request to draft from the fixture library, its domain, and the budget its text states (if any)."""

    id: str
    domain: str
    request: ProposalRequest
    budget_amount: Decimal | None


def read_grounded_requests(path: Path = GROUNDED_REQUESTS) -> list[GroundedRequest]:
    """The requests of bench/fixtures/grounded_requests.json (the grounded drafting evaluation's)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    fields = ("client_name", "industry", "requirements", "scope", "timeline", "budget", "language")
    return [
        GroundedRequest(
            id=item["id"],
            domain=item["domain"],
            request=ProposalRequest.model_validate({name: item[name] for name in fields if name in item}),
            budget_amount=Decimal(item["budget_amount"]) if item.get("budget_amount") else None,
        )
        for item in data
    ]


def document_language(relative: Path) -> str:
    """A fixture document's language: the folder under documents/ it is in."""
    return relative.parts[1] if len(relative.parts) > 2 and relative.parts[0] == "documents" else "pt-BR"


def record_keys(folder: Path = FIXTURE) -> set[str]:
    """The source keys of every entry of the folder's records (people, services, case studies, company)."""
    records = read_folder(folder)
    keys = {f"company:{record.import_key if record.import_key != 'pt-br' else 'pt-BR'}" for record in records.company}
    for name, kind in _ENTRY_KINDS.items():
        keys |= {f"{kind}:{record.import_key}" for record in getattr(records, name)}
    return keys


@dataclass
class LoadedLibrary:
    """What was loaded: each entry's and document's source key, and counts."""

    entries: dict[uuid.UUID, str] = field(default_factory=dict)
    documents: dict[uuid.UUID, str] = field(default_factory=dict)
    passages: int = 0
    document_passages: int = 0
    import_failures: list[str] = field(default_factory=list)

    def source(self, hit: SearchHit) -> str:
        """The hit's source key (a document's with the innermost heading above the passage)."""
        if hit.entry_id is not None:
            return self.entries.get(hit.entry_id, f"entry:{hit.entry_id}")
        path = self.documents.get(hit.document_id, f"{hit.document_id}") if hit.document_id else "?"
        return f"document:{path}#{hit.heading_path[-1] if hit.heading_path else ''}"

    def matches(self, hit: SearchHit, expected: str) -> bool:
        """Whether the hit is (a passage of) the expected source."""
        if not expected.startswith("document:"):
            return hit.entry_id is not None and self.entries.get(hit.entry_id) == expected
        path, _, heading = expected.removeprefix("document:").partition("#")
        if hit.document_id is None or self.documents.get(hit.document_id) != path:
            return False
        return not heading or heading in hit.heading_path


async def load_library(
    database_url: str, redis_url: str, data_dir: Path, *, folder: Path = FIXTURE, extraction_workers: int = 1
) -> LoadedLibrary:
    """Load the fixture library into the (migrated, empty) database at `database_url`."""
    loaded = LoadedLibrary()
    await _import_records(database_url, redis_url, data_dir, folder, loaded)
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        await _read_entries(pool, loaded)
        await _index_documents(pool, folder, loaded, extraction_workers)
        loaded.passages = await pool.fetchval("SELECT count(*) FROM library_passages")
    finally:
        await pool.close()
    return loaded


async def _import_records(
    database_url: str, redis_url: str, data_dir: Path, folder: Path, loaded: LoadedLibrary
) -> None:
    """The records through the gateway's API, with the import CLI's code (documents are indexed separately)."""
    from tests.support.gateway import AUTH, gateway_settings, running_gateway  # the gateway app, imported late

    with tempfile.TemporaryDirectory() as records_only:
        for name in RECORD_FILES:
            for path in folder.glob(f"{name}.*"):
                shutil.copy(path, Path(records_only) / path.name)
        settings = gateway_settings(database_url, redis_url, data_dir, embedding_provider="none")
        async with running_gateway(settings, headers=AUTH) as gateway:
            summary = await import_folder(gateway.client, Path(records_only), io.StringIO())
    loaded.import_failures = list(summary.failures)


async def _read_entries(pool: asyncpg.Pool, loaded: LoadedLibrary) -> None:
    rows = await pool.fetch("SELECT id, kind, language, import_key FROM library_entries")
    for row in rows:
        key = row["language"] if row["kind"] == "company" else row["import_key"]
        loaded.entries[row["id"]] = f"{row['kind']}:{key}"


async def _index_documents(pool: asyncpg.Pool, folder: Path, loaded: LoadedLibrary, workers: int) -> None:
    """Extract and split each document in the library's worker pool, and write it as the library service does."""
    extraction = ExtractionPool(workers, ExtractionLimits(timeout_seconds=120))
    extraction.start()
    try:
        for path in read_folder(folder).documents:
            relative = path.relative_to(folder)
            extracted = await extraction.extract(path, MARKDOWN)
            drafts = split(extracted, max_characters=1500)
            document_id = uuid.uuid4()
            title, language = path.stem, document_language(relative)
            data = path.read_bytes()
            rows = []
            for draft in drafts:
                headings = tuple(draft.heading_path)
                digest = content_digest(title, *headings, draft.body)
                rows.append(
                    (
                        passage_id(document_id, draft.ordinal, digest),
                        document_id,
                        draft.ordinal,
                        DOCUMENT_CATEGORY,
                        language,
                        title,
                        list(headings),
                        draft.page,
                        draft.body,
                        search_config(language),
                        document_search_text(title, draft.ordinal, draft.body, headings),
                        digest,
                    )
                )
            async with pool.acquire() as connection, connection.transaction():
                await connection.execute(
                    """INSERT INTO library_documents (id, title, filename, media_type, sha256, size_bytes, category,
                           language, status, pages_total, pages_done, passage_count, owner, uploaded_by, import_key,
                           indexed_at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'indexed', $9, $9, $10, 'bench', 'bench', $11, now())""",
                    document_id,
                    title,
                    path.name,
                    MARKDOWN,
                    hashlib.sha256(data).digest(),
                    len(data),
                    DOCUMENT_CATEGORY,
                    language,
                    extracted.pages,
                    len(rows),
                    f"file:{relative}",
                )
                await connection.executemany(
                    """INSERT INTO library_passages (id, document_id, ordinal, kind, language, title, heading_path,
                           page, body, search_config, search_text, content_sha256)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::regconfig, $11, $12)""",
                    rows,
                )
            loaded.documents[document_id] = str(relative)
            loaded.document_passages += len(rows)
    finally:
        extraction.close()


def fixture_summary(folder: Path = FIXTURE) -> dict[str, Any]:
    """How many records and documents of each kind the folder holds."""
    records = read_folder(folder)
    return {
        "company": len(records.company),
        "services": len(records.services),
        "roles": len(records.roles),
        "people": len(records.people),
        "case_studies": len(records.case_studies),
        "documents": len(records.documents),
    }
