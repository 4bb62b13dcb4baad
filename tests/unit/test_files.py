"""Atomic writes: the file is whole or absent, and no temp file is left behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from propos4l.shared.files import atomic_write_bytes


def test_atomic_write_creates_folders_and_replaces_content(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "v1.pdf"
    atomic_write_bytes(target, b"first")
    atomic_write_bytes(target, b"second")
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["v1.pdf"]


def test_failed_write_leaves_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "v1.pdf"
    atomic_write_bytes(target, b"old")

    def broken_replace(source: str, destination: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["v1.pdf"]


@pytest.mark.parametrize(("umask", "expected"), [(0o022, 0o644), (0o077, 0o600)])
def test_written_files_get_what_the_umask_allows(tmp_path: Path, umask: int, expected: int) -> None:
    previous = os.umask(umask)
    try:
        atomic_write_bytes(tmp_path / "pdfs" / "v1.pdf", b"%PDF-")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "pdfs" / "v1.pdf").stat().st_mode) == expected


def test_an_explicit_mode_wins(tmp_path: Path) -> None:
    atomic_write_bytes(tmp_path / "status.json", b"{}", mode=0o640)
    assert stat.S_IMODE((tmp_path / "status.json").stat().st_mode) == 0o640
