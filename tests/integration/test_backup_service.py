"""The backup agent runs: it connects to PostgreSQL and Redis, checks its folder, and stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.waiting import wait_for_sync

pytestmark = pytest.mark.integration


def _environment(database_url: str, redis_url: str, folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "BACKUP_DIR": str(folder / "backups"),
        "PDF_STORAGE_DIR": str(folder / "pdfs"),
        "TEMPLATES_DIR": str(folder / "templates"),
    }


def test_backup_agent_reports_ready_and_stops_on_sigterm(database_url: str, redis_url: str, tmp_path: Path) -> None:
    log = tmp_path / "backup.log"
    with log.open("w") as output:
        agent = subprocess.Popen(
            [sys.executable, "-m", "propos4l.backup"],
            env=_environment(database_url, redis_url, tmp_path),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_sync(lambda: "backup agent ready" in log.read_text(), timeout=30)
        finally:
            agent.send_signal(signal.SIGTERM)
            code = agent.wait(timeout=30)
    assert code == 0
    ready = next(json.loads(line) for line in log.read_text().splitlines() if "backup agent ready" in line)
    assert ready["service"] == "backup" and ready["redis"] == "ok"
    assert ready["postgres"].split(".")[0].isdigit()
    assert (tmp_path / "backups").is_dir()


def test_backup_agent_refuses_an_unwritable_backup_dir(database_url: str, redis_url: str, tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    env = _environment(database_url, redis_url, tmp_path)
    env["BACKUP_DIR"] = str(blocker / "backups")
    result = subprocess.run(
        [sys.executable, "-m", "propos4l.backup"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "BACKUP_DIR" in result.stderr and "not writable" in result.stderr
