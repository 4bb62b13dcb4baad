"""Library documents: uploaded through the gateway (type told from the content, stored content-addressed, announced
through the outbox), indexed by the library service against real PostgreSQL and Redis, recorded back by the
gateway."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from propos4l.backup.jobs import BackupJobs
from propos4l.backup.model import Kind, Trigger, TriggerReason
from propos4l.backup.options import JobOptions, Sources
from propos4l.backup.store import BackupStore
from propos4l.gateway.problems import PROBLEM_JSON
from propos4l.library.app import extraction_limits, serve
from propos4l.library.extraction import ExtractionPool
from propos4l.library.indexing import DocumentIndexer
from propos4l.library.settings import LibrarySettings
from propos4l.shared.db import create_pool
from propos4l.shared.envelope import decode
from propos4l.shared.events import LibraryDocumentIndexed, LibraryDocumentUploaded
from propos4l.shared.localrun.servers import free_port
from propos4l.shared.object_store import LocalFolderStore
from propos4l.shared.sections import SECTION_KEYS
from propos4l.shared.streams import Stream
from tests.support.fake_embeddings import FakeEmbeddingServer
from tests.support.gateway import AUTH, RunningGateway, gateway_settings, running_gateway
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

MARKDOWN = (
    "# Migração para a nuvem\n\nFizemos a migração de um ERP para a AWS em seis meses.\n\n"
    "## Resultados\n\nO custo de infraestrutura caiu trinta por cento e a equipe não parou.\n"
).encode()


@pytest.fixture
async def gateway(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(database_url, redis_url, data_dir, library_max_upload_mb=1)
    async with running_gateway(settings, headers=AUTH) as running:
        yield running


async def upload(
    client: httpx.AsyncClient, content: bytes, filename: str = "case.md", *, tries: int = 3, **form: str
) -> httpx.Response:
    """POST the document; a 503 (the database slower than the gateway's 2 s limits, on a machine the other test
    process shares) is asked again after its Retry-After, as a client would, up to `tries` times in all (1: a test
    that expects the 503)."""
    for _ in range(tries):
        response = await client.post("/api/library/documents", files={"file": (filename, content)}, data=form)
        if response.status_code != 503:
            return response
        await asyncio.sleep(min(float(response.headers.get("retry-after", "1")), 2.0))
    return response


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["detail"]
    return body


async def fetch(database_url: str, query: str, *arguments: object) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(database_url)
    try:
        return list(await connection.fetch(query, *arguments))
    finally:
        await connection.close()


async def test_an_upload_stores_the_file_by_its_hash_inserts_the_row_and_queues_the_event(
    client: httpx.AsyncClient, database_url: str, data_dir: Path
) -> None:
    response = await upload(client, MARKDOWN, "caso.md", category="past_proposal", language="pt-BR")
    assert response.status_code == 201, response.text
    document = response.json()
    digest = hashlib.sha256(MARKDOWN).hexdigest()
    assert response.headers["location"] == f"/api/library/documents/{document['id']}"
    assert (document["title"], document["filename"], document["media_type"]) == ("caso", "caso.md", "text/markdown")
    assert (document["sha256"], document["size_bytes"], document["status"]) == (digest, len(MARKDOWN), "uploaded")
    assert (document["owner"], document["uploaded_by"], document["language"]) == ("admin", "admin", "pt-BR")
    stored = data_dir / "library" / digest[:2] / digest
    assert stored.read_bytes() == MARKDOWN
    assert [p.name for p in (data_dir / "library" / ".incoming").iterdir()] == []  # no temp file left

    (outbox,) = await fetch(
        database_url, "SELECT fields FROM outbox WHERE stream = $1", Stream.LIBRARY_DOCUMENT_UPLOADED.value
    )
    payload = json.loads(json.loads(outbox["fields"])["payload"])
    assert (payload["document_id"], payload["sha256"], payload["filename"]) == (document["id"], digest, "caso.md")

    assert (await client.get(f"/api/library/documents/{document['id']}")).json() == document
    listed = (await client.get("/api/library/documents")).json()
    assert [item["id"] for item in listed["items"]] == [document["id"]] and listed["next_cursor"] is None


async def test_the_same_content_uploaded_again_answers_the_existing_document(
    client: httpx.AsyncClient, database_url: str
) -> None:
    first = await upload(client, MARKDOWN, "one.md")
    again = await upload(client, MARKDOWN, "other-name.md", title="Another title")
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json()["id"] == first.json()["id"] and again.json()["filename"] == "one.md"
    assert len(await fetch(database_url, "SELECT id FROM library_documents")) == 1
    events = await fetch(database_url, "SELECT 1 FROM outbox WHERE stream = $1", Stream.LIBRARY_DOCUMENT_UPLOADED.value)
    assert len(events) == 1


async def test_a_file_over_the_limit_is_a_413_and_leaves_nothing(
    client: httpx.AsyncClient, database_url: str, data_dir: Path
) -> None:
    body = problem(await upload(client, b"a" * (1024 * 1024 + 1), "big.txt"), 413)
    assert "1 MB" in body["detail"]
    problem(await upload(client, b"a" * (3 * 1024 * 1024), "bigger.txt"), 413)  # refused by the body limit
    assert await fetch(database_url, "SELECT id FROM library_documents") == []
    assert [p for p in (data_dir / "library").rglob("*") if p.is_file()] == []


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(range(256)) * 4, "report.pdf"),
        (b"\xff\xfe\x00\x01latin-1 \xe9t\xe9 \x00", "notes.txt"),
    ],
)
async def test_a_file_whose_content_is_not_a_readable_type_is_a_415_whatever_its_name(
    client: httpx.AsyncClient, database_url: str, content: bytes, filename: str
) -> None:
    body = problem(await upload(client, content, filename), 415)
    assert filename in body["detail"] and "application/pdf" in body["detail"]
    assert await fetch(database_url, "SELECT id FROM library_documents") == []


async def test_the_media_type_comes_from_the_content(client: httpx.AsyncClient) -> None:
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    cases = [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "scan.bin", "application/pdf"),
        (docx.getvalue(), "cv.pdf", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        (b"<!DOCTYPE html><html><body><p>Oi</p></body></html>", "page.txt", "text/html"),
        ("Só texto, sem marcação.".encode(), "note.md", "text/plain"),
    ]
    for content, filename, expected in cases:
        response = await upload(client, content, filename)
        assert (response.status_code, response.json()["media_type"]) == (201, expected), filename


async def test_deleting_a_document_removes_its_row_passages_and_file(
    client: httpx.AsyncClient, database_url: str, data_dir: Path
) -> None:
    document = (await upload(client, MARKDOWN)).json()
    digest = document["sha256"]
    assert (await client.delete(f"/api/library/documents/{document['id']}")).status_code == 204
    assert not (data_dir / "library" / digest[:2] / digest).exists()
    problem(await client.get(f"/api/library/documents/{document['id']}"), 404)
    problem(await client.delete(f"/api/library/documents/{document['id']}"), 404)
    again = await upload(client, MARKDOWN)  # the same content can come back, as a new document
    assert again.status_code == 201 and again.json()["id"] != document["id"]
    assert (data_dir / "library" / digest[:2] / digest).read_bytes() == MARKDOWN


async def test_documents_are_listed_newest_first_in_keyset_pages(client: httpx.AsyncClient) -> None:
    ids = [(await upload(client, f"# Doc {index}\n\ntexto {index}\n".encode())).json()["id"] for index in range(5)]
    seen: list[str] = []
    after: str | None = None
    while True:
        params = {"limit": "2", **({"after": after} if after else {})}
        page = (await client.get("/api/library/documents", params=params)).json()
        seen += [item["id"] for item in page["items"]]
        after = page["next_cursor"]
        if after is None:
            break
    assert seen == ids[::-1]
    problem(await client.get("/api/library/documents", params={"after": "nonsense"}), 422)


async def _proposal_with_sections(database_url: str) -> uuid.UUID:
    proposal_id = uuid.uuid4()
    sections = [
        {"key": key.value, "title": f"Seção {index}", "content": f"Conteúdo da seção {index}."}
        for index, key in enumerate(SECTION_KEYS, start=1)
    ]
    connection = await asyncpg.connect(database_url)
    try:
        await connection.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
        await connection.execute(
            """INSERT INTO proposals (id, client_name, industry, requirements, language, template, status,
                   current_version)
               VALUES ($1, 'Acme Energia', 'energy', 'migrar o ERP', 'pt-BR', 'default', 'ready', 2)""",
            proposal_id,
        )
        await connection.execute(
            "INSERT INTO proposal_versions (proposal_id, version, sections) VALUES ($1, 1, $2), ($1, 2, NULL)",
            proposal_id,
            sections,
        )
    finally:
        await connection.close()
    return proposal_id


async def test_a_proposal_version_is_added_as_a_markdown_past_proposal(
    client: httpx.AsyncClient, database_url: str, data_dir: Path
) -> None:
    proposal_id = await _proposal_with_sections(database_url)
    problem(await client.post("/api/library/documents/from-proposal", json={"proposal_id": str(proposal_id)}), 409)
    response = await client.post(
        "/api/library/documents/from-proposal", json={"proposal_id": str(proposal_id), "version": 1}
    )
    assert response.status_code == 201, response.text
    document = response.json()
    assert (document["category"], document["media_type"], document["language"]) == (
        "past_proposal",
        "text/markdown",
        "pt-BR",
    )
    assert (document["proposal_id"], document["proposal_version"]) == (str(proposal_id), 1)
    text = (data_dir / "library" / document["sha256"][:2] / document["sha256"]).read_text()
    assert text.startswith("# Acme Energia (v1)\n\n## Seção 1\n\nConteúdo da seção 1.")
    again = await client.post(
        "/api/library/documents/from-proposal", json={"proposal_id": str(proposal_id), "version": 1}
    )
    assert again.status_code == 200 and again.json()["id"] == document["id"]
    problem(await client.post("/api/library/documents/from-proposal", json={"proposal_id": str(uuid.uuid4())}), 404)
    missing = {"proposal_id": str(proposal_id), "version": 7}
    problem(await client.post("/api/library/documents/from-proposal", json=missing), 404)


async def test_library_routes_need_a_token(gateway: RunningGateway) -> None:
    anonymous = {"Authorization": ""}
    problem(await gateway.client.get("/api/library/documents", headers=anonymous), 401)
    problem(
        await gateway.client.post("/api/library/documents", files={"file": ("a.md", b"# a")}, headers=anonymous), 401
    )


# --- the library service indexes what the gateway stored ------------------------------------------------------------


def library_settings(database_url: str, redis_url: str, data_dir: Path, **overrides: Any) -> LibrarySettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "library_dir": data_dir / "library",
        "library_workers": 1,
        "library_extract_timeout_seconds": 60,
        "embedding_provider": "none",
        "delivery_shutdown_grace_seconds": 1,
    }
    return LibrarySettings(**{**values, **overrides})


@contextlib.asynccontextmanager
async def running_library(settings: LibrarySettings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    service = asyncio.create_task(serve(settings, stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(service, timeout=30)


async def indexed(client: httpx.AsyncClient, document_id: str, status: str = "indexed") -> dict[str, Any]:
    async def settled() -> dict[str, Any] | None:
        document: dict[str, Any] = (await client.get(f"/api/library/documents/{document_id}")).json()
        return document if document["status"] in ("indexed", "failed") else None

    document = await wait_for(settled, timeout=60, message=f"document {document_id} was never indexed")
    assert document["status"] == status, document
    return document


def weasyprint_pdf() -> bytes:
    from weasyprint import HTML

    html = """<html><body>
      <h1>Modernização de sistemas</h1><p>Migramos o sistema legado de faturamento para microsserviços.</p>
      <h2>Equipe</h2><p>Uma arquiteta de soluções sênior e dois engenheiros de dados.</p>
      <h2 style="page-break-before: always">Nuvem</h2><p>A segunda página fala de migração para a AWS.</p>
    </body></html>"""
    data: bytes = HTML(string=html).write_pdf()
    return data


async def test_the_library_service_indexes_an_uploaded_markdown_document_and_the_gateway_records_it(
    client: httpx.AsyncClient, database_url: str, redis_url: str, data_dir: Path
) -> None:
    async with running_library(library_settings(database_url, redis_url, data_dir)):
        document = (await upload(client, MARKDOWN, "caso.md", category="methodology")).json()
        done = await indexed(client, document["id"])
    assert done["passage_count"] >= 2 and done["indexed_at"] is not None and done["failure_code"] is None
    passages = (await client.get(f"/api/library/documents/{document['id']}/passages")).json()["items"]
    assert len(passages) == done["passage_count"]
    assert [p["ordinal"] for p in passages] == list(range(len(passages)))
    assert all(p["language"] == "pt-BR" and p["title"] == "caso" and p["page"] is None for p in passages)
    results = next(p for p in passages if "trinta por cento" in p["body"])
    assert results["heading_path"][-1] == "Resultados"
    rows = await fetch(
        database_url,
        """SELECT kind, search_config::text AS config FROM library_passages
           WHERE document_id = $1 AND search_vector @@ plainto_tsquery('portuguese', 'migração')""",
        uuid.UUID(document["id"]),
    )
    assert rows and {(row["kind"], row["config"]) for row in rows} == {("methodology", "portuguese")}
    folded = await fetch(
        database_url,
        "SELECT 1 FROM library_passages WHERE search_vector @@ plainto_tsquery('portuguese', 'migracao')",
    )
    assert folded  # accent-insensitive: "migração" found without its accents


async def test_a_weasyprint_pdf_is_indexed_with_its_pages(
    client: httpx.AsyncClient, database_url: str, redis_url: str, data_dir: Path
) -> None:
    async with running_library(library_settings(database_url, redis_url, data_dir)):
        document = (await upload(client, weasyprint_pdf(), "modernizacao.pdf")).json()
        assert document["media_type"] == "application/pdf"
        done = await indexed(client, document["id"])
    assert (done["pages_total"], done["pages_done"], done["ocr_pages"]) == (2, 2, 0)
    passages = (await client.get(f"/api/library/documents/{document['id']}/passages")).json()["items"]
    assert {p["page"] for p in passages} == {1, 2}
    assert any("arquiteta de soluções" in p["body"] for p in passages)
    assert all(p["language"] == "pt-BR" for p in passages)  # guessed: the upload did not say


async def test_an_upload_that_cannot_be_read_fails_with_a_code_and_a_reason(
    client: httpx.AsyncClient, database_url: str, redis_url: str, data_dir: Path
) -> None:
    broken = b"%PDF-1.7\n" + bytes(range(256)) * 20  # a PDF signature and nothing a PDF reader can use
    async with running_library(library_settings(database_url, redis_url, data_dir)):
        document = (await upload(client, broken, "broken.pdf")).json()
        failed = await indexed(client, document["id"], status="failed")
    assert failed["failure_code"] == "malformed" and failed["failure_reason"]
    assert failed["passage_count"] == 0


async def test_indexing_again_keeps_the_passage_ids_and_publishes_the_same_outcome(
    client: httpx.AsyncClient, database_url: str, redis_url: str, data_dir: Path
) -> None:
    """A redelivered upload event: the inbox answers the recorded outcome; re-indexing writes the same ids."""
    settings = library_settings(database_url, redis_url, data_dir)
    async with running_library(settings):
        document = (await upload(client, MARKDOWN, "caso.md")).json()
        await indexed(client, document["id"])
    query = "SELECT id FROM library_passages WHERE document_id = $1 ORDER BY ordinal"
    before = [row["id"] for row in await fetch(database_url, query, uuid.UUID(document["id"]))]

    (row,) = await fetch(
        database_url, "SELECT fields FROM outbox WHERE stream = $1", "propos4l.library.document-uploaded"
    )
    uploaded = decode(json.loads(row["fields"])).open(LibraryDocumentUploaded)
    pool = await create_pool(database_url, max_size=2)
    extraction = ExtractionPool(1, extraction_limits(settings))
    extraction.start()
    try:
        indexer = DocumentIndexer(pool, extraction, LocalFolderStore(settings.library_dir))
        again = await indexer.index(uploaded)  # the inbox has it: the recorded outcome, no new work
        await pool.execute("DELETE FROM processed_events WHERE consumer_group = 'library'")
        fresh = await indexer.index(uploaded)  # as if the service had stopped before recording it
    finally:
        extraction.close()
        await pool.close()
    assert isinstance(again, LibraryDocumentIndexed) and fresh is not None
    assert again.model_dump(exclude={"occurred_at"}) == fresh.model_dump(exclude={"occurred_at"})
    assert again.passages == len(before)
    assert [row["id"] for row in await fetch(database_url, query, uuid.UUID(document["id"]))] == before


async def test_the_passages_of_an_indexed_document_are_embedded_by_the_library_service(
    pgvector_database_url: str, redis_url: str, data_dir: Path
) -> None:
    database_url = pgvector_database_url
    with FakeEmbeddingServer() as embeddings:
        settings = library_settings(
            database_url,
            redis_url,
            data_dir,
            embedding_provider="ollama",
            embedding_url=embeddings.url,
            embedding_model="fake-small",
        )
        gateway = gateway_settings(database_url, redis_url, data_dir, embedding_provider="none")
        async with running_gateway(gateway, headers=AUTH) as (_, client), running_library(settings):
            document = (await upload(client, MARKDOWN, "caso.md")).json()
            done = await indexed(client, document["id"])

            async def embedded() -> int:
                if not (await fetch(database_url, "SELECT to_regclass('library_embeddings') AS t"))[0]["t"]:
                    return 0  # created by the first embedding run, just after the indexed event is published
                rows = await fetch(
                    database_url,
                    """SELECT count(*) AS n FROM library_embeddings e JOIN library_passages p ON p.id = e.passage_id
                       WHERE p.document_id = $1 AND e.model = 'fake-small'""",
                    uuid.UUID(document["id"]),
                )
                return int(rows[0]["n"]) if int(rows[0]["n"]) == done["passage_count"] else 0

            assert await wait_for(embedded, timeout=30, message="the passages were never embedded")


async def test_the_library_service_reports_ready_and_stops(database_url: str, redis_url: str, data_dir: Path) -> None:
    port = free_port()
    settings = library_settings(database_url, redis_url, data_dir, health_port=port)
    async with running_library(settings), httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:

        async def ready() -> httpx.Response | None:
            try:
                response = await http.get("/ready")
            except httpx.TransportError:
                return None
            return response if response.status_code == 200 else None

        assert (await wait_for(ready, timeout=30, message="/ready never answered 200")).json()["ready"] is True
        assert (await http.get("/health")).json() == {"status": "ok"}
    with pytest.raises(httpx.TransportError):
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            await http.get("/health")


async def test_the_backup_agent_backs_up_the_library_folder_and_restores_it_byte_identical(
    client: httpx.AsyncClient, data_dir: Path
) -> None:
    documents = [(await upload(client, f"# Doc {index}\n\ntexto {index}\n".encode())).json() for index in range(3)]
    library = data_dir / "library"
    (library / ".incoming" / "upload-in-flight.tmp").write_bytes(b"an upload being received")  # never backed up
    jobs = BackupJobs(BackupStore(data_dir / "backups"), Sources(library_dir=library), JobOptions())
    first = await jobs.run(Kind.LIBRARY, Trigger(reason=TriggerReason.MANUAL))
    assert first.manifest is not None and len(first.manifest.files) == 3
    again = await jobs.run(Kind.LIBRARY, Trigger(reason=TriggerReason.SCHEDULE), only_if_changed=True)
    assert not again.created  # the files did not change: nothing new stored
    restored = await jobs.restore_files(first.snapshot_id, data_dir / "restored")
    for document in documents:
        relative = Path(document["sha256"][:2]) / document["sha256"]
        assert (restored.target / relative).read_bytes() == (library / relative).read_bytes()
    assert not (restored.target / ".incoming").exists()


async def test_deleting_a_person_removes_their_cv_document_and_its_file(
    client: httpx.AsyncClient, database_url: str, data_dir: Path
) -> None:
    person = (await client.post("/api/library/people", json={"name": "Ana Souza", "seniority": "senior"})).json()
    cv = (
        await upload(
            client, "# Ana Souza\n\nArquiteta de soluções.\n".encode(), "cv.md", category="cv", person_id=person["id"]
        )
    ).json()
    assert cv["person_id"] == person["id"]
    other = (await upload(client, MARKDOWN, "caso.md")).json()
    stored = data_dir / "library" / cv["sha256"][:2] / cv["sha256"]
    assert stored.exists()
    assert (await client.delete(f"/api/library/people/{person['id']}")).status_code == 204
    problem(await client.get(f"/api/library/documents/{cv['id']}"), 404)
    assert not stored.exists()  # LGPD: the CV's bytes go too
    assert (await client.get(f"/api/library/documents/{other['id']}")).status_code == 200
    problem(await upload(client, b"# CV\n\ntexto\n", "cv.md", category="cv", person_id=str(uuid.uuid4())), 422)


async def test_the_restore_drill_restores_the_newest_library_backup_and_records_it(
    client: httpx.AsyncClient, data_dir: Path
) -> None:
    await upload(client, MARKDOWN, "caso.md")
    store = BackupStore(data_dir / "backups")
    jobs = BackupJobs(store, Sources(library_dir=data_dir / "library"), JobOptions())
    assert await jobs.drill_files(Kind.LIBRARY) is None  # nothing to drill yet
    backup = await jobs.run(Kind.LIBRARY, Trigger(reason=TriggerReason.MANUAL))
    drill = await jobs.drill_files(Kind.LIBRARY)
    assert drill is not None and drill.ok and drill.snapshot_id == backup.snapshot_id, drill
    assert "1 files" in drill.detail
    recorded = store.status(store.find(backup.snapshot_id)).drill
    assert recorded is not None and recorded.ok
    assert not [path for path in store.root.iterdir() if path.name.startswith(".drill-")]  # the scratch folder went

    for path in store.objects.rglob("*"):  # damage the stored copy: the drill fails and blames the backup
        if path.is_file():
            path.chmod(0o600)
            path.write_bytes(b"damaged")
    damaged = await jobs.drill_files(Kind.LIBRARY)
    assert damaged is not None and not damaged.ok


async def test_a_document_s_details_change_and_a_new_title_indexes_it_again(
    client: httpx.AsyncClient, database_url: str, redis_url: str, data_dir: Path
) -> None:
    async with running_library(library_settings(database_url, redis_url, data_dir)):
        document = (await upload(client, MARKDOWN, "caso.md", category="methodology", review_by="2020-01-01")).json()
        first = await indexed(client, document["id"])
        stale = (await client.get("/api/library/stale")).json()["items"]
        assert document["id"] in {item["id"] for item in stale}

        reviewed = await client.patch(
            f"/api/library/documents/{document['id']}",
            json={"owner": "Ana Revisora", "review_by": "2999-01-01", "category": "past_proposal"},
        )
        assert reviewed.status_code == 200, reviewed.text
        assert reviewed.json()["owner"] == "Ana Revisora" and reviewed.json()["status"] == "indexed"
        assert document["id"] not in {item["id"] for item in (await client.get("/api/library/stale")).json()["items"]}
        kinds = await fetch(
            database_url, "SELECT DISTINCT kind FROM library_passages WHERE document_id = $1", uuid.UUID(document["id"])
        )
        assert [row["kind"] for row in kinds] == ["past_proposal"]  # search filters see the new category at once

        renamed = await client.patch(f"/api/library/documents/{document['id']}", json={"title": "Caso de migração"})
        assert renamed.status_code == 200 and renamed.json()["status"] == "uploaded"
        again = await indexed(client, document["id"])
    assert again["passage_count"] == first["passage_count"]
    passages = (await client.get(f"/api/library/documents/{document['id']}/passages")).json()["items"]
    assert {passage["title"] for passage in passages} == {"Caso de migração"}


async def test_a_document_change_is_refused_clearly(client: httpx.AsyncClient) -> None:
    document = (await upload(client, MARKDOWN, "caso.md")).json()
    path = f"/api/library/documents/{document['id']}"
    assert "title" in problem(await client.patch(path, json={"title": None}), 422)["detail"]
    assert "person" in problem(await client.patch(path, json={"person_id": str(uuid.uuid4())}), 422)["detail"]
    problem(await client.patch(path, json={"status": "indexed"}), 422)  # not a detail a person may set
    problem(await client.patch(f"/api/library/documents/{uuid.uuid4()}", json={"owner": "x"}), 404)
    cleared = await client.patch(path, json={"review_by": None})
    assert cleared.status_code == 200 and cleared.json()["review_by"] is None
