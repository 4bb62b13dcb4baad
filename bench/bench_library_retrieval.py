"""Library retrieval: recall@5 and MRR of full-text and hybrid search over a fixture library, and search latency at
1k and 50k passages, through the search code the API runs (`propos4l.shared.library_search.search_library`).

A throwaway PostgreSQL with pgvector (the system's, else the pgserver wheel's) and Redis; the migrations; the fixture
library of bench/fixtures/library/ loaded as production loads it (tests/support/library_fixture.py: records through
the gateway's API with the import CLI's code, documents through the library's extraction pool and splitter); vectors
from the deterministic fake embedding server (tests/support/fake_embeddings.py) written by the library service's
`embed_pending`. Every query of queries.json is searched (limit 10) in full-text mode and in hybrid mode; its rank
(the first result that is an expected source) and recall@5 (the share of its expected sources among the first five
results) are printed as JSON lines, then the means per query language, per tag and overall.

When EMBEDDING_URL points at a server that answers (EMBEDDING_PROVIDER ollama or openai, EMBEDDING_MODEL, default
bge-m3), the fixture is loaded again into a second database, embedded by that server, and evaluated too.

Latency: the library is grown to each size with synthetic passages (the fixture's passages with other names, clients
and numbers, their sentences and list items in another order), inserted with COPY, with fake embeddings and the HNSW
index (rebuilt after a bulk insert); then every query is timed in both modes, `--rounds` rounds, each round reported.

Usage: python bench/bench_library_retrieval.py [--sizes 1000,50000] [--rounds 5] [--dimensions 1024]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import os
import random
import re
import shutil
import statistics
import struct
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, cast

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import asyncpg

from propos4l.library.embedding import embed_pending, ensure_vector_store, passage_embedding_text
from propos4l.shared.db import apply_migrations
from propos4l.shared.embeddings import EmbeddingClient, EmbeddingError
from propos4l.shared.library_search import SearchFilters, search_library
from propos4l.shared.library_text import content_digest, document_search_text, passage_id, search_config
from propos4l.shared.library_vectors import hnsw_index_name
from propos4l.shared.localrun.binaries import find_pgvector_bindir
from propos4l.shared.localrun.servers import LocalPostgres, LocalRedis
from tests.support.fake_embeddings import FakeEmbeddingServer, fake_embedding
from tests.support.library_fixture import (
    FIXTURE,
    FixtureQuery,
    LoadedLibrary,
    fixture_summary,
    load_library,
    read_queries,
)

FAKE_MODEL = "fake-multilingual"
LIMIT = 10
_CHUNK = 5000  # synthetic passages per COPY
_PASSAGES_PER_DOCUMENT = 40
_FIRST_NAMES = (
    "Ana Bruno Carla Daniel Eduarda Fábio Gabriela Heitor Íris Jorge Kátia Leandro Marina Nelson Olívia Pedro "
    "Quitéria Rodrigo Sabrina Túlio Úrsula Vitor Wesley Yasmin Zeca Alice Bernardo Cecília Davi Elisa"
).split()
_LAST_NAMES = (
    "Almeida Barros Cardoso Dantas Esteves Farias Guimarães Holanda Ilha Jardim Leal Macedo Neves Paiva Queiroz "
    "Rezende Sampaio Toledo Vasconcelos Xavier"
).split()
_CLIENT_WORDS = (
    "Aurora Boreal Cascata Delta Estrela Floresta Granito Horizonte Itapoã Jequitibá Lagoa Montanha Norte Oceano "
    "Planalto Quaresmeira Rio Serra Tucano Vale"
).split()
_CLIENT_KINDS = (
    "Cooperativa",
    "Banco",
    "Seguradora",
    "Rede",
    "Grupo",
    "Hospital",
    "Transportes",
    "Indústrias",
    "Energia",
    "Distribuidora",
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_NUMBER = re.compile(r"\d+")


def emit(record: dict[str, Any]) -> None:
    """One JSON line on stdout."""
    print(json.dumps(record, ensure_ascii=False), flush=True)


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of `values` (share 0.95 for p95)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


# --- retrieval quality --------------------------------------------------------------------------------------------


async def evaluate(
    pool: asyncpg.Pool,
    loaded: LoadedLibrary,
    queries: list[FixtureQuery],
    client: EmbeddingClient | None,
    label: str,
) -> list[dict[str, Any]]:
    """Search every query; print and return its rank and recall@5."""
    results = []
    for query in queries:
        outcome = await search_library(pool, query.query, client=client, filters=SearchFilters(), limit=LIMIT)
        hits = outcome.hits
        rank = next(
            (index for index, hit in enumerate(hits, 1) if any(loaded.matches(hit, e) for e in query.expected)),
            None,
        )
        found = [e for e in query.expected if any(loaded.matches(hit, e) for hit in hits[:5])]
        result = {
            "evaluation": label,
            "mode": outcome.mode,
            "mode_reason": outcome.mode_reason,
            "id": query.id,
            "language": query.language,
            "tags": list(query.tags),
            "query": query.query,
            "rank": rank,
            "recall_at_5": round(len(found) / len(query.expected), 3),
            "missed_at_5": [e for e in query.expected if e not in found],
            "top_5": [loaded.source(hit) for hit in hits[:5]],
        }
        emit(result)
        results.append(result)
    return results


def summarise(label: str, results: list[dict[str, Any]]) -> None:
    """Mean recall@5 and MRR overall, per query language and per tag."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for result in results:
        groups["all"].append(result)
        groups[f"language:{result['language']}"].append(result)
        for tag in result["tags"]:
            groups[f"tag:{tag}"].append(result)
    for group, members in groups.items():
        emit(
            {
                "summary": label,
                "group": group,
                "queries": len(members),
                "recall_at_5": round(statistics.mean(m["recall_at_5"] for m in members), 3),
                "mrr": round(statistics.mean(1 / m["rank"] if m["rank"] else 0.0 for m in members), 3),
                "found_in_top_10": sum(1 for m in members if m["rank"]),
            }
        )


