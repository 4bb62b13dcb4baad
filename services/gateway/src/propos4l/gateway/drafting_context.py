"""What a draft may stand on, taken from the knowledge library when a request is accepted (issue #15).

For each request, and again for each section regeneration (with the person's instructions), the gateway takes:
- passages that fit the request: one hybrid search (`library_search.search_library`) with the request's most telling
  words, the best passages of each kind (services, case studies, company profile, past proposals, other documents),
  the company profile always, at most `PASSAGES_MAX`, each cut to `grounding.PASSAGE_TEXT_MAX` characters;
- the active roster: people with a rate-card role, best skill matches with the request first, at most `ROSTER_MAX`;
- the rate card in force: every role with the rate that applies today, or none.

What does not depend on the request (whether the library has passages, the active people, the rate card) is read once
for all the requests retrieved for at the same time (`GroupedCalls`: a read that starts after each of them asked).

The result is the `DraftingContext` the generator shows the model and the gateway records with the version. Time is
bounded by the search's embedding timeout (full text answers when the embedding server does not); a library with
nothing in it gives an empty context (`search_mode` "none"), and drafting goes on as without a library.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, Literal

import asyncpg

from propos4l.gateway.rate_card import RateCard
from propos4l.shared.embeddings import EmbeddingClient
from propos4l.shared.events import ProposalRequest
from propos4l.shared.grounding import PASSAGE_TEXT_MAX, ContextPassage, DraftingContext, RateCardLine, RosterPerson
from propos4l.shared.grouped_calls import GroupedCalls
from propos4l.shared.library_query import MAX_QUERY_WORDS
from propos4l.shared.library_search import CANDIDATES, SearchFilters, SearchHit, search_library
from propos4l.shared.library_text import fold_accents
from propos4l.shared.telemetry.ai_spans import record_retrieved, retrieval_span

__all__ = ["PASSAGES_MAX", "ROSTER_MAX", "ContextRetriever", "RetrievalQuery", "retrieval_query"]

PASSAGES_MAX: Final = 12
ROSTER_MAX: Final = 40
# The best passages of each kind come first, up to these counts; the places left go to the best of any kind.
_PER_KIND: Final = {"service": 3, "case_study": 3, "company": 2, "past_proposal": 2}
_OTHER_KIND_QUOTA: Final = 2
_COMPANY_ALWAYS: Final = 2  # company profile passages given even when the request's words do not find them
_NOT_PASSAGES: Final = frozenset({"person", "cv"})  # people come with the roster, their bios included
_EMBEDDING_TEXT_MAX: Final = 2_000  # characters of the request its vector is made from
_SHORT: Final = 300  # grounding's limit of titles, headings, skills
_MIN_WORD: Final = 3
_WORD: Final = re.compile(r"[^\W_]+")

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetrievalQuery:
    """What the library is searched with: candidate words, most telling first, and the text to embed."""

    words: tuple[str, ...]
    embedding_text: str
    request_words: frozenset[str]  # every word of the request, lower-case and accent-folded (skills are matched)


def _words(text: str | None) -> list[str]:
    return [word.lower() for word in _WORD.findall(text or "")]


def retrieval_query(request: ProposalRequest, instructions: str | None = None) -> RetrievalQuery:
    """The query of a request: the instructions' and the industry's words first, then the request's other words,
    the most repeated first (full text keeps `MAX_QUERY_WORDS` of them once stop words are out)."""
    leading = [*_words(instructions), *_words(request.industry)]
    body = [*_words(request.requirements), *_words(request.scope)]
    counts = Counter(body)
    first_seen = {word: position for position, word in reversed(list(enumerate(body)))}
    ranked = sorted(counts, key=lambda word: (-counts[word], first_seen[word]))
    candidates = [word for word in dict.fromkeys([*leading, *ranked]) if len(word) >= _MIN_WORD and not word.isdigit()]
    texts = [instructions, request.industry, request.requirements, request.scope]
    everything = [*leading, *body, *_words(request.client_name)]
    return RetrievalQuery(
        words=tuple(candidates),
        embedding_text="\n".join(text for text in texts if text)[:_EMBEDDING_TEXT_MAX],
        request_words=frozenset(fold_accents(word) for word in everything),
    )


class ContextRetriever:
    """Builds a request's `DraftingContext` from the library."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        rate_card: RateCard,
        client: EmbeddingClient | None,
        *,
        query_timeout_seconds: float,
        searches: int = 4,
    ) -> None:
        self._pool = pool
        self._rate_card = rate_card
        self._client = client
        self._timeout = query_timeout_seconds
        self._library = GroupedCalls(self._read_library)
        # Searches of the library hold a connection each (and wait for the embedding model): at most `searches` at
        # once, so that many requests drafted at once (the intake reads 64) leave the pool to everyone else.
        self._searches = asyncio.Semaphore(searches)

    async def _read_library(self, callers: list[None]) -> list[_LibraryState]:
        """What every request's context shares, read once for all `callers` (one connection, three statements)."""
        async with self._pool.acquire() as connection:
            has_passages = bool(await connection.fetchval("SELECT EXISTS (SELECT 1 FROM library_passages)"))
            people = await _people(connection)
            roles = await self._rate_card.in_force(connection)
        rate_card = tuple(
            RateCardLine(
                role_id=role.id,
                role_name=role.name,
                rate_id=role.current_rate.id if role.current_rate else None,
                hourly_rate=role.current_rate.hourly_rate if role.current_rate else None,
                currency=role.current_rate.currency if role.current_rate else None,
                valid_from=role.current_rate.valid_from if role.current_rate else None,
            )
            for role in roles
        )
        return [_LibraryState(has_passages, people, rate_card)] * len(callers)

    async def retrieve(self, request: ProposalRequest, instructions: str | None = None) -> DraftingContext:
        """The passages, roster and rate card for `request` (and the regeneration's `instructions`)."""
        with retrieval_span("drafting context") as span:
            context = await self._retrieve(request, instructions)
            record_retrieved(
                span,
                [(str(passage.id), None) for passage in context.passages],
                search_mode=context.search_mode,
                roster=len(context.roster),
                roles=len(context.rate_card),
            )
            return context

    async def _retrieve(self, request: ProposalRequest, instructions: str | None) -> DraftingContext:
        query = retrieval_query(request, instructions)
        library = await self._library.call(None)
        hits: list[SearchHit] = []
        mode: Literal["hybrid", "full_text", "none"] = "none"
        passages: tuple[ContextPassage, ...] = ()
        if library.has_passages:
            async with self._searches:
                hits, mode, passages = await self._search(request, query)
        roster = _roster(library.people, query.request_words, hits)
        rate_card = library.rate_card
        context = DraftingContext(
            passages=passages,
            roster=roster,
            rate_card=rate_card,
            search_mode=mode,
            retrieved_at=datetime.now(UTC),
        )
        _log.info(
            "drafting context retrieved",
            extra={
                "passages": len(passages),
                "roster": len(roster),
                "roles": len(rate_card),
                "search_mode": context.search_mode,
            },
        )
        return context

    async def _search(
        self, request: ProposalRequest, query: RetrievalQuery
    ) -> tuple[list[SearchHit], Literal["hybrid", "full_text", "none"], tuple[ContextPassage, ...]]:
        """The library's passages for one request: its hits, the search's mode, and the passages chosen."""
        async with self._pool.acquire() as connection:
            words = await _content_words(connection, query.words)
        hits: list[SearchHit] = []
        mode: Literal["hybrid", "full_text", "none"] = "none"
        if words:
            outcome = await search_library(
                self._pool,
                " ".join(words),
                client=self._client,
                filters=SearchFilters(),
                limit=CANDIDATES,
                query_timeout_seconds=self._timeout,
                embedding_text=query.embedding_text,
            )
            hits, mode = outcome.hits, outcome.mode
        async with self._pool.acquire() as connection:
            company = await _company_passages(connection, request.language.value)
            passages = await _passages(connection, _choose(hits, company))
        return hits, mode, passages


