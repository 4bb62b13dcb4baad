"""Snapshots of a bucket's objects (PDFs, library files with STORAGE_URL), stored in the backup store as a folder's are.

Each object becomes a file entry (its key as the path) whose content goes into the store by SHA-256. An object whose
hash the bucket already tells (the renderer's `sha256` metadata, or a library key, which is its hash) and which the
store already holds is not downloaded again: a run copies only new objects. A restore (and the restore drill) writes
the snapshot as a folder, like any folder snapshot; `aws s3 sync <folder> s3://bucket/prefix/pdfs/` puts it back.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from propos4l.backup.blocking import Cancellation
from propos4l.backup.model import FileEntry
from propos4l.backup.store import BackupStore, read_chunks
from propos4l.backup.trees import TreeSnapshot, tree_version
from propos4l.shared.object_store import ObjectStore, local_copy

__all__ = ["current_bucket_version", "snapshot_bucket"]

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
    import hashlib

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