# --- synthetic passages -------------------------------------------------------------------------------------------


class Variations:
    """Passages like the fixture's with other names, clients, numbers and order: different text, same vocabulary."""

    def __init__(self, templates: list[asyncpg.Record], names: list[str], clients: list[str], seed: int = 14) -> None:
        self._templates = templates
        self._random = random.Random(seed)
        # Longest first, so "Cooperativa Cerrado Crédito" goes before a shorter name inside it.
        known = sorted({*names, *clients}, key=len, reverse=True)
        self._known = re.compile("|".join(re.escape(name) for name in known))
        self._clients = set(clients)

    def _name(self) -> str:
        return f"{self._random.choice(_FIRST_NAMES)} {self._random.choice(_LAST_NAMES)}"

    def _client(self) -> str:
        return f"{self._random.choice(_CLIENT_KINDS)} {self._random.choice(_CLIENT_WORDS)}"

    def _number(self, match: re.Match[str]) -> str:
        digits = len(match.group())
        return str(self._random.randint(10 ** (digits - 1) if digits > 1 else 0, 10**digits - 1))

    def _vary(self, text: str, swaps: dict[str, str]) -> str:
        def replace(match: re.Match[str]) -> str:
            found = match.group()
            if found not in swaps:
                swaps[found] = self._client() if found in self._clients else self._name()
            return swaps[found]

        return _NUMBER.sub(self._number, self._known.sub(replace, text))

    def _reorder(self, body: str) -> str:
        paragraphs = []
        for paragraph in body.split("\n"):
            sentences = _SENTENCE.split(paragraph)
            self._random.shuffle(sentences)
            if ", " in sentences[0] and self._random.random() < 0.5:  # a list's items in another order
                items = sentences[0].split(", ")
                self._random.shuffle(items)
                sentences[0] = ", ".join(items)
            paragraphs.append(" ".join(sentences))
        self._random.shuffle(paragraphs)
        return "\n".join(paragraphs)

    def passage(self) -> tuple[str, str, str, list[str], str]:
        """(kind, language, title, headings, body) of a new passage."""
        template = self._random.choice(self._templates)
        swaps: dict[str, str] = {}
        title = self._vary(template["title"], swaps)
        headings = [self._vary(heading, swaps) for heading in template["heading_path"]]
        body = self._reorder(self._vary(template["body"], swaps))
        return template["kind"], template["language"], title, headings, body


