"""Folder snapshots (PDF storage, templates): each file into the object store by SHA-256, and back out byte for byte."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from propos4l.backup.blocking import Cancellation
from propos4l.backup.model import BackupError, FileEntry, Manifest
from propos4l.backup.store import BackupStore, read_chunks
from propos4l.shared.files import fsync_directory

__all__ = ["RestoredTree", "TreeSnapshot", "current_tree_version", "restore_tree", "snapshot_tree", "tree_version"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TreeSnapshot:
    """The files of a folder as stored: their entries, and what this run added to the object store."""

    files: tuple[FileEntry, ...]
    added_objects: tuple[str, ...]
    added_bytes: int

    @property
    def version(self) -> str:
        """The folder's version: a hash over every path, content hash and mode."""
        return tree_version(self.files)


@dataclass(frozen=True, slots=True)
class RestoredTree:
    """What a restore wrote."""

    target: Path
    files: int
    bytes: int


def tree_version(files: Iterable[FileEntry]) -> str:
    """A hash over the paths, content hashes and modes of `files`: equal versions mean equal folders."""
    digest = hashlib.sha256()
    for entry in sorted(files, key=lambda item: item.path):
        digest.update(f"{entry.path}\0{entry.sha256}\0{entry.mode:o}\n".encode())
    return digest.hexdigest()


def _scan(root: Path) -> list[str]:
    """The regular files under `root`, as sorted relative POSIX paths; hidden entries (writes in progress) skipped."""
    if not root.is_dir():
        raise BackupError(f"{root} is not a folder: nothing to back up (is the volume mounted?)")
    found = []
    for folder, folders, files in os.walk(root, followlinks=False):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in files:
            if name.startswith("."):
                continue
            path = Path(folder) / name
            if not stat.S_ISREG(path.lstat().st_mode):
                logger.warning("skipped a file that is not a regular file", extra={"path": str(path)})
                continue
            found.append(path.relative_to(root).as_posix())
    return sorted(found)


def snapshot_tree(store: BackupStore, root: Path, cancellation: Cancellation) -> TreeSnapshot:
    """Put every file under `root` into the store; files removed while scanning are left out."""
    entries: list[FileEntry] = []
    added: list[str] = []
    added_bytes = 0
    try:
        for relative in _scan(root):
            cancellation.check()
            path = root / relative
            try:
                info = path.stat()
                result = store.put_object(path, cancellation)
            except FileNotFoundError:
                continue  # deleted since the scan: it is not part of this snapshot
            if result.added:
                added.append(result.sha256)
                added_bytes += result.stored_size
            entries.append(
                FileEntry(
                    path=relative,
                    size=result.size,
                    sha256=result.sha256,
                    mode=stat.S_IMODE(info.st_mode),
                    mtime_ns=info.st_mtime_ns,
                )
            )
    except BaseException:
        store.remove_objects(added)  # no partial artifact: what this run added goes with it
        raise
    return TreeSnapshot(tuple(entries), tuple(added), added_bytes)


def current_tree_version(root: Path, cancellation: Cancellation) -> str:
    """The version `snapshot_tree` would record for `root` now, without storing anything."""
    entries = []
    for relative in _scan(root):
        cancellation.check()
        path = root / relative
        digest = hashlib.sha256()
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
            size = 0
            for chunk in read_chunks(path, cancellation):
                digest.update(chunk)
                size += len(chunk)
        except FileNotFoundError:
            continue
        entries.append(FileEntry(path=relative, size=size, sha256=digest.hexdigest(), mode=mode, mtime_ns=0))
    return tree_version(entries)


def restore_tree(store: BackupStore, manifest: Manifest, target: Path, cancellation: Cancellation) -> RestoredTree:
    """Write every file of the snapshot under `target` (new or empty), checked against its hash; all or nothing."""
    target = target.absolute()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} exists and is not an empty folder: restore into a new folder, then swap it in")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.restoring-", dir=target.parent))
    total = 0
    try:
        for entry in manifest.files:
            cancellation.check()
            destination = staging / entry.path
            destination.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            with destination.open("wb") as handle:
                for chunk in store.read_object(entry.sha256, cancellation):
                    digest.update(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            if digest.hexdigest() != entry.sha256:
                raise BackupError(
                    f"{manifest.id}: {store.describe_object(entry.sha256)} (file {entry.path}) has SHA-256 "
                    f"{digest.hexdigest()}, expected {entry.sha256}"
                )
            os.chmod(destination, entry.mode)
            os.utime(destination, ns=(entry.mtime_ns, entry.mtime_ns))
            total += entry.size
        staging.chmod(0o755)
        if target.exists():
            target.rmdir()
        os.rename(staging, target)
        fsync_directory(target.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return RestoredTree(target, len(manifest.files), total)
