"""Library search's full-text ranking at scale: every word before any word, each step a bounded sample of the GIN
index's matches, stop words of either language in neither query, at most PER_SOURCE passages of one source, and a
document's title searched in its first passage only (migration 0015 rewriting the passages stored before)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
import pytest

from propos4l.shared import library_search
from propos4l.shared.db import apply_migrations, available_migrations
from propos4l.shared.library_search import PER_SOURCE, SearchFilters, search_library
from propos4l.shared.library_text import content_digest, document_search_text, passage_id, search_text
from tests.support.library_passages import add_entry

pytestmark = pytest.mark.integration


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    created = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    try:
        yield created
    finally:
        await created.close()


async def full_text(pool: asyncpg.Pool, text: str, **options: Any) -> list[uuid.UUID]:
    outcome = await search_library(pool, text, client=None, filters=SearchFilters(), **options)
    return [hit.passage_id for hit in outcome.hits]


async def add_document_entry(connection: asyncpg.Connection, title: str, bodies: Sequence[str]) -> list[uuid.UUID]:
    """One entry with a passage per body (as a company profile has one per section); its passages' ids."""
    entry_id, first = await add_entry(connection, title=title, body=bodies[0])
    passages = [first]
    for ordinal, body in enumerate(bodies[1:], start=1):
        digest = content_digest(title, body)
        passage = passage_id(entry_id, ordinal, digest)
        await connection.execute(
            """INSERT INTO library_passages (id, entry_id, ordinal, kind, language, title, body, search_config,
                                             search_text, content_sha256)
               VALUES ($1, $2, $3, 'case_study', 'pt-BR', $4, $5, 'portuguese', $6, $7)""",
            passage,
            entry_id,
            ordinal,
            title,
            body,
            search_text(title, body),
            digest,
        )
        passages.append(passage)
    return passages


