"""Verification: re-hash every stored file of a backup and, for a full check, read the whole dump back."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from propos4l.backup.blocking import Cancellation, Cancelled
from propos4l.backup.database import read_dump_fully
from propos4l.backup.model import BackupError, Kind, Manifest, SnapshotStatus, Verification, utc_now
from propos4l.backup.store import BackupStore, CorruptSnapshot, StoredSnapshot, read_chunks

__all__ = ["Level", "ObjectChecks", "VerifyOutcome", "record_verification", "verify_snapshot"]

Level = Literal["hash", "full"]


@dataclass(slots=True)
class ObjectChecks:
    """Objects already checked in this run (snapshots share them): the problem found, or None."""

    results: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class VerifyOutcome:
    """What verifying one backup found: problems (each naming the file), or why it could not be checked."""

    snapshot_id: str
    kind: Kind
    level: Level
    problems: tuple[str, ...] = ()
    unverifiable: str | None = None
    manifest: Manifest | None = None
    bad_objects: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Checked and nothing found."""
        return not self.problems and self.unverifiable is None


def _digest(chunks: Iterable[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def verify_snapshot(
    store: BackupStore,
    snapshot: StoredSnapshot,
    *,
    level: Level,
    cancellation: Cancellation,
    checks: ObjectChecks | None = None,
    preferred_bindir: Path | None = None,
    timeout: float = 3600.0,
) -> VerifyOutcome:
    """Check one backup; every problem names the backup and the file."""
    checks = checks if checks is not None else ObjectChecks()
    try:
        manifest = store.manifest(snapshot)
    except CorruptSnapshot as error:
        return VerifyOutcome(snapshot.id, snapshot.kind, level, problems=(str(error),))
    if manifest.encryption is not None:
        if store.cipher is None:
            reason = f"{snapshot.id} is encrypted (key {manifest.encryption.key_id}); set BACKUP_ENCRYPTION_KEY"
            return VerifyOutcome(snapshot.id, snapshot.kind, level, unverifiable=reason, manifest=manifest)
        if not store.cipher.knows(manifest.encryption.key_id):
            reason = (
                f"{snapshot.id} is encrypted with key {manifest.encryption.key_id}, but BACKUP_ENCRYPTION_KEY is "
                f"key {store.cipher.key_id} (set the old key in BACKUP_ENCRYPTION_PREVIOUS_KEYS)"
            )
            return VerifyOutcome(snapshot.id, snapshot.kind, level, unverifiable=reason, manifest=manifest)
    problems: list[str] = []
    for artifact in manifest.artifacts:
        cancellation.check()
        path = snapshot.path / artifact.stored_name
        name = store.relative(path)
        if not path.is_file():
            problems.append(f"{snapshot.id}: {name} is missing")
            continue
        sha256, size = _digest(read_chunks(path, cancellation))
        if size != artifact.stored_size:
            problems.append(
                f"{snapshot.id}: {name} is {size} bytes, expected {artifact.stored_size} (cut short or altered)"
            )
        elif sha256 != artifact.stored_sha256:
            problems.append(f"{snapshot.id}: {name} has SHA-256 {sha256}, expected {artifact.stored_sha256} (altered)")
    bad_objects: list[str] = []
    for entry in manifest.files:
        cancellation.check()
        if entry.sha256 not in checks.results:
            checks.results[entry.sha256] = _check_object(store, entry.sha256, cancellation)
        problem = checks.results[entry.sha256]
        if problem is not None:
            problems.append(f"{snapshot.id}: {problem} (file {entry.path})")
            bad_objects.append(entry.sha256)
    if level == "full" and manifest.kind is Kind.DB and not problems:
        try:
            read_dump_fully(
                store, snapshot, manifest, preferred_bindir=preferred_bindir, timeout=timeout, cancellation=cancellation
            )
        except BackupError as error:
            problems.append(str(error))
    return VerifyOutcome(
        snapshot.id,
        snapshot.kind,
        level,
        problems=tuple(problems),
        manifest=manifest,
        bad_objects=tuple(dict.fromkeys(bad_objects)),
    )


def _check_object(store: BackupStore, sha256: str, cancellation: Cancellation) -> str | None:
    """None when the object holds what its name says; otherwise what is wrong, naming it."""
    name = store.describe_object(sha256)
    if store.object_path(sha256) is None:
        return f"{name} is missing"
    try:
        actual, _ = _digest(store.read_object(sha256, cancellation))
    except Cancelled:
        raise
    except BackupError as error:
        return str(error)
    if actual != sha256:
        return f"{name} has SHA-256 {actual}: its content was altered"
    return None


def record_verification(store: BackupStore, snapshot: StoredSnapshot, outcome: VerifyOutcome) -> SnapshotStatus:
    """Write what verification found next to the backup (nothing when it could not be checked); return the status."""
    status = store.status(snapshot)
    if outcome.unverifiable is not None or not snapshot.path.is_dir():
        return status
    verification = Verification(checked_at=utc_now(), level=outcome.level, problems=outcome.problems)
    status = status.model_copy(update={"verification": verification})
    store.write_status(snapshot, status)
    return status
