"""Secrets the local run keeps (the admin token, the servers' passwords) are their owner's only from the first byte."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from propos4l.shared.localrun.private_files import make_private_folder, stored_secret


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that lets every new file be world-readable, as a careless shell's might."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("open_umask")
def test_a_new_secret_file_is_created_0600_never_looser_in_between(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_chmod(*_: object, **__: object) -> None:
        raise AssertionError("the mode was changed after the file was created")

    monkeypatch.setattr(os, "chmod", no_chmod)
    monkeypatch.setattr(Path, "chmod", no_chmod)
    token = stored_secret(tmp_path / "admin-token")
    assert _mode(tmp_path / "admin-token") == 0o600
    assert len(token) >= 32 and stored_secret(tmp_path / "admin-token") == token  # kept for the next run


def test_a_secret_file_left_readable_by_an_older_version_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "admin-token"
    path.write_text("an-older-token-0123456789\n")
    path.chmod(0o644)
    assert stored_secret(path) == "an-older-token-0123456789"
    assert _mode(path) == 0o600


@pytest.mark.usefixtures("open_umask")
def test_the_data_folder_is_made_owner_only_even_when_it_existed(tmp_path: Path) -> None:
    make_private_folder(tmp_path / "new" / "data")
    assert _mode(tmp_path / "new" / "data") == 0o700
    (tmp_path / "old").mkdir(mode=0o755)
    make_private_folder(tmp_path / "old")
    assert _mode(tmp_path / "old") == 0o700
