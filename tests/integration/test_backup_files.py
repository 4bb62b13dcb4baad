"""PDF and template backups: byte-identical restores, files stored once, corruption caught and never counted."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from propos4l.backup.crypto import Cipher
from propos4l.backup.jobs import BackupJobs
from propos4l.backup.model import BackupError, Kind, Trigger, TriggerReason
from propos4l.backup.options import JobOptions, Sources
from propos4l.backup.retention import Health, RetentionPolicy
from propos4l.backup.store import MANIFEST_FILE, BackupStore

pytestmark = pytest.mark.integration

MANUAL = Trigger(reason=TriggerReason.MANUAL)


def write(path: Path, data: bytes, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(mode)


def make_sources(root: Path) -> Sources:
    pdfs, templates = root / "pdfs", root / "templates"
    for index in range(5):
        write(pdfs / f"{index:08d}-0000-0000-0000-000000000000" / "v1.pdf", b"%PDF-1.7\n" + os.urandom(40_000 + index))
    write(pdfs / "00000000-0000-0000-0000-000000000000" / "v2.pdf", b"%PDF-1.7\n" + os.urandom(10))
    write(pdfs / "empty.pdf", b"")
    write(pdfs / ".v3.pdf.a1b2.tmp", b"a write in progress")  # never backed up
    write(templates / "default" / "template.html", "<h1>{{ proposal.title }} — Proposta</h1>\n".encode())
    write(templates / "default" / "style.css", b"@page { size: A4 }\n")
    write(templates / "default" / "manifest.json", b'{"name": "default"}\n', 0o600)
    write(templates / "default" / "assets" / "logo.svg", b"<svg/>" * 100)
    return Sources(pdf_storage_dir=pdfs, templates_dir=templates)


def tree(root: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every visible file under `root`: its bytes, mode and modification time."""
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(root).parts):
            info = path.stat()
            found[path.relative_to(root).as_posix()] = (path.read_bytes(), info.st_mode & 0o7777, info.st_mtime_ns)
    return found


@pytest.fixture
def sources(data_dir: Path) -> Sources:
    return make_sources(data_dir)


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
@pytest.mark.parametrize("kind", [Kind.PDFS, Kind.TEMPLATES])
async def test_files_restore_byte_identical(data_dir: Path, sources: Sources, kind: Kind, encrypted: bool) -> None:
    store = BackupStore(data_dir / "backups", Cipher(os.urandom(32)) if encrypted else None)
    jobs = BackupJobs(store, sources, JobOptions())
    result = await jobs.run(kind, MANUAL)
    original = tree(sources.folder(kind))
    restored = await jobs.restore_files(result.snapshot_id, data_dir / "restored")
    assert tree(restored.target) == original
    assert restored.files == len(original)
    assert not any(name.endswith(".tmp") for name in original)
    if encrypted:
        stored = b"".join(path.read_bytes() for path in store.objects.rglob("*.enc"))
        assert b"%PDF" not in stored and b"<svg/>" not in stored
        assert not [path for path in store.objects.rglob("*") if path.is_file() and not path.name.endswith(".enc")]


async def test_unchanged_files_are_stored_once(data_dir: Path, sources: Sources) -> None:
    store = BackupStore(data_dir / "backups")
    jobs = BackupJobs(store, sources, JobOptions())
    first = await jobs.run(Kind.PDFS, MANUAL)
    assert first.manifest is not None and first.manifest.added_objects == 7
    second = await jobs.run(Kind.PDFS, MANUAL)
    assert second.manifest is not None and (second.manifest.added_objects, second.manifest.added_bytes) == (0, 0)
    write(sources.folder(Kind.PDFS) / "99999999-0000-0000-0000-000000000000" / "v1.pdf", b"%PDF new one")
    third = await jobs.run(Kind.PDFS, MANUAL)
    assert third.manifest is not None and third.manifest.added_objects == 1
    assert len(store.object_hashes()) == 8
    assert {entry.path for entry in third.manifest.files} - {entry.path for entry in first.manifest.files} == {
        "99999999-0000-0000-0000-000000000000/v1.pdf"
    }


