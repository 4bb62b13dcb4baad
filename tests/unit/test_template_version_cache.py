"""The renderers' cache of template versions (STORAGE_URL): versions downloaded by digest, and pruned to the ones
used lately, so a renderer that lives through many template changes does not fill its disk."""

from __future__ import annotations

import os
from pathlib import Path

from propos4l.renderer.template_versions import StoredTemplates, upload_version
from propos4l.shared.object_store import LocalFolderStore

HOUR = 3600.0


def versions_of(store: LocalFolderStore, count: int) -> list[str]:
    return [upload_version(store, {"template.html": f"<h1>version {number}</h1>".encode()}) for number in range(count)]


def cached(templates: StoredTemplates) -> set[str]:
    return {path.name for path in templates.cache_root.iterdir() if not path.name.startswith(".")}


def used_at(templates: StoredTemplates, digest: str, when: float) -> None:
    os.utime(templates.cache_root / digest, (when, when))


def test_versions_beyond_the_kept_number_that_nothing_used_lately_are_removed(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "store")
    templates = StoredTemplates(store, tmp_path / "cache", keep_versions=1, keep_used_within=HOUR)
    digests = versions_of(store, 5)
    for digest in digests:
        templates.version_folder("default", digest)
    assert cached(templates) == set(digests)  # all used just now: none removed

    now = os.path.getmtime(templates.cache_root / digests[0]) + 10 * HOUR
    for age, digest in enumerate(digests[:3]):
        used_at(templates, digest, now - 2 * HOUR - age)
    used_at(templates, digests[3], now - 60)  # the most recent: the one kept by number
    used_at(templates, digests[4], now - 120)  # beyond the number, but used within the hour: kept too

    removed = templates.prune(now=now)

    assert sorted(removed) == sorted(digests[:3])
    assert cached(templates) == {digests[3], digests[4]}
    assert not [path for path in templates.cache_root.iterdir() if path.name.startswith(".pruning-")]


def test_a_removed_version_is_downloaded_again_when_a_render_asks_for_it(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "store")
    templates = StoredTemplates(store, tmp_path / "cache", keep_versions=0, keep_used_within=HOUR)
    first, second = versions_of(store, 2)
    folder = templates.version_folder("default", first)
    now = os.path.getmtime(folder) + 2 * HOUR
    assert templates.prune(now=now) == [first]
    assert not folder.exists()

    again = templates.version_folder("default", first)

    assert (again / "default" / "template.html").read_bytes() == b"<h1>version 0</h1>"
    assert templates.version_folder("default", second) != again


def test_using_a_cached_version_marks_it_as_used(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "store")
    templates = StoredTemplates(store, tmp_path / "cache", keep_versions=0, keep_used_within=HOUR)
    (digest,) = versions_of(store, 1)
    folder = templates.version_folder("default", digest)
    long_ago = os.path.getmtime(folder) - 5 * HOUR
    used_at(templates, digest, long_ago)

    templates.version_folder("default", digest)  # a render reads it again

    assert os.path.getmtime(folder) > long_ago + 4 * HOUR
    assert templates.prune() == []


def test_downloads_a_crash_left_behind_are_removed_once_old(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path / "store")
    templates = StoredTemplates(store, tmp_path / "cache", keep_versions=4, keep_used_within=HOUR)
    (digest,) = versions_of(store, 1)
    templates.version_folder("default", digest)
    stale = templates.cache_root / ".incoming-crashed"
    fresh = templates.cache_root / ".incoming-now"
    (stale / "default").mkdir(parents=True)
    (fresh / "default").mkdir(parents=True)
    old = os.path.getmtime(fresh) - 2 * HOUR
    os.utime(stale, (old, old))

    templates.prune()

    assert not stale.exists() and fresh.exists()  # a download under way right now is left alone
    assert cached(templates) == {digest}
