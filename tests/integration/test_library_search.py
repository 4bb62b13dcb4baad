"""Library search through the gateway: Portuguese and English full text with stems and without accents, hybrid
ranking with a deterministic fake embedding server on PostgreSQL with pgvector, filters, deletions, and full text
only (saying why) when vectors cannot take part: no provider, no pgvector, the server down, the model not ready."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from propos4l.library.embedding import embed_pending
from propos4l.shared.embeddings import EmbeddingClient
from tests.support.fake_embeddings import FakeEmbeddingServer
from tests.support.gateway import AUTH, gateway_settings, running_gateway
from tests.support.library_passages import add_entry
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

LEGACY_TO_CLOUD = "Moved a bank's COBOL mainframe workloads to AWS in nine months, with no downtime."


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeEmbeddingServer]:
    with FakeEmbeddingServer() as server:
        yield server


@contextlib.asynccontextmanager
async def gateway(
    database_url: str, redis_url: str, data_dir: Path, **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    async with running_gateway(gateway_settings(database_url, redis_url, data_dir, **settings)) as running:
        yield running.client


def embedding_settings(fake: FakeEmbeddingServer, model: str = "fake-small") -> dict[str, Any]:
    return {"embedding_provider": "ollama", "embedding_url": fake.url, "embedding_model": model}


async def search(client: httpx.AsyncClient, q: str, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/library/search", params={"q": q, **params}, headers=AUTH)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def passage_ids(body: dict[str, Any]) -> list[str]:
    return [result["passage_id"] for result in body["results"]]


async def embed_all(url: str, fake: FakeEmbeddingServer, model: str = "fake-small", *, batch_size: int = 16) -> int:
    pool = await asyncpg.create_pool(url, min_size=1, max_size=3)
    try:
        async with EmbeddingClient("ollama", fake.url, model=model, batch_size=batch_size) as client:
            return await embed_pending(pool, client, model, batch_size=batch_size)
    finally:
        await pool.close()


# --- full text, on the system's PostgreSQL (no pgvector here: full text only, and the answer says why) ------------


async def test_migracao_finds_migrar_and_unaccented_queries_find_accented_text(
    database_url: str, redis_url: str, data_dir: Path
) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        _, verb = await add_entry(connection, title="Banco Sul", body="Ajudamos o banco a migrar 40 sistemas ao Azure.")
        _, noun = await add_entry(connection, title="Varejo", body="A migração do ERP terminou em seis semanas.")
        _, other = await add_entry(connection, title="Saúde", body="Prontuário eletrônico para hospitais públicos.")
    finally:
        await connection.close()
    async with gateway(database_url, redis_url, data_dir, embedding_provider="none") as client:
        by_noun = await search(client, "migração")
        assert set(passage_ids(by_noun)) == {str(verb), str(noun)}
        assert (by_noun["mode"], by_noun["mode_reason"], by_noun["embedding_model"]) == (
            "full_text",
            "no_embedding_model",
            None,
        )
        assert set(passage_ids(await search(client, "migrar"))) == {str(verb), str(noun)}
        assert set(passage_ids(await search(client, "migracao"))) == {str(verb), str(noun)}
        assert passage_ids(await search(client, "prontuario eletronico")) == [str(other)]
        assert passage_ids(await search(client, "MIGRAÇÃO")) != []


async def test_english_stems_and_highlights_mark_the_matching_words(
    database_url: str, redis_url: str, data_dir: Path
) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        _, passage = await add_entry(
            connection,
            title="Logistics",
            body="We were migrating the warehouses' deployments to containers.",
            language="en",
        )
    finally:
        await connection.close()
    async with gateway(database_url, redis_url, data_dir, embedding_provider="none") as client:
        body = await search(client, "container migration deployment")
        assert passage_ids(body) == [str(passage)]
        result = body["results"][0]
        marked = [result["snippet"][start:end].lower() for start, end in result["highlights"]]
        assert any(text.startswith("migrat") for text in marked), (result["snippet"], marked)
        assert any(text.startswith("deploy") for text in marked) and any("container" in text for text in marked)
        assert "\ue000" not in result["snippet"] and result["source"]["kind"] == "case_study"


async def test_without_pgvector_search_is_full_text_and_says_so(
    database_url: str, redis_url: str, data_dir: Path, fake: FakeEmbeddingServer
) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        if await connection.fetchval("SELECT to_regtype('vector') IS NOT NULL"):
            pytest.skip("the system's PostgreSQL has pgvector here")
        _, passage = await add_entry(connection, title="Banco", body="Migração de core bancário.")
    finally:
        await connection.close()
    async with gateway(database_url, redis_url, data_dir, **embedding_settings(fake)) as client:
        body = await search(client, "migração")
    assert (body["mode"], body["mode_reason"], body["embedding_model"]) == ("full_text", "no_vector_extension", None)
    assert passage_ids(body) == [str(passage)]


async def test_a_query_without_words_is_a_422_and_stop_words_find_nothing(
    database_url: str, redis_url: str, data_dir: Path
) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await add_entry(connection, title="Banco", body="Migração de dados para a nuvem.")
    finally:
        await connection.close()
    async with gateway(database_url, redis_url, data_dir, embedding_provider="none") as client:
        response = await client.get("/api/library/search", params={"q": "?! -- %"}, headers=AUTH)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["errors"][0]["field"] == "query.q" and problem["errors"][0]["type"] == "no_words"
        assert (await search(client, "de para a"))["results"] == []
        response = await client.get("/api/library/search", params={"q": "x", "limit": 51}, headers=AUTH)
        assert response.status_code == 422
        response = await client.get("/api/library/search", params={"q": "migração"})
        assert response.status_code == 401


async def test_filters_and_inactive_people_and_deleted_entries(
    database_url: str, redis_url: str, data_dir: Path
) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        bank, bank_passage = await add_entry(
            connection, title="Banco", body="Migração para Kubernetes.", industries=["banking"], technologies=["k8s"]
        )
        _, retail_passage = await add_entry(
            connection, title="Varejo", body="Migração para a AWS.", industries=["retail"], technologies=["aws"]
        )
        _, english_passage = await add_entry(
            connection, title="Energy", body="Migration to Azure.", language="en", industries=["energy"]
        )
        _, person_passage = await add_entry(
            connection, title="Ana", body="Arquiteta de migração.", kind="person", technologies=["aws"]
        )
        _, gone_person = await add_entry(
            connection, title="Bruno", body="Especialista em migração.", kind="person", active=False
        )
    finally:
        await connection.close()
    async with gateway(database_url, redis_url, data_dir, embedding_provider="none") as client:
        everything = set(passage_ids(await search(client, "migração", limit=50)))
        assert everything == {str(bank_passage), str(retail_passage), str(english_passage), str(person_passage)}
        assert str(gone_person) not in everything  # an inactive person is never offered
        assert passage_ids(await search(client, "migração", kind="person")) == [str(person_passage)]
        assert passage_ids(await search(client, "migração", industry="banking")) == [str(bank_passage)]
        assert set(passage_ids(await search(client, "migração", technology="aws"))) == {
            str(retail_passage),
            str(person_passage),
        }
        assert passage_ids(await search(client, "migration", language="en")) == [str(english_passage)]
        assert str(english_passage) not in passage_ids(await search(client, "migração", language="pt-BR"))

        connection = await asyncpg.connect(database_url)
        try:
            await connection.execute("DELETE FROM library_entries WHERE id = $1", bank)
        finally:
            await connection.close()
        assert str(bank_passage) not in passage_ids(await search(client, "migração", limit=50))


# --- hybrid, on a PostgreSQL with pgvector ------------------------------------------------------------------------


async def _paraphrase_library(url: str) -> uuid.UUID:
    connection = await asyncpg.connect(url)
    try:
        _, target = await add_entry(connection, title="Core banking", body=LEGACY_TO_CLOUD, language="en")
        for index in range(12):  # passages that share the query's words but not its meaning
            await add_entry(
                connection,
                title=f"Treinamento {index}",
                body=f"Treinamento de usuários da empresa {index} em planilhas, relatórios mensais, folha de "
                "pagamento e benefícios, com manuais e vídeos; os sistemas ficaram como estavam.",
            )
    finally:
        await connection.close()
    return target


async def test_hybrid_ranking_finds_a_paraphrase_full_text_misses(
    pgvector_database_url: str, redis_url: str, data_dir: Path, fake: FakeEmbeddingServer
) -> None:
    target = await _paraphrase_library(pgvector_database_url)
    assert await embed_all(pgvector_database_url, fake) == 13
    query = "migração de sistemas legados para nuvem"
    async with gateway(pgvector_database_url, redis_url, data_dir, embedding_provider="none") as client:
        full_text = await search(client, query)
    assert str(target) not in passage_ids(full_text)
    async with gateway(pgvector_database_url, redis_url, data_dir, **embedding_settings(fake)) as client:
        hybrid = await search(client, query)
    assert (hybrid["mode"], hybrid["mode_reason"], hybrid["embedding_model"]) == ("hybrid", None, "fake-small")
    # Reciprocal rank fusion puts the best of each list level: the paraphrase is one of the two best now.
    assert str(target) in passage_ids(hybrid)[:2]


async def test_before_the_first_embedding_search_is_full_text_and_says_reembedding(
    pgvector_database_url: str, redis_url: str, data_dir: Path, fake: FakeEmbeddingServer
) -> None:
    await _paraphrase_library(pgvector_database_url)
    async with gateway(pgvector_database_url, redis_url, data_dir, **embedding_settings(fake)) as client:
        body = await search(client, "sistemas")
    assert (body["mode"], body["mode_reason"], body["embedding_model"]) == ("full_text", "reembedding", "fake-small")
    assert len(body["results"]) == 10


async def test_embedding_server_down_search_answers_with_full_text(
    pgvector_database_url: str, redis_url: str, data_dir: Path, fake: FakeEmbeddingServer
) -> None:
    await _paraphrase_library(pgvector_database_url)
    await embed_all(pgvector_database_url, fake)
    async with gateway(pgvector_database_url, redis_url, data_dir, **embedding_settings(fake)) as client:
        with fake.down():
            busy = await search(client, "sistemas")
        assert (busy["mode"], busy["mode_reason"]) == ("full_text", "embedding_unavailable")
        assert len(busy["results"]) == 10
    stopped = FakeEmbeddingServer()
    stopped.start()
    url = stopped.url
    stopped.stop()  # nothing listens there any more: connection refused
    settings = {"embedding_provider": "ollama", "embedding_url": url, "embedding_model": "fake-small"}
    async with gateway(pgvector_database_url, redis_url, data_dir, **settings) as client:
        refused = await search(client, "sistemas")
    assert (refused["mode"], refused["mode_reason"], refused["embedding_model"]) == (
        "full_text",
        "embedding_unavailable",
        "fake-small",
    )
    assert len(refused["results"]) == 10


async def test_deleting_an_entry_removes_its_passage_and_vector(
    pgvector_database_url: str, redis_url: str, data_dir: Path, fake: FakeEmbeddingServer
) -> None:
    target = await _paraphrase_library(pgvector_database_url)
    await embed_all(pgvector_database_url, fake)
    connection = await asyncpg.connect(pgvector_database_url)
    try:
        await connection.execute(
            "DELETE FROM library_entries WHERE id = (SELECT entry_id FROM library_passages WHERE id = $1)", target
        )
        assert await connection.fetchval("SELECT count(*) FROM library_embeddings WHERE passage_id = $1", target) == 0
    finally:
        await connection.close()
    async with gateway(pgvector_database_url, redis_url, data_dir, **embedding_settings(fake)) as client:
        body = await search(client, "migração de sistemas legados para nuvem", limit=50)
    assert body["mode"] == "hybrid" and str(target) not in passage_ids(body)


async def test_a_new_model_embeds_in_the_background_while_search_reads_the_old_one(
    pgvector_database_url: str, redis_url: str, data_dir: Path
) -> None:
    target = await _paraphrase_library(pgvector_database_url)
    with FakeEmbeddingServer() as fast:
        await embed_all(pgvector_database_url, fast, "fake-small")
    with FakeEmbeddingServer(latency=0.3) as slow:
        reembedding = asyncio.create_task(embed_all(pgvector_database_url, slow, "fake-other", batch_size=2))
        connection = await asyncpg.connect(pgvector_database_url)
        try:

            async def started() -> bool:
                done = await connection.fetchval(
                    "SELECT passages_done FROM library_embedding_models WHERE model = 'fake-other'"
                )
                return bool(done)

            await wait_for(started, timeout=20)
            async with gateway(
                pgvector_database_url, redis_url, data_dir, **embedding_settings(slow, "fake-other")
            ) as c:
                meanwhile = await search(c, "migração de sistemas legados para nuvem")
                assert (meanwhile["mode"], meanwhile["embedding_model"]) == ("hybrid", "fake-small")
                assert str(target) in passage_ids(meanwhile)[:2]
                assert await reembedding == 13
                after = await search(c, "migração de sistemas legados para nuvem")
            assert (after["mode"], after["embedding_model"]) == ("hybrid", "fake-other")
            assert str(target) in passage_ids(after)[:2]
            states = await connection.fetch("SELECT model, state, passages_done FROM library_embedding_models")
            assert [tuple(row) for row in states] == [("fake-other", "ready", 13)]
            assert await connection.fetchval("SELECT count(*) FROM library_embeddings WHERE model = 'fake-small'") == 0
        finally:
            reembedding.cancel()
            with contextlib.suppress(BaseException):
                await reembedding
            await connection.close()
