"""Database backups: a consistent pg_dump -Fc with every table's row count, the globals, full reads and restores."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import asyncpg

from propos4l.backup.blocking import Cancellation, run_blocking
from propos4l.backup.model import Artifact, BackupError, DatabaseInfo, Manifest
from propos4l.backup.pgtools import PgTools, ToolProcess, find_tools, libpq_target, tool_major
from propos4l.backup.store import BackupStore, StoredSnapshot

__all__ = [
    "DUMP_ARTIFACT",
    "GLOBALS_ARTIFACT",
    "DatabaseDump",
    "RestoreFailed",
    "RestoreReport",
    "count_rows",
    "database_name",
    "dump_database",
    "read_dump_fully",
    "restore_database",
    "scratch_database",
    "server_major",
]

logger = logging.getLogger(__name__)

DUMP_ARTIFACT: Final = "database.dump"
GLOBALS_ARTIFACT: Final = "globals.sql"
_SCRATCH_PREFIX: Final = "propos4l_drill_"
_USER_TABLES: Final = """
    SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r' AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%'
    ORDER BY 1, 2"""


class RestoreFailed(BackupError):
    """pg_restore could not restore the dump: the backup, not the environment, is at fault."""


@dataclass(frozen=True, slots=True)
class DatabaseDump:
    """The files of a database backup and what they hold."""

    artifacts: tuple[Artifact, ...]
    info: DatabaseInfo


@dataclass(frozen=True, slots=True)
class RestoreReport:
    """What a restore did: how long it took, the row counts found, and what did not match the manifest."""

    database: str
    duration_ms: int
    tables: dict[str, int]
    mismatches: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """Every table has the rows the manifest counted."""
        return not self.mismatches


def database_name(url: str) -> str:
    """The database a URL names."""
    return unquote(urlsplit(url).path.lstrip("/")) or "(default)"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def server_major(connection: asyncpg.Connection) -> int:
    """The server's major version (15 for 15.4)."""
    return int(await connection.fetchval("SHOW server_version_num")) // 10_000


async def count_rows(connection: asyncpg.Connection) -> dict[str, int]:
    """The exact row count of every table outside the system schemas, by `schema.table`."""
    counts = {}
    for row in await connection.fetch(_USER_TABLES):
        table = f"{_ident(row['nspname'])}.{_ident(row['relname'])}"
        query = f"SELECT count(*) FROM ONLY {table}"  # noqa: S608 - quoted identifiers from the catalogue
        counts[f"{row['nspname']}.{row['relname']}"] = int(await connection.fetchval(query))
    return counts


async def _schema_version(connection: asyncpg.Connection) -> int | None:
    if await connection.fetchval("SELECT to_regclass('public.schema_migrations')") is None:
        return None
    version = await connection.fetchval("SELECT max(version) FROM schema_migrations")
    return None if version is None else int(version)


async def dump_database(
    url: str, store: BackupStore, folder: Path, *, preferred_bindir: Path | None, command_timeout: float
) -> DatabaseDump:
    """Dump the database (pg_dump -Fc) and the cluster's globals into `folder`, counting rows in the dump's snapshot."""
    connection: asyncpg.Connection = await asyncpg.connect(url)
    try:
        major = await server_major(connection)
        version = str(await connection.fetchval("SHOW server_version")).split()[0]
        tools = find_tools(major, preferred_bindir)
        if tools.major > major:
            logger.info("dumping with newer client tools", extra={"server": version, "tools": tools.version})
        database = str(await connection.fetchval("SELECT current_database()"))
        # pg_dump reads the snapshot this transaction exports, so the counts describe exactly what it dumps.
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            snapshot = str(await connection.fetchval("SELECT pg_export_snapshot()"))
            dump = asyncio.ensure_future(
                run_blocking(
                    lambda cancellation: _pg_dump(tools, url, snapshot, store, folder, command_timeout, cancellation)
                )
            )
            try:
                tables = await count_rows(connection)
                schema_version = await _schema_version(connection)
            except BaseException:
                dump.cancel()
                await asyncio.gather(dump, return_exceptions=True)
                raise
            dump_artifact = await dump
    finally:
        await connection.close()
    globals_artifact, passwords = await run_blocking(
        lambda cancellation: _pg_dumpall_globals(tools, url, database, store, folder, command_timeout, cancellation)
    )
    info = DatabaseInfo(
        database=database,
        server_version=version,
        tools_version=tools.version,
        schema_version=schema_version,
        tables=tables,
        role_passwords=passwords,
    )
    return DatabaseDump((dump_artifact, globals_artifact), info)


