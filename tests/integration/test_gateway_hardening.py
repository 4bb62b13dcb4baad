"""What an attack pass found against the gateway: limits a template hits, names and cursors no route may choke on.

Every case gets a problem+json answer with a 4xx status, never a 500, and the connection is not cut.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from propos4l.gateway.problems import PROBLEM_JSON
from propos4l.gateway.settings import GatewaySettings
from tests.support.gateway import AUTH, RunningGateway, gateway_settings, running_gateway

pytestmark = pytest.mark.integration

REQUEST = {"client_name": "Acme Logística", "industry": "Logistics", "requirements": "Track the fleet."}


@pytest.fixture
def settings(database_url: str, redis_url: str, data_dir: Path) -> GatewaySettings:
    # CPU and wall-clock limits low enough for a looping template to hit them soon, high enough for the default
    # template's own check at start.
    return gateway_settings(
        database_url, redis_url, data_dir, render_timeout_seconds=20, render_cpu_seconds=6, render_max_memory_mb=512
    )


@pytest.fixture
async def gateway(settings: GatewaySettings) -> AsyncIterator[RunningGateway]:
    async with running_gateway(settings, headers=AUTH) as running:
        yield running


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    return body


@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.parametrize("name", ["a%00b", "default%00", "Default", "a%0A"])
async def test_a_template_name_with_a_nul_or_out_of_its_alphabet_is_refused_on_every_route(
    client: httpx.AsyncClient, method: str, name: str
) -> None:
    body = assert_problem(await client.request(method, f"/api/templates/{name}"), 422)
    assert "is not a valid template name" in body["detail"]


async def test_a_template_file_under_a_name_with_a_nul_is_refused(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/templates/a%00b/files/style.css"), 422)


async def test_an_event_cursor_past_a_64_bit_integer_is_refused_before_the_stream_opens(
    client: httpx.AsyncClient,
) -> None:
    proposal_id = (await client.post("/api/proposals", json=REQUEST)).json()["id"]
    too_far = str(2**63)
    url = f"/api/proposals/{proposal_id}/events"
    assert_problem(await client.get(url, headers={"Last-Event-ID": too_far}), 422)
    assert_problem(await client.get(url, params={"after": too_far}), 422)
    assert_problem(await client.get(f"/api/proposals/{uuid.uuid4()}/events"), 404)
