"""The rate card: roles and their hourly rates over time, in PostgreSQL.

Rates are history: a new rate is added with the date it applies from, old ones are kept (a proposal copies the rates
it used), and a role's current rate is the latest one that applies today; one from a future date is allowed and
shown as the next rate. Amounts are Decimal from the request to numeric(14,2) and back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Final

import asyncpg

from propos4l.gateway.library_cursor import ListPosition
from propos4l.gateway.library_entries import rewrite_people_of_role

__all__ = [
    "RateCard",
    "RateConflict",
    "RateRecord",
    "RoleDraft",
    "RoleInUse",
    "RoleNameTaken",
    "RolePage",
    "RoleRecord",
]

_PEOPLE_NAMED: Final = 5  # in the detail of a refused role deletion


class RoleNameTaken(ValueError):
    """Another role has this name (names are unique without regard to case)."""


class RoleInUse(ValueError):
    """People still have this role; the message names them."""


class RateConflict(ValueError):
    """The role has a different rate from the same date."""


@dataclass(frozen=True, slots=True)
class RoleDraft:
    """A role to save."""

    name: str
    description: str
    owner: str | None
    review_by: date | None
    import_key: str | None = None


@dataclass(frozen=True, slots=True)
class RateRecord:
    """An hourly rate of a role, from a date on."""

    id: uuid.UUID
    role_id: uuid.UUID
    hourly_rate: Decimal
    currency: str
    valid_from: date
    created_by: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record, prefix: str = "") -> RateRecord | None:
        """The rate of a row's columns named `prefix` + column (None when the row has none)."""
        if row[f"{prefix}id"] is None:
            return None
        return cls(
            id=row[f"{prefix}id"],
            role_id=row[f"{prefix}role_id"],
            hourly_rate=row[f"{prefix}hourly_rate"],
            currency=row[f"{prefix}currency"],
            valid_from=row[f"{prefix}valid_from"],
            created_by=row[f"{prefix}created_by"],
            created_at=row[f"{prefix}created_at"],
        )


