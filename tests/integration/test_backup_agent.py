"""The backup agent running: schedules at start, a template change backed up within a minute, reconcile, retries."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis

from propos4l.backup.app import serve
from propos4l.backup.model import Kind, Manifest, TriggerReason
from propos4l.backup.settings import BackupSettings
from propos4l.backup.store import BackupStore
from propos4l.shared.delivery import Publisher
from propos4l.shared.events import TemplateAction, TemplateChanged
from propos4l.shared.localrun.servers import free_port
from propos4l.shared.streams import ConsumerGroup, Stream
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

HOUR = 3600.0


def agent_settings(database_url: str, redis_url: str, data_dir: Path, **overrides: Any) -> BackupSettings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "backup_dir": data_dir / "backups",
        "pdf_storage_dir": data_dir / "pdfs",
        "templates_dir": data_dir / "templates",
        "library_dir": data_dir / "library",
        "backup_db_interval_seconds": 6 * HOUR,
        "backup_pdfs_interval_seconds": 24 * HOUR,
        "backup_templates_reconcile_seconds": HOUR,
        "backup_drill_interval_seconds": 0,
        "delivery_visibility_timeout_seconds": 5,
        "delivery_shutdown_grace_seconds": 1,
    }
    values.update(overrides)
    return BackupSettings(**values)


@pytest.fixture
def folders(data_dir: Path) -> Path:
    template = data_dir / "templates" / "default"
    template.mkdir(parents=True)
    (template / "template.html").write_text("<h1>{{ title }}</h1>")
    (template / "style.css").write_text("h1 { color: navy }")
    (data_dir / "pdfs" / "4b1c0d7e-0000-4000-8000-000000000000").mkdir(parents=True)
    (data_dir / "pdfs" / "4b1c0d7e-0000-4000-8000-000000000000" / "v1.pdf").write_bytes(b"%PDF-1.7 one")
    library_file = data_dir / "library" / "e3" / "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    library_file.parent.mkdir(parents=True)
    library_file.write_bytes(b"")
    return data_dir


@pytest.fixture
async def start_agent() -> AsyncIterator[Callable[[BackupSettings], None]]:
    """Start `serve` in this event loop; it is stopped (and must stop cleanly) when the test ends."""
    running: list[tuple[asyncio.Event, asyncio.Task[None]]] = []

    def start(settings: BackupSettings) -> None:
        stop = asyncio.Event()
        running.append((stop, asyncio.create_task(serve(settings, stop))))

    yield start
    for stop, task in running:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


def snapshots(store: BackupStore, kind: Kind) -> list[Manifest]:
    """The manifests of one kind, oldest first."""
    return sorted((store.manifest(snapshot) for snapshot in store.list(kind)), key=lambda manifest: manifest.created_at)


async def test_at_start_the_agent_backs_up_everything_and_drills_the_database(
    database_url: str, redis_url: str, folders: Path, start_agent: Callable[[BackupSettings], None]
) -> None:
    port = free_port()
    start_agent(agent_settings(database_url, redis_url, folders, backup_drill_interval_seconds=HOUR, health_port=port))
    connection: asyncpg.Connection = await asyncpg.connect(database_url)
    try:

        async def everything_done() -> bool:
            rows = await connection.fetch("SELECT * FROM backup_status")
            return all(row["last_verified_id"] for row in rows) and any(row["last_drill_ok"] for row in rows)

        await wait_for(everything_done, timeout=30, interval=0.2)
        rows = {row["kind"]: row for row in await connection.fetch("SELECT * FROM backup_status")}
    finally:
        await connection.close()
    assert rows["db"]["last_drill_backup_id"] == rows["db"]["last_verified_id"]
    assert all(row["consecutive_failures"] == 0 for row in rows.values())
    async with httpx.AsyncClient() as http:
        ready = await http.get(f"http://127.0.0.1:{port}/ready")
    assert ready.status_code == 200 and ready.json()["ready"] is True


async def test_a_template_change_event_is_backed_up_within_a_minute(
    database_url: str, redis_url: str, redis: Redis, folders: Path, start_agent: Callable[[BackupSettings], None]
) -> None:
    settings = agent_settings(database_url, redis_url, folders)
    store = BackupStore(settings.backup_dir)
    start_agent(settings)
    await wait_for(lambda: asyncio.to_thread(snapshots, store, Kind.TEMPLATES), timeout=30)  # the start's reconcile

    (folders / "templates" / "default" / "style.css").write_text("h1 { color: teal }")
    changed_at = time.monotonic()
    await Publisher(redis).publish(
        TemplateChanged(template="default", template_version=2, action=TemplateAction.UPDATED)
    )

    async def backed_up_by_the_event() -> Manifest | None:
        for manifest in await asyncio.to_thread(snapshots, store, Kind.TEMPLATES):
            if manifest.trigger.reason is TriggerReason.EVENT:
                return manifest
        return None

    manifest = await wait_for(backed_up_by_the_event, timeout=60, interval=0.1)
    assert time.monotonic() - changed_at < 60
    assert "template default v2 updated" in manifest.trigger.detail
    style = next(entry for entry in manifest.files if entry.path == "default/style.css")
    path = store.object_path(style.sha256)
    assert path is not None and path.read_bytes() == b"h1 { color: teal }"

    async def acknowledged() -> bool:
        pending = await redis.xpending(Stream.TEMPLATE_CHANGED.value, ConsumerGroup.BACKUP.value)
        return int(pending["pending"]) == 0

    await wait_for(acknowledged, timeout=10)


async def test_a_change_made_on_disk_without_an_event_is_found_by_the_reconcile(
    database_url: str, redis_url: str, folders: Path, start_agent: Callable[[BackupSettings], None]
) -> None:
    settings = agent_settings(database_url, redis_url, folders, backup_templates_reconcile_seconds=0.3)
    store = BackupStore(settings.backup_dir)
    start_agent(settings)
    await wait_for(lambda: asyncio.to_thread(snapshots, store, Kind.TEMPLATES), timeout=30)
    (folders / "templates" / "proposta-curta").mkdir()
    (folders / "templates" / "proposta-curta" / "template.html").write_text("<p>curta</p>")

    async def two_backups() -> bool:
        return len(await asyncio.to_thread(snapshots, store, Kind.TEMPLATES)) == 2

    await wait_for(two_backups, timeout=20)
    newest = (await asyncio.to_thread(snapshots, store, Kind.TEMPLATES))[-1]
    assert newest.trigger.reason is TriggerReason.RECONCILE
    assert "proposta-curta/template.html" in {entry.path for entry in newest.files}


async def test_a_failing_backup_is_retried_with_backoff_and_reported(
    database_url: str, redis_url: str, data_dir: Path, start_agent: Callable[[BackupSettings], None]
) -> None:
    settings = agent_settings(database_url, redis_url, data_dir, backup_retry_base_seconds=0.2)
    start_agent(settings)  # no PDF folder yet: every attempt fails
    connection: asyncpg.Connection = await asyncpg.connect(database_url)
    try:

        async def failures() -> int:
            return int(await connection.fetchval("SELECT consecutive_failures FROM backup_status WHERE kind = 'pdfs'"))

        await wait_for(lambda: _at_least(failures, 3), timeout=20)
        times = [
            row["started_at"]
            for row in await connection.fetch(
                "SELECT started_at FROM backups WHERE kind = 'pdfs' AND status = 'failed' ORDER BY started_at"
            )
        ]
        gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]
        assert gaps[1] > gaps[0] * 1.4  # 0.2 s, then 0.4 s: the delay doubles
        error = await connection.fetchval("SELECT last_run_error FROM backup_status WHERE kind = 'pdfs'")
        assert "pdfs is not a folder" in error

        (data_dir / "pdfs").mkdir()
        await wait_for(lambda: _at_most(failures, 0), timeout=20)
        assert await connection.fetchval("SELECT last_run_status FROM backup_status WHERE kind = 'pdfs'") == "verified"
    finally:
        await connection.close()
    assert not list((settings.backup_dir / ".staging").iterdir())


async def _at_least(read: Callable[[], Any], count: int) -> bool:
    return bool(await read() >= count)


async def _at_most(read: Callable[[], Any], count: int) -> bool:
    return bool(await read() <= count)
