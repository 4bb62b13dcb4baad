"""The library's entries (company profile, services, people, case studies) in PostgreSQL.

Every save and delete is one transaction with the entry's passages (see `library_passages`) and a LibraryEntryChanged
event in the outbox: an entry is searchable the moment the request returns, and a deleted one (a person, with their
CV documents, by the foreign keys' cascade) is gone from search at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import asyncpg

from propos4l.gateway.library_cursor import InvalidCursor, ListPosition
from propos4l.gateway.library_passages import write_passages
from propos4l.gateway.library_records import ENTRY_COLUMNS, EntryDraft, EntryKind, EntryRecord
from propos4l.gateway.repository import add_to_outbox
from propos4l.shared.events import LibraryEntryChanged

__all__ = [
    "EntryConflict",
    "EntryFilters",
    "EntryPage",
    "LibraryEntries",
    "RoleUnknown",
    "SavedEntry",
    "rewrite_people_of_role",
]

_SELECT: Final = f"SELECT {ENTRY_COLUMNS} FROM library_entries e LEFT JOIN library_roles r ON r.id = e.role_id"  # noqa: S608


class RoleUnknown(LookupError):
    """A person names a role the rate card does not have."""


class EntryConflict(ValueError):
    """Another entry already has this import key."""


@dataclass(frozen=True, slots=True)
class EntryFilters:
    """Filters of an entry list; None means any."""

    language: str | None = None
    industry: str | None = None
    technology: str | None = None
    active: bool | None = None
    role_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class EntryPage:
    """A page of entries and where the next one starts (None on the last page)."""

    entries: list[EntryRecord]
    next_position: ListPosition | None


@dataclass(frozen=True, slots=True)
class SavedEntry:
    """An entry just saved, and whether it is new."""

    entry: EntryRecord
    created: bool


class LibraryEntries:
    """Reads and writes library_entries, their passages and their events."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def get(self, kind: EntryKind, entry_id: uuid.UUID) -> EntryRecord | None:
        """The entry of this kind with this id, or None."""
        row = await self._pool.fetchrow(f"{_SELECT} WHERE e.id = $1 AND e.kind = $2", entry_id, kind)
        return EntryRecord.from_row(row) if row is not None else None

    async def company(self, language: str) -> EntryRecord | None:
        """The company profile in `language`, or None."""
        row = await self._pool.fetchrow(f"{_SELECT} WHERE e.kind = 'company' AND e.language = $1", language)
        return EntryRecord.from_row(row) if row is not None else None

    async def create(self, draft: EntryDraft, caller: str) -> SavedEntry:
        """A new entry, or, when another of its kind has the draft's import key, that one updated."""
        upsert = """ON CONFLICT (kind, import_key) WHERE import_key IS NOT NULL DO UPDATE SET
                        language = EXCLUDED.language, title = EXCLUDED.title, fields = EXCLUDED.fields,
                        role_id = EXCLUDED.role_id, active = EXCLUDED.active,
                        owner = coalesce($10, library_entries.owner), review_by = EXCLUDED.review_by,
                        updated_at = now()"""
        return await self._insert(draft, caller, upsert if draft.import_key else "")

    async def put_company(self, draft: EntryDraft, caller: str) -> SavedEntry:
        """Create or replace the company profile in the draft's language."""
        upsert = """ON CONFLICT (language) WHERE kind = 'company' DO UPDATE SET
                        title = EXCLUDED.title, fields = EXCLUDED.fields,
                        owner = coalesce($10, library_entries.owner), review_by = EXCLUDED.review_by,
                        updated_at = now()"""
        return await self._insert(draft, caller, upsert)

    async def _insert(self, draft: EntryDraft, caller: str, on_conflict: str) -> SavedEntry:
        async with self._pool.acquire() as connection, connection.transaction():
            try:
                row = await connection.fetchrow(
                    f"""INSERT INTO library_entries (id, kind, language, title, fields, role_id, active, owner,
                                                     review_by, import_key)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, coalesce($10, $8), $9, $11)
                        {on_conflict}
                        RETURNING id, (xmax = 0) AS inserted""",  # noqa: S608 - a constant clause
                    uuid.uuid4(),
                    draft.kind,
                    draft.language,
                    draft.title,
                    draft.fields,
                    draft.role_id,
                    draft.active,
                    caller,
                    draft.review_by,
                    draft.owner,
                    draft.import_key,
                )
            except asyncpg.ForeignKeyViolationError:
                raise RoleUnknown(f"There is no role {draft.role_id} in the rate card.") from None
            assert row is not None
            entry = await _saved(connection, row["id"], draft.kind)
        return SavedEntry(entry, bool(row["inserted"]))

    async def update(self, kind: EntryKind, entry_id: uuid.UUID, draft: EntryDraft) -> EntryRecord | None:
        """Replace an entry's fields (its owner kept when the draft has none); None if there is no such entry."""
        async with self._pool.acquire() as connection, connection.transaction():
            try:
                updated = await connection.fetchval(
                    """UPDATE library_entries SET language = $3, title = $4, fields = $5, role_id = $6, active = $7,
                              owner = coalesce($8, owner), review_by = $9,
                              import_key = coalesce($10, import_key), updated_at = now()
                       WHERE id = $1 AND kind = $2 RETURNING id""",
                    entry_id,
                    kind,
                    draft.language,
                    draft.title,
                    draft.fields,
                    draft.role_id,
                    draft.active,
                    draft.owner,
                    draft.review_by,
                    draft.import_key,
                )
            except asyncpg.ForeignKeyViolationError:
                raise RoleUnknown(f"There is no role {draft.role_id} in the rate card.") from None
            except asyncpg.UniqueViolationError:
                raise EntryConflict(f"Another {kind} has the import key {draft.import_key!r}.") from None
            if updated is None:
                return None
            return await _saved(connection, entry_id, kind)

    async def delete(self, kind: EntryKind, entry_id: uuid.UUID) -> bool:
        """Delete an entry with its passages (and a person's CV documents); False if there is no such entry."""
        async with self._pool.acquire() as connection, connection.transaction():
            deleted = await connection.fetchval(
                "DELETE FROM library_entries WHERE id = $1 AND kind = $2 RETURNING id", entry_id, kind
            )
            if deleted is None:
                return False
            await add_to_outbox(connection, LibraryEntryChanged(entry_id=entry_id, kind=kind, deleted=True))
        return True

    async def list(
        self, kind: EntryKind, filters: EntryFilters, *, limit: int, after: ListPosition | None
    ) -> EntryPage:
        """A page of entries of `kind`, last updated first; raise InvalidCursor for a position this did not give."""
        arguments: list[Any] = [kind]
        conditions = ["e.kind = $1", *_conditions(kind, filters, arguments)]
        if after is not None:
            try:
                updated_at = datetime.fromisoformat(after.value)
            except ValueError:
                raise InvalidCursor("cursor is not one this API gave; start again without it") from None
            arguments += [updated_at, after.row_id]
            conditions.append(f"(e.updated_at, e.id) < (${len(arguments) - 1}, ${len(arguments)})")
        arguments.append(limit + 1)
        rows = await self._pool.fetch(
            f"""{_SELECT} WHERE {" AND ".join(conditions)}
                ORDER BY e.updated_at DESC, e.id DESC LIMIT ${len(arguments)}""",
            *arguments,
        )
        entries = [EntryRecord.from_row(row) for row in rows[:limit]]
        last = entries[-1] if len(rows) > limit else None
        return EntryPage(entries, ListPosition(last.updated_at.isoformat(), last.id) if last else None)