async def test_a_flipped_byte_in_a_stored_file_fails_verify_naming_it(data_dir: Path, sources: Sources) -> None:
    store = BackupStore(data_dir / "backups")
    jobs = BackupJobs(store, sources, JobOptions())
    result = await jobs.run(Kind.TEMPLATES, MANUAL)
    assert result.manifest is not None
    entry = next(entry for entry in result.manifest.files if entry.path == "default/style.css")
    path = store.object_path(entry.sha256)
    assert path is not None
    data = bytearray(path.read_bytes())
    data[3] ^= 0x20
    path.write_bytes(bytes(data))
    [outcome] = await jobs.verify(result.snapshot_id)
    assert outcome.problems == (
        f"{result.snapshot_id}: objects/{entry.sha256[:2]}/{entry.sha256} has SHA-256 "
        f"{hashlib.sha256(bytes(data)).hexdigest()}: its content was altered (file default/style.css)",
    )
    assert store.status(store.find(result.snapshot_id)).health is Health.CORRUPT


async def test_a_flipped_byte_in_an_encrypted_file_fails_verify_naming_it(data_dir: Path, sources: Sources) -> None:
    store = BackupStore(data_dir / "backups", Cipher(os.urandom(32)))
    jobs = BackupJobs(store, sources, JobOptions())
    result = await jobs.run(Kind.PDFS, MANUAL)
    assert result.manifest is not None
    entry = result.manifest.files[0]
    path = store.object_path(entry.sha256)
    assert path is not None
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    [outcome] = await jobs.verify(result.snapshot_id)
    assert len(outcome.problems) == 1
    assert f"objects/{entry.sha256[:2]}/{entry.sha256}.enc was altered" in outcome.problems[0]
    assert f"(file {entry.path})" in outcome.problems[0]


async def test_a_missing_file_fails_verify_naming_it(data_dir: Path, sources: Sources) -> None:
    store = BackupStore(data_dir / "backups")
    jobs = BackupJobs(store, sources, JobOptions())
    first = await jobs.run(Kind.TEMPLATES, MANUAL)
    second = await jobs.run(Kind.PDFS, MANUAL)
    assert first.manifest is not None
    logo = next(entry for entry in first.manifest.files if entry.path.endswith("logo.svg"))
    path = store.object_path(logo.sha256)
    assert path is not None
    path.unlink()
    (store.snapshots / "pdfs" / second.snapshot_id / MANIFEST_FILE).unlink()
    outcomes = {outcome.snapshot_id: outcome for outcome in await jobs.verify()}
    assert outcomes[first.snapshot_id].problems == (
        f"{first.snapshot_id}: objects/{logo.sha256[:2]}/{logo.sha256} is missing (file default/assets/logo.svg)",
    )
    assert outcomes[second.snapshot_id].problems == (
        f"{second.snapshot_id}: snapshots/pdfs/{second.snapshot_id}/manifest.json is missing",
    )


async def test_a_corrupt_backup_is_never_counted_toward_retention(data_dir: Path, sources: Sources) -> None:
    store = BackupStore(data_dir / "backups")
    policy = RetentionPolicy(daily=0, weekly=0, monthly=0, minimum=2)
    jobs = BackupJobs(store, sources, JobOptions(policy=policy))
    old = await jobs.run(Kind.PDFS, MANUAL)
    write(sources.folder(Kind.PDFS) / "only-in-the-middle.pdf", b"%PDF middle")
    middle = await jobs.run(Kind.PDFS, MANUAL)
    assert middle.manifest is not None
    unique = next(entry for entry in middle.manifest.files if entry.path == "only-in-the-middle.pdf")
    (sources.folder(Kind.PDFS) / "only-in-the-middle.pdf").unlink()
    object_path = store.object_path(unique.sha256)
    assert object_path is not None
    object_path.write_bytes(b"bit rot")  # the middle backup is now corrupt
    newest = await jobs.run(Kind.PDFS, MANUAL)
    # Minimum 2 verified: the newest and the old one; the corrupt middle one did not count, and went.
    assert newest.pruned == (middle.snapshot_id,)
    assert {snapshot.id for snapshot in store.list(Kind.PDFS)} == {old.snapshot_id, newest.snapshot_id}
    assert store.object_path(unique.sha256) is None  # its object was collected with it


