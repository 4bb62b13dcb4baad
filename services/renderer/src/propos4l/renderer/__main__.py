"""`python -m propos4l.renderer`: run the renderer."""

from __future__ import annotations

from propos4l.renderer.app import serve
from propos4l.renderer.settings import RendererSettings
from propos4l.shared.logs import configure_logging
from propos4l.shared.runtime import run_until_signalled
from propos4l.shared.settings import load_settings
from propos4l.shared.telemetry import running_telemetry


def main() -> None:
    """Load settings, then consume until SIGTERM or SIGINT."""
    settings = load_settings(RendererSettings, "renderer")
    configure_logging("renderer", settings.log_level, settings.log_format)
    with running_telemetry("renderer", settings):
        run_until_signalled(lambda stop: serve(settings, stop))


if __name__ == "__main__":
    main()
