"""Template versions in an object store (STORAGE_URL), and the local cache renderers read them from, by digest.

The store holds, under its `templates/` folder:

- `blobs/<sha256>`: each file content once, written once (content-addressed);
- `trees/<tree digest>.json`: a version's file list (path -> SHA-256), written once, after all its blobs;
- `live/<name>.json`: which version of a template is live (its number and tree digest), replaced in one step.

A change uploads every blob, then the tree, and only then points `live/<name>.json` at it: a reader that finds the
pointer finds the whole version; an upload that fails half-way leaves blobs nothing points at, never half a version.
A reader (a renderer, the gateway's previews and exports) downloads a version once into
`<cache>/<tree digest>/<name>/`, checks every file's hash and the tree's digest, then renames it into place, and
renders from that folder: one complete version for the whole render, however the template changes meanwhile.
The cache keeps the versions used most recently and any version used within the last hour; older ones are removed
after each new download (`StoredTemplates.prune`). docs/adr/0021-object-storage.md says why.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Protocol

from propos4l.renderer.folders import tree_digest
from propos4l.shared.files import fsync_directory
from propos4l.shared.object_store import ObjectStore
from propos4l.shared.outages import DependencyUnavailable

__all__ = [
    "LiveFolder",
    "LiveVersion",
    "StoredTemplates",
    "TemplateSource",
    "live_version",
    "live_versions",
    "point_live",
    "remove_live",
    "upload_version",
]

_JSON: Final = "application/json"
_DIGEST: Final = re.compile(r"^[0-9a-f]{64}$")
_NAME: Final = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # as `load_template`, which words the error for others
_CACHE_FOLDER: Final = ".versions"  # hidden: the gateway's folder scan and the backup agent skip it
_LEFTOVERS: Final = (".incoming-", ".pruning-")
KEEP_VERSIONS: Final = 16
"""Cached versions kept however long ago they were used: the live versions of a few templates and their recent past."""
KEEP_USED_WITHIN_SECONDS: Final = 3600.0
"""A version used this recently is kept however many others there are: no render still reads one this old."""

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LiveVersion:
    """The version of a template that renders now: its number and the digest of its files."""

    name: str
    version: int
    tree_sha256: str


def _mark_used(folder: Path) -> None:
    """Record a use of a cached version (its folder's time), which pruning reads."""
    try:
        os.utime(folder)
    except FileNotFoundError:
        pass  # pruned this instant: the caller's render finds no template and says so


def _blob_key(sha256: str) -> str:
    return f"blobs/{sha256}"


def _tree_key(digest: str) -> str:
    return f"trees/{digest}.json"


def _live_key(name: str) -> str:
    return f"live/{name}.json"


def upload_version(store: ObjectStore, files: Mapping[str, bytes]) -> str:
    """Store every file by its SHA-256, then the version's file list; return its tree digest (blocking).

    Nothing points at the version yet: `point_live` makes it the live one.
    """
    hashes = {path: hashlib.sha256(content).hexdigest() for path, content in files.items()}
    for path, content in files.items():
        if store.info(_blob_key(hashes[path])) is None:  # a kept font is not sent again
            store.put_once(_blob_key(hashes[path]), content)
    digest = tree_digest(files)
    if store.info(_tree_key(digest)) is None:
        listing = json.dumps({"files": dict(sorted(hashes.items()))}, indent=1).encode()
        store.put_once(_tree_key(digest), listing, _JSON)
    return digest


def point_live(store: ObjectStore, live: LiveVersion) -> None:
    """Make an uploaded version the live one of its template, in one step for readers (blocking)."""
    body = {"name": live.name, "version": live.version, "tree_sha256": live.tree_sha256}
    store.replace(_live_key(live.name), json.dumps(body).encode(), _JSON)


def remove_live(store: ObjectStore, name: str) -> None:
    """Take a deleted template's pointer away; its versions stay (blocking)."""
    store.delete(_live_key(name))


def live_version(store: ObjectStore, name: str) -> LiveVersion | None:
    """The live version of `name`, or None when the store has none (blocking)."""
    content = store.read(_live_key(name))
    if content is None:
        return None
    body = json.loads(content)
    return LiveVersion(str(body["name"]), int(body["version"]), str(body["tree_sha256"]))


def live_versions(store: ObjectStore) -> dict[str, LiveVersion]:
    """Every template the store has a live version of, by name (blocking)."""
    found = {}
    for key in store.keys("live/"):
        name = key.removeprefix("live/").removesuffix(".json")
        live = live_version(store, name)
        if live is not None:
            found[name] = live
    return found


class TemplateSource(Protocol):
    """Where a render finds templates: a folder that holds `<name>/`, one complete version of it."""

    def folder(self, name: str) -> Path:
        """The templates folder to render `name` from (blocking)."""
        ...


class LiveFolder:
    """TEMPLATES_DIR itself (no STORAGE_URL): live folders replaced in one rename (ADR 0006)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, name: str) -> Path:
        return self.root


class StoredTemplates:
    """Versions in an object store, each downloaded once into a local cache folder named by its digest."""

    def __init__(
        self,
        store: ObjectStore,
        cache_dir: Path,
        *,
        keep_versions: int = KEEP_VERSIONS,
        keep_used_within: float = KEEP_USED_WITHIN_SECONDS,
    ) -> None:
        self.store = store
        self.cache_root = cache_dir / _CACHE_FOLDER
        self.keep_versions = keep_versions
        self.keep_used_within = keep_used_within

    def folder(self, name: str) -> Path:
        """The cached folder of the live version of `name`, downloaded first if new; an empty folder when the
        template does not exist (so loading it says so)."""
        live = live_version(self.store, name) if _NAME.fullmatch(name) else None
        if live is None:
            empty = self.cache_root / "empty"
            empty.mkdir(parents=True, exist_ok=True)
            return empty
        return self.version_folder(name, live.tree_sha256)

    def version_folder(self, name: str, digest: str) -> Path:
        """The cached folder holding version `digest` of `name` (downloaded and checked when not cached yet)."""
        if not _DIGEST.match(digest):
            raise DependencyUnavailable("object_storage", f"a template pointer names {digest!r}, not a tree digest")
        target = self.cache_root / digest
        if (target / name).is_dir():
            _mark_used(target)
            return target
        self.cache_root.mkdir(parents=True, exist_ok=True)
        files = self._download(digest)
        incoming = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.cache_root))
        try:
            for relative, content in files.items():
                path = incoming / name / relative
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
            incoming.chmod(0o755)
            try:
                os.rename(incoming, target)  # another render of the same version may have won: same files
            except OSError:
                if not (target / name).is_dir():
                    raise
            else:
                fsync_directory(self.cache_root)
        finally:
            shutil.rmtree(incoming, ignore_errors=True)
        _mark_used(target)
        self.prune()
        return target

    def prune(self, now: float | None = None) -> list[str]:
        """Remove the cached versions beyond the `keep_versions` used most recently that nothing used within
        `keep_used_within` seconds, and downloads or removals a crash left behind; the digests removed.

        A version is first renamed out of the way (so a render that looks for it from now on downloads it again),
        then deleted. Several renderers may share the cache folder: each prunes, and a rename only one wins."""
        now = time.time() if now is None else now
        try:
            entries = list(os.scandir(self.cache_root))
        except FileNotFoundError:
            return []
        versions: list[tuple[float, str]] = []
        for entry in entries:
            try:
                used = entry.stat(follow_symlinks=False).st_mtime
            except FileNotFoundError:
                continue  # removed meanwhile by another renderer
            if _DIGEST.match(entry.name) and entry.is_dir(follow_symlinks=False):
                versions.append((used, entry.name))
            elif entry.name.startswith(_LEFTOVERS) and now - used > self.keep_used_within:
                shutil.rmtree(entry.path, ignore_errors=True)
        versions.sort(reverse=True)
        removed = []
        for used, digest in versions[self.keep_versions :]:
            if now - used < self.keep_used_within:
                continue
            doomed = self.cache_root / f".pruning-{digest}-{uuid.uuid4().hex[:8]}"
            try:
                os.rename(self.cache_root / digest, doomed)
            except OSError:
                continue  # another renderer removed it first
            shutil.rmtree(doomed, ignore_errors=True)
            removed.append(digest)
        if removed:
            logger.info("removed template versions no render used lately from the cache", extra={"versions": removed})
        return removed

    def _download(self, digest: str) -> dict[str, bytes]:
        listing = self.store.read(_tree_key(digest))
        if listing is None:
            raise DependencyUnavailable("object_storage", f"template version {digest} has no file list in the store")
        files = {}
        for relative, sha256 in json.loads(listing)["files"].items():
            content = self.store.read(_blob_key(sha256))
            if content is None or hashlib.sha256(content).hexdigest() != sha256:
                raise DependencyUnavailable(
                    "object_storage", f"template version {digest}: the file {relative} is missing or damaged"
                )
            files[relative] = content
        if tree_digest(files) != digest:
            raise DependencyUnavailable("object_storage", f"template version {digest}: its files do not match it")
        return files