async def test_passages_with_every_word_are_found_first_even_past_the_any_word_sample(
    pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(library_search, "FULL_TEXT_SAMPLE", 3)
    async with pool.acquire() as connection:
        some = [
            (await add_entry(connection, title=f"Cliente {index}", body=f"Migração do ERP número {index}."))[1]
            for index in range(8)
        ]
        _, both = await add_entry(connection, title="Cooperativa", body="Migração do core para a nuvem da AWS.")
    found = await full_text(pool, "migração nuvem")
    # The passage with both words comes first although 8 passages with one word were written (and are found) before
    # it; the any-word step then ranks only a sample of 3 of those 8: the work is bounded whatever the library's size.
    assert found[0] == both
    assert len(found) == 1 + 3 and set(found[1:]) <= set(some)
    assert found == await full_text(pool, "migração nuvem")  # the same answer each time


class _Explaining:
    """A connection that explains each search query before running it."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self.plans: list[str] = []

    def transaction(self) -> Any:
        return self._connection.transaction()

    async def execute(self, sql: str, *arguments: Any) -> str:
        result: str = await self._connection.execute(sql, *arguments)
        return result

    async def fetch(self, sql: str, *arguments: Any) -> list[asyncpg.Record]:
        plan = await self._connection.fetch(f"EXPLAIN {sql}", *arguments)
        self.plans.append("\n".join(row[0] for row in plan))
        rows: list[asyncpg.Record] = await self._connection.fetch(sql, *arguments)
        return rows


async def test_full_text_reads_passages_through_the_gin_index(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as connection:
        for index in range(30):
            await add_entry(connection, title=f"Projeto {index}", body=f"Integração de sistemas, lote {index}.")
        await connection.execute("ANALYZE library_passages")
        explaining = _Explaining(connection)
        query = library_search.build_text_query("integração de sistemas", {"de"})
        assert query is not None
        await library_search._full_text_candidates(explaining, query, SearchFilters(), 50)  # type: ignore[arg-type]
    plans = explaining.plans
    assert plans, "no full-text query ran"
    for plan in plans:
        assert "Bitmap Index Scan on library_passages_search_idx" in plan, plan
        assert "Seq Scan on library_passages" not in plan and "Gather" not in plan, plan


async def test_stop_words_of_either_language_are_in_neither_query(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as connection:
        _, portuguese = await add_entry(connection, title="Nuvem", body="Levamos os dados da cooperativa para a nuvem.")
        # "para" is a Portuguese stop word but an English word ("Pará", unaccented): under the english configuration
        # it used to be a term, so a Portuguese query found this English passage by its stop word.
        _, state = await add_entry(
            connection, title="Para", body="Field offices in Para and Amazonas states.", language="en"
        )
        # "the" is an English stop word, a plain word under the portuguese configuration.
        _, brand = await add_entry(connection, title="Marca", body="Parceria com a agência The Studio em Recife.")
    found = await full_text(pool, "dados para nuvem")
    assert found == [portuguese] and state not in found
    assert brand not in await full_text(pool, "the cloud")
    assert await full_text(pool, "para the de") == []  # only stop words: nothing to search for


async def test_at_most_two_passages_of_one_source_unless_asked_for_more(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as connection:
        sections = await add_document_entry(
            connection,
            "Proposta de migração",
            [f"Migração para a nuvem, etapa {index}: inventário, ondas e testes." for index in range(5)],
        )
        _, other = await add_entry(connection, title="Serviço", body="Migração de aplicações para a nuvem.")
    capped = await full_text(pool, "migração nuvem")
    assert PER_SOURCE == 2
    assert len([passage for passage in capped if passage in sections]) == 2 and other in capped
    uncapped = await full_text(pool, "migração nuvem", per_source=None)
    assert set(sections) | {other} == set(uncapped)


async def test_migration_0015_keeps_a_document_s_title_in_its_first_passage_only(empty_database_url: str) -> None:
    migrations = available_migrations()
    await apply_migrations(empty_database_url, [m for m in migrations if m.version < 15])
    title = "2025-hospital-adequação-lgpd"
    passages = [  # (heading path, body) as the library service wrote them before: the title in each passage
        (["Contexto"], "O hospital trata dados de saúde."),
        (["Fase 2", "Relatórios"], "Relatório de impacto (RIPD)\ncom medidas de segurança."),
        ([], "Plain text without accents."),
        (["Equipe", ""], "Ana, Bruno."),
    ]
    connection = await asyncpg.connect(empty_database_url)
    try:
        document = uuid.uuid4()
        await connection.execute(
            """INSERT INTO library_documents (id, title, filename, media_type, sha256, size_bytes, category, status,
                   owner, uploaded_by)
               VALUES ($1, $2, 'a.md', 'text/markdown', $3, 1, 'past_proposal', 'indexed', 'tests', 'tests')""",
            document,
            title,
            bytes(32),
        )
        for ordinal, (headings, body) in enumerate(passages):
            await connection.execute(
                """INSERT INTO library_passages (id, document_id, ordinal, kind, language, title, heading_path, body,
                       search_config, search_text, content_sha256)
                   VALUES ($1, $2, $3, 'past_proposal', 'pt-BR', $4, $5, $6, 'portuguese', $7, $8)""",
                uuid.uuid4(),
                document,
                ordinal,
                title,
                headings,
                body,
                search_text(title, body, headings),
                bytes(32),
            )
        _, entry_passage = await add_entry(connection, title="Ana Souza", body="Arquiteta de dados.")
        entry_text = await connection.fetchval("SELECT search_text FROM library_passages WHERE id = $1", entry_passage)
        by_title = "SELECT count(*) FROM library_passages WHERE search_vector @@ to_tsquery('portuguese', 'hospital')"
        assert await connection.fetchval(by_title) == len(passages)  # every passage, by the title
        await apply_migrations(empty_database_url, migrations)
        rows = await connection.fetch(
            "SELECT ordinal, search_text FROM library_passages WHERE document_id = $1 ORDER BY ordinal", document
        )
        stored = [row["search_text"] for row in rows]
        assert stored == [document_search_text(title, ordinal, body, h) for ordinal, (h, body) in enumerate(passages)]
        assert entry_text == await connection.fetchval(
            "SELECT search_text FROM library_passages WHERE id = $1", entry_passage
        )
        assert await connection.fetchval(by_title) == 1  # the first passage: its title (and its text) say "hospital"
    finally:
        await connection.close()
