"""`python -m propos4l.gateway`: serve the HTTP API with uvicorn."""

from __future__ import annotations

import asyncio
import sys

import uvicorn

from propos4l.gateway.app import create_app
from propos4l.gateway.settings import GatewaySettings
from propos4l.gateway.webhook_keys import webhook_keys_problem
from propos4l.shared.logs import configure_logging
from propos4l.shared.settings import ConfigurationError, load_settings
from propos4l.shared.telemetry import running_telemetry


def main() -> None:
    """Load settings, then serve until SIGTERM or SIGINT."""
    settings = load_settings(GatewaySettings, "gateway")
    configure_logging("gateway", settings.log_level, settings.log_format)
    # Checked before uvicorn: a failure in the app's lifespan would print a traceback, not the one line that says
    # which key is missing and what to do.
    keys = [key.get_secret_value() for key in settings.webhook_secret_keys]
    problem = asyncio.run(
        webhook_keys_problem(str(settings.database_url), keys, settings.database_connect_timeout_seconds)
    )
    if problem is not None:
        print(f"propos4l-gateway: configuration error: {problem}", file=sys.stderr)
        raise ConfigurationError(2)
    with running_telemetry("gateway", settings):
        uvicorn.run(
            create_app(settings),
            host=settings.gateway_host,
            port=settings.gateway_port,
            log_config=None,
            proxy_headers=True,
            server_header=False,
            timeout_graceful_shutdown=10,
        )


if __name__ == "__main__":
    main()
