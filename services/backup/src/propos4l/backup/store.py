"""The backup store under BACKUP_DIR: content-addressed objects, snapshot folders, staging, the lock.

Layout (the same in the off-site bucket, so a copy synced back is a working store):

    objects/<first 2 hex>/<sha256>[.enc]      file contents, stored once, named by the SHA-256 of the plaintext
    snapshots/<kind>/<id>/manifest.json       written last: a snapshot folder appears whole, by one rename
    snapshots/<kind>/<id>/manifest.sha256     the manifest's own hash, so a changed manifest is caught
    snapshots/<kind>/<id>/status.json         the last verification and drill (rewritten, never part of the backup)
    snapshots/db/<id>/database.dump[.enc]     pg_dump -Fc;  snapshots/db/<id>/globals.sql[.enc]  pg_dumpall -g
    .staging/                                 backups being written; removed on failure, and at start after a crash
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from propos4l.backup.blocking import Cancellation
from propos4l.backup.crypto import CHUNK_BYTES, Cipher, DecryptionError
from propos4l.backup.model import Artifact, BackupError, Kind, Manifest, SnapshotStatus, kind_of
from propos4l.shared.files import atomic_write_bytes, fsync_directory

__all__ = [
    "MANIFEST_FILE",
    "MANIFEST_SUM_FILE",
    "STATUS_FILE",
    "BackupStore",
    "CorruptSnapshot",
    "PutResult",
    "StoredSnapshot",
    "read_chunks",
]

logger = logging.getLogger(__name__)

MANIFEST_FILE: Final = "manifest.json"
MANIFEST_SUM_FILE: Final = "manifest.sha256"
STATUS_FILE: Final = "status.json"
ENCRYPTED_SUFFIX: Final = ".enc"
_LOCK_FILE: Final = ".lock"
_PENDING_REMOVALS: Final = ".offsite-removals.json"
_STAGING: Final = ".staging"
_FILE_MODE: Final = 0o600
_FOLDER_MODE: Final = 0o700
_LOCK_POLL_SECONDS: Final = 0.2


class CorruptSnapshot(BackupError):
    """A snapshot whose manifest is missing, altered or unreadable; the message names the file."""


@dataclass(frozen=True, slots=True)
class StoredSnapshot:
    """A snapshot folder in the store."""

    id: str
    kind: Kind
    path: Path


@dataclass(frozen=True, slots=True)
class PutResult:
    """A file put into the object store: its plaintext hash and size, and whether this put added it."""

    sha256: str
    size: int
    added: bool
    stored_size: int


@dataclass(frozen=True, slots=True)
class _Written:
    """A temporary file written and fsynced, waiting for its rename, with the sizes and hashes of what it holds."""

    temporary: Path
    size: int
    sha256: str
    stored_size: int
    stored_sha256: str


def read_chunks(path: Path, cancellation: Cancellation | None = None) -> Iterator[bytes]:
    """Yield a file's bytes in chunks, checking for cancellation between them."""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            if cancellation is not None:
                cancellation.check()
            yield chunk


