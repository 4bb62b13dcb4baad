"""What one token can make the renderer do: a proposal's size is capped; edits and regenerations are rate limited."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from propos4l.shared.delivery import Publisher
from propos4l.shared.events import ProposalDrafted, ProposalRendered, ProposalRequest, Section
from propos4l.shared.sections import SECTION_KEYS, Language, section_title
from tests.support.gateway import AUTH, RunningGateway, gateway_settings, running_gateway
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

REQUEST = {"client_name": "ACME", "industry": "Retail", "requirements": "ERP"}
LIMIT = 5_000


@pytest.fixture
async def gateway(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(
        database_url, redis_url, data_dir, proposal_max_characters=LIMIT, render_rate_limit_per_minute=3
    )
    async with running_gateway(settings, headers=AUTH) as running:
        yield running


async def ready_proposal(client: httpx.AsyncClient, redis: Redis, section_characters: int) -> str:
    """A proposal whose version 1 is drafted (every section `section_characters` long) and rendered."""
    proposal_id = uuid.UUID((await client.post("/api/proposals", json=REQUEST)).json()["id"])
    sections = tuple(
        Section(key=key, title=section_title(key, Language.PT_BR), content="x" * section_characters)
        for key in SECTION_KEYS
    )
    publisher = Publisher(redis)
    await publisher.publish(
        ProposalDrafted(
            proposal_id=proposal_id,
            version=1,
            request=ProposalRequest.model_validate(REQUEST),
            sections=sections,
            provider="ollama",
            model="qwen2.5:7b",
            ai_generated=True,
            prompt_version="test",
        )
    )
    await publisher.publish(
        ProposalRendered(
            proposal_id=proposal_id,
            version=1,
            pdf_path=f"{proposal_id}/v1.pdf",
            pdf_sha256="0" * 64,
            pdf_bytes=11,
            pages=1,
            render_ms=1,
        )
    )

    async def ready() -> bool:
        body: dict[str, Any] = (await client.get(f"/api/proposals/{proposal_id}")).json()
        return body["status"] == "ready" and bool(body["sections"])

    await wait_for(ready)
    return str(proposal_id)


async def test_an_edit_that_grows_the_proposal_past_its_limit_is_a_422(client: httpx.AsyncClient, redis: Redis) -> None:
    proposal_id = await ready_proposal(client, redis, 100)  # 10 sections: 1,000 characters
    too_long = await client.put(f"/api/proposals/{proposal_id}/sections/scope", json={"content": "y" * 4_200})
    assert too_long.status_code == 422, too_long.text
    assert too_long.headers["content-type"] == "application/problem+json"
    detail = too_long.json()["detail"]
    assert "5,100 characters" in detail and "limit of 5,000" in detail
    fits = await client.put(f"/api/proposals/{proposal_id}/sections/scope", json={"content": "y" * 4_000})
    assert fits.status_code == 202, fits.text


async def test_a_proposal_already_past_its_limit_may_shrink_but_not_regenerate(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    proposal_id = await ready_proposal(client, redis, 600)  # 6,000 characters, e.g. drafted before the limit was set
    regenerate = await client.post(f"/api/proposals/{proposal_id}/sections/scope/regenerate")
    assert regenerate.status_code == 422, regenerate.text
    assert "5,400 characters" in regenerate.json()["detail"]  # the other nine sections alone
    shrink = await client.put(f"/api/proposals/{proposal_id}/sections/scope", json={"content": "short"})
    assert shrink.status_code == 202, shrink.text


async def test_edits_and_regenerations_are_rate_limited_per_token(client: httpx.AsyncClient, redis: Redis) -> None:
    proposal_id = await ready_proposal(client, redis, 10)
    statuses = []
    for attempt in range(3):  # the limit counts attempts, whatever their outcome (here 202, then 409: busy)
        response = await client.put(f"/api/proposals/{proposal_id}/sections/scope", json={"content": f"{attempt}"})
        statuses.append(response.status_code)
    assert 429 not in statuses
    limited = await client.post(f"/api/proposals/{proposal_id}/sections/team/regenerate")
    assert limited.status_code == 429, limited.text
    assert limited.headers["content-type"] == "application/problem+json"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert "3 section edits or regenerations a minute" in limited.json()["detail"]

    created = await client.post("/api/tokens", json={"name": "another person"})
    other = {"Authorization": f"Bearer {created.json()['token']}"}
    own_budget = await client.put(f"/api/proposals/{proposal_id}/sections/scope", json={"content": "z"}, headers=other)
    assert own_budget.status_code != 429, "each token has its own budget"
    assert (await client.get(f"/api/proposals/{proposal_id}")).status_code == 200, "reading is not limited"
