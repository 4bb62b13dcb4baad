"""The library's vectors: the embeddings table and its indexes, and embedding the passages that lack a vector.

`embed_pending` is safe to call often (after an entry changed, after a document was indexed, on a timer): it embeds
only passages without a vector for the model, one run at a time per database, and a model becomes the one search
reads only once every passage has its vector. Passages are never re-embedded in place: a changed text is a new
passage id (propos4l.shared.library_text.passage_id), so "lacking a vector" is the whole rule.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import asyncpg

from propos4l.shared.embeddings import EmbeddingClient, EmbeddingError
from propos4l.shared.library_vectors import (
    EMBEDDINGS_TABLE,
    embeddings_table_exists,
    hnsw_index_name,
    model_predicate,
    sql_literal,
    vector_expression,
    vector_text,
    vector_type_exists,
)

__all__ = ["embed_pending", "ensure_vector_store", "passage_embedding_text"]

_log = logging.getLogger(__name__)

_EMBEDDING_RUN_LOCK: Final = 0x6C696232  # one embedding run at a time per database ("lib2")
_STORE_LOCK: Final = 0x6C696233  # one creation of the table and indexes at a time
_SHORTEST_CUT: Final = 256  # a text too long for the model is halved down to this many characters, then skipped


def passage_embedding_text(title: str, heading_path: list[str], body: str) -> str:
    """What is embedded of a passage: its title and headings (its context), then its text."""
    return "\n".join(part for part in (title, " > ".join(heading_path), body) if part)


async def ensure_vector_store(pool: asyncpg.Pool, model: str, dimensions: int) -> bool:
    """Create the embeddings table and `model`'s HNSW cosine index when missing; False when there is no pgvector."""
    expression = vector_expression(dimensions)
    async with pool.acquire() as connection, connection.transaction():
        if not await vector_type_exists(connection):
            return False
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _STORE_LOCK)
        await connection.execute(
            f"""CREATE TABLE IF NOT EXISTS {EMBEDDINGS_TABLE} (
                    passage_id uuid NOT NULL REFERENCES library_passages (id) ON DELETE CASCADE,
                    model      text NOT NULL,
                    embedding  vector NOT NULL,
                    PRIMARY KEY (passage_id, model)
                )"""
        )
        await connection.execute(
            f"""CREATE INDEX IF NOT EXISTS {hnsw_index_name(model)} ON {EMBEDDINGS_TABLE}
                USING hnsw ({expression} vector_cosine_ops) WHERE {model_predicate(model)}"""
        )
        await connection.execute(
            "UPDATE library_embedding_models SET dimensions = $2, updated_at = now() "
            "WHERE model = $1 AND dimensions IS NULL",
            model,
            dimensions,
        )
    return True


async def embed_pending(pool: asyncpg.Pool, client: EmbeddingClient, model: str, *, batch_size: int) -> int:
    """Embed every passage lacking a vector for `model`, `batch_size` at a time; return how many were embedded.

    Returns 0 at once without pgvector, or while another run holds the database's embedding lock. Raises
    `EmbeddingError` when the server fails (the rows stored so far stay; the next run carries on). Once no passage
    lacks a vector, `model` becomes the ready one and every other model's vectors and index are dropped.
    """
    async with pool.acquire() as lock_connection:
        if not await vector_type_exists(lock_connection):
            return 0
        if not await lock_connection.fetchval("SELECT pg_try_advisory_lock($1)", _EMBEDDING_RUN_LOCK):
            return 0
        try:
            await _register(lock_connection, model)
            embedded = 0
            skipped: list[Any] = []  # too long even cut short: left without a vector, not tried again in this run
            while True:
                rows = await _lacking(lock_connection, model, batch_size, skipped)
                if not rows:
                    break
                stored, too_long = await _embed_rows(pool, client, model, rows)
                embedded += stored
                skipped += too_long
                await _record_progress(lock_connection, model)
            await _finish(lock_connection, model)
            if embedded:
                _log.info("embedded library passages", extra={"model": model, "passages": embedded})
            return embedded
        finally:
            await lock_connection.execute("SELECT pg_advisory_unlock($1)", _EMBEDDING_RUN_LOCK)


async def _register(connection: Any, model: str) -> None:
    await connection.execute(
        "INSERT INTO library_embedding_models (model) VALUES ($1) ON CONFLICT (model) DO NOTHING", model
    )
    await _record_progress(connection, model)