class BackupStore:
    """Reads and writes the store under one folder; encrypts what it writes when given a cipher."""

    def __init__(self, root: Path, cipher: Cipher | None = None) -> None:
        self.root = root
        self.cipher = cipher
        self.objects = root / "objects"
        self.snapshots = root / "snapshots"
        self.staging = root / _STAGING

    def ensure(self) -> None:
        """Create the store's folders (private to the account running backups)."""
        for folder in (self.root, self.objects, self.snapshots, self.staging):
            folder.mkdir(parents=True, exist_ok=True, mode=_FOLDER_MODE)

    def acquire_lock(self, *, exclusive: bool, timeout: float, cancellation: Cancellation | None = None) -> int:
        """Take the store's lock (exclusive to write or prune, shared to read), waiting up to `timeout` seconds.

        Returns the descriptor to pass to `release_lock`. Other processes (the CLI, another agent) wait their turn.
        """
        self.ensure()
        descriptor = os.open(self.root / _LOCK_FILE, os.O_RDWR | os.O_CREAT, _FILE_MODE)
        deadline = time.monotonic() + timeout
        waited = False
        try:
            while True:
                try:
                    fcntl.flock(descriptor, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
                    return descriptor
                except OSError as error:
                    if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                        raise
                if not waited:
                    waited = True
                    logger.warning(
                        "waiting for another backup process to finish with the store", extra={"store": str(self.root)}
                    )
                if time.monotonic() > deadline:
                    raise BackupError(f"another backup process has held {self.root / _LOCK_FILE} for {timeout:.0f} s")
                if cancellation is not None:
                    cancellation.check()
                time.sleep(_LOCK_POLL_SECONDS)
        except BaseException:
            os.close(descriptor)
            raise

    @staticmethod
    def release_lock(descriptor: int) -> None:
        """Release a lock taken with `acquire_lock`."""
        os.close(descriptor)  # closing the descriptor releases the lock

    @contextlib.contextmanager
    def locked(self, *, exclusive: bool, timeout: float, cancellation: Cancellation | None = None) -> Iterator[None]:
        """Hold the store's lock for the duration of a `with` block."""
        descriptor = self.acquire_lock(exclusive=exclusive, timeout=timeout, cancellation=cancellation)
        try:
            yield
        finally:
            self.release_lock(descriptor)

    def clean_staging(self) -> list[str]:
        """Remove what interrupted runs left behind (hold the exclusive lock); return the names removed."""
        self.ensure()
        removed = []
        for entry in sorted(self.staging.iterdir()):
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            removed.append(entry.name)
        for temporary in [
            *self.objects.glob("*/.*.tmp"),
            *self.objects.glob(".*.tmp"),
            *self.snapshots.glob("*/*/.*.tmp"),
        ]:
            temporary.unlink(missing_ok=True)
            removed.append(temporary.name)
        return removed

    # Objects: file contents by SHA-256.

    def object_path(self, sha256: str) -> Path | None:
        """Where the object with this hash is stored, or None when it is not."""
        folder = self.objects / sha256[:2]
        for candidate in (folder / sha256, folder / f"{sha256}{ENCRYPTED_SUFFIX}"):
            if candidate.is_file():
                return candidate
        return None

    def put_object(self, source: Path, cancellation: Cancellation) -> PutResult:
        """Store the content of `source` unless an object with its hash exists; return what was stored.

        An existing object stored the way the settings no longer ask for (unencrypted while a key is set, or with a
        previous key) is written again the current way, so turning encryption on or rotating the key covers old files.
        """
        digest = hashlib.sha256()
        size = 0
        for chunk in read_chunks(source, cancellation):
            digest.update(chunk)
            size += len(chunk)
        existing = self.object_path(digest.hexdigest())
        if existing is not None and self._stored_as_configured(existing):
            return PutResult(digest.hexdigest(), size, added=False, stored_size=0)
        # Copy and hash again: what is stored is named by what was read, even if the file changed meanwhile.
        self.objects.mkdir(parents=True, exist_ok=True, mode=_FOLDER_MODE)
        written = self._write_atomically(self.objects, read_chunks(source, cancellation), cancellation)
        target_folder = self.objects / written.sha256[:2]
        target_folder.mkdir(exist_ok=True, mode=_FOLDER_MODE)
        suffix = ENCRYPTED_SUFFIX if self.cipher is not None else ""
        target = target_folder / f"{written.sha256}{suffix}"
        try:
            os.replace(written.temporary, target)
        finally:
            written.temporary.unlink(missing_ok=True)
        if existing is not None and existing != target and written.sha256 == digest.hexdigest():
            existing.unlink(missing_ok=True)
        fsync_directory(target_folder)
        fsync_directory(self.objects)
        added = existing is None or written.sha256 != digest.hexdigest()
        return PutResult(written.sha256, written.size, added=added, stored_size=written.stored_size if added else 0)

    def _stored_as_configured(self, path: Path) -> bool:
        """Whether an object is stored as the settings ask: encrypted with the current key, or plain without one."""
        if self.cipher is None:
            return not path.name.endswith(ENCRYPTED_SUFFIX)
        if not path.name.endswith(ENCRYPTED_SUFFIX):
            return False
        with path.open("rb") as handle:
            return Cipher.key_id_in(handle.read(32)) == self.cipher.key_id

    def repair_object(self, source: Path, sha256: str, cancellation: Cancellation) -> bool:
        """Rewrite a damaged object from a source file that still holds its content; False if it no longer does."""
        folder = self.objects / sha256[:2]
        folder.mkdir(parents=True, exist_ok=True, mode=_FOLDER_MODE)
        written = self._write_atomically(folder, read_chunks(source, cancellation), cancellation)
        try:
            if written.sha256 != sha256:
                return False
            for stale in (folder / sha256, folder / f"{sha256}{ENCRYPTED_SUFFIX}"):
                stale.unlink(missing_ok=True)
            suffix = ENCRYPTED_SUFFIX if self.cipher is not None else ""
            os.replace(written.temporary, folder / f"{sha256}{suffix}")
            fsync_directory(folder)
            return True
        finally:
            written.temporary.unlink(missing_ok=True)

    def remove_objects(self, hashes: Iterable[str]) -> None:
        """Delete objects (those a failed run added)."""
        for sha256 in hashes:
            if (path := self.object_path(sha256)) is not None:
                path.unlink(missing_ok=True)

    def manifest_sha256(self, snapshot: StoredSnapshot) -> str | None:
        """The recorded hash of the snapshot's manifest, if readable."""
        try:
            return (snapshot.path / MANIFEST_SUM_FILE).read_text().split()[0]
        except (OSError, IndexError):
            return None

    def read_object(self, sha256: str, cancellation: Cancellation | None = None) -> Iterator[bytes]:
        """The plaintext of an object; BackupError naming it when it is missing."""
        path = self.object_path(sha256)
        if path is None:
            raise BackupError(f"object {self.describe_object(sha256)} is missing")
        return self.read_plain(path, cancellation)

    def describe_object(self, sha256: str) -> str:
        """The object's path relative to BACKUP_DIR, for messages."""
        return f"objects/{sha256[:2]}/{sha256}"

    def object_hashes(self) -> dict[str, Path]:
        """Every stored object, by hash."""
        found: dict[str, Path] = {}
        for path in self.objects.glob("*/*"):
            name = path.name.removesuffix(ENCRYPTED_SUFFIX)
            if len(name) == 64 and not path.name.startswith("."):
                found[name] = path
        return found

    def collect_garbage(self, referenced: set[str]) -> list[str]:
        """Remove objects no snapshot references (hold the exclusive lock); return their hashes."""
        removed = []
        for sha256, path in sorted(self.object_hashes().items()):
            if sha256 not in referenced:
                path.unlink(missing_ok=True)
                removed.append(sha256)
        return removed

    # Artifacts: whole files of a snapshot (database dumps).

    def write_artifact(self, folder: Path, name: str, chunks: Iterable[bytes], cancellation: Cancellation) -> Artifact:
        """Write `chunks` as `folder/name` (encrypted as `name.enc` with a cipher), atomically."""
        written = self._write_atomically(folder, chunks, cancellation)
        stored_name = f"{name}{ENCRYPTED_SUFFIX}" if self.cipher is not None else name
        try:
            os.replace(written.temporary, folder / stored_name)
        finally:
            written.temporary.unlink(missing_ok=True)
        fsync_directory(folder)
        return Artifact(
            name=name,
            stored_name=stored_name,
            size=written.size,
            sha256=written.sha256,
            stored_size=written.stored_size,
            stored_sha256=written.stored_sha256,
        )

    def read_plain(self, path: Path, cancellation: Cancellation | None = None) -> Iterator[bytes]:
        """The plaintext of a stored file, decrypting `.enc` files; errors name the file."""
        name = self.relative(path)
        if not path.is_file():
            raise BackupError(f"{name} is missing")
        if path.name.endswith(ENCRYPTED_SUFFIX):
            if self.cipher is None:
                raise BackupError(f"{name} is encrypted and BACKUP_ENCRYPTION_KEY is not set")
            return self._decrypted(path, name, self.cipher, cancellation)
        return read_chunks(path, cancellation)

    def pending_offsite_removals(self) -> list[str]:
        """Paths pruned here that the off-site copy has not deleted yet."""
        try:
            paths = json.loads((self.root / _PENDING_REMOVALS).read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return []
        return [path for path in paths if isinstance(path, str)]

    def set_pending_offsite_removals(self, paths: list[str]) -> None:
        """Remember paths the off-site copy still has to delete (none: forget the list)."""
        if not paths:
            (self.root / _PENDING_REMOVALS).unlink(missing_ok=True)
            return
        atomic_write_bytes(self.root / _PENDING_REMOVALS, json.dumps(sorted(set(paths))).encode(), mode=_FILE_MODE)

    def relative(self, path: Path) -> str:
        """A path relative to BACKUP_DIR, for messages."""
        with contextlib.suppress(ValueError):
            return str(path.relative_to(self.root))
        return str(path)

    # Snapshots.

    def stage(self, snapshot_id: str) -> Path:
        """A fresh private folder where a snapshot is written before it is published."""
        self.ensure()
        folder = self.staging / snapshot_id
        folder.mkdir(mode=_FOLDER_MODE)
        return folder

    def discard(self, folder: Path) -> None:
        """Remove a staging folder."""
        shutil.rmtree(folder, ignore_errors=True)

    def publish(self, staging: Path, manifest: Manifest) -> StoredSnapshot:
        """Write the manifest and its hash into `staging`, then move the folder into place in one rename."""
        body = (manifest.model_dump_json(indent=2) + "\n").encode()
        atomic_write_bytes(staging / MANIFEST_FILE, body, mode=_FILE_MODE)
        atomic_write_bytes(
            staging / MANIFEST_SUM_FILE,
            f"{hashlib.sha256(body).hexdigest()}  {MANIFEST_FILE}\n".encode(),
            mode=_FILE_MODE,
        )
        kind_folder = self.snapshots / manifest.kind.value
        kind_folder.mkdir(parents=True, exist_ok=True, mode=_FOLDER_MODE)
        target = kind_folder / manifest.id
        os.rename(staging, target)
        fsync_directory(kind_folder)
        return StoredSnapshot(manifest.id, manifest.kind, target)

    def list(self, kind: Kind | None = None) -> list[StoredSnapshot]:
        """The snapshots in the store, oldest first (ids sort by time)."""
        found = []
        for kind_name in [kind] if kind is not None else list(Kind):
            folder = self.snapshots / kind_name.value
            if not folder.is_dir():
                continue
            for entry in folder.iterdir():
                if entry.is_dir() and not entry.name.startswith("."):
                    with contextlib.suppress(BackupError):
                        if kind_of(entry.name) is kind_name:
                            found.append(StoredSnapshot(entry.name, kind_name, entry))
        return sorted(found, key=lambda snapshot: snapshot.id.split("-", 1)[1])

    def find(self, snapshot_id: str) -> StoredSnapshot:
        """The snapshot with this id; BackupError when there is none."""
        kind = kind_of(snapshot_id)
        path = self.snapshots / kind.value / snapshot_id
        if not path.is_dir():
            raise BackupError(f"there is no backup {snapshot_id} in {self.root}")
        return StoredSnapshot(snapshot_id, kind, path)

    def manifest(self, snapshot: StoredSnapshot) -> Manifest:
        """The snapshot's manifest, checked against its hash; CorruptSnapshot naming the file otherwise."""
        where = f"{snapshot.id}: {self.relative(snapshot.path / MANIFEST_FILE)}"
        try:
            body = (snapshot.path / MANIFEST_FILE).read_bytes()
        except FileNotFoundError:
            raise CorruptSnapshot(f"{where} is missing") from None
        try:
            expected = (snapshot.path / MANIFEST_SUM_FILE).read_text().split()[0]
        except (FileNotFoundError, IndexError):
            raise CorruptSnapshot(
                f"{snapshot.id}: {self.relative(snapshot.path / MANIFEST_SUM_FILE)} is missing"
            ) from None
        actual = hashlib.sha256(body).hexdigest()
        if actual != expected:
            raise CorruptSnapshot(f"{where} has SHA-256 {actual}, expected {expected}: it was altered")
        try:
            manifest = Manifest.model_validate_json(body)
        except ValidationError as error:
            raise CorruptSnapshot(f"{where} is not a valid manifest: {error.errors()[0]['msg']}") from None
        if manifest.id != snapshot.id or manifest.kind is not snapshot.kind:
            raise CorruptSnapshot(f"{where} describes {manifest.id}, not this snapshot")
        return manifest

    def status(self, snapshot: StoredSnapshot) -> SnapshotStatus:
        """What verification and drills last found (nothing yet: unverified)."""
        try:
            return SnapshotStatus.model_validate_json((snapshot.path / STATUS_FILE).read_bytes())
        except (FileNotFoundError, ValidationError, json.JSONDecodeError):
            return SnapshotStatus()

    def write_status(self, snapshot: StoredSnapshot, status: SnapshotStatus) -> None:
        """Record what verification or a drill found, atomically."""
        atomic_write_bytes(snapshot.path / STATUS_FILE, status.model_dump_json(indent=2).encode(), mode=_FILE_MODE)

    def remove(self, snapshot: StoredSnapshot) -> None:
        """Delete a snapshot: first out of the catalogue in one rename, then its files."""
        self.ensure()
        trash = self.staging / f"pruned-{snapshot.id}"
        os.rename(snapshot.path, trash)
        fsync_directory(snapshot.path.parent)
        shutil.rmtree(trash)

    # Internals.

    def _write_atomically(self, folder: Path, chunks: Iterable[bytes], cancellation: Cancellation) -> _Written:
        """Write chunks (encrypted with a cipher) to a temporary file in `folder`, fsynced; the caller renames it."""
        descriptor, name = tempfile.mkstemp(prefix=".write-", suffix=".tmp", dir=folder)
        temporary = Path(name)
        plain_digest, stored_digest = hashlib.sha256(), hashlib.sha256()
        size = 0
        stored_size = 0

        def counted() -> Iterator[bytes]:
            nonlocal size
            for chunk in chunks:
                cancellation.check()
                plain_digest.update(chunk)
                size += len(chunk)
                yield chunk

        try:
            with os.fdopen(descriptor, "wb") as handle:
                stream = self.cipher.encrypt(counted()) if self.cipher is not None else counted()
                for piece in stream:
                    handle.write(piece)
                    stored_digest.update(piece)
                    stored_size += len(piece)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, _FILE_MODE)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return _Written(temporary, size, plain_digest.hexdigest(), stored_size, stored_digest.hexdigest())

    @staticmethod
    def _decrypted(path: Path, name: str, cipher: Cipher, cancellation: Cancellation | None) -> Iterator[bytes]:
        with path.open("rb") as handle:
            try:
                for chunk in cipher.decrypt(handle, name):
                    if cancellation is not None:
                        cancellation.check()
                    yield chunk
            except DecryptionError as error:
                raise BackupError(str(error)) from None
