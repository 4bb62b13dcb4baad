"""Backup settings: defaults from the design, and bad secrets stop the agent with one line."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest

from propos4l.backup.settings import BackupSettings
from propos4l.shared.settings import ConfigurationError, load_settings

REQUIRED = {
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "DATABASE_URL": "postgresql://u@127.0.0.1:1/db",
    "BACKUP_DIR": "/tmp/backups",
    "PDF_STORAGE_DIR": "/tmp/pdfs",
    "TEMPLATES_DIR": "/tmp/templates",
}


def test_defaults_follow_the_deployment_design(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    settings = BackupSettings()  # type: ignore[call-arg]
    assert settings.backup_db_interval_seconds == 6 * 3600
    assert settings.backup_pdfs_interval_seconds == 24 * 3600
    assert settings.backup_templates_reconcile_seconds == 3600
    assert settings.backup_drill_interval_seconds == 24 * 3600
    assert (settings.retention.daily, settings.retention.weekly, settings.retention.monthly) == (7, 4, 6)
    assert settings.encryption_key is None and settings.backup_s3_bucket is None
    assert settings.backup_dir == Path("/tmp/backups")


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("BACKUP_ENCRYPTION_KEY", "changeme", "placeholder"),
        ("BACKUP_ENCRYPTION_KEY", base64.b64encode(b"too short").decode(), "32 bytes"),
        ("BACKUP_ENCRYPTION_PREVIOUS_KEYS", "not-a-key", "base64"),
        ("BACKUP_S3_ACCESS_KEY_ID", "AKIAEXAMPLE", "must be set together"),
        ("BACKUP_DIR", " ", "must name a folder"),
    ],
)
def test_bad_backup_settings_stop_with_one_line_naming_them(
    name: str, value: str, reason: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in list(os.environ):
        if key.startswith("BACKUP_"):
            monkeypatch.delenv(key)
    for key, setting in REQUIRED.items():
        monkeypatch.setenv(key, setting)
    monkeypatch.setenv("BACKUP_ENCRYPTION_KEY", base64.b64encode(bytes(32)).decode())
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as stopped:
        load_settings(BackupSettings, "backup")
    assert stopped.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("propos4l-backup: configuration error: ") and reason in lines[0]


def test_a_bad_setting_stops_the_agent_process_with_one_line() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("BACKUP_")}
    env.update(REQUIRED, BACKUP_ENCRYPTION_KEY="changeme")
    result = subprocess.run(
        [sys.executable, "-m", "propos4l.backup"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "propos4l-backup: configuration error: BACKUP_ENCRYPTION_KEY is invalid: "
        "BACKUP_ENCRYPTION_KEY is a placeholder value; set a real secret"
    )
