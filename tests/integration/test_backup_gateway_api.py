"""GET /api/backups: admins see each kind's last result and the list the backup agent recorded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from propos4l.backup.jobs import BackupJobs
from propos4l.backup.model import BackupError, Kind, Trigger, TriggerReason
from propos4l.backup.options import JobOptions, Sources
from propos4l.backup.records import BackupRecords
from propos4l.backup.store import BackupStore
from propos4l.gateway.access import caller
from propos4l.gateway.auth import Principal
from propos4l.gateway.roles import Role
from propos4l.shared.db import create_pool
from tests.support.gateway import AUTH, RunningGateway, gateway_settings, running_gateway

pytestmark = pytest.mark.integration


@pytest.fixture
async def gateway(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[RunningGateway]:
    # Not the templates folder make_backups fills.
    settings = gateway_settings(database_url, redis_url, data_dir, templates_dir=data_dir / "gateway-templates")
    async with running_gateway(settings) as running:
        yield running


async def make_backups(database_url: str, data_dir: Path) -> tuple[str, str]:
    """A verified templates backup and a failed PDF attempt, recorded in the database."""
    (data_dir / "templates" / "default").mkdir(parents=True)
    (data_dir / "templates" / "default" / "template.html").write_text("<h1>hi</h1>")
    pool = await create_pool(database_url, max_size=2)
    try:
        jobs = BackupJobs(
            BackupStore(data_dir / "backups"),
            Sources(pdf_storage_dir=data_dir / "missing", templates_dir=data_dir / "templates"),
            JobOptions(),
            records=BackupRecords(pool),
        )
        made = await jobs.run(Kind.TEMPLATES, Trigger(reason=TriggerReason.MANUAL))
        with pytest.raises(BackupError):
            await jobs.run(Kind.PDFS, Trigger(reason=TriggerReason.SCHEDULE))
        failed = await pool.fetchval("SELECT id FROM backups WHERE status = 'failed'")
    finally:
        await pool.close()
    return made.snapshot_id, str(failed)


async def test_admins_see_the_last_result_of_each_kind_and_the_list(
    client: httpx.AsyncClient, database_url: str, data_dir: Path
) -> None:
    verified, failed = await make_backups(database_url, data_dir)
    response = await client.get("/api/backups", headers=AUTH)
    assert response.status_code == 200, response.text
    body = response.json()
    kinds = {summary["kind"]: summary for summary in body["kinds"]}
    assert set(kinds) == {"db", "pdfs", "templates", "library"}
    assert kinds["templates"]["last_verified_id"] == verified
    assert 0 <= kinds["templates"]["age_seconds"] < 60
    assert kinds["templates"]["size_bytes"] == len("<h1>hi</h1>")
    assert kinds["pdfs"]["last_verified_id"] is None
    assert kinds["pdfs"]["last_run_status"] == "failed" and kinds["pdfs"]["consecutive_failures"] == 1
    assert "not a folder" in kinds["pdfs"]["last_run_error"]
    assert kinds["db"]["last_run_id"] is None
    assert [item["id"] for item in body["items"]] == [failed, verified]
    assert body["total"] == 2

    only_failed = (await client.get("/api/backups", params={"status": "failed"}, headers=AUTH)).json()
    assert [item["id"] for item in only_failed["items"]] == [failed]
    assert (await client.get("/api/backups", params={"kind": "tapes"}, headers=AUTH)).status_code == 422


async def test_backups_need_a_token_and_an_admin(client: httpx.AsyncClient, app: FastAPI) -> None:
    anonymous = await client.get("/api/backups")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    app.dependency_overrides[caller] = lambda: Principal(name="consultant", role=Role.EDITOR)
    try:
        forbidden = await client.get("/api/backups", headers=AUTH)
    finally:
        app.dependency_overrides.clear()
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"].startswith("application/problem+json")
    assert forbidden.json()["detail"].startswith("Only administrators may do this")
