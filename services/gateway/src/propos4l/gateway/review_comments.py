"""Comment threads on a proposal (issue #19): on a section, a requirement of the compliance matrix or the whole
proposal; replies; @mentions of users; resolve and reopen. Open threads block an approval (review_transitions.py).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

import asyncpg

__all__ = [
    "Comment",
    "CommentStore",
    "Thread",
    "UnknownMention",
    "mention_handles",
]

# `@ana@example.com` names a user by e-mail; `@[Ana Souza]` by display name (both whatever their case).
_EMAIL_MENTION: Final = re.compile(r"(?<![\w.@])@([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")
_NAME_MENTION: Final = re.compile(r"(?<![\w.@])@\[([^\]\x00]{1,200})\]")


class UnknownMention(LookupError):
    """A comment mentions someone no active user is."""

    def __init__(self, handles: Sequence[str]) -> None:
        super().__init__(", ".join(handles))
        self.handles = tuple(handles)


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment of a thread."""

    id: uuid.UUID
    thread_id: uuid.UUID
    author_user_id: uuid.UUID | None
    author_name: str
    body: str
    mentions: tuple[uuid.UUID, ...]
    mention_names: tuple[str | None, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Thread:
    """A thread and its comments, oldest first."""

    id: uuid.UUID
    proposal_id: uuid.UUID
    anchor_kind: str
    anchor: str
    version: int
    resolved: bool
    resolved_by: uuid.UUID | None
    resolved_at: datetime | None
    created_by: uuid.UUID | None
    created_at: datetime
    comments: list[Comment] = field(default_factory=list)


def mention_handles(body: str) -> tuple[list[str], list[str]]:
    """The e-mail addresses and the display names a comment's body @mentions, in order, without repeats."""
    emails = list(dict.fromkeys(match.lower() for match in _EMAIL_MENTION.findall(body)))
    names = list(dict.fromkeys(match.strip() for match in _NAME_MENTION.findall(body) if match.strip()))
    return emails, names


async def _resolve_mentions(
    connection: asyncpg.Connection, body: str, explicit: Iterable[uuid.UUID]
) -> list[uuid.UUID]:
    """The ids of the users a comment mentions: by e-mail or display name in its body, and `explicit` ones; raises
    UnknownMention naming the handles (or ids) that are no active user."""
    emails, names = mention_handles(body)
    explicit = list(dict.fromkeys(explicit))
    rows = await connection.fetch(
        """SELECT id, lower(email) AS email, lower(display_name) AS name FROM users
           WHERE active AND NOT is_system
             AND (lower(email) = ANY($1::text[]) OR lower(display_name) = ANY($2::text[]) OR id = ANY($3::uuid[]))""",
        emails,
        [name.lower() for name in names],
        explicit,
    )
    by_email = {row["email"]: row["id"] for row in rows}
    by_name: dict[str, list[uuid.UUID]] = {}
    for row in rows:
        by_name.setdefault(row["name"], []).append(row["id"])
    known_ids = {row["id"] for row in rows}
    unknown = [f"@{email}" for email in emails if email not in by_email]
    unknown += [f"@[{name}]" for name in names if len(by_name.get(name.lower(), [])) != 1]  # none, or ambiguous
    unknown += [str(user_id) for user_id in explicit if user_id not in known_ids]
    if unknown:
        raise UnknownMention(unknown)
    found = [by_email[email] for email in emails] + [by_name[name.lower()][0] for name in names] + explicit
    return list(dict.fromkeys(found))


_THREAD_COLUMNS: Final = (
    "id, proposal_id, anchor_kind, anchor, version, resolved, resolved_by, resolved_at, created_by, created_at"
)


class CommentStore:
    """Reads and writes of review_threads and review_comments."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def threads(self, proposal_id: uuid.UUID, thread_id: uuid.UUID | None = None) -> list[Thread]:
        """The proposal's threads with their comments, oldest first (only `thread_id`'s when given)."""
        async with self._pool.acquire() as connection:
            rows = await connection.fetch(
                f"""SELECT {_THREAD_COLUMNS} FROM review_threads
                    WHERE proposal_id = $1 AND ($2::uuid IS NULL OR id = $2)
                    ORDER BY created_at, id""",  # noqa: S608
                proposal_id,
                thread_id,
            )
            threads = {row["id"]: Thread(**dict(row)) for row in rows}
            comments = await connection.fetch(
                """SELECT c.*, ARRAY(SELECT u.display_name FROM unnest(c.mentions) WITH ORDINALITY AS m(id, n)
                                     LEFT JOIN users u ON u.id = m.id ORDER BY m.n) AS mention_names
                   FROM review_comments c WHERE c.thread_id = ANY($1::uuid[]) ORDER BY c.created_at, c.id""",
                list(threads),
            )
        for row in comments:
            threads[row["thread_id"]].comments.append(
                Comment(
                    id=row["id"],
                    thread_id=row["thread_id"],
                    author_user_id=row["author_user_id"],
                    author_name=row["author_name"],
                    body=row["body"],
                    mentions=tuple(row["mentions"]),
                    mention_names=tuple(row["mention_names"]),
                    created_at=row["created_at"],
                )
            )
        return list(threads.values())

    async def open_thread(
        self,
        proposal_id: uuid.UUID,
        anchor_kind: str,
        anchor: str,
        author: tuple[uuid.UUID, str],
        body: str,
        mention_ids: Sequence[uuid.UUID] = (),
    ) -> Thread:
        """Open a thread on the proposal's current version with its first comment; raises UnknownMention."""
        thread_id = uuid.uuid4()
        async with self._pool.acquire() as connection, connection.transaction():
            mentions = await _resolve_mentions(connection, body, mention_ids)
            await connection.execute(
                """INSERT INTO review_threads (id, proposal_id, anchor_kind, anchor, version, created_by)
                   SELECT $1, id, $3, $4, current_version, $5 FROM proposals WHERE id = $2""",
                thread_id,
                proposal_id,
                anchor_kind,
                anchor,
                author[0],
            )
            await self._add(connection, thread_id, author, body, mentions)
        return (await self.threads(proposal_id, thread_id))[0]

    async def reply(
        self,
        proposal_id: uuid.UUID,
        thread_id: uuid.UUID,
        author: tuple[uuid.UUID, str],
        body: str,
        mention_ids: Sequence[uuid.UUID] = (),
    ) -> Thread | None:
        """Add a comment to a thread of the proposal (None: no such thread); raises UnknownMention."""
        async with self._pool.acquire() as connection, connection.transaction():
            exists = await connection.fetchval(
                "SELECT true FROM review_threads WHERE id = $1 AND proposal_id = $2 FOR UPDATE", thread_id, proposal_id
            )
            if not exists:
                return None
            mentions = await _resolve_mentions(connection, body, mention_ids)
            await self._add(connection, thread_id, author, body, mentions)
        return (await self.threads(proposal_id, thread_id))[0]

    async def set_resolved(
        self, proposal_id: uuid.UUID, thread_id: uuid.UUID, resolved: bool, by: uuid.UUID
    ) -> Thread | None:
        """Resolve or reopen a thread of the proposal (None: no such thread)."""
        status: str = await self._pool.execute(
            """UPDATE review_threads
               SET resolved = $3, resolved_by = CASE WHEN $3 THEN $4::uuid END,
                   resolved_at = CASE WHEN $3 THEN clock_timestamp() END
               WHERE id = $1 AND proposal_id = $2""",
            thread_id,
            proposal_id,
            resolved,
            by,
        )
        if not status.endswith(" 1"):
            return None
        return (await self.threads(proposal_id, thread_id))[0]

    @staticmethod
    async def _add(
        connection: asyncpg.Connection,
        thread_id: uuid.UUID,
        author: tuple[uuid.UUID, str],
        body: str,
        mentions: Sequence[uuid.UUID],
    ) -> None:
        await connection.execute(
            """INSERT INTO review_comments (id, thread_id, author_user_id, author_name, body, mentions)
               VALUES ($1, $2, $3, coalesce((SELECT display_name FROM users WHERE id = $3), $4), $5, $6)""",
            uuid.uuid4(),
            thread_id,
            author[0],
            author[1],
            body,
            list(mentions),
        )
