"""The off-site copy against an S3-compatible server (moto): verified backups land there, and come back restorable."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from propos4l.backup.crypto import Cipher
from propos4l.backup.jobs import BackupJobs
from propos4l.backup.model import Kind, Trigger, TriggerReason
from propos4l.backup.offsite import OffsiteCopy, OffsiteTarget
from propos4l.backup.options import JobOptions, Sources
from propos4l.backup.retention import RetentionPolicy
from propos4l.backup.store import BackupStore
from propos4l.shared.localrun.servers import free_port

pytestmark = pytest.mark.integration

MANUAL = Trigger(reason=TriggerReason.MANUAL)
CREDENTIALS = {"aws_access_key_id": "testing-key-id", "aws_secret_access_key": "testing-secret-key"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on a free local port, for the module."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint: str, request: pytest.FixtureRequest) -> str:
    name = f"backups-{abs(hash(request.node.name)) % 10**8}"
    client(s3_endpoint).create_bucket(Bucket=name)
    return name


def client(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **CREDENTIALS)


def keys(endpoint: str, bucket: str) -> set[str]:
    pages = client(endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def sync_down(endpoint: str, bucket: str, prefix: str, folder: Path) -> None:
    """What `aws s3 sync s3://bucket/prefix folder` does."""
    s3 = client(endpoint)
    for key in keys(endpoint, bucket):
        target = folder / key.removeprefix(prefix + "/")
        target.parent.mkdir(parents=True, exist_ok=True)
        s3.download_file(bucket, key, str(target))


def target(endpoint: str, bucket: str) -> OffsiteTarget:
    return OffsiteTarget(
        bucket=bucket,
        prefix="propos4l/prod",
        endpoint_url=endpoint,
        access_key_id=CREDENTIALS["aws_access_key_id"],
        secret_access_key=CREDENTIALS["aws_secret_access_key"],
    )


def files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in root.rglob("*") if path.is_file()}


async def test_verified_backups_are_copied_off_site_and_restore_from_the_copy(
    s3_endpoint: str, bucket: str, database_url: str, data_dir: Path
) -> None:
    pdfs = data_dir / "pdfs"
    for index in range(3):
        (pdfs / f"p{index}").mkdir(parents=True)
        (pdfs / f"p{index}" / "v1.pdf").write_bytes(b"%PDF" + os.urandom(5000))
    key = os.urandom(32)
    store = BackupStore(data_dir / "backups", Cipher(key))
    jobs = BackupJobs(
        store,
        Sources(database_url=database_url, pdf_storage_dir=pdfs),
        JobOptions(),
        offsite=OffsiteCopy(target(s3_endpoint, bucket), store),
    )
    db = await jobs.run(Kind.DB, MANUAL)
    first = await jobs.run(Kind.PDFS, MANUAL)
    assert first.offsite == (first.snapshot_id,) and db.offsite == (db.snapshot_id,)
    second = await jobs.run(Kind.PDFS, MANUAL)
    assert second.offsite == (second.snapshot_id,)
    remote = keys(s3_endpoint, bucket)
    assert f"propos4l/prod/snapshots/pdfs/{first.snapshot_id}/manifest.json" in remote
    assert f"propos4l/prod/snapshots/db/{db.snapshot_id}/database.dump.enc" in remote
    assert len([key for key in remote if "/objects/" in key]) == 3  # unchanged files went once
    assert store.status(store.find(first.snapshot_id)).offsite_at is not None

    copy = data_dir / "from-s3"
    sync_down(s3_endpoint, bucket, "propos4l/prod", copy)
    from_copy = BackupJobs(BackupStore(copy, Cipher(key)), Sources(), JobOptions())
    outcomes = await from_copy.verify()
    assert len(outcomes) == 3 and all(outcome.ok for outcome in outcomes), outcomes
    restored = await from_copy.restore_files(second.snapshot_id, data_dir / "restored")
    assert files(restored.target) == files(pdfs)


async def test_prunes_are_mirrored_off_site(s3_endpoint: str, bucket: str, data_dir: Path) -> None:
    templates = data_dir / "templates"
    (templates / "default").mkdir(parents=True)
    store = BackupStore(data_dir / "backups")
    jobs = BackupJobs(
        store,
        Sources(templates_dir=templates),
        JobOptions(policy=RetentionPolicy(daily=0, weekly=0, monthly=0, minimum=1)),
        offsite=OffsiteCopy(target(s3_endpoint, bucket), store),
    )
    (templates / "default" / "template.html").write_text("one")
    first = await jobs.run(Kind.TEMPLATES, MANUAL)
    (templates / "default" / "template.html").write_text("two")
    second = await jobs.run(Kind.TEMPLATES, MANUAL)
    assert second.pruned == (first.snapshot_id,)
    remote = keys(s3_endpoint, bucket)
    assert not [key for key in remote if first.snapshot_id in key]
    assert f"propos4l/prod/snapshots/templates/{second.snapshot_id}/manifest.json" in remote
    assert len([key for key in remote if "/objects/" in key]) == 1  # the object of "one" was collected


async def test_an_unreachable_bucket_is_reported_without_failing_the_backup(data_dir: Path) -> None:
    templates = data_dir / "templates"
    (templates / "default").mkdir(parents=True)
    (templates / "default" / "template.html").write_text("x")
    store = BackupStore(data_dir / "backups")
    dead_end = OffsiteTarget(bucket="nowhere", endpoint_url=f"http://127.0.0.1:{free_port()}", **_keys())
    jobs = BackupJobs(store, Sources(templates_dir=templates), JobOptions(), offsite=OffsiteCopy(dead_end, store))
    result = await jobs.run(Kind.TEMPLATES, MANUAL)
    assert result.created and result.offsite == ()
    assert result.offsite_error is not None and "s3://nowhere/propos4l" in result.offsite_error


def _keys() -> dict[str, str]:
    return {
        "access_key_id": CREDENTIALS["aws_access_key_id"],
        "secret_access_key": CREDENTIALS["aws_secret_access_key"],
    }


async def test_a_prune_the_bucket_missed_is_mirrored_once_it_answers(
    s3_endpoint: str, bucket: str, data_dir: Path
) -> None:
    templates = data_dir / "templates"
    (templates / "default").mkdir(parents=True)
    store = BackupStore(data_dir / "backups")
    policy = JobOptions(policy=RetentionPolicy(daily=0, weekly=0, monthly=0, minimum=1))
    reachable = OffsiteCopy(target(s3_endpoint, bucket), store)
    unreachable = OffsiteCopy(
        OffsiteTarget(bucket=bucket, endpoint_url=f"http://127.0.0.1:{free_port()}", **_keys()), store
    )
    (templates / "default" / "template.html").write_text("one")
    first = await BackupJobs(store, Sources(templates_dir=templates), policy, offsite=reachable).run(
        Kind.TEMPLATES, MANUAL
    )
    (templates / "default" / "template.html").write_text("two")
    offline = await BackupJobs(store, Sources(templates_dir=templates), policy, offsite=unreachable).run(
        Kind.TEMPLATES, MANUAL
    )
    assert offline.pruned == (first.snapshot_id,) and offline.offsite_error is not None
    assert any(first.snapshot_id in key for key in keys(s3_endpoint, bucket))  # still there: the bucket was away
    (templates / "default" / "template.html").write_text("three")
    await BackupJobs(store, Sources(templates_dir=templates), policy, offsite=reachable).run(Kind.TEMPLATES, MANUAL)
    assert not any(first.snapshot_id in key for key in keys(s3_endpoint, bucket))
    assert store.pending_offsite_removals() == []