def _pg_dump(
    tools: PgTools,
    url: str,
    snapshot: str,
    store: BackupStore,
    folder: Path,
    timeout: float,
    cancellation: Cancellation,
) -> Artifact:
    target, environment = libpq_target(url)
    args = [
        tools.program("pg_dump"),
        "--format=custom",
        f"--snapshot={snapshot}",
        "--no-password",
        f"--dbname={target}",
    ]
    return _tool_to_artifact(args, environment, DUMP_ARTIFACT, store, folder, timeout, cancellation)


def _pg_dumpall_globals(
    tools: PgTools,
    url: str,
    database: str,
    store: BackupStore,
    folder: Path,
    timeout: float,
    cancellation: Cancellation,
) -> tuple[Artifact, bool]:
    """Roles and tablespaces; without role passwords when the backup role may not read them (not a superuser)."""
    target, environment = libpq_target(url)
    args = [tools.program("pg_dumpall"), "--globals-only", "--no-password", f"--dbname={target}", "-l", database]
    try:
        return _tool_to_artifact(args, environment, GLOBALS_ARTIFACT, store, folder, timeout, cancellation), True
    except BackupError as error:
        if "permission denied" not in str(error):
            raise
    logger.warning("the backup role cannot read role passwords; the globals are dumped without them")
    args.append("--no-role-passwords")
    return _tool_to_artifact(args, environment, GLOBALS_ARTIFACT, store, folder, timeout, cancellation), False


def _tool_to_artifact(
    args: list[str],
    environment: dict[str, str],
    name: str,
    store: BackupStore,
    folder: Path,
    timeout: float,
    cancellation: Cancellation,
) -> Artifact:
    with ToolProcess(args, environment, timeout=timeout, cancellation=cancellation, stdout=True) as tool:
        artifact = store.write_artifact(folder, name, tool.output(), cancellation)
        try:
            tool.finish()
        except BaseException:
            (folder / artifact.stored_name).unlink(missing_ok=True)
            raise
    return artifact


def _artifact(manifest: Manifest, name: str) -> Artifact:
    found = next((artifact for artifact in manifest.artifacts if artifact.name == name), None)
    if found is None:
        raise BackupError(f"{manifest.id}: the manifest lists no {name}")
    return found


def _restore_tools(manifest: Manifest, server: int | None, preferred_bindir: Path | None) -> PgTools:
    """pg_restore must be at least as new as the pg_dump that wrote the dump, and as the server it restores into."""
    assert manifest.database is not None
    needed = max(tool_major(manifest.database.tools_version), server or 0)
    return find_tools(needed, preferred_bindir, purpose=f"the dump of {manifest.id} or the target server")


def read_dump_fully(
    store: BackupStore,
    snapshot: StoredSnapshot,
    manifest: Manifest,
    *,
    preferred_bindir: Path | None,
    timeout: float,
    cancellation: Cancellation,
) -> None:
    """Read the whole dump with pg_restore into /dev/null (pg_restore -l alone accepts a truncated dump)."""
    dump = _artifact(manifest, DUMP_ARTIFACT)
    tools = _restore_tools(manifest, None, preferred_bindir)
    chunks = store.read_plain(snapshot.path / dump.stored_name, cancellation)
    args = [tools.program("pg_restore"), "--file=/dev/null"]
    with ToolProcess(args, dict(os.environ), timeout=timeout, cancellation=cancellation, stdin=True) as tool:
        try:
            tool.feed(chunks)
            tool.finish()
        except BackupError as error:
            raise BackupError(f"{snapshot.id}: {dump.stored_name} does not read back: {error}") from None


