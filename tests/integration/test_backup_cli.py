"""`propos4l backup ...` through the real command line: run, list, verify, drill, restore, and its errors."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import pytest

from propos4l.shared.localrun.servers import LocalPostgres
from tests.support.s3 import CREDENTIALS, s3_client

pytestmark = pytest.mark.integration


def propos4l(*arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "propos4l.shared.cli", "backup", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def environment(database_url: str, data_dir: Path) -> dict[str, str]:
    pdfs = data_dir / "pdfs" / "5d0c2c4e-0000-4000-8000-000000000000"
    pdfs.mkdir(parents=True)
    (pdfs / "v1.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(20_000))
    (pdfs / "v2.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(30_000))
    (data_dir / "templates" / "default").mkdir(parents=True)
    (data_dir / "templates" / "default" / "template.html").write_text("<h1>Proposta</h1>")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("BACKUP_", "PG"))}
    env.update(
        DATABASE_URL=database_url,
        BACKUP_DIR=str(data_dir / "backups"),
        PDF_STORAGE_DIR=str(data_dir / "pdfs"),
        TEMPLATES_DIR=str(data_dir / "templates"),
        BACKUP_ENCRYPTION_KEY="AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    )
    return env


def backup_id(output: str) -> str:
    return output.split()[0]


async def test_back_up_list_verify_drill_and_restore_the_database(
    environment: dict[str, str], postgres_server: LocalPostgres, database_url: str
) -> None:
    connection: asyncpg.Connection = await asyncpg.connect(database_url)
    await connection.execute(
        "INSERT INTO processed_events (consumer_group, event_id) SELECT 'gateway', gen_random_uuid() "
        "FROM generate_series(1, 250)"
    )
    await connection.close()
    made = propos4l("run", "db", env=environment)
    assert made.returncode == 0, made.stderr
    snapshot = backup_id(made.stdout)
    assert snapshot.startswith("db-") and " verified: 2 files" in made.stdout

    listing = propos4l("list", "--json", env=environment)
    [entry] = [json.loads(line) for line in listing.stdout.splitlines()]
    assert entry["id"] == snapshot and entry["status"] == "verified" and entry["encrypted"] is True
    table = propos4l("list", env=environment)
    assert table.stdout.splitlines()[0].split()[:2] == ["ID", "STATUS"] and snapshot in table.stdout

    verified = propos4l("verify", env=environment)
    assert verified.returncode == 0 and verified.stdout.strip() == f"ok {snapshot} (hashes and a full read)"

    drill = propos4l("drill", env=environment)
    assert drill.returncode == 0, drill.stderr
    assert drill.stdout.startswith(f"ok drill of {snapshot}: restored in ")
    assert "every row count matches" in drill.stdout

    target_name = f"r_{uuid.uuid4().hex[:12]}"
    target = postgres_server.create_database(target_name)
    try:
        restored = propos4l("restore", "db", snapshot, "--target-url", target, env=environment)
        assert restored.returncode == 0, restored.stderr
        assert restored.stdout.startswith(f"restored {snapshot} into {target_name}: ")
        check: asyncpg.Connection = await asyncpg.connect(target)
        assert await check.fetchval("SELECT count(*) FROM processed_events") == 250
        await check.close()
        again = propos4l("restore", "db", snapshot, "--target-url", target, env=environment)
        assert again.returncode == 1 and "is not empty" in again.stderr
    finally:
        postgres_server.drop_database(target_name)


def test_files_restore_byte_identical_and_corruption_fails_verify(environment: dict[str, str], data_dir: Path) -> None:
    pdfs = propos4l("run", "pdfs", env=environment)
    templates = propos4l("run", "templates", env=environment)
    assert pdfs.returncode == 0 and templates.returncode == 0, pdfs.stderr + templates.stderr
    pdfs_id, templates_id = backup_id(pdfs.stdout), backup_id(templates.stdout)

    restored = propos4l("restore", "pdfs", pdfs_id, "--to", str(data_dir / "restored"), env=environment)
    assert restored.returncode == 0, restored.stderr
    original = data_dir / "pdfs" / "5d0c2c4e-0000-4000-8000-000000000000"
    copy = data_dir / "restored" / "5d0c2c4e-0000-4000-8000-000000000000"
    assert (copy / "v1.pdf").read_bytes() == (original / "v1.pdf").read_bytes()
    assert (copy / "v2.pdf").read_bytes() == (original / "v2.pdf").read_bytes()

    snapshot_folder = data_dir / "backups" / "snapshots" / "templates" / templates_id
    manifest = json.loads((snapshot_folder / "manifest.json").read_text())
    sha256 = manifest["files"][0]["sha256"]
    stored = data_dir / "backups" / "objects" / sha256[:2] / f"{sha256}.enc"
    damaged = bytearray(stored.read_bytes())
    damaged[-1] ^= 0xFF
    stored.write_bytes(bytes(damaged))
    verified = propos4l("verify", env=environment)
    assert verified.returncode == 1
    assert f"ok {pdfs_id} (hashes)" in verified.stdout
    assert f"FAILED {templates_id}: objects/{sha256[:2]}/{sha256}.enc was altered" in verified.stdout
    assert "(file default/template.html)" in verified.stdout
    assert "1 of 2 backups failed verification" in verified.stderr
    lines = propos4l("list", "--json", env=environment).stdout.splitlines()
    listing = {entry["id"]: entry for entry in map(json.loads, lines)}
    assert listing[templates_id]["status"] == "corrupt" and listing[pdfs_id]["status"] == "verified"


def test_mistakes_are_refused_with_one_clear_line(environment: dict[str, str], data_dir: Path) -> None:
    no_target = propos4l("restore", "db", "db-20260101T060000Z-abcdef", env=environment)
    assert no_target.returncode == 2 and "needs --target-url" in no_target.stderr
    wrong_kind = propos4l("restore", "pdfs", "db-20260101T060000Z-abcdef", "--to", "/tmp/x", env=environment)
    assert wrong_kind.returncode == 2 and "is a db backup, not pdfs" in wrong_kind.stderr
    unknown = propos4l("verify", "pdfs-20260101T060000Z-abcdef", env=environment)
    assert unknown.returncode == 1 and "there is no backup pdfs-20260101T060000Z-abcdef" in unknown.stderr
    unconfigured = propos4l("list", env={**environment, "BACKUP_DIR": ""})
    assert unconfigured.returncode == 2 and "BACKUP_DIR" in unconfigured.stderr


def test_a_files_backup_restores_straight_into_an_empty_bucket_prefix(
    environment: dict[str, str], s3_endpoint: str, bucket: str
) -> None:
    pdfs = propos4l("run", "pdfs", env=environment)
    assert pdfs.returncode == 0, pdfs.stderr
    backup = backup_id(pdfs.stdout)
    s3 = {**environment, **CREDENTIALS, "AWS_REGION": "us-east-1", "STORAGE_ENDPOINT_URL": s3_endpoint}
    restored = propos4l("restore", "pdfs", backup, "--to-url", f"s3://{bucket}/restored", env=s3)
    assert restored.returncode == 0, restored.stderr
    assert f"into s3://{bucket}/restored/pdfs: 2 objects" in restored.stdout
    client = s3_client(s3_endpoint)
    original = Path(environment["PDF_STORAGE_DIR"]) / "5d0c2c4e-0000-4000-8000-000000000000"
    for name in ("v1.pdf", "v2.pdf"):
        key = f"restored/pdfs/5d0c2c4e-0000-4000-8000-000000000000/{name}"
        content = (original / name).read_bytes()
        restored_object = client.get_object(Bucket=bucket, Key=key)
        assert restored_object["Body"].read() == content
        # As the services write it: the next backup of the bucket knows the hash without downloading the object.
        assert restored_object["Metadata"] == {"sha256": hashlib.sha256(content).hexdigest()}

    again = propos4l("restore", "pdfs", backup, "--to-url", f"s3://{bucket}/restored", env=s3)
    assert again.returncode == 1 and "holds objects" in again.stderr  # never over what is there
    both = propos4l("restore", "pdfs", backup, "--to", "/tmp/x", "--to-url", f"s3://{bucket}/x", env=s3)
    assert both.returncode == 2 and "not both" in both.stderr


def test_with_storage_url_a_files_backup_reads_the_bucket_and_copies_only_new_objects(
    environment: dict[str, str], s3_endpoint: str, bucket: str, data_dir: Path
) -> None:
    """`propos4l backup run pdfs` backs up what the services keep: with STORAGE_URL that is the bucket's pdfs/ (the
    folder PDF_STORAGE_DIR still names is not read), as the agent does."""
    from propos4l.shared.object_store import S3Location, S3Store

    s3 = {**environment, **CREDENTIALS, "AWS_REGION": "us-east-1", "STORAGE_ENDPOINT_URL": s3_endpoint}
    s3["STORAGE_URL"] = f"s3://{bucket}/live"
    live = S3Store(S3Location(bucket, "live/pdfs"), endpoint_url=s3_endpoint)
    first, second = b"%PDF-1.7\n" + os.urandom(5_000), b"%PDF-1.7\n" + os.urandom(7_000)
    live.put_once("6e1d3d5f-0000-4000-8000-000000000000/v1.pdf", first)

    one = propos4l("run", "pdfs", env=s3)
    assert one.returncode == 0, one.stderr
    live.put_once("6e1d3d5f-0000-4000-8000-000000000000/v2.pdf", second)
    two = propos4l("run", "pdfs", env=s3)
    assert two.returncode == 0, two.stderr

    listing = {entry["id"]: entry for entry in map(json.loads, propos4l("list", "--json", env=s3).stdout.splitlines())}
    first_run, second_run = listing[backup_id(one.stdout)], listing[backup_id(two.stdout)]
    assert (first_run["files"], second_run["files"]) == (1, 2)  # the bucket's objects, not the folder's two PDFs
    assert second_run["stored_bytes"] < len(first) + len(second)  # v1 was not stored again
    restored = propos4l("restore", "pdfs", backup_id(two.stdout), "--to", str(data_dir / "from-bucket"), env=s3)
    assert restored.returncode == 0, restored.stderr
    copy = data_dir / "from-bucket" / "6e1d3d5f-0000-4000-8000-000000000000"
    assert (copy / "v1.pdf").read_bytes() == first and (copy / "v2.pdf").read_bytes() == second