@dataclass(frozen=True, slots=True)
class RoleRecord:
    """A role, with the rate that applies today and the next one, if any."""

    id: uuid.UUID
    name: str
    description: str
    owner: str
    review_by: date | None
    import_key: str | None
    created_at: datetime
    updated_at: datetime
    current_rate: RateRecord | None
    next_rate: RateRecord | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> RoleRecord:
        """The role of a row selected by `_SELECT_ROLES`."""
        return cls(
            id=row["id"],
            name=row["name"],
            description=row["description"],
            owner=row["owner"],
            review_by=row["review_by"],
            import_key=row["import_key"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            current_rate=RateRecord.from_row(row, "current_"),
            next_rate=RateRecord.from_row(row, "next_"),
        )


@dataclass(frozen=True, slots=True)
class RolePage:
    """A page of roles and where the next one starts (None on the last page)."""

    roles: list[RoleRecord]
    next_position: ListPosition | None


_RATE_COLUMNS: Final = ("id", "role_id", "hourly_rate", "currency", "valid_from", "created_by", "created_at")
_SELECT_ROLES: Final = f"""
    SELECT r.id, r.name, r.description, r.owner, r.review_by, r.import_key, r.created_at, r.updated_at,
           {", ".join(f"c.{column} AS current_{column}" for column in _RATE_COLUMNS)},
           {", ".join(f"n.{column} AS next_{column}" for column in _RATE_COLUMNS)}
    FROM library_roles r
    LEFT JOIN LATERAL (SELECT * FROM library_rates WHERE role_id = r.id AND valid_from <= current_date
                       ORDER BY valid_from DESC LIMIT 1) c ON true
    LEFT JOIN LATERAL (SELECT * FROM library_rates WHERE role_id = r.id AND valid_from > current_date
                       ORDER BY valid_from LIMIT 1) n ON true"""  # noqa: S608 - constant column lists


class RateCard:
    """Reads and writes library_roles and library_rates."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def get(self, role_id: uuid.UUID) -> RoleRecord | None:
        """The role with this id, or None."""
        row = await self._pool.fetchrow(f"{_SELECT_ROLES} WHERE r.id = $1", role_id)
        return RoleRecord.from_row(row) if row is not None else None

    async def rates(self, role_id: uuid.UUID) -> list[RateRecord]:
        """Every rate of a role, latest valid_from first (those in the future too)."""
        rows = await self._pool.fetch(
            f"SELECT {', '.join(_RATE_COLUMNS)} FROM library_rates WHERE role_id = $1 ORDER BY valid_from DESC",  # noqa: S608
            role_id,
        )
        return [rate for row in rows if (rate := RateRecord.from_row(row)) is not None]

    async def in_force(self, connection: asyncpg.Connection | None = None) -> list[RoleRecord]:
        """Every role in the order of their names, each with the rate that applies today (or none)."""
        reader = connection if connection is not None else self._pool
        rows = await reader.fetch(f"{_SELECT_ROLES} ORDER BY lower(r.name), r.id")
        return [RoleRecord.from_row(row) for row in rows]

    async def list(self, *, limit: int, after: ListPosition | None) -> RolePage:
        """A page of roles in the order of their names."""
        arguments: list[object] = []
        where = ""
        if after is not None:
            arguments += [after.value, after.row_id]
            where = "WHERE (lower(r.name), r.id) > ($1, $2)"
        arguments.append(limit + 1)
        rows = await self._pool.fetch(
            f"{_SELECT_ROLES} {where} ORDER BY lower(r.name), r.id LIMIT ${len(arguments)}",
            *arguments,
        )
        roles = [RoleRecord.from_row(row) for row in rows[:limit]]
        last = roles[-1] if len(rows) > limit else None
        return RolePage(roles, ListPosition(last.name.lower(), last.id) if last else None)

    async def create(self, draft: RoleDraft, caller: str) -> tuple[RoleRecord, bool]:
        """A new role, or the one with the draft's import key updated; and whether it is new."""
        upsert = """ON CONFLICT (import_key) DO UPDATE SET name = EXCLUDED.name,
                        description = EXCLUDED.description, owner = coalesce($6, library_roles.owner),
                        review_by = EXCLUDED.review_by, updated_at = now()"""
        async with self._pool.acquire() as connection, connection.transaction():
            before = None
            if draft.import_key:
                before = await connection.fetchval(
                    "SELECT name FROM library_roles WHERE import_key = $1 FOR UPDATE", draft.import_key
                )
            try:
                row = await connection.fetchrow(
                    f"""INSERT INTO library_roles (id, name, description, owner, review_by, import_key)
                        VALUES ($1, $2, $3, coalesce($6, $4), $5, $7) {upsert if draft.import_key else ""}
                        RETURNING id, (xmax = 0) AS inserted""",  # noqa: S608 - a constant clause
                    uuid.uuid4(),
                    draft.name,
                    draft.description,
                    caller,
                    draft.review_by,
                    draft.owner,
                    draft.import_key,
                )
            except asyncpg.UniqueViolationError:
                raise RoleNameTaken(f"A role named {draft.name!r} already exists.") from None
            assert row is not None
            if before is not None and before != draft.name:
                await rewrite_people_of_role(connection, row["id"])
        role = await self.get(row["id"])
        assert role is not None
        return role, bool(row["inserted"])

    async def update(self, role_id: uuid.UUID, draft: RoleDraft) -> RoleRecord | None:
        """Replace a role's fields; a new name is written into its people's passages. None if there is no role."""
        async with self._pool.acquire() as connection, connection.transaction():
            before = await connection.fetchval("SELECT name FROM library_roles WHERE id = $1 FOR UPDATE", role_id)
            if before is None:
                return None
            try:
                await connection.execute(
                    """UPDATE library_roles SET name = $2, description = $3, owner = coalesce($4, owner),
                              review_by = $5, import_key = coalesce($6, import_key), updated_at = now()
                       WHERE id = $1""",
                    role_id,
                    draft.name,
                    draft.description,
                    draft.owner,
                    draft.review_by,
                    draft.import_key,
                )
            except asyncpg.UniqueViolationError as error:
                if error.constraint_name == "library_roles_name_idx":
                    raise RoleNameTaken(f"A role named {draft.name!r} already exists.") from None
                raise RoleNameTaken(f"Another role has the import key {draft.import_key!r}.") from None
            if before != draft.name:
                await rewrite_people_of_role(connection, role_id)
        return await self.get(role_id)

    async def delete(self, role_id: uuid.UUID) -> bool:
        """Delete a role and its rates; False if there is none; raise RoleInUse while people have it."""
        async with self._pool.acquire() as connection, connection.transaction():
            name = await connection.fetchval("SELECT name FROM library_roles WHERE id = $1 FOR UPDATE", role_id)
            if name is None:
                return False
            people = await connection.fetch(
                """SELECT title FROM library_entries WHERE role_id = $1 ORDER BY lower(title) LIMIT $2""",
                role_id,
                _PEOPLE_NAMED + 1,
            )
            if people:
                count = await connection.fetchval("SELECT count(*) FROM library_entries WHERE role_id = $1", role_id)
                names = ", ".join(person["title"] for person in people[:_PEOPLE_NAMED])
                more = f" and {count - _PEOPLE_NAMED} more" if count > _PEOPLE_NAMED else ""
                raise RoleInUse(
                    f"The role {name!r} is still held by {count} person(s): {names}{more}; "
                    "give them another role or delete them first."
                )
            await connection.execute("DELETE FROM library_roles WHERE id = $1", role_id)
        return True

    async def add_rate(
        self, role_id: uuid.UUID, hourly_rate: Decimal, currency: str, valid_from: date, caller: str
    ) -> tuple[RateRecord, bool] | None:
        """Add a rate from `valid_from` on, and whether it is new (the same rate again changes nothing).

        None if there is no such role; raise RateConflict when a different rate from that date exists.
        """
        async with self._pool.acquire() as connection, connection.transaction():
            if await connection.fetchval("SELECT 1 FROM library_roles WHERE id = $1 FOR SHARE", role_id) is None:
                return None
            row = await connection.fetchrow(
                f"""INSERT INTO library_rates (id, role_id, hourly_rate, currency, valid_from, created_by)
                    VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (role_id, valid_from) DO NOTHING
                    RETURNING {", ".join(_RATE_COLUMNS)}""",  # noqa: S608 - a constant column list
                uuid.uuid4(),
                role_id,
                hourly_rate,
                currency,
                valid_from,
                caller,
            )
            if row is not None:
                rate = RateRecord.from_row(row)
                assert rate is not None
                return rate, True
            existing = await connection.fetchrow(
                f"SELECT {', '.join(_RATE_COLUMNS)} FROM library_rates WHERE role_id = $1 AND valid_from = $2",  # noqa: S608
                role_id,
                valid_from,
            )
        assert existing is not None
        rate = RateRecord.from_row(existing)
        assert rate is not None
        if rate.hourly_rate != hourly_rate or rate.currency != currency:
            raise RateConflict(
                f"This role already has a rate from {valid_from}: {rate.hourly_rate} {rate.currency}. "
                "Rates are history: add the new rate with the date it applies from."
            )
        return rate, False
