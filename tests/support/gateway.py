"""The gateway in-process: settings for a test run, and the app started with an HTTP client that calls it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import httpx
from fastapi import FastAPI

from propos4l.gateway.app import create_app
from propos4l.gateway.settings import GatewaySettings

__all__ = ["AUTH", "TOKEN", "RunningGateway", "gateway_settings", "running_gateway"]

TOKEN = "a-long-test-token-123456"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
WEBHOOK_SECRET_KEY = "bXVzdC1iZS0zMi1ieXRlcy1mb3ItZmVybmV0LXRlc3Q="  # 32 bytes, URL-safe base64: a Fernet key


class RunningGateway(NamedTuple):
    """The app inside its lifespan, and a client that calls it in-process."""

    app: FastAPI
    client: httpx.AsyncClient


def gateway_settings(database_url: str, redis_url: str, data_dir: Path, **overrides: Any) -> GatewaySettings:
    """Settings with the admin `TOKEN`, folders under `data_dir` and short timings, so tests start and stop fast.

    The visibility timeout keeps its default; tests that need a crashed delivery retried soon pass a short one.
    """
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": redis_url,
        "propos4l_admin_token": TOKEN,
        "webhook_secret_keys": WEBHOOK_SECRET_KEY,
        "pdf_storage_dir": data_dir / "pdfs",
        "templates_dir": data_dir / "templates",
        "library_dir": data_dir / "library",
        "outbox_poll_seconds": 0.2,
        "delivery_shutdown_grace_seconds": 1,
    }
    return GatewaySettings(**{**values, **overrides})


@contextlib.asynccontextmanager
async def running_gateway(
    settings: GatewaySettings, *, headers: Mapping[str, str] | None = None
) -> AsyncIterator[RunningGateway]:
    """The app through its lifespan, and a client that sends `headers` with every request to it."""
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers) as client,
    ):
        yield RunningGateway(app, client)
