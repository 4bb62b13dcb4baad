"""API tokens made by admins: created with a random secret shown once, stored as its SHA-256, revoked by id.

Each token belongs to a user and has a role; on every use it acts with the lower of its role and its owner's
current one, and stops working when its owner is disabled.

A token reads `p4l_` followed by 43 URL-safe characters (256 random bits). With that much entropy a plain SHA-256 is
the right digest (a slow password hash protects guessable secrets; these are not), and lookups by digest stay one
index probe per request. `prefix` (the first characters) lets people tell tokens apart in lists and logs.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import asyncpg

from propos4l.gateway.roles import Role

__all__ = ["TOKEN_PREFIX", "NewToken", "StoredToken", "TokenNameTaken", "TokenStore", "digest"]

TOKEN_PREFIX: Final = "p4l_"  # noqa: S105 - the marker every token starts with, not a secret
_SHOWN_CHARACTERS: Final = 8  # of the random part, in `prefix`
_LAST_USED_RESOLUTION: Final = timedelta(minutes=1)  # last_used_at is written at most this often per token


def digest(secret: str) -> bytes:
    """The SHA-256 of a token, as stored."""
    return hashlib.sha256(secret.encode()).digest()


class TokenNameTaken(ValueError):
    """A token in force already has this name."""


@dataclass(frozen=True, slots=True)
class StoredToken:
    """A token as listed: never its secret."""

    id: uuid.UUID
    name: str
    prefix: str
    is_admin: bool
    role: Role
    owner_id: uuid.UUID
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> StoredToken:
        """The token of a row of api_tokens."""
        return cls(
            id=row["id"],
            name=row["name"],
            prefix=row["prefix"],
            is_admin=row["is_admin"],
            role=Role(row["role"]),
            owner_id=row["owner_id"],
            created_by=row["created_by"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            last_used_at=row["last_used_at"],
            revoked_at=row["revoked_at"],
        )


@dataclass(frozen=True, slots=True)
class NewToken:
    """A token just created, with its secret (the only time anyone sees it)."""

    token: StoredToken
    secret: str


_COLUMN_NAMES: Final = (
    "id",
    "name",
    "prefix",
    "is_admin",
    "role",
    "owner_id",
    "created_by",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
)
_COLUMNS: Final = ", ".join(_COLUMN_NAMES)
_TOKEN_COLUMNS: Final = ", ".join(f"t.{name}" for name in _COLUMN_NAMES)


class TokenStore:
    """The api_tokens table."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(
        self,
        name: str,
        *,
        role: Role,
        owner_id: uuid.UUID,
        created_by: str,
        expires_in: timedelta | None = None,
    ) -> NewToken:
        """A new token named `name` owned by `owner_id`; raise TokenNameTaken if a token in force has that name."""
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        prefix = secret[: len(TOKEN_PREFIX) + _SHOWN_CHARACTERS]
        try:
            row = await self._pool.fetchrow(
                f"""INSERT INTO api_tokens (id, name, token_sha256, prefix, is_admin, role, owner_id, created_by,
                                            expires_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() + $9::interval) RETURNING {_COLUMNS}""",  # noqa: S608
                uuid.uuid4(),
                name,
                digest(secret),
                prefix,
                role is Role.ADMIN,
                role.value,
                owner_id,
                created_by,
                expires_in,
            )
        except asyncpg.UniqueViolationError as error:
            if error.constraint_name == "api_tokens_active_name_idx":
                message = f"A token named {name!r} already exists; revoke it or pick another name."
                raise TokenNameTaken(message) from None
            raise
        assert row is not None
        return NewToken(StoredToken.from_row(row), secret)

    async def list(self, *, include_revoked: bool = False) -> list[StoredToken]:
        """Every token, newest first (those revoked only when asked)."""
        rows = await self._pool.fetch(
            f"""SELECT {_COLUMNS} FROM api_tokens WHERE $1 OR revoked_at IS NULL
                ORDER BY created_at DESC, id""",  # noqa: S608 - our own column list
            include_revoked,
        )
        return [StoredToken.from_row(row) for row in rows]

    async def revoke(self, token_id: uuid.UUID) -> StoredToken | None:
        """Revoke a token (again is fine); None if there is no such token."""
        row = await self._pool.fetchrow(
            f"""UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
                RETURNING {_COLUMNS}""",  # noqa: S608 - our own column list
            token_id,
        )
        return StoredToken.from_row(row) if row is not None else None

    async def authenticate(self, secret: str) -> tuple[StoredToken, Role] | None:
        """The token in force whose secret this is and the role its owner has now (noting that it was used), or
        None (also when its owner is disabled)."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        row = await self._pool.fetchrow(
            f"""SELECT {_TOKEN_COLUMNS}, u.role AS owner_role FROM api_tokens t
                JOIN users u ON u.id = t.owner_id AND u.active
                WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL
                  AND (t.expires_at IS NULL OR t.expires_at > now())""",  # noqa: S608
            digest(secret),
        )
        if row is None:
            return None
        token = StoredToken.from_row(row)
        if token.last_used_at is None or token.last_used_at < datetime.now(UTC) - _LAST_USED_RESOLUTION:
            await self._pool.execute(
                "UPDATE api_tokens SET last_used_at = now() WHERE id = $1 AND revoked_at IS NULL", token.id
            )
        return token, Role(row["owner_role"])