async def test_a_damaged_object_is_rewritten_from_the_source_on_the_next_run(data_dir: Path, sources: Sources) -> None:
    store = BackupStore(data_dir / "backups")
    jobs = BackupJobs(store, sources, JobOptions())
    first = await jobs.run(Kind.TEMPLATES, MANUAL)
    assert first.manifest is not None
    entry = first.manifest.files[0]
    path = store.object_path(entry.sha256)
    assert path is not None
    path.write_bytes(b"damaged")
    second = await jobs.run(Kind.TEMPLATES, MANUAL)
    assert second.repaired == (entry.sha256,)
    outcomes = await jobs.verify()
    assert all(outcome.ok for outcome in outcomes), outcomes  # the first backup is whole again too


async def test_a_failed_backup_leaves_no_partial_artifact(
    data_dir: Path, sources: Sources, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = BackupStore(data_dir / "backups")
    jobs = BackupJobs(store, sources, JobOptions())
    real_put = store.put_object
    calls = 0

    def failing_put(source: Path, cancellation: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise OSError(28, "No space left on device")
        return real_put(source, cancellation)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "put_object", failing_put)
    with pytest.raises(BackupError, match="No space left on device"):
        await jobs.run(Kind.PDFS, MANUAL)
    assert store.list() == []
    assert store.object_hashes() == {}
    assert list(store.staging.iterdir()) == []
    assert not [path for path in store.root.rglob("*.tmp")]


async def test_a_missing_source_folder_fails_the_backup_with_a_clear_message(data_dir: Path) -> None:
    jobs = BackupJobs(BackupStore(data_dir / "backups"), Sources(pdf_storage_dir=data_dir / "nowhere"), JobOptions())
    with pytest.raises(BackupError, match="nowhere is not a folder"):
        await jobs.run(Kind.PDFS, MANUAL)


async def test_an_unchanged_templates_folder_is_confirmed_not_backed_up_again(data_dir: Path, sources: Sources) -> None:
    store = BackupStore(data_dir / "backups")
    jobs = BackupJobs(store, sources, JobOptions())
    reconcile = Trigger(reason=TriggerReason.RECONCILE)
    first = await jobs.run(Kind.TEMPLATES, reconcile, only_if_changed=True)
    again = await jobs.run(Kind.TEMPLATES, reconcile, only_if_changed=True)
    assert first.created and not again.created and again.snapshot_id == first.snapshot_id
    assert store.status(store.find(first.snapshot_id)).confirmed_at is not None
    (sources.folder(Kind.TEMPLATES) / "default" / "style.css").chmod(0o600)  # a mode change is a change
    changed = await jobs.run(Kind.TEMPLATES, reconcile, only_if_changed=True)
    assert changed.created
    shutil.rmtree(sources.folder(Kind.TEMPLATES) / "default" / "assets")
    assert (await jobs.run(Kind.TEMPLATES, reconcile, only_if_changed=True)).created


async def test_turning_encryption_on_and_rotating_the_key_cover_files_already_stored(
    data_dir: Path, sources: Sources
) -> None:
    root = data_dir / "backups"
    plain = await BackupJobs(BackupStore(root), sources, JobOptions()).run(Kind.TEMPLATES, MANUAL)
    old_key, new_key = os.urandom(32), os.urandom(32)

    encrypted = BackupJobs(BackupStore(root, Cipher(old_key)), sources, JobOptions())
    await encrypted.run(Kind.TEMPLATES, MANUAL)
    stored = [path for path in (root / "objects").rglob("*") if path.is_file()]
    assert stored and all(path.name.endswith(".enc") for path in stored)  # no plaintext copy remains

    rotated = BackupJobs(BackupStore(root, Cipher(new_key, previous=[old_key])), sources, JobOptions())
    newest = await rotated.run(Kind.TEMPLATES, MANUAL)
    assert all(outcome.ok for outcome in await rotated.verify()), "every backup reads with the current keys"
    assert tree(sources.folder(Kind.TEMPLATES)) == tree(
        (await rotated.restore_files(plain.snapshot_id, data_dir / "restored")).target
    )

    forgotten = BackupJobs(BackupStore(root, Cipher(new_key)), sources, JobOptions())
    outcomes = {outcome.snapshot_id: outcome for outcome in await forgotten.verify()}
    assert outcomes[newest.snapshot_id].ok
    unchecked = [outcome for outcome in outcomes.values() if outcome.unverifiable]
    assert len(unchecked) == 1 and "BACKUP_ENCRYPTION_PREVIOUS_KEYS" in (unchecked[0].unverifiable or "")
