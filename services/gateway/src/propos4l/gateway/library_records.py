"""A library entry as stored (one row of library_entries, with its role's name) and as about to be saved."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import asyncpg

__all__ = ["ENTRY_COLUMNS", "EntryDraft", "EntryKind", "EntryRecord"]

EntryKind = Literal["company", "service", "person", "case_study"]

# Columns of library_entries `e` and the name of a person's role (LEFT JOIN library_roles `r`).
ENTRY_COLUMNS = """e.id, e.kind, e.language, e.title, e.fields, e.role_id, e.active, e.owner, e.review_by,
    e.import_key, e.created_at, e.updated_at, r.name AS role_name"""


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """An entry to save: its kind's fields already validated."""

    kind: EntryKind
    language: str
    title: str
    fields: dict[str, Any]
    owner: str | None  # None: the caller on a new entry, unchanged on an existing one
    review_by: date | None
    role_id: uuid.UUID | None = None
    active: bool = True
    import_key: str | None = None


@dataclass(frozen=True, slots=True)
class EntryRecord:
    """An entry as stored."""

    id: uuid.UUID
    kind: EntryKind
    language: str
    title: str
    fields: dict[str, Any]
    role_id: uuid.UUID | None
    role_name: str | None
    active: bool
    owner: str
    review_by: date | None
    import_key: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> EntryRecord:
        """The entry of a row selected with `ENTRY_COLUMNS`."""
        fields = row["fields"]
        return cls(
            id=row["id"],
            kind=row["kind"],
            language=row["language"],
            title=row["title"],
            fields=json.loads(fields) if isinstance(fields, str) else dict(fields),
            role_id=row["role_id"],
            role_name=row["role_name"],
            active=row["active"],
            owner=row["owner"],
            review_by=row["review_by"],
            import_key=row["import_key"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )
