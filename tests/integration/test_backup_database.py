"""Database backups against a real PostgreSQL: fill, back up, drop, restore, and every table's rows are equal."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from propos4l.backup.blocking import Cancellation
from propos4l.backup.crypto import Cipher
from propos4l.backup.database import read_dump_fully
from propos4l.backup.jobs import BackupJobs
from propos4l.backup.model import BackupError, Kind, Trigger, TriggerReason
from propos4l.backup.options import JobOptions, Sources
from propos4l.backup.pgtools import find_tools, tool_major
from propos4l.backup.records import BackupRecords
from propos4l.backup.store import MANIFEST_FILE, MANIFEST_SUM_FILE, BackupStore
from propos4l.shared.db import apply_migrations, create_pool
from propos4l.shared.localrun.servers import LocalPostgres

pytestmark = pytest.mark.integration

MANUAL = Trigger(reason=TriggerReason.MANUAL)


async def fill(url: str, proposals: int = 60) -> None:
    """Proposals with versions, events, outbox rows: text in two languages, NULLs, jsonb, large numbers, times."""
    connection: asyncpg.Connection = await asyncpg.connect(url)
    try:
        for index in range(proposals):
            proposal = uuid.uuid4()
            await connection.execute(
                """INSERT INTO proposals (id, client_name, industry, requirements, scope, language, template, status,
                   current_version, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'default', $7, 2,
                   now() - make_interval(days => $8))""",
                proposal,
                f"Cliente {index} — Pão & Café “Ltda”",
                "Varejo" if index % 2 else "Logistics",
                "Integrar o ERP\ncom a loja online; 'aspas' e \\barras\\",
                None if index % 3 else "Web + mobile",
                "pt-BR" if index % 2 else "en",
                "ready" if index % 4 else "failed",
                index,
            )
            for version in (1, 2):
                await connection.execute(
                    """INSERT INTO proposal_versions (proposal_id, version, sections, provider, pdf_bytes, pages,
                       origin, investment_items) VALUES ($1, $2, $3::jsonb, 'outline', $4, 7, $5, $6::jsonb)""",
                    proposal,
                    version,
                    json.dumps([{"key": "executive_summary", "content": f"# Resumo {index}\n\nçãõ ü 漢字"}]),
                    2**40 + index,
                    "draft" if version == 1 else "edit",
                    json.dumps([{"description": "Licença", "quantity": "1.5", "unit_price": "1999.99"}]),
                )
                await connection.execute(
                    """INSERT INTO proposal_events (proposal_id, version, kind, data)
                       VALUES ($1, $2, 'progress', $3::jsonb)""",
                    proposal,
                    version,
                    json.dumps({"section": "scope", "percent": version * 50}),
                )
            await connection.execute(
                "INSERT INTO outbox (event_id, stream, fields) VALUES ($1, 'propos4l.proposal.requested', $2::jsonb)",
                uuid.uuid4(),
                json.dumps({"payload": "{}"}),
            )
        await connection.execute(
            "INSERT INTO processed_events (consumer_group, event_id) SELECT 'gateway', gen_random_uuid() "
            "FROM generate_series(1, 500)"
        )
    finally:
        await connection.close()


async def every_row(url: str) -> dict[str, list[str]]:
    """Every row of every table, as text, sorted: equal dictionaries mean equal databases."""
    connection: asyncpg.Connection = await asyncpg.connect(url)
    try:
        tables = await connection.fetch(
            """SELECT schemaname, tablename FROM pg_tables
               WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2"""
        )
        rows = {}
        for table in tables:
            name = f'"{table["schemaname"]}"."{table["tablename"]}"'
            records = await connection.fetch(f"SELECT t::text AS row FROM {name} AS t ORDER BY 1")  # noqa: S608
            rows[f"{table['schemaname']}.{table['tablename']}"] = [record["row"] for record in records]
        return rows
    finally:
        await connection.close()


@pytest.fixture
async def filled_database(postgres_server: LocalPostgres) -> AsyncIterator[tuple[str, str]]:
    """A migrated database full of data, and its name (the test may drop it)."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = postgres_server.create_database(name)
    await apply_migrations(url)
    await fill(url)
    yield url, name
    postgres_server.drop_database(name)


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_a_dropped_database_is_restored_with_every_row_equal(
    postgres_server: LocalPostgres, filled_database: tuple[str, str], data_dir: Path, encrypted: bool
) -> None:
    url, name = filled_database
    store = BackupStore(data_dir / "backups", Cipher(os.urandom(32)) if encrypted else None)
    jobs = BackupJobs(store, Sources(database_url=url), JobOptions())
    result = await jobs.run(Kind.DB, MANUAL)
    before = await every_row(url)

    postgres_server.drop_database(name)
    target = postgres_server.create_database(f"{name}_restored")
    try:
        report = await jobs.restore_database(result.snapshot_id, target)
        assert report.ok, report.mismatches
        assert await every_row(target) == before
    finally:
        postgres_server.drop_database(f"{name}_restored")

    manifest = result.manifest
    assert manifest is not None and manifest.database is not None
    assert manifest.database.tables["public.proposals"] == 60
    assert manifest.database.tables["public.proposal_versions"] == 120
    assert manifest.database.tables["public.processed_events"] == 500
    assert manifest.database.role_passwords is True
    assert {artifact.name for artifact in manifest.artifacts} == {"database.dump", "globals.sql"}
    stored = {path.name for path in (store.snapshots / "db" / result.snapshot_id).iterdir()}
    suffix = ".enc" if encrypted else ""
    assert {f"database.dump{suffix}", f"globals.sql{suffix}", MANIFEST_FILE, MANIFEST_SUM_FILE} <= stored
    if encrypted:  # nothing readable at rest
        dump = (store.snapshots / "db" / result.snapshot_id / "database.dump.enc").read_bytes()
        assert b"PGDMP" not in dump and "Pão".encode() not in dump


async def test_the_row_counts_describe_exactly_what_the_dump_holds(database_url: str, data_dir: Path) -> None:
    await fill(database_url, proposals=5)
    jobs = BackupJobs(BackupStore(data_dir / "backups"), Sources(database_url=database_url), JobOptions())
    result = await jobs.run(Kind.DB, MANUAL)
    assert result.manifest is not None and result.manifest.database is not None
    counts = result.manifest.database.tables
    rows = await every_row(database_url)
    assert {table: len(rows[table]) for table in counts if table != "public.backups"} == {
        table: count for table, count in counts.items() if table != "public.backups"
    }


async def test_a_restore_into_a_database_that_is_not_empty_is_refused(database_url: str, data_dir: Path) -> None:
    jobs = BackupJobs(BackupStore(data_dir / "backups"), Sources(database_url=database_url), JobOptions())
    result = await jobs.run(Kind.DB, MANUAL)
    with pytest.raises(BackupError, match="not empty"):
        await jobs.restore_database(result.snapshot_id, database_url)


async def test_a_restore_with_globals_recreates_roles_and_keeps_owners(
    postgres_server: LocalPostgres, database_url: str, data_dir: Path
) -> None:
    role = f"reader_{uuid.uuid4().hex[:8]}"
    connection: asyncpg.Connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'drill-password-1234'")
        await connection.execute(f"GRANT SELECT ON proposals TO {role}")
    finally:
        await connection.close()
    jobs = BackupJobs(BackupStore(data_dir / "backups"), Sources(database_url=database_url), JobOptions())
    result = await jobs.run(Kind.DB, MANUAL)
    admin: asyncpg.Connection = await asyncpg.connect(database_url)
    await admin.execute(f"DROP OWNED BY {role}")
    await admin.execute(f"DROP ROLE {role}")  # the role is gone from the cluster: only the globals bring it back
    await admin.close()
    target_name = f"r_{uuid.uuid4().hex[:12]}"
    target = postgres_server.create_database(target_name)
    try:
        report = await jobs.restore_database(result.snapshot_id, target, with_globals=True)
        assert report.ok
        assert any("already exists" in note for note in report.notes)  # the cluster's own roles are left as they are
        restored: asyncpg.Connection = await asyncpg.connect(target)
        try:
            assert await restored.fetchval("SELECT has_table_privilege($1, 'proposals', 'SELECT')", role)
        finally:
            await restored.close()
    finally:
        postgres_server.drop_database(target_name)
        cleanup: asyncpg.Connection = await asyncpg.connect(postgres_server.url)
        await cleanup.execute(f"DROP ROLE IF EXISTS {role}")
        await cleanup.close()


async def test_the_restore_drill_restores_into_a_scratch_database_and_records_the_rto(
    database_url: str, data_dir: Path
) -> None:
    await fill(database_url, proposals=10)
    pool = await create_pool(database_url, max_size=2)
    try:
        jobs = BackupJobs(
            BackupStore(data_dir / "backups"),
            Sources(database_url=database_url),
            JobOptions(),
            records=BackupRecords(pool),
        )
        await jobs.run(Kind.DB, MANUAL)
        drill = await jobs.drill()
        assert drill is not None and drill.ok, drill
        assert drill.report is not None and drill.report.tables["public.proposals"] == 10
        row = await pool.fetchrow("SELECT * FROM backup_status WHERE kind = 'db'")
        assert row["last_drill_ok"] is True and row["last_drill_duration_ms"] == int(drill.seconds * 1000)
        assert row["last_verified_id"] == drill.snapshot_id and row["consecutive_failures"] == 0
        leftovers = await pool.fetchval("SELECT count(*) FROM pg_database WHERE datname LIKE 'propos4l\\_drill\\_%'")
        assert leftovers == 0
    finally:
        await pool.close()


async def test_a_truncated_dump_is_named_by_verify(database_url: str, data_dir: Path) -> None:
    store = BackupStore(data_dir / "backups")
    jobs = BackupJobs(store, Sources(database_url=database_url), JobOptions())
    result = await jobs.run(Kind.DB, MANUAL)
    dump = store.snapshots / "db" / result.snapshot_id / "database.dump"
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
    [outcome] = await jobs.verify(result.snapshot_id)
    assert not outcome.ok
    assert f"{result.snapshot_id}: snapshots/db/{result.snapshot_id}/database.dump is" in outcome.problems[0]
    assert "cut short" in outcome.problems[0]


async def test_the_full_read_catches_a_truncated_dump_that_pg_restore_list_accepts(
    database_url: str, data_dir: Path
) -> None:
    """Even with its hashes rewritten to match, a cut dump fails: verification reads it whole with pg_restore."""
    await fill(database_url, proposals=40)
    store = BackupStore(data_dir / "backups")
    jobs = BackupJobs(store, Sources(database_url=database_url), JobOptions())
    result = await jobs.run(Kind.DB, MANUAL)
    assert result.manifest is not None
    folder = store.snapshots / "db" / result.snapshot_id
    cut = (folder / "database.dump").read_bytes()
    cut = cut[: len(cut) - 2000]
    (folder / "database.dump").write_bytes(cut)
    digest = hashlib.sha256(cut).hexdigest()
    artifacts = tuple(
        artifact.model_copy(
            update={"size": len(cut), "sha256": digest, "stored_size": len(cut), "stored_sha256": digest}
        )
        if artifact.name == "database.dump"
        else artifact
        for artifact in result.manifest.artifacts
    )
    forged = result.manifest.model_copy(update={"artifacts": artifacts})
    body = (forged.model_dump_json(indent=2) + "\n").encode()
    (folder / MANIFEST_FILE).write_bytes(body)
    (folder / MANIFEST_SUM_FILE).write_text(f"{hashlib.sha256(body).hexdigest()}  {MANIFEST_FILE}\n")

    tools = find_tools(tool_major(result.manifest.database.tools_version))  # type: ignore[union-attr]
    listing = await asyncio.to_thread(
        subprocess.run, [tools.program("pg_restore"), "-l", str(folder / "database.dump")], capture_output=True
    )
    assert listing.returncode == 0  # the table of contents alone looks fine

    [quick] = await jobs.verify(result.snapshot_id, level="hash")
    assert quick.ok  # the hashes match the forged manifest
    [full] = await jobs.verify(result.snapshot_id)
    assert not full.ok and "database.dump does not read back" in full.problems[0]
    with pytest.raises(BackupError, match="pg_restore failed"):
        read_dump_fully(
            store,
            store.find(result.snapshot_id),
            forged,
            preferred_bindir=None,
            timeout=60,
            cancellation=Cancellation(),
        )
