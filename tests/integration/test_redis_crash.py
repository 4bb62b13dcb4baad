"""Redis crashes mid-pipeline (SIGKILL, append-only file synced every second) and comes back: nothing is lost.

The gateway, the generator (against the fake Ollama) and the renderer run in this process, as they do in their own;
Redis is a real server with AOF on, killed while proposals are being drafted and rendered. Requests made while it is
down are accepted (the outbox holds them). Every proposal must end `ready` with its PDF.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from propos4l.shared.localrun.servers import LocalRedis
from tests.support.fake_ollama import FakeOllama
from tests.support.gateway import AUTH, gateway_settings, running_gateway
from tests.support.pipeline import DELIVERY, workers
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

REQUEST = {"client_name": "Cooperativa Vale Verde", "industry": "Agronegócio", "requirements": "Rastreio de lotes"}


async def _statuses(client: httpx.AsyncClient, ids: list[str]) -> dict[str, str]:
    return {id_: (await client.get(f"/api/proposals/{id_}")).json()["status"] for id_ in ids}


async def test_proposals_survive_a_redis_crash_and_those_asked_for_during_it_are_kept(
    run_dir: Path, database_url: str, data_dir: Path
) -> None:
    server = LocalRedis(run_dir / "redis", persistent=True)
    server.start()
    try:
        settings = gateway_settings(database_url, server.url, data_dir, outbox_audit_seconds=0.5, **DELIVERY)
        with FakeOllama(models=["qwen2.5:7b"], chunk_delay=0.05) as fake:
            async with running_gateway(settings, headers=AUTH) as gateway, workers(server.url, fake, data_dir):
                client = gateway.client
                before = [(await client.post("/api/proposals", json=REQUEST)).json()["id"] for _ in range(4)]

                async def drafting() -> bool:
                    return "generating" in (await _statuses(client, before)).values()

                await wait_for(drafting, timeout=30, message="nothing started drafting")
                server.kill()  # SIGKILL: whatever the append-only file had not synced is gone

                during = []
                for _ in range(3):
                    response = await client.post("/api/proposals", json=REQUEST)
                    assert response.status_code == 202, response.text  # accepted: the outbox keeps it
                    during.append(response.json()["id"])
                await asyncio.sleep(1.0)
                server.start()  # same port, same data folder

                everything = before + during

                async def all_ready() -> dict[str, str] | None:
                    statuses = await _statuses(client, everything)
                    assert "failed" not in statuses.values(), statuses
                    return statuses if set(statuses.values()) == {"ready"} else None

                await wait_for(all_ready, timeout=180, interval=0.5, message="some proposals never got ready")
                for id_ in everything:
                    pdf = await client.get(f"/api/proposals/{id_}/pdf")
                    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    finally:
        server.stop()
