"""The users table: accounts with an e-mail (unique whatever its case), a role, an active flag and a language."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import asyncpg

from propos4l.gateway.roles import Role

__all__ = ["SYSTEM_USER_ID", "DirectoryEntry", "EmailTaken", "User", "UserChange", "UserStore"]

SYSTEM_USER_ID: Final = uuid.UUID("00000000-0000-0000-0000-000000000001")
"""Owns PROPOS4L_ADMIN_TOKEN and what was made before accounts existed (migration 0017)."""


class EmailTaken(ValueError):
    """Another account has this e-mail address."""


@dataclass(frozen=True, slots=True)
class User:
    """An account, without its password hash."""

    id: uuid.UUID
    email: str
    display_name: str
    role: Role
    active: bool
    language: str
    is_system: bool
    has_password: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> User:
        """The user of a row of users."""
        return cls(
            id=row["id"],
            email=row["email"],
            display_name=row["display_name"],
            role=Role(row["role"]),
            active=row["active"],
            language=row["language"],
            is_system=row["is_system"],
            has_password=row["password_hash"] is not None,
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@dataclass(frozen=True, slots=True)
class UserChange:
    """What an admin changes of a user (None: unchanged)."""

    display_name: str | None = None
    role: Role | None = None
    active: bool | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """An active colleague as anyone signed in may see them: who, never their role or sessions."""

    id: uuid.UUID
    email: str
    display_name: str


_COLUMNS: Final = "id, email, display_name, role, active, language, is_system, password_hash, created_at, updated_at"


class UserStore:
    """Reads and writes of the users table."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(
        self,
        email: str,
        display_name: str,
        role: Role,
        *,
        password_hash: str | None = None,
        language: str = "pt-BR",
        connection: asyncpg.Connection | None = None,
    ) -> User:
        """A new active user (inside `connection`'s transaction when given); raise EmailTaken."""
        try:
            row = await (connection or self._pool).fetchrow(
                f"""INSERT INTO users (id, email, display_name, role, language, password_hash, password_changed_at)
                    VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6::text IS NULL THEN NULL ELSE now() END)
                    RETURNING {_COLUMNS}""",  # noqa: S608 - our own column list
                uuid.uuid4(),
                email.strip(),
                display_name.strip(),
                role.value,
                language,
                password_hash,
            )
        except asyncpg.UniqueViolationError:
            raise EmailTaken(f"An account with the e-mail {email!r} already exists.") from None
        assert row is not None
        return User.from_row(row)

    async def get(self, user_id: uuid.UUID) -> User | None:
        """The user with this id, or None."""
        row = await self._pool.fetchrow(f"SELECT {_COLUMNS} FROM users WHERE id = $1", user_id)  # noqa: S608
        return User.from_row(row) if row is not None else None

    async def credentials(self, email: str) -> tuple[User, str | None] | None:
        """The user with this e-mail (any case) and its password hash, or None."""
        row = await self._pool.fetchrow(
            f"SELECT {_COLUMNS} FROM users WHERE lower(email) = lower($1)",  # noqa: S608
            email.strip(),
        )
        return (User.from_row(row), row["password_hash"]) if row is not None else None

    async def directory(
        self, search: str | None = None, *, ids: Sequence[uuid.UUID] = (), limit: int = 20
    ) -> list[DirectoryEntry]:
        """Active accounts whose name or e-mail contains `search` (any case), or whose id is in `ids`, by name."""
        rows = await self._pool.fetch(
            """SELECT id, email, display_name FROM users
               WHERE active AND NOT is_system
                 AND (cardinality($2::uuid[]) = 0 OR id = ANY($2::uuid[]))
                 AND ($1::text IS NULL OR strpos(lower(display_name), lower($1)) > 0
                      OR strpos(lower(email), lower($1)) > 0)
               ORDER BY lower(display_name), lower(email) LIMIT $3""",
            search or None,
            list(ids),
            limit,
        )
        return [DirectoryEntry(row["id"], row["email"], row["display_name"]) for row in rows]

    async def list(self) -> list[User]:
        """Every account but the system user, by e-mail."""
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM users WHERE NOT is_system ORDER BY lower(email)"  # noqa: S608
        )
        return [User.from_row(row) for row in rows]

    async def change(self, user_id: uuid.UUID, change: UserChange) -> User | None:
        """Apply `change`; None if there is no such user (the system user cannot be changed)."""
        row = await self._pool.fetchrow(
            f"""UPDATE users SET display_name = coalesce($2, display_name), role = coalesce($3, role),
                       active = coalesce($4, active), language = coalesce($5, language), updated_at = now()
                WHERE id = $1 AND NOT is_system RETURNING {_COLUMNS}""",  # noqa: S608
            user_id,
            change.display_name,
            change.role.value if change.role else None,
            change.active,
            change.language,
        )
        return User.from_row(row) if row is not None else None

    async def set_password(self, user_id: uuid.UUID, password_hash: str) -> bool:
        """Store a new password hash; False if there is no such user."""
        result: str = await self._pool.execute(
            """UPDATE users SET password_hash = $2, password_changed_at = now(), updated_at = now()
               WHERE id = $1 AND NOT is_system""",
            user_id,
            password_hash,
        )
        return result.endswith(" 1")

    async def active_admins(self) -> int:
        """How many active admin accounts (the system user aside) there are."""
        count: int = await self._pool.fetchval(
            "SELECT count(*) FROM users WHERE role = 'admin' AND active AND NOT is_system"
        )
        return count
