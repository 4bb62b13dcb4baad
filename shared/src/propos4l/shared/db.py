"""PostgreSQL access: the asyncpg pool, the migrations, and the inbox that makes handlers idempotent."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

import asyncpg

__all__ = [
    "Migration",
    "MigrationError",
    "PoolTimeouts",
    "apply_migrations",
    "available_migrations",
    "create_pool",
    "mark_processed",
]

logger = logging.getLogger(__name__)

_MIGRATION_NAME: Final = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")  # fullmatch: `$` would let a final newline in
_MIGRATION_LOCK: Final = 0x70726F70  # any constant: one migrator at a time


class MigrationError(RuntimeError):
    """The database and the migrations shipped with the code disagree."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration file: its number, name, SQL and checksum."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the SQL: an applied migration must never change."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


async def _init_connection(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _reset_connection(connection: asyncpg.Connection) -> None:
    """What a connection's release does besides asyncpg's own part (which rolls back a transaction left open and drops
    its listeners): nothing.

    asyncpg's default reset sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every release,
    a round trip (three per intake message) for session state our pooled connections never keep: no `SET` (only
    transaction-scoped settings), no `LISTEN` (progress notifications have a connection of their own), no cursor
    outside a transaction, and the one session advisory lock (`LibraryDocuments._file_locked`) is unlocked in a
    `finally` that closes the connection when it cannot. Code that keeps session state must undo it the same way.
    """


@dataclass(frozen=True, slots=True)
class PoolTimeouts:
    """How long a pool's user waits for PostgreSQL before it gets a TimeoutError (a 503 at the gateway).

    A frozen server (stopped, or a network that drops packets) keeps its connections open and answers nothing: without
    these, every caller waits for the kernel's TCP timeouts.
    """

    connect_seconds: float
    """to open a connection (TCP and the start-up exchange)"""
    acquire_seconds: float
    """to get a connection from the pool, a new one included"""
    statement_seconds: float
    """for a statement's answer, unless the caller passes its own `timeout=` (a long lock wait, a large write)"""
    release_seconds: float = 0.5
    """to hand a connection back: after a statement timed out, its cancellation and reset; past that it is closed"""


class _TimedPool(asyncpg.Pool):  # type: ignore[misc]  # asyncpg has no type hints
    """An asyncpg pool whose `acquire` and `release` have default timeouts (asyncpg's wait forever)."""

    def __init__(self, *args: Any, timeouts: PoolTimeouts, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timeouts = timeouts

    def acquire(self, *, timeout: float | None = None) -> Any:
        """A connection, within `timeout` or the pool's acquire timeout."""
        return super().acquire(timeout=self.timeouts.acquire_seconds if timeout is None else timeout)

    async def release(self, connection: Any, *, timeout: float | None = None) -> None:  # noqa: ASYNC109 - asyncpg's signature
        """Hand `connection` back, within `timeout` or the pool's release timeout."""
        await super().release(connection, timeout=self.timeouts.release_seconds if timeout is None else timeout)


async def create_pool(url: str, *, max_size: int = 10, timeouts: PoolTimeouts | None = None) -> asyncpg.Pool:
    """Open a connection pool whose jsonb columns read and write Python objects; with `timeouts`, no call on it
    waits for PostgreSQL longer than they say."""
    if timeouts is None:
        pool = await asyncpg.create_pool(
            url, min_size=1, max_size=max_size, init=_init_connection, reset=_reset_connection
        )
    else:
        pool = await _TimedPool(
            url,
            min_size=1,
            max_size=max_size,
            max_queries=50_000,
            max_inactive_connection_lifetime=300.0,
            connect=None,
            setup=None,
            init=_init_connection,
            reset=_reset_connection,
            loop=None,
            connection_class=asyncpg.Connection,
            record_class=asyncpg.Record,
            timeout=timeouts.connect_seconds,
            command_timeout=timeouts.statement_seconds,
            timeouts=timeouts,
        )
    if pool is None:  # pragma: no cover - asyncpg returns None only when not awaited
        raise RuntimeError("could not create the database pool")
    return pool


def available_migrations() -> list[Migration]:
    """The migrations shipped with this code, in order."""
    migrations = []
    for entry in resources.files("propos4l.shared.migrations").iterdir():
        match = _MIGRATION_NAME.fullmatch(entry.name)
        if match:
            migrations.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    migrations.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise MigrationError(f"migration numbers must run 1..N without gaps, found {versions}")
    return migrations


async def apply_migrations(url: str, migrations: list[Migration] | None = None) -> list[Migration]:
    """Apply the migrations the database lacks, each in its own transaction; return the ones applied."""
    migrations = available_migrations() if migrations is None else migrations
    connection: asyncpg.Connection = await asyncpg.connect(url)
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        await connection.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version    integer PRIMARY KEY,
                   name       text        NOT NULL,
                   checksum   text        NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        applied = {
            row["version"]: row
            for row in await connection.fetch("SELECT version, name, checksum FROM schema_migrations")
        }
        known = {migration.version for migration in migrations}
        unknown = sorted(set(applied) - known)
        if unknown:
            raise MigrationError(
                f"the database has migrations {unknown} that this code does not know: it is newer than the code"
            )
        done = []
        for migration in migrations:
            row = applied.get(migration.version)
            if row is not None:
                if row["checksum"] != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} was edited after it was applied; "
                        "released migrations must never change: add a new one instead"
                    )
                continue
            async with connection.transaction():
                await connection.execute(migration.sql)
                await connection.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            logger.info("applied migration", extra={"migration": f"{migration.version:04d}_{migration.name}"})
            done.append(migration)
        return done
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
        await connection.close()


async def mark_processed(connection: Any, consumer_group: str, event_id: uuid.UUID) -> bool:
    """Record `event_id` as handled by `consumer_group` inside the caller's transaction.

    Returns False when it was handled before: the caller then skips the effect, and the transaction commits
    nothing new.
    """
    row = await connection.fetchval(
        """INSERT INTO processed_events (consumer_group, event_id) VALUES ($1, $2)
           ON CONFLICT DO NOTHING RETURNING true""",
        consumer_group,
        event_id,
    )
    return bool(row)
