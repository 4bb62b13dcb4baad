"""A template changed through the API is in a verified backup within a minute: gateway, outbox, stream, agent."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from propos4l.backup.app import serve
from propos4l.backup.model import Kind, Manifest, TriggerReason
from propos4l.backup.settings import BackupSettings
from propos4l.backup.store import BackupStore
from tests.support.gateway import AUTH, gateway_settings, running_gateway
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
async def api(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway and the backup agent, sharing the templates folder as their volumes do in deployment."""
    agent_settings = BackupSettings(
        database_url=database_url,
        redis_url=redis_url,
        backup_dir=data_dir / "backups",
        pdf_storage_dir=data_dir / "pdfs",
        templates_dir=data_dir / "templates",
        backup_drill_interval_seconds=0,
        delivery_shutdown_grace_seconds=1,
    )
    (data_dir / "pdfs").mkdir()
    stop = asyncio.Event()
    async with running_gateway(gateway_settings(database_url, redis_url, data_dir)) as (_, http):
        agent = asyncio.create_task(serve(agent_settings, stop))
        try:
            yield http
        finally:
            stop.set()
            await asyncio.wait_for(agent, timeout=30)


def upload_of(detail: dict[str, Any], **texts: str) -> dict[str, Any]:
    """A PUT body from a GET: text files as text (some replaced), the others by their SHA-256."""
    files: dict[str, Any] = {}
    for file in detail["files"]:
        if file["path"] == "manifest.json":
            continue
        if file["path"] in texts:
            files[file["path"]] = {"text": texts[file["path"]]}
        elif file["text"] is not None:
            files[file["path"]] = {"text": file["text"]}
        else:
            files[file["path"]] = {"sha256": file["sha256"]}
    manifest = {key: value for key, value in detail["manifest"].items() if key != "name"}
    return json.loads(json.dumps({"manifest": manifest, "files": files}))


async def test_a_template_changed_through_the_api_is_backed_up_within_a_minute(
    api: httpx.AsyncClient, data_dir: Path
) -> None:
    detail = (await api.get("/api/templates/default", headers=AUTH)).json()
    style = next(file["text"] for file in detail["files"] if file["path"] == "style.css")
    changed_style = style + "\n/* changed through the API */\n"
    started = time.monotonic()
    response = await api.put(
        "/api/templates/default", json=upload_of(detail, **{"style.css": changed_style}), headers=AUTH
    )
    assert response.status_code in (200, 201), response.text
    version = response.json()["version"]
    wanted = hashlib.sha256(changed_style.encode()).hexdigest()
    store = BackupStore(data_dir / "backups")

    def backed_up() -> Manifest | None:
        for snapshot in store.list(Kind.TEMPLATES):
            manifest = store.manifest(snapshot)
            if manifest.trigger.reason is TriggerReason.EVENT and f"v{version} updated" in manifest.trigger.detail:
                return manifest
        return None

    manifest = await wait_for(lambda: asyncio.to_thread(backed_up), timeout=60, interval=0.2)
    assert time.monotonic() - started < 60
    assert wanted in {entry.sha256 for entry in manifest.files}
    assert store.status(store.find(manifest.id)).verification is not None
