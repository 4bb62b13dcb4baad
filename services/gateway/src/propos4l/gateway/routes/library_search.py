"""Library search: `GET /api/library/search`, hybrid where vectors can take part, full text otherwise (and says so)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from propos4l.gateway.deps import Settings, Viewer
from propos4l.shared.embeddings import EmbeddingClient
from propos4l.shared.library_search import (
    ModeReason,
    NoSearchWords,
    SearchFilters,
    SearchHit,
    SearchMode,
    search_library,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/library", tags=["library"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        401: "No or wrong API token",
        422: "Invalid request (a query without words, an unknown language, a limit out of range)",
        503: "PostgreSQL is unavailable",
    }.items()
}


class SearchSource(BaseModel):
    """Where a passage comes from: an entry (company, service, person, case study) or a document."""

    kind: str = Field(description="company, service, person, case_study, or a document's category")
    entry_id: uuid.UUID | None
    document_id: uuid.UUID | None
    title: str
    heading_path: list[str] = Field(description="the headings above the passage in its document, outermost first")
    page: int | None = Field(description="the document's page the passage starts on (1-based), if it has pages")


class SearchResult(BaseModel):
    """A passage found."""

    passage_id: uuid.UUID
    score: float = Field(description="reciprocal rank fusion score (k = 60): higher is better")
    snippet: str = Field(description="plain text around the matches")
    highlights: list[tuple[int, int]] = Field(
        description="[start, end) character ranges of the snippet that match the query, to mark without HTML"
    )
    source: SearchSource

    @classmethod
    def of(cls, hit: SearchHit) -> SearchResult:
        """The view of a search hit."""
        return cls(
            passage_id=hit.passage_id,
            score=hit.score,
            snippet=hit.snippet,
            highlights=hit.highlights,
            source=SearchSource(
                kind=hit.kind,
                entry_id=hit.entry_id,
                document_id=hit.document_id,
                title=hit.title,
                heading_path=hit.heading_path,
                page=hit.page,
            ),
        )


class SearchResponse(BaseModel):
    """Search results, and whether vector similarity took part."""

    mode: SearchMode = Field(description="hybrid (full text and vectors) or full_text")
    mode_reason: ModeReason | None = Field(
        description="why full text only: no embedding provider configured, no pgvector in the database, the "
        "embedding model's first embedding of the library is not finished, or the embedding server did not answer"
    )
    embedding_model: str | None = Field(
        description="the model the query was (or would have been) embedded with; null without provider or pgvector"
    )
    results: list[SearchResult]


@router.get("/search", response_model=SearchResponse, responses=_PROBLEMS)
async def search(
    request: Request,
    principal: Viewer,
    settings: Settings,
    q: Annotated[str, Query(min_length=1, max_length=500, description="what to look for, in pt-BR or en")],
    kind: Annotated[str | None, Query(max_length=50, description="only passages of this source kind")] = None,
    industry: Annotated[str | None, Query(max_length=200, description="only sources tagged with it")] = None,
    technology: Annotated[str | None, Query(max_length=200, description="only sources tagged with it")] = None,
    language: Annotated[Literal["pt-BR", "en"] | None, Query(description="only passages in this language")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> SearchResponse:
    """Passages of the library that match `q`, best first, with their source and a highlighted snippet.

    A query made only of punctuation is a 422; one made only of stop words ("de", "the") finds nothing by full text.
    """
    client: EmbeddingClient | None = request.app.state.embedding_client
    try:
        outcome = await search_library(
            request.app.state.pool,
            q,
            client=client,
            filters=SearchFilters(kind=kind, industry=industry, technology=technology, language=language),
            limit=limit,
            query_timeout_seconds=settings.embedding_query_timeout_seconds,
        )
    except NoSearchWords as error:
        raise RequestValidationError(
            [{"type": "no_words", "loc": ("query", "q"), "msg": "has no word to search for", "input": q}]
        ) from error
    return SearchResponse(
        mode=outcome.mode,
        mode_reason=outcome.mode_reason,
        embedding_model=outcome.embedding_model,
        results=[SearchResult.of(hit) for hit in outcome.hits],
    )
