"""`python -m propos4l.library`: run the library service."""

from __future__ import annotations

from propos4l.library.app import serve
from propos4l.library.settings import LibrarySettings
from propos4l.shared.logs import configure_logging
from propos4l.shared.runtime import run_until_signalled
from propos4l.shared.settings import load_settings
from propos4l.shared.telemetry import running_telemetry


def main() -> None:
    """Load settings, then consume until SIGTERM or SIGINT."""
    settings = load_settings(LibrarySettings, "library")
    configure_logging("library", settings.log_level, settings.log_format)
    with running_telemetry("library", settings):
        run_until_signalled(lambda stop: serve(settings, stop))


if __name__ == "__main__":
    main()
