"""Template files follow rules; a new version replaces the live folder in one step; an unedited old default upgrades."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from propos4l.renderer import folders
from propos4l.renderer.folders import (
    MAX_FILE_BYTES,
    PREVIOUS_DEFAULT_DIGESTS,
    file_problems,
    publish_folder,
    read_folder,
    remove_folder,
    stage_folder,
    sweep_leftovers,
    tree_digest,
    upgrade_packaged_default,
)
from propos4l.renderer.templates import PACKAGED_DEFAULT_TEMPLATE, install_default_template

MINIMAL = {"manifest.json": b"{}", "template.html": b"<p>hi</p>"}


def test_a_minimal_set_of_files_is_fine() -> None:
    assert file_problems({**MINIMAL, "assets/fonts/x.otf": b"\x00\x01", "partials/a.html": b"ok"}) == []


@pytest.mark.parametrize(
    ("path", "content", "message"),
    [
        ("../escape.html", b"x", "not a valid file path"),
        ("/etc/passwd.txt", b"x", "not a valid file path"),
        (".hidden.css", b"x", "not a valid file path"),
        ("a/b/c/d/e.css", b"x", "not a valid file path"),
        ("fonts\n/x.otf", b"x", "not a valid file path"),  # a folder name ending in a newline
        ("assets/logo.svg\n", b"x", "not a valid file path"),
        ("run.sh", b"x", "file type a template cannot use"),
        ("style.css", b"\xff\xfe", "not UTF-8"),
        ("big.png", b"x" * (MAX_FILE_BYTES + 1), "a file may have at most"),
    ],
)
def test_bad_files_are_named(path: str, content: bytes, message: str) -> None:
    (problem,) = file_problems({**MINIMAL, path: content})
    assert problem.file == path and message in problem.message


def test_required_files_and_counts() -> None:
    problems = {str(problem) for problem in file_problems({"style.css": b""})}
    assert problems == {"manifest.json: is required", "template.html: is required"}
    many = {**MINIMAL, **{f"assets/{n}.svg": b"<svg/>" for n in range(70)}}
    assert any("at most 64 files" in str(problem) for problem in file_problems(many))


def test_the_digest_covers_paths_and_contents() -> None:
    assert tree_digest(MINIMAL) == tree_digest(dict(reversed(MINIMAL.items())))
    assert tree_digest(MINIMAL) != tree_digest({**MINIMAL, "template.html": b"<p>ho</p>"})
    assert tree_digest(MINIMAL) != tree_digest({"manifest.json": b"{}", "other.html": b"<p>hi</p>"})


def test_publishing_replaces_the_live_folder_and_leaves_nothing_behind(tmp_path: Path) -> None:
    first = stage_folder(tmp_path, "corp", {**MINIMAL, "assets/a.svg": b"<svg/>"})
    publish_folder(tmp_path, "corp", first)
    shutil.rmtree(first)
    live_inode = os.stat(tmp_path / "corp").st_ino
    second = stage_folder(tmp_path, "corp", {**MINIMAL, "template.html": b"<p>v2</p>"})
    publish_folder(tmp_path, "corp", second)
    shutil.rmtree(second)
    assert read_folder(tmp_path / "corp") == {**MINIMAL, "template.html": b"<p>v2</p>"}  # a.svg went with v1
    assert os.stat(tmp_path / "corp").st_ino != live_inode
    assert sorted(path.name for path in tmp_path.iterdir()) == ["corp"]


def test_reading_skips_hidden_files_and_symlinks(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    (folder / "assets").mkdir(parents=True)
    (folder / "template.html").write_text("x")
    (folder / ".swap").write_text("editor")
    (folder / "assets" / "link.css").symlink_to(tmp_path / "elsewhere.css")
    (tmp_path / "elsewhere.css").write_text("secret")
    assert read_folder(folder) == {"template.html": b"x"}


def test_removing_a_folder(tmp_path: Path) -> None:
    (tmp_path / "gone" / "assets").mkdir(parents=True)
    remove_folder(tmp_path, "gone")
    remove_folder(tmp_path, "never-was")
    assert list(tmp_path.iterdir()) == []


def test_an_unedited_default_from_an_earlier_release_is_upgraded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = {"manifest.json": b"{}", "template.html": b"old"}
    staging = stage_folder(tmp_path, "default", old)
    publish_folder(tmp_path, "default", staging)
    shutil.rmtree(staging)
    assert not upgrade_packaged_default(tmp_path)  # not a known packaged default: an edit, left alone
    assert read_folder(tmp_path / "default") == old

    monkeypatch.setattr(folders, "PREVIOUS_DEFAULT_DIGESTS", frozenset({tree_digest(old)}))
    assert upgrade_packaged_default(tmp_path)
    assert read_folder(tmp_path / "default") == read_folder(PACKAGED_DEFAULT_TEMPLATE)


def test_the_packaged_default_is_not_a_previous_one(tmp_path: Path) -> None:
    install_default_template(tmp_path)
    assert tree_digest(read_folder(tmp_path / "default")) not in PREVIOUS_DEFAULT_DIGESTS
    assert not upgrade_packaged_default(tmp_path)


def test_leftovers_of_a_crash_are_swept_once_old(tmp_path: Path) -> None:
    stale = stage_folder(tmp_path, "x", MINIMAL)
    fresh = stage_folder(tmp_path, "y", MINIMAL)
    (tmp_path / "default").mkdir()
    os.utime(stale, (0, 0))
    assert sweep_leftovers(tmp_path) == [stale.name]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(["default", fresh.name])