async def restore_database(
    store: BackupStore,
    snapshot: StoredSnapshot,
    manifest: Manifest,
    target_url: str,
    *,
    preferred_bindir: Path | None,
    command_timeout: float,
    with_globals: bool = False,
) -> RestoreReport:
    """Restore a database backup into the empty database `target_url`, then compare every table's row count."""
    if manifest.database is None:
        raise BackupError(f"{manifest.id} is not a database backup")
    started = time.monotonic()
    name = database_name(target_url)
    connection: asyncpg.Connection = await asyncpg.connect(target_url)
    try:
        existing = await connection.fetchval(f"SELECT count(*) FROM ({_USER_TABLES}) AS tables")  # noqa: S608 - constant
        if existing:
            raise BackupError(
                f"the target database {name} is not empty ({existing} tables): restore into a new, empty database "
                "(CREATE DATABASE ... TEMPLATE template0), then point DATABASE_URL at it"
            )
        tools = _restore_tools(manifest, await server_major(connection), preferred_bindir)
    finally:
        await connection.close()
    notes = await run_blocking(
        lambda cancellation: _run_restore(
            store, snapshot, manifest, target_url, tools, command_timeout, with_globals, cancellation
        )
    )
    connection = await asyncpg.connect(target_url)
    try:
        tables = await count_rows(connection)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    expected = manifest.database.tables
    mismatches = tuple(
        f"{table}: {tables.get(table, 'no table')} rows, the backup counted {count}"
        for table, count in sorted(expected.items())
        if tables.get(table) != count
    ) + tuple(f"{table}: not in the backup" for table in sorted(set(tables) - set(expected)))
    return RestoreReport(name, int((time.monotonic() - started) * 1000), tables, mismatches, notes)


def _run_restore(
    store: BackupStore,
    snapshot: StoredSnapshot,
    manifest: Manifest,
    target_url: str,
    tools: PgTools,
    timeout: float,
    with_globals: bool,
    cancellation: Cancellation,
) -> tuple[str, ...]:
    target, environment = libpq_target(target_url)
    notes: list[str] = []
    if with_globals:
        globals_artifact = _artifact(manifest, GLOBALS_ARTIFACT)
        args = [tools.program("psql"), "-X", "-q", "--no-password", "-v", "ON_ERROR_STOP=0", f"--dbname={target}"]
        with ToolProcess(args, environment, timeout=timeout, cancellation=cancellation, stdin=True) as tool:
            tool.feed(store.read_plain(snapshot.path / globals_artifact.stored_name, cancellation))
            errors = [line for line in tool.finish().splitlines() if "ERROR" in line]
        if errors:  # roles that exist already are reported and left as they are
            notes.append(f"globals: {len(errors)} statements failed, e.g. {errors[0].strip()}")
    dump = _artifact(manifest, DUMP_ARTIFACT)
    args = [
        tools.program("pg_restore"),
        "--exit-on-error",
        "--single-transaction",
        "--no-password",
        f"--dbname={target}",
    ]
    if not with_globals:
        args += ["--no-owner", "--no-acl"]  # the roles of the old cluster may not exist here
    with ToolProcess(args, environment, timeout=timeout, cancellation=cancellation, stdin=True) as tool:
        tool.feed(store.read_plain(snapshot.path / dump.stored_name, cancellation))
        try:
            tool.finish()
        except BackupError as error:
            raise RestoreFailed(f"{snapshot.id}: restoring {dump.stored_name} failed: {error}") from None
    return tuple(notes)


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + quote(name, safe="")))


@contextlib.asynccontextmanager
async def scratch_database(server_url: str) -> AsyncIterator[str]:
    """A new empty database on the server of `server_url` for a drill, dropped afterwards (and any a crash left)."""
    connection: asyncpg.Connection = await asyncpg.connect(server_url)
    try:
        for row in await connection.fetch(
            "SELECT datname FROM pg_database WHERE datname LIKE $1", _SCRATCH_PREFIX.replace("_", "\\_") + "%"
        ):
            await connection.execute(f"DROP DATABASE IF EXISTS {_ident(row['datname'])} WITH (FORCE)")
        name = f"{_SCRATCH_PREFIX}{secrets.token_hex(4)}"
        await connection.execute(f"CREATE DATABASE {_ident(name)} TEMPLATE template0")  # empty whatever template1 holds
    finally:
        await connection.close()
    try:
        yield _with_database(server_url, name)
    finally:
        connection = await asyncpg.connect(server_url)
        try:
            await connection.execute(f"DROP DATABASE IF EXISTS {_ident(name)} WITH (FORCE)")
        finally:
            await connection.close()
