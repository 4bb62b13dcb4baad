"""Library search: full-text candidates fused by reciprocal rank with vector candidates, filtered, with snippets.

Full text ranks, with `ts_rank_cd`, the passages matching every query word, then (when those are fewer than the
candidates wanted) the passages matching any word; each step ranks at most FULL_TEXT_SAMPLE matches of the GIN index,
so a query of common words costs the same at 50,000 passages as at 1,000. Vectors rank by cosine distance on the ready
model's HNSW index, the query embedded by the same server with the same model. The two lists are fused by reciprocal
rank (k = 60), and at most PER_SOURCE passages of one source (entry or document) are kept. When vectors cannot take
part, the answer is full text only and says why (`mode_reason`), never a silent gap.
docs/adr/0012-knowledge-library-search.md has the reasons.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import asyncpg

from propos4l.shared.embeddings import EmbeddingClient, EmbeddingError
from propos4l.shared.library_query import TextQuery, build_text_query, query_words
from propos4l.shared.library_vectors import (
    EMBEDDINGS_TABLE,
    model_predicate,
    ready_model,
    vector_expression,
    vector_text,
    vector_type_exists,
)

__all__ = [
    "CANDIDATES",
    "FULL_TEXT_SAMPLE",
    "PER_SOURCE",
    "RRF_K",
    "VECTOR_RELATIVE_FLOOR",
    "ModeReason",
    "NoSearchWords",
    "SearchFilters",
    "SearchHit",
    "SearchMode",
    "SearchOutcome",
    "cap_per_source",
    "fuse_ranks",
    "search_library",
    "snippet_and_highlights",
]

SearchMode = Literal["hybrid", "full_text"]
ModeReason = Literal["no_embedding_model", "no_vector_extension", "reembedding", "embedding_unavailable"]

RRF_K: Final = 60
CANDIDATES: Final = 50
PER_SOURCE: Final = 2  # passages of one entry or document among the results: one document must not fill them
# Matches of one full-text step (all words, then any word) that are ranked at most, taken in the GIN index's (table)
# order: ranking reads each match's tsvector, about 50 us each, and a common word matches thousands of passages.
FULL_TEXT_SAMPLE: Final = 400
# Vector candidates much less similar than the best one are dropped: in a small or one-topic library the 50 nearest
# passages include unrelated ones, which reciprocal rank fusion would otherwise reward for merely being listed.
VECTOR_RELATIVE_FLOOR: Final = 0.6
_HNSW_EF_SEARCH: Final = 100  # candidates the HNSW scan keeps: above CANDIDATES, so filters leave enough
_START: Final = "\ue000"  # private-use characters: ts_headline's marks, never shown
_STOP: Final = "\ue001"
_HEADLINE_OPTIONS: Final = (
    f'StartSel="{_START}", StopSel="{_STOP}", MaxWords=40, MinWords=20, ShortWord=2, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)
_SPACES: Final = re.compile(r"\s+")

_log = logging.getLogger(__name__)


class NoSearchWords(ValueError):
    """The query has no word to search for (only punctuation or spaces)."""


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """What results must be: a source kind, an industry and a technology they are tagged with, a language."""

    kind: str | None = None
    industry: str | None = None
    technology: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One passage found, with its fused score, a plain-text snippet and the ranges of it that matched."""

    passage_id: uuid.UUID
    score: float
    snippet: str
    highlights: list[tuple[int, int]]
    kind: str
    entry_id: uuid.UUID | None
    document_id: uuid.UUID | None
    title: str
    heading_path: list[str]
    page: int | None


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    """The results, and whether vectors took part (`mode`), why not (`mode_reason`), and with which model."""

    mode: SearchMode
    mode_reason: ModeReason | None
    embedding_model: str | None
    hits: list[SearchHit] = field(default_factory=list)


def fuse_ranks(*rankings: Sequence[uuid.UUID], k: int = RRF_K) -> list[tuple[uuid.UUID, float]]:
    """Reciprocal rank fusion: each list gives 1 / (k + rank) to its items (rank from 1); best first."""
    scores: dict[uuid.UUID, float] = {}
    for ranking in rankings:
        for rank, passage in enumerate(ranking, start=1):
            scores[passage] = scores.get(passage, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], str(item[0])))


