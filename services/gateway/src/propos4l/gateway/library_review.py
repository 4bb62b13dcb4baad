"""What in the library is due for review: entries, roles and documents whose review date has passed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import asyncpg

__all__ = ["StaleRecord", "stale_records"]


@dataclass(frozen=True, slots=True)
class StaleRecord:
    """An entry (its kind), a role ('role') or a document ('document') past its review date."""

    kind: str
    id: uuid.UUID
    title: str
    owner: str
    review_by: date


async def stale_records(pool: asyncpg.Pool, *, limit: int) -> list[StaleRecord]:
    """Up to `limit` things whose review_by is before today, the oldest review date first."""
    rows = await pool.fetch(
        """SELECT kind, id, title, owner, review_by FROM (
               SELECT kind, id, title, owner, review_by FROM library_entries WHERE review_by < current_date
               UNION ALL
               SELECT 'role', id, name, owner, review_by FROM library_roles WHERE review_by < current_date
               UNION ALL
               SELECT 'document', id, title, owner, review_by FROM library_documents WHERE review_by < current_date
           ) AS due
           ORDER BY review_by, kind, id
           LIMIT $1""",
        limit,
    )
    return [StaleRecord(row["kind"], row["id"], row["title"], row["owner"], row["review_by"]) for row in rows]
