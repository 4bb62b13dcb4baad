"""PostgreSQL crashes mid-pipeline (SIGKILL) and comes back: requests get a 503 while it is down, nothing is lost.

The gateway, the generator and the renderer run in this process against a PostgreSQL of this test's own, killed while
proposals are being drafted. While it is down the API answers 503 problem+json with Retry-After (never a 500), the
workers go on, and what the gateway could not record stays pending in Redis. Once it is back, every proposal accepted
before the crash ends `ready`, and the live-progress notifications listen again.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from propos4l.gateway.problems import PROBLEM_JSON
from propos4l.shared.db import apply_migrations
from propos4l.shared.localrun.servers import LocalPostgres
from tests.support.fake_ollama import FakeOllama
from tests.support.gateway import AUTH, gateway_settings, running_gateway
from tests.support.pipeline import DELIVERY, workers
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

REQUEST = {"client_name": "Construtora Horizonte", "industry": "Construção civil", "requirements": "Portal de obras"}


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert response.headers["retry-after"].isdigit()
    assert "is not answering right now" in response.json()["detail"]


async def test_proposals_survive_a_postgres_crash_and_requests_meanwhile_get_a_503(
    run_dir: Path, redis_url: str, data_dir: Path
) -> None:
    server = LocalPostgres(run_dir / "postgres")
    server.start()
    try:
        await apply_migrations(server.url)
        settings = gateway_settings(server.url, redis_url, data_dir, **DELIVERY)
        with FakeOllama(models=["qwen2.5:7b"], chunk_delay=0.1) as fake:
            async with running_gateway(settings, headers=AUTH) as gateway, workers(redis_url, fake, data_dir):
                client, notifier = gateway.client, gateway.app.state.notifier
                ids = [(await client.post("/api/proposals", json=REQUEST)).json()["id"] for _ in range(4)]

                async def drafting() -> bool:
                    statuses = [(await client.get(f"/api/proposals/{id_}")).json()["status"] for id_ in ids]
                    return "generating" in statuses

                await wait_for(drafting, timeout=30, message="nothing started drafting")
                assert notifier.listening
                server.kill()

                assert_unavailable(await client.post("/api/proposals", json=REQUEST))
                assert_unavailable(await client.get("/api/proposals"))
                assert_unavailable(await client.get(f"/api/proposals/{ids[0]}"))
                await asyncio.sleep(2.0)  # the workers go on drafting and rendering meanwhile
                server.start()

                async def all_ready() -> bool:
                    try:
                        statuses = {(await client.get(f"/api/proposals/{id_}")).json()["status"] for id_ in ids}
                    except (KeyError, ValueError):
                        return False
                    assert "failed" not in statuses, statuses
                    return statuses == {"ready"}

                await wait_for(all_ready, timeout=180, interval=0.5, message="some proposals never got ready")
                await wait_for(lambda: _listening(notifier), timeout=20, message="notifications never came back")
                for id_ in ids:
                    pdf = await client.get(f"/api/proposals/{id_}/pdf")
                    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    finally:
        server.stop()


async def _listening(notifier: object) -> bool:
    return bool(notifier.listening)  # type: ignore[attr-defined]
