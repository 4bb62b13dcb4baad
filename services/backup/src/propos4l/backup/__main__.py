"""`python -m propos4l.backup`: run the backup agent."""

from __future__ import annotations

import sys

from propos4l.backup.app import BackupUnavailable, serve
from propos4l.backup.settings import BackupSettings
from propos4l.shared.logs import configure_logging
from propos4l.shared.runtime import run_until_signalled
from propos4l.shared.settings import load_settings
from propos4l.shared.telemetry import running_telemetry


def main() -> None:
    """Load settings, then run until SIGTERM or SIGINT."""
    settings = load_settings(BackupSettings, "backup")
    configure_logging("backup", settings.log_level, settings.log_format)
    try:
        with running_telemetry("backup", settings):
            run_until_signalled(lambda stop: serve(settings, stop))
    except BackupUnavailable as error:
        print(f"propos4l-backup: {error}", file=sys.stderr)
        raise SystemExit(1) from error


if __name__ == "__main__":
    main()
