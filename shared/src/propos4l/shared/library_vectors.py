"""What the library service (writing embeddings) and search (reading them) must spell alike: the embeddings table,
its per-model HNSW index and the state of each embedding model (migration 0011).

One table holds every model's vectors (`embedding vector`, no fixed size); each model has an HNSW index on the
expression `(embedding::vector(N))`, partial on `model = '...'`, the pattern pgvector's documentation gives for
vectors of mixed sizes. A query uses that index only when it repeats the same expression and the same constant
predicate, hence `vector_expression` and `model_predicate` here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

__all__ = [
    "EMBEDDINGS_TABLE",
    "EmbeddingModelState",
    "hnsw_index_name",
    "model_predicate",
    "model_states",
    "ready_model",
    "sql_literal",
    "vector_expression",
    "vector_text",
    "vector_type_exists",
]

EMBEDDINGS_TABLE: Final = "library_embeddings"


@dataclass(frozen=True, slots=True)
class EmbeddingModelState:
    """One embedding model's row: `ready` once every passage had its vector."""

    model: str
    dimensions: int | None
    state: Literal["embedding", "ready"]
    passages_total: int
    passages_done: int
    started_at: datetime
    finished_at: datetime | None


def sql_literal(text: str) -> str:
    """`text` as an SQL string literal (DDL and partial-index predicates take no parameters)."""
    if "\x00" in text:
        raise ValueError("an SQL literal cannot hold NUL")
    return "'" + text.replace("'", "''") + "'"


def hnsw_index_name(model: str) -> str:
    """The name of `model`'s HNSW index (model names hold characters identifiers do not)."""
    return f"library_embeddings_hnsw_{hashlib.sha256(model.encode()).hexdigest()[:16]}"


def vector_expression(dimensions: int) -> str:
    """The indexed expression: the untyped column cast to the model's size."""
    if not 0 < dimensions <= 2000:  # pgvector's HNSW indexes vectors of at most 2,000 dimensions
        raise ValueError(f"cannot index vectors of {dimensions} dimensions (1 to 2000)")
    return f"(embedding::vector({int(dimensions)}))"


def model_predicate(model: str) -> str:
    """The partial index's predicate, as a constant the planner can match."""
    return f"model = {sql_literal(model)}"


def vector_text(vector: Sequence[float]) -> str:
    """A vector in pgvector's text form ('[0.1,0.2]'), for a `$n::vector` parameter."""
    return "[" + ",".join(repr(float(number)) for number in vector) + "]"


async def vector_type_exists(connection: Any) -> bool:
    """Tell whether the database has pgvector's `vector` type (migration 0010 created the extension if it could)."""
    exists: bool = await connection.fetchval("SELECT to_regtype('vector') IS NOT NULL")
    return exists


async def embeddings_table_exists(connection: Any) -> bool:
    """Tell whether the library service created the embeddings table yet."""
    exists: bool = await connection.fetchval(f"SELECT to_regclass('{EMBEDDINGS_TABLE}') IS NOT NULL")
    return exists


def _state_of(row: Any) -> EmbeddingModelState:
    return EmbeddingModelState(
        model=row["model"],
        dimensions=row["dimensions"],
        state=row["state"],
        passages_total=row["passages_total"],
        passages_done=row["passages_done"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


async def model_states(connection: Any) -> list[EmbeddingModelState]:
    """Every embedding model's state, the ready one first."""
    rows = await connection.fetch(
        """SELECT model, dimensions, state, passages_total, passages_done, started_at, finished_at
           FROM library_embedding_models ORDER BY state = 'ready' DESC, started_at"""
    )
    return [_state_of(row) for row in rows]


async def ready_model(connection: Any) -> EmbeddingModelState | None:
    """The model search reads (at most one is ready), or None before the first model finished."""
    row = await connection.fetchrow(
        """SELECT model, dimensions, state, passages_total, passages_done, started_at, finished_at
           FROM library_embedding_models WHERE state = 'ready' AND dimensions IS NOT NULL"""
    )
    return None if row is None else _state_of(row)
