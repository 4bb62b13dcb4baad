"""Backups of a bucket (STORAGE_URL, moto's server mode): new objects copied into the store by content, drilled and
restored byte-identical, by the jobs and by the running agent."""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from pathlib import Path

import asyncpg
import pytest

from propos4l.backup.app import serve
from propos4l.backup.jobs import BackupJobs
from propos4l.backup.model import Kind, Trigger, TriggerReason
from propos4l.backup.options import JobOptions, Sources
from propos4l.backup.retention import Health
from propos4l.backup.store import BackupStore
from propos4l.shared.object_store import S3Store, parse_s3_url
from tests.integration.test_backup_agent import agent_settings
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

MANUAL = Trigger(reason=TriggerReason.MANUAL)


def files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts)
    }


async def test_new_objects_of_a_bucket_are_backed_up_once_drilled_and_restored_byte_identical(
    data_dir: Path, s3_endpoint: str, bucket: str
) -> None:
    pdfs = S3Store(parse_s3_url(f"s3://{bucket}/prod").joined("pdfs"), endpoint_url=s3_endpoint)
    library = S3Store(parse_s3_url(f"s3://{bucket}/prod").joined("library"), endpoint_url=s3_endpoint)
    originals = {f"{uuid.uuid4()}/v1.pdf": b"%PDF-1.7\n" + os.urandom(30_000 + index) for index in range(3)}
    for key, data in originals.items():
        pdfs.put_once(key, data, "application/pdf")
    document = b"# Caso\n\nMigramos um ERP.\n"
    digest = hashlib.sha256(document).hexdigest()
    (data_dir / "upload").write_bytes(document)
    library.put_file_once(f"{digest[:2]}/{digest}", data_dir / "upload")

    store = BackupStore(data_dir / "backups")
    sources = Sources(
        pdf_storage_dir=data_dir / "unused-pdfs",
        library_dir=data_dir / "unused-library",
        buckets={Kind.PDFS: pdfs, Kind.LIBRARY: library},
    )
    jobs = BackupJobs(store, sources, JobOptions())
    first = await jobs.run(Kind.PDFS, MANUAL)
    assert first.manifest is not None and first.manifest.added_objects == 3
    assert first.manifest.source == f"s3://{bucket}/prod/pdfs"
    assert {entry.path for entry in first.manifest.files} == set(originals)

    again = await jobs.run(Kind.PDFS, MANUAL, only_if_changed=True)
    assert not again.created  # the bucket still matches the newest verified backup
    newer = f"{uuid.uuid4()}/v1.pdf"
    originals[newer] = b"%PDF-1.7 one more"
    pdfs.put_once(newer, originals[newer], "application/pdf")
    downloaded: list[str] = []
    reading = pdfs.open
    pdfs.open = lambda key: (downloaded.append(key), reading(key))[1]  # type: ignore[method-assign]
    second = await jobs.run(Kind.PDFS, MANUAL)
    assert second.manifest is not None and second.manifest.added_objects == 1
    assert downloaded == [newer]  # the objects the store holds (by their recorded hash) were not read again
    assert len(store.object_hashes()) == 4

    drill = await jobs.drill_files(Kind.PDFS)
    assert drill is not None and drill.ok, drill
    assert drill.detail == f"4 files, {sum(map(len, originals.values()))} bytes, every hash matches"
    restored = await jobs.restore_files(second.snapshot_id, data_dir / "restored-pdfs")
    assert files(restored.target) == originals

    library_backup = await jobs.run(Kind.LIBRARY, MANUAL)
    assert library_backup.manifest is not None and library_backup.manifest.added_objects == 1
    restored_library = await jobs.restore_files(library_backup.snapshot_id, data_dir / "restored-library")
    assert files(restored_library.target) == {f"{digest[:2]}/{digest}": document}
    assert all(entry.health is Health.VERIFIED for entry in jobs.catalog(Kind.PDFS))


async def test_the_agent_backs_up_the_bucket_at_start_and_its_drill_restores_the_pdfs(
    database_url: str, redis_url: str, data_dir: Path, s3_endpoint: str, bucket: str
) -> None:
    pdfs = S3Store(parse_s3_url(f"s3://{bucket}/prod").joined("pdfs"), endpoint_url=s3_endpoint)
    pdfs.put_once(f"{uuid.uuid4()}/v1.pdf", b"%PDF-1.7 from the bucket", "application/pdf")
    (data_dir / "templates" / "default").mkdir(parents=True)
    (data_dir / "templates" / "default" / "template.html").write_text("<h1>{{ title }}</h1>")
    settings = agent_settings(
        database_url,
        redis_url,
        data_dir,
        backup_drill_interval_seconds=3600.0,
        storage_url=f"s3://{bucket}/prod",
        storage_endpoint_url=s3_endpoint,
    )
    stop = asyncio.Event()
    agent = asyncio.create_task(serve(settings, stop))
    connection = await asyncpg.connect(database_url)
    try:

        async def pdfs_drilled() -> asyncpg.Record | None:
            row: asyncpg.Record | None = await connection.fetchrow("SELECT * FROM backup_status WHERE kind = 'pdfs'")
            return row if row is not None and row["last_drill_ok"] else None

        row = await wait_for(pdfs_drilled, timeout=60, interval=0.2, message="the PDFs' backup was never drilled")
    finally:
        await connection.close()
        stop.set()
        await asyncio.wait_for(agent, timeout=30)
    assert row["last_drill_backup_id"] == row["last_verified_id"]
    [manifest] = [
        BackupStore(data_dir / "backups").manifest(s) for s in BackupStore(data_dir / "backups").list(Kind.PDFS)
    ]
    assert manifest.source == f"s3://{bucket}/prod/pdfs" and len(manifest.files) == 1