def _conditions(kind: EntryKind, filters: EntryFilters, arguments: list[Any]) -> list[str]:
    conditions = []

    def placeholder(value: object) -> str:
        arguments.append(value)
        return f"${len(arguments)}"

    if filters.language is not None:
        conditions.append(f"e.language = {placeholder(filters.language)}")
    if filters.industry is not None:
        industry = placeholder(filters.industry.lower())
        if kind == "case_study":
            conditions.append(f"lower(e.fields->>'industry') = {industry}")
        else:
            conditions.append(_tag_condition("industries", industry))
    if filters.technology is not None:
        conditions.append(_tag_condition("technologies", placeholder(filters.technology.lower())))
    if filters.active is not None:
        conditions.append(f"e.active = {placeholder(filters.active)}")
    if filters.role_id is not None:
        conditions.append(f"e.role_id = {placeholder(filters.role_id)}")
    return conditions


def _tag_condition(field: str, placeholder: str) -> str:
    """The entry's list `field` has the tag at `placeholder` (lower case), in any case."""
    tags = f"jsonb_array_elements_text(coalesce(e.fields->'{field}', '[]'::jsonb))"
    return f"EXISTS (SELECT 1 FROM {tags} AS tag WHERE lower(tag) = {placeholder})"  # noqa: S608 - ours


async def _saved(connection: asyncpg.Connection, entry_id: uuid.UUID, kind: EntryKind) -> EntryRecord:
    """The entry as just written, its passages rewritten and its event queued (inside the caller's transaction)."""
    row = await connection.fetchrow(f"{_SELECT} WHERE e.id = $1", entry_id)
    assert row is not None
    entry = EntryRecord.from_row(row)
    await write_passages(connection, entry)
    await add_to_outbox(connection, LibraryEntryChanged(entry_id=entry_id, kind=kind))
    return entry


async def rewrite_people_of_role(connection: asyncpg.Connection, role_id: uuid.UUID) -> int:
    """Rewrite the passages of the people in a role (its name is in them), inside the caller's transaction."""
    people = await connection.fetch("SELECT id FROM library_entries WHERE role_id = $1 FOR UPDATE", role_id)
    for person in people:
        await _saved(connection, person["id"], "person")
    return len(people)