def _encode_vector(values: Sequence[float]) -> bytes:
    """pgvector's binary form: dimensions, a reserved zero, then big-endian float4s."""
    return struct.pack(f">HH{len(values)}f", len(values), 0, *values)


def _decode_vector(data: bytes) -> list[float]:
    dimensions = struct.unpack_from(">H", data)[0]
    return list(struct.unpack_from(f">{dimensions}f", data, 4))


async def _copy_chunk(
    connection: asyncpg.Connection, variations: Variations, count: int, model: str, dimensions: int, serial: int
) -> None:
    documents, passages, vectors = [], [], []
    for start in range(0, count, _PASSAGES_PER_DOCUMENT):
        document_id = uuid.uuid4()
        size = min(_PASSAGES_PER_DOCUMENT, count - start)
        documents.append(
            (
                document_id,
                f"synthetic-{serial}-{start}",
                f"synthetic-{serial}-{start}.md",
                "text/markdown",
                hashlib.sha256(document_id.bytes).digest(),
                0,
                "past_proposal",
                "indexed",
                size,
                "bench",
                "bench",
            )
        )
        for ordinal in range(size):
            kind, language, title, headings, body = variations.passage()
            digest = content_digest(title, *headings, body)
            identifier = passage_id(document_id, ordinal, digest)
            passages.append(
                (
                    identifier,
                    document_id,
                    ordinal,
                    kind,
                    language,
                    title,
                    headings,
                    body,
                    search_config(language),
                    document_search_text(title, ordinal, body, headings),
                    digest,
                )
            )
            vectors.append(
                (identifier, model, fake_embedding(passage_embedding_text(title, headings, body), dimensions))
            )
    async with connection.transaction():
        await connection.copy_records_to_table(
            "library_documents",
            records=documents,
            columns=[
                "id",
                "title",
                "filename",
                "media_type",
                "sha256",
                "size_bytes",
                "category",
                "status",
                "passage_count",
                "owner",
                "uploaded_by",
            ],
        )
        await connection.execute("TRUNCATE bench_passages")
        await connection.copy_records_to_table("bench_passages", records=passages)
        await connection.execute(
            """INSERT INTO library_passages (id, document_id, ordinal, kind, language, title, heading_path, body,
                   search_config, search_text, content_sha256)
               SELECT id, document_id, ordinal, kind, language, title, heading_path, body, search_config::regconfig,
                   search_text, content_sha256 FROM bench_passages"""
        )
        await connection.copy_records_to_table(
            "library_embeddings", records=vectors, columns=["passage_id", "model", "embedding"]
        )


async def grow(
    pool: asyncpg.Pool, database: str, target: int, model: str, dimensions: int, variations: Variations
) -> None:
    """Add synthetic passages (with vectors) until the library has `target`; rebuild the HNSW index after a bulk."""
    have = await pool.fetchval("SELECT count(*) FROM library_passages")
    missing = target - have
    if missing <= 0:
        return
    bulk = missing > _CHUNK
    started = time.perf_counter()
    connection = await asyncpg.connect(database)  # its own: the binary vector codec must not reach search's pool
    try:
        await connection.set_type_codec(
            "vector", schema="public", encoder=_encode_vector, decoder=_decode_vector, format="binary"
        )
        await connection.execute(
            """CREATE TEMP TABLE IF NOT EXISTS bench_passages (id uuid, document_id uuid, ordinal integer, kind text,
                   language text, title text, heading_path text[], body text, search_config text, search_text text,
                   content_sha256 bytea)"""
        )
        if bulk:
            await connection.execute(f"DROP INDEX IF EXISTS {hnsw_index_name(model)}")
        for serial, start in enumerate(range(0, missing, _CHUNK)):
            await _copy_chunk(connection, variations, min(_CHUNK, missing - start), model, dimensions, serial)
    finally:
        await connection.close()
    inserted = time.perf_counter()
    if bulk:
        await ensure_vector_store(pool, model, dimensions)  # the service's own CREATE INDEX
    indexed = time.perf_counter()
    await pool.execute("ANALYZE library_passages")
    await pool.execute("ANALYZE library_embeddings")
    total = await pool.fetchval("SELECT count(*) FROM library_passages")
    await pool.execute(
        "UPDATE library_embedding_models SET passages_total = $2, passages_done = $2 WHERE model = $1", model, total
    )
    emit(
        {
            "grew_to": total,
            "added": missing,
            "insert_seconds": round(inserted - started, 1),
            "hnsw_rebuild_seconds": round(indexed - inserted, 1) if bulk else None,
        }
    )


