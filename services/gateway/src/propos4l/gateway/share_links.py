"""Share links to a sent proposal's frozen version: made with a random token (only its SHA-256 is stored), an expiry
and an optional access code (Argon2id); revocable; with the visits and downloads they get (ADR 0024)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Final

import asyncpg

from propos4l.gateway.passwords import hash_password, verify_password

__all__ = [
    "LinkState",
    "LinkViews",
    "NewShareLink",
    "ShareLink",
    "ShareLinkStore",
    "new_token",
    "token_digest",
]

_TOKEN_BYTES: Final = 32  # 256 bits
MAX_VISIT_SECONDS: Final = 24 * 3600  # one visit's time on page is capped (a tab left open for days is not reading)


def new_token() -> str:
    """A fresh link token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(_TOKEN_BYTES)


def token_digest(token: str) -> bytes:
    """What is stored of a token: its SHA-256."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


class LinkState(Enum):
    """What a token found."""

    ACTIVE = "active"
    EXPIRED = "expired"
    UNKNOWN = "unknown"  # never issued, or revoked: told apart from nobody


@dataclass(frozen=True, slots=True)
class LinkViews:
    """How a link was read: first open, opens, seconds on page (all visits), downloads."""

    first_opened_at: datetime | None
    last_opened_at: datetime | None
    opens: int
    seconds_on_page: int
    downloads: int


@dataclass(frozen=True, slots=True)
class ShareLink:
    """A share link as the consultancy sees it (never its token)."""

    id: uuid.UUID
    proposal_id: uuid.UUID
    version: int
    has_access_code: bool
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    views: LinkViews
    access_code_hash: str | None = None

    def state(self, now: datetime) -> LinkState:
        """Whether it works now."""
        if self.revoked_at is not None:
            return LinkState.UNKNOWN
        return LinkState.ACTIVE if now < self.expires_at else LinkState.EXPIRED


@dataclass(frozen=True, slots=True)
class NewShareLink:
    """A link just made: the record, and its token (shown once)."""

    link: ShareLink
    token: str


_SELECT: Final = """
SELECT l.id, l.proposal_id, l.version, l.access_code_hash, l.created_by, l.created_at, l.expires_at, l.revoked_at,
       v.first_opened_at, v.last_opened_at, coalesce(v.opens, 0) AS opens, coalesce(v.seconds, 0) AS seconds,
       (SELECT count(*) FROM share_downloads d WHERE d.link_id = l.id) AS downloads
  FROM share_links l
  LEFT JOIN LATERAL (
       SELECT min(opened_at) AS first_opened_at, max(opened_at) AS last_opened_at, count(*) AS opens,
              sum(seconds) AS seconds
         FROM share_visits s WHERE s.link_id = l.id) v ON true
"""


def _link(row: asyncpg.Record) -> ShareLink:
    return ShareLink(
        id=row["id"],
        proposal_id=row["proposal_id"],
        version=row["version"],
        has_access_code=row["access_code_hash"] is not None,
        created_by=row["created_by"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
        views=LinkViews(
            first_opened_at=row["first_opened_at"],
            last_opened_at=row["last_opened_at"],
            opens=int(row["opens"]),
            seconds_on_page=int(row["seconds"]),
            downloads=int(row["downloads"]),
        ),
        access_code_hash=row["access_code_hash"],
    )


class ShareLinkStore:
    """Reads and writes of share_links, share_visits and share_downloads."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(
        self,
        connection: asyncpg.Connection,
        proposal_id: uuid.UUID,
        version: int,
        *,
        valid_for: timedelta,
        access_code: str | None,
        created_by: str,
        created_by_user: uuid.UUID | None,
    ) -> NewShareLink:
        """A new link to `version`, inside the caller's transaction."""
        token = new_token()
        link_id = uuid.uuid4()
        code_hash = hash_password(access_code) if access_code else None
        await connection.execute(
            """INSERT INTO share_links (id, proposal_id, version, token_sha256, access_code_hash, created_by,
                                        created_by_user, expires_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, now() + $8::interval)""",
            link_id,
            proposal_id,
            version,
            token_digest(token),
            code_hash,
            created_by,
            created_by_user,
            valid_for,
        )
        row = await connection.fetchrow(f"{_SELECT} WHERE l.id = $1", link_id)
        assert row is not None
        return NewShareLink(_link(row), token)

    async def of_proposal(self, proposal_id: uuid.UUID) -> list[ShareLink]:
        """Every link of a proposal, newest first, with its views."""
        rows = await self._pool.fetch(f"{_SELECT} WHERE l.proposal_id = $1 ORDER BY l.created_at DESC", proposal_id)
        return [_link(row) for row in rows]

    async def revoke(self, proposal_id: uuid.UUID, link_id: uuid.UUID, revoked_by: str) -> bool | None:
        """Revoke a link: True when revoked now, False when it already was, None when the proposal has no such link."""
        async with self._pool.acquire() as connection:
            active = await connection.fetchval(
                "SELECT revoked_at IS NULL FROM share_links WHERE id = $1 AND proposal_id = $2", link_id, proposal_id
            )
            if active is None or not active:
                return None if active is None else False
            result: str = await connection.execute(
                "UPDATE share_links SET revoked_at = now(), revoked_by = $2 WHERE id = $1 AND revoked_at IS NULL",
                link_id,
                revoked_by,
            )
        return result.endswith(" 1")

    async def find(self, token: str) -> ShareLink | None:
        """The link a token names (revoked ones too; the caller tells them apart), or None."""
        if not token or len(token) > 200:
            return None
        row = await self._pool.fetchrow(f"{_SELECT} WHERE l.token_sha256 = $1", token_digest(token))
        return None if row is None else _link(row)

    @staticmethod
    async def code_matches(link: ShareLink, code: str | None) -> bool:
        """Whether `code` is the link's access code (True for a link without one)."""
        if link.access_code_hash is None:
            return True
        return await verify_password(link.access_code_hash, code or "")

    async def open_visit(self, link_id: uuid.UUID) -> uuid.UUID:
        """Record one opening of the page; the visit's id, for its beacon."""
        visit_id = uuid.uuid4()
        await self._pool.execute("INSERT INTO share_visits (id, link_id) VALUES ($1, $2)", visit_id, link_id)
        return visit_id

    async def record_time(self, link_id: uuid.UUID, visit_id: uuid.UUID, seconds: int) -> bool:
        """Set a visit's time on page (the beacon sends the total so far; it never goes down). False: no such visit."""
        result: str = await self._pool.execute(
            """UPDATE share_visits
                  SET seconds = greatest(seconds, least($3::integer, $4::integer)), last_seen_at = now()
                WHERE id = $1 AND link_id = $2""",
            visit_id,
            link_id,
            seconds,
            MAX_VISIT_SECONDS,
        )
        return result.endswith(" 1")

    async def record_download(self, link_id: uuid.UUID) -> None:
        """Record one download of the PDF through a link."""
        await self._pool.execute("INSERT INTO share_downloads (link_id) VALUES ($1)", link_id)
