"""Backup agent settings, from the environment."""

from __future__ import annotations

from pathlib import Path

from propos4l.shared.settings import DatabaseSettings, ServiceSettings

__all__ = ["BackupSettings"]


class BackupSettings(ServiceSettings, DatabaseSettings):
    """What the backup agent reads at start."""

    backup_dir: Path
    pdf_storage_dir: Path
    templates_dir: Path
