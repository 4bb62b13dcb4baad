"""Migrations: applied in order, recorded, idempotent, and never edited once released."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import asyncpg
import pytest

from propos4l.shared.db import Migration, MigrationError, apply_migrations, available_migrations

pytestmark = pytest.mark.integration


async def test_migrations_apply_once_and_are_recorded(empty_database_url: str) -> None:
    applied = await apply_migrations(empty_database_url)
    assert [m.version for m in applied] == [m.version for m in available_migrations()]
    assert await apply_migrations(empty_database_url) == []
    connection = await asyncpg.connect(empty_database_url)
    try:
        rows = await connection.fetch("SELECT version, checksum FROM schema_migrations ORDER BY version")
        tables = {r["tablename"] for r in await connection.fetch("SELECT tablename FROM pg_tables")}
    finally:
        await connection.close()
    assert [(r["version"], r["checksum"]) for r in rows] == [(m.version, m.checksum) for m in available_migrations()]
    assert {"proposals", "proposal_versions", "outbox", "processed_events"} <= tables


async def test_an_edited_released_migration_is_refused(empty_database_url: str) -> None:
    await apply_migrations(empty_database_url)
    edited = [replace(m, sql=m.sql + "\n-- edited") if m.version == 1 else m for m in available_migrations()]
    with pytest.raises(MigrationError, match="was edited after it was applied"):
        await apply_migrations(empty_database_url, edited)


async def test_a_database_newer_than_the_code_is_refused(empty_database_url: str) -> None:
    newer = [*available_migrations(), Migration(len(available_migrations()) + 1, "future", "SELECT 1;")]
    await apply_migrations(empty_database_url, newer)
    with pytest.raises(MigrationError, match="newer than the code"):
        await apply_migrations(empty_database_url)


async def test_a_failing_migration_leaves_nothing_behind(empty_database_url: str) -> None:
    broken = [*available_migrations(), Migration(len(available_migrations()) + 1, "broken", "CREATE TABLE x (); BAD;")]
    with pytest.raises(asyncpg.PostgresSyntaxError):
        await apply_migrations(empty_database_url, broken)
    connection = await asyncpg.connect(empty_database_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM pg_tables WHERE tablename = 'x'") == 0
        assert await connection.fetchval("SELECT max(version) FROM schema_migrations") == len(available_migrations())
    finally:
        await connection.close()


def test_migrate_command_applies_and_reports(empty_database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": empty_database_url}
    command = [sys.executable, "-m", "propos4l.shared.cli", "migrate"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0 and "applied 0001_proposals, 0002_versions_and_progress" in first.stdout
    assert second.returncode == 0 and "up to date" in second.stdout


def test_migrate_command_without_database_url_says_so() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "propos4l.shared.cli", "migrate"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "DATABASE_URL is required" in result.stderr
