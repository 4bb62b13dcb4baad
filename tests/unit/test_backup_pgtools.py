"""PostgreSQL client tools: the server's major version or newer is chosen, older ones are refused with a clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from propos4l.backup import pgtools
from propos4l.backup.pgtools import ToolsUnavailable, find_tools, libpq_target


def fake_tools(folder: Path, version: str) -> Path:
    folder.mkdir(parents=True)
    for program in ("pg_dump", "pg_dumpall", "pg_restore", "psql"):
        script = folder / program
        script.write_text(f"#!/bin/sh\necho '{program} (PostgreSQL) {version}'\n")
        script.chmod(0o755)
    return folder


def test_the_nearest_version_not_older_than_the_server_is_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folders = [fake_tools(tmp_path / v, v) for v in ("14.9", "15.4", "16.2", "17.0")]
    monkeypatch.setattr(pgtools, "candidate_bindirs", lambda preferred=None: folders)
    chosen = find_tools(16)
    assert (chosen.major, chosen.version, chosen.bindir) == (16, "16.2", folders[2])
    assert find_tools(15).version == "15.4"


def test_only_older_tools_are_refused_with_a_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folders = [fake_tools(tmp_path / "15", "15.4")]
    monkeypatch.setattr(pgtools, "candidate_bindirs", lambda preferred=None: folders)
    with pytest.raises(ToolsUnavailable, match=r"older than the server \(PostgreSQL 16\).*15\.4.*version 16 or newer"):
        find_tools(16)


def test_a_configured_folder_with_older_tools_is_refused(tmp_path: Path) -> None:
    folder = fake_tools(tmp_path / "old", "13.1")
    with pytest.raises(ToolsUnavailable, match=r"BACKUP_PG_BINDIR=.* holds PostgreSQL 13\.1 client tools, older"):
        find_tools(15, folder)


def test_the_password_travels_in_the_environment_never_on_the_command_line() -> None:
    target, environment = libpq_target("postgresql://backup:s%40cret@db.internal:5432/propos4l?sslmode=require")
    assert target == "postgresql://backup@db.internal:5432/propos4l?sslmode=require"
    assert environment["PGPASSWORD"] == "s@cret"