async def _lacking(connection: Any, model: str, limit: int, skipped: list[Any]) -> list[Any]:
    if await embeddings_table_exists(connection):
        rows: list[Any] = await connection.fetch(
            f"""SELECT p.id, p.title, p.heading_path, p.body FROM library_passages p
                WHERE NOT EXISTS (SELECT 1 FROM {EMBEDDINGS_TABLE} e WHERE e.passage_id = p.id AND e.model = $1)
                  AND p.id <> ALL($3::uuid[])
                ORDER BY p.id LIMIT $2""",  # noqa: S608 - a constant table name only
            model,
            limit,
            skipped,
        )
    else:
        rows = await connection.fetch(
            "SELECT id, title, heading_path, body FROM library_passages WHERE id <> ALL($2::uuid[]) "
            "ORDER BY id LIMIT $1",
            limit,
            skipped,
        )
    return rows


async def _embed_rows(
    pool: asyncpg.Pool, client: EmbeddingClient, model: str, rows: list[Any]
) -> tuple[int, list[Any]]:
    """Embed and store `rows`; return how many were stored and the ids of those too long to embed."""
    texts = [passage_embedding_text(row["title"], list(row["heading_path"]), row["body"]) for row in rows]
    try:
        vectors: list[list[float] | None] = list(await client.embed(texts, model=model))
    except EmbeddingError as error:
        if error.reason != "input_too_long":
            raise
        vectors = [await _embed_cut(client, model, text) for text in texts]
    too_long = [row["id"] for row, vector in zip(rows, vectors, strict=True) if vector is None]
    found = [vector for vector in vectors if vector is not None]
    if not found:
        return 0, too_long
    dimensions = len(found[0])
    known = await pool.fetchval("SELECT dimensions FROM library_embedding_models WHERE model = $1", model)
    if known is not None and known != dimensions:
        raise EmbeddingError(
            "bad_response", f"model {model!r} gave {dimensions}-dimensional vectors, {known} before: was it replaced?"
        )
    if not await ensure_vector_store(pool, model, dimensions):
        return 0, too_long
    records = [(row["id"], model, vector_text(vector)) for row, vector in zip(rows, vectors, strict=True) if vector]
    async with pool.acquire() as connection:
        # A passage deleted while its batch was embedded is skipped, not a foreign-key error.
        await connection.executemany(
            f"""INSERT INTO {EMBEDDINGS_TABLE} (passage_id, model, embedding)
                SELECT $1, $2, $3::vector WHERE EXISTS (SELECT 1 FROM library_passages WHERE id = $1)
                ON CONFLICT (passage_id, model) DO NOTHING""",  # noqa: S608 - a constant table name only
            records,
        )
    return len(records), too_long


async def _embed_cut(client: EmbeddingClient, model: str, text: str) -> list[float] | None:
    """Embed a text the model finds too long, halving it until it fits (a passage is rarely that long)."""
    while True:
        try:
            return (await client.embed([text], model=model))[0]
        except EmbeddingError as error:
            if error.reason != "input_too_long" or len(text) <= _SHORTEST_CUT:
                if error.reason == "input_too_long":
                    _log.warning("a library passage is too long to embed even cut short", extra={"model": model})
                    return None
                raise
            text = text[: len(text) // 2]


async def _record_progress(connection: Any, model: str) -> None:
    if await embeddings_table_exists(connection):
        done_sql = f"(SELECT count(*) FROM {EMBEDDINGS_TABLE} WHERE model = $1)"  # noqa: S608 - constant
    else:
        done_sql = "0"
    await connection.execute(
        f"""UPDATE library_embedding_models
            SET passages_total = (SELECT count(*) FROM library_passages), passages_done = {done_sql}, updated_at = now()
            WHERE model = $1""",  # noqa: S608 - fixed SQL only
        model,
    )


async def _finish(connection: Any, model: str) -> None:
    """Make `model` the ready one once nothing lacks its vector, and drop every other model's vectors."""
    async with connection.transaction():
        state = await connection.fetchrow(
            "SELECT state, dimensions FROM library_embedding_models WHERE model = $1 FOR UPDATE", model
        )
        if state is None or state["dimensions"] is None:
            return  # nothing embedded yet (an empty library): nothing to search with this model
        if state["state"] == "ready":
            return
        others = await connection.fetch("SELECT model FROM library_embedding_models WHERE model <> $1", model)
        await connection.execute("DELETE FROM library_embedding_models WHERE model <> $1", model)
        await connection.execute(
            "UPDATE library_embedding_models SET state = 'ready', finished_at = now(), updated_at = now() "
            "WHERE model = $1",
            model,
        )
        for other in others:
            await connection.execute(f"DROP INDEX IF EXISTS {hnsw_index_name(other['model'])}")
            await connection.execute(
                f"DELETE FROM {EMBEDDINGS_TABLE} WHERE model = {sql_literal(other['model'])}"  # noqa: S608 - quoted
            )
    _log.info("library search now reads embedding model", extra={"model": model, "replaced": len(others)})