def cap_per_source(
    fused: Sequence[tuple[uuid.UUID, float]], sources: dict[uuid.UUID, uuid.UUID], per_source: int | None
) -> list[tuple[uuid.UUID, float]]:
    """`fused` in order, less the passages past the first `per_source` of their source (None: no cap)."""
    if per_source is None:
        return list(fused)
    taken: dict[uuid.UUID, int] = {}
    kept = []
    for passage, score in fused:
        source = sources.get(passage, passage)
        if taken.get(source, 0) < per_source:
            taken[source] = taken.get(source, 0) + 1
            kept.append((passage, score))
    return kept


def snippet_and_highlights(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """ts_headline's text with its marks taken out, spaces collapsed, and the marked ranges [start, end)."""
    text: list[str] = []
    highlights: list[tuple[int, int]] = []
    start: int | None = None
    for piece in re.split(f"([{_START}{_STOP}])", marked):
        if piece == _START:
            start = len("".join(text))
        elif piece == _STOP:
            end = len("".join(text))
            if start is not None and end > start:
                if highlights and highlights[-1][1] >= start - 1 and "".join(text)[highlights[-1][1] : start].isspace():
                    highlights[-1] = (highlights[-1][0], end)  # "migração para": one mark over both words
                else:
                    highlights.append((start, end))
            start = None
        else:
            collapsed = _SPACES.sub(" ", piece)
            if not text:
                collapsed = collapsed.lstrip()
            elif "".join(text).endswith(" ") and collapsed.startswith(" "):
                collapsed = collapsed[1:]
            text.append(collapsed)
    snippet = "".join(text)
    stripped = snippet.rstrip()
    return stripped, [(begin, min(end, len(stripped))) for begin, end in highlights if begin < len(stripped)]


def _filter_sql(filters: SearchFilters, arguments: list[Any]) -> str:
    """Conditions on passages `p` (with their entry `e`, document `d` and the document's person `dp`)."""
    conditions = ["(e.id IS NULL OR e.active)", "(dp.id IS NULL OR dp.active)"]  # inactive people are not offered
    if filters.kind:
        arguments.append(filters.kind)
        conditions.append(f"p.kind = ${len(arguments)}")
    if filters.industry:
        arguments.append([filters.industry])
        conditions.append(f"p.industries @> ${len(arguments)}::text[]")
    if filters.technology:
        arguments.append([filters.technology])
        conditions.append(f"p.technologies @> ${len(arguments)}::text[]")
    if filters.language:
        arguments.append(filters.language)
        conditions.append(f"p.language = ${len(arguments)}")
    return " AND ".join(conditions)


_SOURCES: Final = """library_passages p
    LEFT JOIN library_entries e ON e.id = p.entry_id
    LEFT JOIN library_documents d ON d.id = p.document_id
    LEFT JOIN library_entries dp ON dp.id = d.person_id"""


_CONFIGURATIONS: Final = (("portuguese", "pt-BR"), ("english", "en"))
_BITMAP_SCAN_ONLY: Final = (
    "SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off; SET LOCAL max_parallel_workers_per_gather = 0"
)


def _query_texts(query: TextQuery, *, every_word: bool, language: str | None) -> list[tuple[str, str]]:
    """(configuration, to_tsquery text) of the configurations that take part: a language filter keeps one."""
    texts = {
        "portuguese": query.portuguese_all if every_word else query.portuguese_any,
        "english": query.english_all if every_word else query.english_any,
    }
    return [
        (configuration, texts[configuration])
        for configuration, code in _CONFIGURATIONS
        if texts[configuration] and language in (None, code)
    ]


def _tsquery_sql(texts: list[tuple[str, str]], arguments: list[Any]) -> str:
    """SQL of the query: each configuration's text parsed (and stemmed) by its configuration, OR-ed together.

    Both are matched against passages of both configurations: the Portuguese root prefix 'migr':* is what finds an
    English "migration" for "migração" (measured on the fixture library: matching each query only against its own
    configuration's passages lost such matches, full-text recall@5 0.855 -> 0.817 and MRR 0.827 -> 0.798).
    """
    tsqueries = []
    for configuration, text in texts:
        arguments.append(text)
        tsqueries.append(f"to_tsquery('{configuration}', ${len(arguments)}::text)")
    return "(" + " || ".join(tsqueries) + ")"


async def _full_text_step(
    connection: asyncpg.Connection,
    texts: list[tuple[str, str]],
    rank_texts: list[tuple[str, str]],
    filters: SearchFilters,
    excluded: list[uuid.UUID],
    limit: int,
) -> list[asyncpg.Record]:
    """The best `limit` (by `rank_texts`) of at most FULL_TEXT_SAMPLE passages matching `texts`, less `excluded`."""
    arguments: list[Any] = []
    tsquery = _tsquery_sql(texts, arguments)
    rank_tsquery = _tsquery_sql(rank_texts, arguments)
    where = _filter_sql(filters, arguments)
    arguments.append(excluded)
    exclusion = f"NOT (p.id = ANY(${len(arguments)}::uuid[]))"
    arguments.extend((FULL_TEXT_SAMPLE, limit))
    # The sample's LIMIT is what bounds the work, so the GIN index must find it: a sequential (or primary key) scan
    # stopping at the limit is cheaper for a common word but reads the whole table for a rare one. One process: a
    # parallel scan would make the sample depend on which worker answers first.
    async with connection.transaction():
        await connection.execute(_BITMAP_SCAN_ONLY)
        rows: list[asyncpg.Record] = await connection.fetch(
            f"""SELECT c.id, c.source FROM (
                    SELECT p.id, coalesce(p.entry_id, p.document_id) AS source, p.search_vector
                    FROM {_SOURCES}
                    WHERE p.search_vector @@ {tsquery} AND {where} AND {exclusion}
                    LIMIT ${len(arguments) - 1}
                ) c
                ORDER BY ts_rank_cd(c.search_vector, {rank_tsquery}, 32) DESC, c.id
                LIMIT ${len(arguments)}""",  # noqa: S608 - only placeholders, fixed SQL and configuration names
            *arguments,
        )
    return rows


async def _full_text_candidates(
    connection: asyncpg.Connection, query: TextQuery, filters: SearchFilters, limit: int
) -> list[asyncpg.Record]:
    """Passages matching every word, best first, then, while fewer than `limit`, those matching any word."""
    every = _query_texts(query, every_word=True, language=filters.language)
    if not every:
        return []
    # Both steps rank by the any-word query: ts_rank_cd of an AND query scores only the spans holding every word.
    some = _query_texts(query, every_word=False, language=filters.language)
    rows = list(await _full_text_step(connection, every, some, filters, [], limit))
    if len(rows) < limit and len(query.terms) > 1:
        rows += await _full_text_step(connection, some, some, filters, [row["id"] for row in rows], limit - len(rows))
    return rows


async def _vector_candidates(
    connection: asyncpg.Connection,
    model: str,
    dimensions: int,
    vector: Sequence[float],
    filters: SearchFilters,
    limit: int,
) -> list[asyncpg.Record]:
    vector_expression(dimensions)  # checks the size; the ORDER BY below must be the index's expression
    arguments: list[Any] = [vector_text(vector)]
    where = _filter_sql(filters, arguments)
    arguments.append(limit)
    async with connection.transaction():
        await connection.execute(f"SET LOCAL hnsw.ef_search = {_HNSW_EF_SEARCH}")
        rows = await connection.fetch(
            f"""SELECT p.id, coalesce(p.entry_id, p.document_id) AS source,
                       (v.embedding::vector({int(dimensions)})) <=> $1::vector({int(dimensions)}) AS distance
                FROM {EMBEDDINGS_TABLE} v JOIN {_SOURCES} ON p.id = v.passage_id
                WHERE v.{model_predicate(model)} AND {where}
                ORDER BY distance
                LIMIT ${len(arguments)}""",  # noqa: S608 - the model is a quoted literal, the rest placeholders
            *arguments,
        )
    if not rows:
        return []
    floor = (1.0 - rows[0]["distance"]) * VECTOR_RELATIVE_FLOOR
    return [row for row in rows if 1.0 - row["distance"] >= floor]


async def _hits(
    connection: asyncpg.Connection, fused: list[tuple[uuid.UUID, float]], query: TextQuery, language: str | None
) -> list[SearchHit]:
    if not fused:
        return []
    arguments: list[Any] = [[passage for passage, _ in fused], _START + _STOP, _HEADLINE_OPTIONS]
    texts = _query_texts(query, every_word=False, language=language)
    tsquery = _tsquery_sql(texts, arguments) if texts else "''::tsquery"
    rows = await connection.fetch(
        f"""SELECT p.id, p.kind, p.entry_id, p.document_id, p.title, p.heading_path, p.page,
                   ts_headline(p.search_config, translate(p.body, $2, ''), {tsquery}, $3) AS marked
            FROM library_passages p WHERE p.id = ANY($1::uuid[])""",  # noqa: S608 - fixed SQL only
        *arguments,
    )
    by_id = {row["id"]: row for row in rows}
    hits = []
    for passage, score in fused:
        row = by_id.get(passage)
        if row is None:  # deleted between the two queries
            continue
        snippet, highlights = snippet_and_highlights(row["marked"])
        hits.append(
            SearchHit(
                passage_id=passage,
                score=round(score, 6),
                snippet=snippet,
                highlights=highlights,
                kind=row["kind"],
                entry_id=row["entry_id"],
                document_id=row["document_id"],
                title=row["title"],
                heading_path=list(row["heading_path"]),
                page=row["page"],
            )
        )
    return hits


async def _stop_words(connection: asyncpg.Connection, words: Sequence[str]) -> frozenset[str]:
    """The `words` that are a stop word in Portuguese or in English (PostgreSQL's lists: no lexeme under one)."""
    rows = await connection.fetch(
        """SELECT w FROM unnest($1::text[]) AS t(w)
           WHERE to_tsvector('portuguese', w) = ''::tsvector OR to_tsvector('english', w) = ''::tsvector""",
        list(words),
    )
    return frozenset(row["w"] for row in rows)


async def search_library(
    pool: asyncpg.Pool,
    text: str,
    *,
    client: EmbeddingClient | None,
    filters: SearchFilters,
    limit: int = 10,
    query_timeout_seconds: float = 2.0,
    embedding_text: str | None = None,
    per_source: int | None = PER_SOURCE,
) -> SearchOutcome:
    """Search the library for `text`; raise `NoSearchWords` when it has no word.

    Vectors take part when there is a client (EMBEDDING_PROVIDER is not none), the `vector` type, a ready model and
    the server embeds the query in time; otherwise the answer is full text only, with the reason. The query's vector
    is that of `embedding_text` when given (a longer text than the words full text keeps), else of `text`. At most
    `per_source` passages of one entry or document are returned (None: any number).
    """
    words = query_words(text)
    if not words:
        raise NoSearchWords("the query has no word to search for: only punctuation or spaces")
    async with pool.acquire() as connection:
        query = build_text_query(text, await _stop_words(connection, words))
        if query is None:  # cannot happen: it has words
            raise NoSearchWords("the query has no word to search for: only punctuation or spaces")
        reason: ModeReason | None = None
        model_name = client.model if client is not None else None
        vector_ranking: list[asyncpg.Record] = []
        if client is None:
            reason = "no_embedding_model"
        elif not await vector_type_exists(connection):
            reason, model_name = "no_vector_extension", None
        elif (ready := await ready_model(connection)) is None or ready.dimensions is None:
            reason = "reembedding"
        else:
            model_name = ready.model
            try:
                vectors = await client.embed(
                    [embedding_text or text], model=ready.model, timeout_seconds=query_timeout_seconds
                )
            except EmbeddingError as error:
                _log.warning("library search without vectors: %s", error, extra={"reason": error.reason})
                reason = "embedding_unavailable"
            else:
                if len(vectors[0]) == ready.dimensions:
                    vector_ranking = await _vector_candidates(
                        connection, ready.model, ready.dimensions, vectors[0], filters, CANDIDATES
                    )
                else:
                    _log.warning("the embedding server's vectors changed size: search is full text only")
                    reason = "embedding_unavailable"
        text_ranking = await _full_text_candidates(connection, query, filters, CANDIDATES)
        sources = {row["id"]: row["source"] for row in (*text_ranking, *vector_ranking)}
        fused = fuse_ranks([row["id"] for row in text_ranking], [row["id"] for row in vector_ranking])
        fused = cap_per_source(fused, sources, per_source)[:limit]
        hits = await _hits(connection, fused, query, filters.language)
    mode: SearchMode = "full_text" if reason is not None else "hybrid"
    return SearchOutcome(mode=mode, mode_reason=reason, embedding_model=model_name, hits=hits)