# --- latency ------------------------------------------------------------------------------------------------------


async def latency(
    pool: asyncpg.Pool, queries: list[FixtureQuery], client: EmbeddingClient, size: int, rounds: int
) -> dict[str, list[float]]:
    """Time every query in both modes, `rounds` times; print each round; return each round's p95 per mode."""
    modes: tuple[Literal["full_text", "hybrid"], ...] = ("full_text", "hybrid")
    for query in queries:  # warm-up: caches, the planner, the fake server's connections
        for mode in modes:
            await search_library(
                pool, query.query, client=client if mode == "hybrid" else None, filters=SearchFilters()
            )
    p95s: dict[str, list[float]] = {mode: [] for mode in modes}
    for round_number in range(1, rounds + 1):
        timings: dict[str, list[float]] = {mode: [] for mode in modes}
        embedding: list[float] = []
        for query in queries:
            for mode in modes:
                started = time.perf_counter()
                outcome = await search_library(
                    pool, query.query, client=client if mode == "hybrid" else None, filters=SearchFilters(), limit=LIMIT
                )
                timings[mode].append((time.perf_counter() - started) * 1000)
                if mode == "hybrid" and outcome.mode != "hybrid":
                    raise RuntimeError(f"hybrid search fell back to full text: {outcome.mode_reason}")
            started = time.perf_counter()
            await client.embed([query.query])
            embedding.append((time.perf_counter() - started) * 1000)
        for mode in modes:
            values = timings[mode]
            p95s[mode].append(percentile(values, 0.95))
            emit(
                {
                    "latency": mode,
                    "passages": size,
                    "round": round_number,
                    "queries": len(values),
                    "p50_ms": round(statistics.median(values), 1),
                    "p95_ms": round(percentile(values, 0.95), 1),
                    "max_ms": round(max(values), 1),
                    "load_average": round(os.getloadavg()[0], 1),
                    **({"query_embedding_p50_ms": round(statistics.median(embedding), 1)} if mode == "hybrid" else {}),
                }
            )
    return p95s


# --- the run ------------------------------------------------------------------------------------------------------


def real_embedding_settings() -> tuple[Literal["ollama", "openai"], str, str, str | None] | None:
    """(provider, url, model, key) of the embedding server EMBEDDING_URL names, or None."""
    url = os.environ.get("EMBEDDING_URL")
    provider = os.environ.get("EMBEDDING_PROVIDER", "ollama")
    if not url or provider not in ("ollama", "openai"):
        return None
    return (
        cast(Literal["ollama", "openai"], provider),
        url,
        os.environ.get("EMBEDDING_MODEL", "bge-m3"),
        os.environ.get("EMBEDDING_API_KEY"),
    )


