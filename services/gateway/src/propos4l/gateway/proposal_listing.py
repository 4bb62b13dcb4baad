"""The proposal list: filters, a word-prefix search a full-text index serves, keyset pages and a capped count.

What it replaced scanned the table on every call (count(*), ILIKE '%q%', OFFSET); see docs/adr/0010 for why the
search is full-text with the 'simple' configuration and not trigrams.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import asyncpg

__all__ = [
    "InvalidCursor",
    "ListPosition",
    "ProposalFilters",
    "ProposalPage",
    "list_query",
    "read_page",
    "search_query",
]

_WORD_SEPARATORS: Final = re.compile(r"[\W_]+")  # as PostgreSQL's text search parser splits words, roughly
_MAX_SEARCH_WORDS: Final = 8
# The words of the client's name: to_tsvector('simple', client_name), stored, with a GIN index (migration 0009).
SEARCH_DOCUMENT: Final = "p.client_name_words"


class InvalidCursor(ValueError):
    """A cursor this API did not give."""


@dataclass(frozen=True, slots=True)
class ProposalFilters:
    """Filters of the proposal list."""

    status: str | None = None
    industry: str | None = None
    search: str | None = None
    member: uuid.UUID | None = None
    """only proposals this user owns or collaborates on ("mine")"""


@dataclass(frozen=True, slots=True)
class ListPosition:
    """Where a page ends in the list's order (newest first): the last proposal's creation time and id."""

    created_at: datetime
    proposal_id: uuid.UUID

    def cursor(self) -> str:
        """The opaque text a client sends back for the next page."""
        return base64.urlsafe_b64encode(f"{self.created_at.isoformat()}|{self.proposal_id}".encode()).decode()

    @classmethod
    def from_cursor(cls, cursor: str) -> ListPosition:
        """The position a cursor stands for; raise `InvalidCursor`."""
        try:
            created_at, proposal_id = base64.urlsafe_b64decode(cursor.encode("ascii")).decode().split("|")
            position = cls(datetime.fromisoformat(created_at), uuid.UUID(proposal_id))
        except (ValueError, UnicodeError, binascii.Error):
            raise InvalidCursor("cursor is not one this API gave; start again without it") from None
        if position.created_at.tzinfo is None:
            raise InvalidCursor("cursor is not one this API gave; start again without it")
        return position


@dataclass(frozen=True, slots=True)
class ProposalPage:
    """A page of the list, how many match (exactly, or at least `total` when not `total_exact`), and where the
    next page starts (None on the last page)."""

    rows: Sequence[asyncpg.Record]
    total: int
    total_exact: bool
    next_position: ListPosition | None


def search_query(text: str) -> str | None:
    """A tsquery matching names with words that begin with each word of `text` (None when it has no words)."""
    words = [word for word in _WORD_SEPARATORS.split(text.lower()) if word][:_MAX_SEARCH_WORDS]
    # \w has no quote or backslash, so each word is a plain quoted lexeme; :* makes it a prefix.
    return " & ".join(f"'{word}':*" for word in words) or None


def _conditions(filters: ProposalFilters, arguments: list[Any]) -> list[str]:
    conditions = ["p.deleted_at IS NULL"]  # deleted proposals are listed nowhere
    if filters.status:
        arguments.append(filters.status)
        conditions.append(f"p.status = ${len(arguments)}")
    if filters.industry:
        arguments.append(filters.industry.lower())
        conditions.append(f"lower(p.industry) = ${len(arguments)}")
    if filters.member is not None:
        arguments.append(filters.member)
        member = f"${len(arguments)}"
        conditions.append(
            f"(p.owner_id = {member} OR EXISTS (SELECT 1 FROM proposal_collaborators c "  # noqa: S608 - a placeholder
            f"WHERE c.proposal_id = p.id AND c.user_id = {member}))"
        )
    if filters.search:
        query = search_query(filters.search)
        if query is not None:
            arguments.append(query)
            conditions.append(f"{SEARCH_DOCUMENT} @@ to_tsquery('simple', ${len(arguments)})")
        else:  # only punctuation ("%", "_"): no word to look up, so a substring match (no index; rare)
            arguments.append(f"%{_escape_like(filters.search)}%")
            conditions.append(f"p.client_name ILIKE ${len(arguments)}")
    return conditions


def list_query(
    columns: str,
    filters: ProposalFilters,
    *,
    limit: int,
    offset: int = 0,
    after: ListPosition | None = None,
    matches_first: bool = False,
) -> tuple[str, list[Any]]:
    """The SQL (and its arguments) of a page: `columns` of proposals `p`.

    `matches_first` finds every match before ordering them: right when they are few, since PostgreSQL cannot tell
    how many a word prefix matches and would otherwise walk the whole list newest first, testing each name.
    """
    arguments: list[Any] = []
    conditions = _conditions(filters, arguments)
    if after is not None:
        arguments += [after.created_at, after.proposal_id]
        conditions.append(f"(p.created_at, p.id) < (${len(arguments) - 1}, ${len(arguments)})")
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    arguments += [limit, offset]
    page = f"LIMIT ${len(arguments) - 1} OFFSET ${len(arguments)}"
    if matches_first:
        sql = f"""WITH matching AS MATERIALIZED (SELECT p.id, p.created_at FROM proposals p {where})
                  SELECT {columns}
                  FROM (SELECT id FROM matching ORDER BY created_at DESC, id DESC {page}) AS chosen
                  JOIN proposals p ON p.id = chosen.id
                  ORDER BY p.created_at DESC, p.id DESC"""  # noqa: S608 - only placeholders are spliced
    else:
        sql = f"""SELECT {columns}
                  FROM proposals p
                  {where}
                  ORDER BY p.created_at DESC, p.id DESC
                  {page}"""  # noqa: S608 - only placeholders are spliced
    return sql, arguments


async def read_page(
    connection: asyncpg.Connection,
    columns: str,
    filters: ProposalFilters,
    *,
    limit: int,
    offset: int,
    after: ListPosition | None,
    count_limit: int,
) -> ProposalPage:
    """A page (`limit` rows after `offset`, or after the position `after`), and the matches counted up to
    `count_limit` (counting them all was a scan of the table on every call).

    A search counts first: when its matches are at most `count_limit`, the page is read from them (see `list_query`).
    """
    counted: int | None = None
    if filters.search:
        counted = await _count(connection, filters, count_limit)
    few = counted is not None and counted <= count_limit
    sql, arguments = list_query(columns, filters, limit=limit + 1, offset=offset, after=after, matches_first=few)
    rows = await connection.fetch(sql, *arguments)
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows and more else None
    next_position = ListPosition(last["created_at"], last["id"]) if last is not None else None
    if counted is None:
        if offset == 0 and after is None and not more:  # the whole list is on this page
            return ProposalPage(rows, len(rows), True, next_position)
        counted = await _count(connection, filters, count_limit)
    return ProposalPage(rows, min(counted, count_limit), counted <= count_limit, next_position)


async def _count(connection: asyncpg.Connection, filters: ProposalFilters, count_limit: int) -> int:
    """How many proposals match, counted up to `count_limit` + 1."""
    arguments: list[Any] = []
    conditions = _conditions(filters, arguments)
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    arguments.append(count_limit + 1)
    counted: int = await connection.fetchval(
        f"SELECT count(*) FROM (SELECT 1 FROM proposals p {where} LIMIT ${len(arguments)}) AS matching",  # noqa: S608
        *arguments,
    )
    return counted


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
