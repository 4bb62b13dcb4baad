"""Snapshots of a bucket's objects (PDFs, template versions, library files with STORAGE_URL), stored in the backup
store as a folder's are, and restored straight into a bucket.

Each object becomes a file entry (its key as the path) whose content goes into the store by SHA-256. An object whose
hash the bucket already tells (the `sha256` metadata the services write, or a key that is its hash) and which the
store already holds is not downloaded again: a run copies only new objects. A restore writes the snapshot as a folder
(`restore_tree`) or into an empty bucket prefix (`restore_into_store`); the restore drill of a bucket's kind does the
latter, into a scratch prefix of the same bucket.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from propos4l.backup.blocking import Cancellation
from propos4l.backup.model import BackupError, FileEntry, Manifest
from propos4l.backup.store import BackupStore, read_chunks
from propos4l.backup.trees import TreeSnapshot, tree_version
from propos4l.shared.object_store import ObjectStore, local_copy

__all__ = ["RestoredObjects", "current_bucket_version", "restore_into_store", "snapshot_bucket"]

_OBJECT_MODE: Final = 0o644  # objects have no mode: restored files get the renderer's usual one
_SHA256_NAME: Final = re.compile(r"^[0-9a-f]{64}$")


def _known_sha256(key: str, told: str | None) -> str | None:
    if told is not None and _SHA256_NAME.match(told):
        return told
    name = key.rsplit("/", 1)[-1]
    return name if _SHA256_NAME.match(name) else None


def snapshot_bucket(store: BackupStore, source: ObjectStore, scratch: Path, cancellation: Cancellation) -> TreeSnapshot:
    """Put every object of `source` into the backup store (new ones only); objects deleted meanwhile are left out."""
    entries: list[FileEntry] = []
    added: list[str] = []
    added_bytes = 0
    try:
        for key in sorted(source.keys()):
            cancellation.check()
            info = source.info(key)
            if info is None:
                continue  # deleted since the listing
            known = _known_sha256(key, info.sha256)
            if known is not None and store.object_path(known) is not None:
                entries.append(FileEntry(path=key, size=info.size, sha256=known, mode=_OBJECT_MODE, mtime_ns=0))
                continue
            with local_copy(source, key, scratch) as path:
                if path is None:
                    continue
                result = store.put_object(path, cancellation)
            if result.added:
                added.append(result.sha256)
                added_bytes += result.stored_size
            entries.append(FileEntry(path=key, size=result.size, sha256=result.sha256, mode=_OBJECT_MODE, mtime_ns=0))
    except BaseException:
        store.remove_objects(added)  # no partial artifact: what this run added goes with it
        raise
    return TreeSnapshot(tuple(entries), tuple(added), added_bytes)


def current_bucket_version(source: ObjectStore, scratch: Path, cancellation: Cancellation) -> str:
    """The version `snapshot_bucket` would record for `source` now, without storing anything."""
    entries = []
    for key in sorted(source.keys()):
        cancellation.check()
        info = source.info(key)
        if info is None:
            continue
        known = _known_sha256(key, info.sha256)
        if known is None:
            with local_copy(source, key, scratch) as path:
                if path is None:
                    continue
                digest = hashlib.sha256()
                for chunk in read_chunks(path, cancellation):
                    digest.update(chunk)
                known = digest.hexdigest()
        entries.append(FileEntry(path=key, size=info.size, sha256=known, mode=_OBJECT_MODE, mtime_ns=0))
    return tree_version(entries)


@dataclass(frozen=True, slots=True)
class RestoredObjects:
    """A snapshot restored into an object store: where, how many objects and bytes."""

    location: str
    files: int
    bytes: int


def restore_into_store(
    store: BackupStore, manifest: Manifest, target: ObjectStore, scratch: Path, cancellation: Cancellation
) -> RestoredObjects:
    """Put every file of the snapshot into `target` (which must hold no objects) under its path, each checked against
    its hash before it is uploaded, then read back and checked again; all or nothing: on any failure the objects
    this restore wrote are deleted."""
    if next(iter(target.keys()), None) is not None:
        raise BackupError(f"{target.location} holds objects: restore into an empty bucket prefix, then switch to it")
    scratch.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    total = 0
    try:
        for entry in manifest.files:
            cancellation.check()
            descriptor, name = tempfile.mkstemp(prefix="restore-", suffix=".tmp", dir=scratch)
            copy = Path(name)
            try:
                digest = hashlib.sha256()
                with os.fdopen(descriptor, "wb") as handle:
                    for chunk in store.read_object(entry.sha256, cancellation):
                        digest.update(chunk)
                        handle.write(chunk)
                if digest.hexdigest() != entry.sha256:
                    raise BackupError(
                        f"{manifest.id}: {store.describe_object(entry.sha256)} (file {entry.path}) has SHA-256 "
                        f"{digest.hexdigest()}, expected {entry.sha256}"
                    )
                target.put_file_once(entry.path, copy, sha256=entry.sha256)
                written.append(entry.path)
            finally:
                copy.unlink(missing_ok=True)
            _check_stored(target, entry, manifest.id)
            total += entry.size
    except BaseException:
        for key in written:
            target.delete(key)
        raise
    return RestoredObjects(target.location, len(manifest.files), total)


def _check_stored(target: ObjectStore, entry: FileEntry, snapshot_id: str) -> None:
    stream = target.open(entry.path)
    if stream is None:
        raise BackupError(f"{snapshot_id}: {entry.path} is not in {target.location} after its upload")
    digest = hashlib.sha256()
    try:
        for chunk in stream.chunks:
            digest.update(chunk)
    finally:
        stream.close()
    if digest.hexdigest() != entry.sha256:
        raise BackupError(f"{snapshot_id}: {entry.path} reads back from {target.location} with another SHA-256")
