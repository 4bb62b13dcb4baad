"""Server-side web sessions in PostgreSQL: the cookie holds a random secret, the table its SHA-256.

A session ends at the first of: `idle` without a request, `absolute` after sign-in, or revocation (sign-out, sign
out everywhere, an admin ending a user's sessions, the user disabled). Each session has its own CSRF token, which
changes to the API made with the cookie must echo in a header (double submit, checked in `auth`).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

import asyncpg

from propos4l.gateway.users import User

__all__ = ["NewSession", "SessionStore", "WebSession"]

_LAST_SEEN_RESOLUTION: Final = timedelta(seconds=30)  # last_seen_at is written at most this often per session


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


@dataclass(frozen=True, slots=True)
class WebSession:
    """A session in force and its user."""

    id: uuid.UUID
    user: User
    csrf_token: str


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session just opened: the cookie's secret is only here."""

    session: WebSession
    secret: str


class SessionStore:
    """The user_sessions table."""

    def __init__(self, pool: asyncpg.Pool, *, idle: timedelta, absolute: timedelta) -> None:
        self._pool = pool
        self.idle = idle
        self.absolute = absolute

    async def open(self, user: User, *, address: str | None, user_agent: str | None) -> NewSession:
        """A new session for `user`."""
        secret = secrets.token_urlsafe(32)
        csrf_token = secrets.token_urlsafe(24)
        session_id = uuid.uuid4()
        await self._pool.execute(
            """INSERT INTO user_sessions (id, user_id, secret_sha256, csrf_token, expires_at, address, user_agent)
               VALUES ($1, $2, $3, $4, now() + $5::interval, $6, $7)""",
            session_id,
            user.id,
            _digest(secret),
            csrf_token,
            self.absolute,
            address,
            (user_agent or "")[:500] or None,
        )
        return NewSession(WebSession(session_id, user, csrf_token), secret)

    async def authenticate(self, secret: str) -> WebSession | None:
        """The session in force whose cookie this is, for an active user (noting the request), or None."""
        row = await self._pool.fetchrow(
            """SELECT s.id AS session_id, s.csrf_token, s.last_seen_at, u.*
               FROM user_sessions s JOIN users u ON u.id = s.user_id
               WHERE s.secret_sha256 = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
                 AND s.last_seen_at > now() - $2::interval AND u.active""",
            _digest(secret),
            self.idle,
        )
        if row is None:
            return None
        await self._pool.execute(
            """UPDATE user_sessions SET last_seen_at = now()
               WHERE id = $1 AND last_seen_at < now() - $2::interval""",
            row["session_id"],
            _LAST_SEEN_RESOLUTION,
        )
        return WebSession(row["session_id"], User.from_row(row), row["csrf_token"])

    async def revoke(self, session_id: uuid.UUID) -> None:
        """End one session."""
        await self._pool.execute(
            "UPDATE user_sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", session_id
        )

    async def revoke_all(self, user_id: uuid.UUID) -> int:
        """End every session of a user; how many were in force."""
        result: str = await self._pool.execute(
            "UPDATE user_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", user_id
        )
        return int(result.split()[-1])