async def evaluate_real_model(
    server: LocalPostgres, redis_url: str, data_dir: Path, queries: list[FixtureQuery]
) -> None:
    """The fixture in a second database, embedded by the server EMBEDDING_URL names, if it answers."""
    settings = real_embedding_settings()
    if settings is None:
        emit({"real_embeddings": "skipped", "reason": "EMBEDDING_URL is not set (or EMBEDDING_PROVIDER is none)"})
        return
    provider, url, model, key = settings
    async with EmbeddingClient(provider, url, model=model, api_key=key, batch_size=16) as client:
        try:
            await client.embed(["ping"], timeout_seconds=30)
        except EmbeddingError as error:
            emit({"real_embeddings": "skipped", "url": url, "model": model, "reason": str(error)})
            return
        database = server.create_database("retrieval_real")
        await apply_migrations(database)
        loaded = await load_library(database, redis_url, data_dir / "real")
        pool = await asyncpg.create_pool(database, min_size=1, max_size=3)
        try:
            started = time.perf_counter()
            embedded = await embed_pending(pool, client, model, batch_size=16)
            emit(
                {
                    "embedded": embedded,
                    "model": model,
                    "provider": provider,
                    "seconds": round(time.perf_counter() - started, 1),
                }
            )
            summarise(f"hybrid_{model}", await evaluate(pool, loaded, queries, client, f"hybrid_{model}"))
        finally:
            await pool.close()


async def run(sizes: list[int], rounds: int, dimensions: int) -> None:
    bindir = find_pgvector_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL with pgvector here (neither the system's nor the pgserver wheel's)")
    folder = Path(tempfile.mkdtemp(prefix="propos4l-bench-retrieval-"))
    postgres = LocalPostgres(folder / "postgres", bindir=bindir)
    redis = LocalRedis(folder / "redis")
    postgres.start()
    redis.start()
    try:
        database = postgres.create_database("retrieval")
        await apply_migrations(database)
        started = time.perf_counter()
        loaded = await load_library(database, redis.url, folder / "data")
        emit(
            {
                "fixture": fixture_summary(),
                "passages": loaded.passages,
                "document_passages": loaded.document_passages,
                "import_failures": loaded.import_failures,
                "load_seconds": round(time.perf_counter() - started, 1),
                "postgres": str(bindir),
            }
        )
        queries = read_queries(FIXTURE)
        pool = await asyncpg.create_pool(
            database,
            min_size=2,
            max_size=4,
            server_settings={"maintenance_work_mem": "1GB", "max_parallel_maintenance_workers": "1"},
        )
        try:
            summarise("full_text", await evaluate(pool, loaded, queries, None, "full_text"))
            with FakeEmbeddingServer({FAKE_MODEL: dimensions}) as fake:
                async with EmbeddingClient("ollama", fake.url, model=FAKE_MODEL, batch_size=32) as client:
                    started = time.perf_counter()
                    embedded = await embed_pending(pool, client, FAKE_MODEL, batch_size=32)
                    emit(
                        {
                            "embedded": embedded,
                            "model": FAKE_MODEL,
                            "dimensions": dimensions,
                            "seconds": round(time.perf_counter() - started, 1),
                        }
                    )
                    summarise("hybrid_fake", await evaluate(pool, loaded, queries, client, "hybrid_fake"))
                    templates = await pool.fetch(
                        "SELECT kind, language, title, heading_path, body FROM library_passages"
                    )
                    names = [
                        row["title"]
                        for row in await pool.fetch("SELECT title FROM library_entries WHERE kind = 'person'")
                    ]
                    clients = [
                        row["client"]
                        for row in await pool.fetch(
                            "SELECT fields->>'client' AS client FROM library_entries WHERE kind = 'case_study'"
                        )
                        if row["client"]
                    ]
                    variations = Variations(list(templates), names, clients)
                    for size in sizes:
                        await grow(pool, database, size, FAKE_MODEL, dimensions, variations)
                        p95s = await latency(pool, queries, client, size, rounds)
                        for mode, values in p95s.items():
                            emit(
                                {
                                    "latency_summary": mode,
                                    "passages": size,
                                    "median_p95_ms": round(statistics.median(values), 1),
                                    "worst_p95_ms": round(max(values), 1),
                                    "goal_p95_ms": 100,
                                }
                            )
        finally:
            await pool.close()
        await evaluate_real_model(postgres, redis.url, folder / "data", queries)
    finally:
        redis.stop()
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="1000,50000", help="library sizes (passages) to time search at")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dimensions", type=int, default=1024, help="the fake model's size (bge-m3's: 1024)")
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",") if size]
    asyncio.run(run(sizes, arguments.rounds, arguments.dimensions))


if __name__ == "__main__":
    main()