async def _content_words(connection: asyncpg.Connection, words: Sequence[str]) -> list[str]:
    """`words` less the stop words of Portuguese and English (PostgreSQL's own lists), at most MAX_QUERY_WORDS."""
    if not words:
        return []
    rows = await connection.fetch(
        """SELECT w FROM unnest($1::text[]) WITH ORDINALITY AS t(w, n)
           WHERE to_tsvector('portuguese', w) <> ''::tsvector AND to_tsvector('english', w) <> ''::tsvector
           ORDER BY n LIMIT $2""",
        list(words),
        MAX_QUERY_WORDS,
    )
    return [row["w"] for row in rows]


async def _company_passages(connection: asyncpg.Connection, language: str) -> list[uuid.UUID]:
    """The company profile's first passages, in the proposal's language first."""
    rows = await connection.fetch(
        """SELECT id FROM library_passages WHERE kind = 'company'
           ORDER BY (language = $1) DESC, ordinal, id LIMIT $2""",
        language,
        _COMPANY_ALWAYS,
    )
    return [row["id"] for row in rows]


def _choose(hits: Sequence[SearchHit], company: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """At most PASSAGES_MAX passage ids: the company profile, the best of each kind, then the best of any."""
    kinds = {hit.passage_id: hit.kind for hit in hits if hit.kind not in _NOT_PASSAGES}
    kinds.update(dict.fromkeys(company, "company"))
    chosen: dict[uuid.UUID, None] = dict.fromkeys(company[:PASSAGES_MAX])
    taken = Counter(kinds[passage] for passage in chosen)
    ranked = [hit.passage_id for hit in hits if hit.passage_id in kinds]
    for passage in ranked:
        kind = kinds[passage]
        if (
            len(chosen) < PASSAGES_MAX
            and passage not in chosen
            and taken[kind] < _PER_KIND.get(kind, _OTHER_KIND_QUOTA)
        ):
            chosen[passage] = None
            taken[kind] += 1
    for passage in ranked:
        if len(chosen) < PASSAGES_MAX:
            chosen.setdefault(passage)
    return list(chosen)


async def _passages(connection: asyncpg.Connection, ids: Sequence[uuid.UUID]) -> tuple[ContextPassage, ...]:
    """The passages of `ids` with their whole text (cut to PASSAGE_TEXT_MAX), in the order of `ids`."""
    if not ids:
        return ()
    rows = await connection.fetch(
        """SELECT id, kind, title, heading_path, page, body, entry_id, document_id
           FROM library_passages WHERE id = ANY($1::uuid[])""",
        list(ids),
    )
    by_id = {row["id"]: row for row in rows}
    return tuple(
        ContextPassage(
            id=row["id"],
            kind=row["kind"][:50],
            title=row["title"][:_SHORT] or "-",
            heading_path=tuple(heading[:_SHORT] for heading in row["heading_path"]),
            page=row["page"],
            text=row["body"][:PASSAGE_TEXT_MAX],
            entry_id=row["entry_id"],
            document_id=row["document_id"],
        )
        for passage in ids
        if (row := by_id.get(passage)) is not None  # deleted since the search
    )


def _tags(values: object) -> tuple[str, ...]:
    if not isinstance(values, list):
        return ()
    return tuple(str(value)[:_SHORT] for value in values if str(value).strip())


def _matches(tags: Iterable[str], request_words: frozenset[str]) -> int:
    """How many of `tags` the request names (every word of a tag among the request's words)."""
    count = 0
    for tag in tags:
        words = [fold_accents(word) for word in _words(tag)]
        if words and all(word in request_words for word in words):
            count += 1
    return count


@dataclass(frozen=True, slots=True)
class _LibraryState:
    """What every request's context shares: whether there are passages, the active people, the rate card."""

    has_passages: bool
    people: tuple[RosterPerson, ...]
    rate_card: tuple[RateCardLine, ...]


async def _people(connection: asyncpg.Connection) -> tuple[RosterPerson, ...]:
    """Active people with a role, by name."""
    rows = await connection.fetch(
        """SELECT e.id, e.title, e.fields, e.role_id, r.name AS role_name
           FROM library_entries e JOIN library_roles r ON r.id = e.role_id
           WHERE e.kind = 'person' AND e.active"""
    )
    people = []
    for row in rows:
        fields = row["fields"]
        fields = json.loads(fields) if isinstance(fields, str) else dict(fields)
        people.append(
            RosterPerson(
                id=row["id"],
                name=row["title"][:_SHORT],
                role_id=row["role_id"],
                role_name=row["role_name"][:_SHORT],
                seniority=str(fields.get("seniority") or "")[:50],
                bio=str(fields.get("bio") or "")[:PASSAGE_TEXT_MAX],
                skills=_tags(fields.get("skills")),
                certifications=_tags(fields.get("certifications")),
                languages=_tags(fields.get("languages")),
            )
        )
    return tuple(people)


def _roster(
    people: Sequence[RosterPerson], request_words: frozenset[str], hits: Sequence[SearchHit]
) -> tuple[RosterPerson, ...]:
    """Active people with a role, those whose skills and certifications the request names most first, then those
    whose passages the search found (best first), then by name; at most ROSTER_MAX."""
    found = {hit.entry_id: rank for rank, hit in reversed(list(enumerate(hits))) if hit.kind == "person"}
    ranked = sorted(
        people,
        key=lambda person: (
            -_matches((*person.skills, *person.certifications), request_words),
            found.get(person.id, len(hits)),
            person.name.lower(),
        ),
    )
    return tuple(ranked[:ROSTER_MAX])
