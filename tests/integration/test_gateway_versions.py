"""New versions through the API: refused clearly while the current one is being produced, or for bad input."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from propos4l.shared.delivery import Publisher
from propos4l.shared.envelope import decode
from propos4l.shared.events import (
    ProposalDrafted,
    ProposalRendered,
    ProposalRequest,
    Section,
    SectionRegenerationRequested,
)
from propos4l.shared.sections import SECTION_KEYS, Language, section_title
from propos4l.shared.streams import Stream
from tests.support.gateway import AUTH, gateway_settings, running_gateway
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

REQUEST = {"client_name": "ACME", "industry": "Retail", "requirements": "ERP"}


@pytest.fixture
async def client(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with running_gateway(gateway_settings(database_url, redis_url, data_dir), headers=AUTH) as (_, http):
        yield http


async def _drafted_and_rendered(client: httpx.AsyncClient, redis: Redis, data_dir: Path) -> dict[str, Any]:
    """A proposal whose version 1 is drafted and rendered (events published as the services would)."""
    created = (await client.post("/api/proposals", json=REQUEST)).json()
    proposal_id = uuid.UUID(created["id"])
    sections = tuple(
        Section(key=key, title=section_title(key, Language.PT_BR), content=f"v1 {key.value}") for key in SECTION_KEYS
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
    pdf = data_dir / "pdfs" / str(proposal_id) / "v1.pdf"
    pdf.parent.mkdir(parents=True)
    pdf.write_bytes(b"%PDF-1.7 v1")
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

    async def ready() -> dict[str, Any] | None:
        body: dict[str, Any] = (await client.get(f"/api/proposals/{proposal_id}")).json()
        # drafted and rendered travel on different streams: wait until both are recorded
        return body if body["status"] == "ready" and body["sections"] else None

    return await wait_for(ready)


async def test_changing_a_section_while_the_first_version_is_drafted_is_a_409(client: httpx.AsyncClient) -> None:
    proposal_id = (await client.post("/api/proposals", json=REQUEST)).json()["id"]
    response = await client.post(f"/api/proposals/{proposal_id}/sections/scope/regenerate")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert "version 1 is still queued" in response.json()["detail"]


async def test_bad_section_key_content_or_proposal_are_refused(client: httpx.AsyncClient) -> None:
    proposal_id = (await client.post("/api/proposals", json=REQUEST)).json()["id"]
    unknown_key = await client.put(f"/api/proposals/{proposal_id}/sections/pricing", json={"content": "x"})
    assert unknown_key.status_code == 422 and "key" in unknown_key.json()["detail"]
    empty = await client.put(f"/api/proposals/{proposal_id}/sections/scope", json={"content": "  "})
    assert empty.status_code == 422
    long_instructions = await client.post(
        f"/api/proposals/{proposal_id}/sections/scope/regenerate", json={"instructions": "x" * 2001}
    )
    assert long_instructions.status_code == 422
    nobody = uuid.uuid4()
    for response in (
        await client.post(f"/api/proposals/{nobody}/sections/scope/regenerate"),
        await client.put(f"/api/proposals/{nobody}/sections/scope", json={"content": "x"}),
        await client.get(f"/api/proposals/{nobody}/versions"),
        await client.get(f"/api/proposals/{nobody}/events"),
    ):
        assert response.status_code == 404, response.text
        assert response.headers["content-type"] == "application/problem+json"


async def test_regeneration_opens_version_two_and_asks_the_generator(
    client: httpx.AsyncClient, redis: Redis, data_dir: Path
) -> None:
    ready = await _drafted_and_rendered(client, redis, data_dir)
    response = await client.post(
        f"/api/proposals/{ready['id']}/sections/team/regenerate", json={"instructions": "cite a squad"}
    )
    assert response.status_code == 202
    body = response.json()
    assert body["version"] == 2 and body["status"] == "queued"
    assert body["sections"] == ready["sections"], "the base content shows while the new version is made"
    assert body["pdf_url"] == f"/api/proposals/{ready['id']}/pdf" and body["pdf_version"] == 1

    async def published() -> list[Any]:
        return list(await redis.xrange(Stream.SECTION_REGENERATION_REQUESTED.value))

    (entry,) = await wait_for(published)
    event = decode(entry[1]).open(SectionRegenerationRequested)
    assert event.version == 2 and event.section.value == "team" and event.instructions == "cite a squad"
    assert [s.content for s in event.base_sections] == [s["content"] for s in ready["sections"]]
    pdf = await client.get(f"/api/proposals/{ready['id']}/pdf")
    assert pdf.status_code == 200 and pdf.content == b"%PDF-1.7 v1", "version 1 still downloads meanwhile"
    versions = (await client.get(f"/api/proposals/{ready['id']}/versions")).json()["items"]
    assert [(v["version"], v["origin"], v["pdf_url"] is not None) for v in versions] == [
        (1, "draft", True),
        (2, "regenerate", False),
    ]


async def test_an_edit_goes_straight_to_rendering_with_the_new_text(
    client: httpx.AsyncClient, redis: Redis, data_dir: Path
) -> None:
    ready = await _drafted_and_rendered(client, redis, data_dir)
    response = await client.put(f"/api/proposals/{ready['id']}/sections/terms", json={"content": "Validade: 15 dias."})
    assert response.status_code == 202
    assert response.json()["status"] == "rendering" and response.json()["version"] == 2

    async def drafted_for_v2() -> list[ProposalDrafted]:
        entries = await redis.xrange(Stream.PROPOSAL_DRAFTED.value)
        events = [decode(fields).open(ProposalDrafted) for _, fields in entries]
        return [event for event in events if event.version == 2]

    (event,) = await wait_for(drafted_for_v2)
    assert event.origin == "edit" and event.edited_section is not None and event.edited_section.value == "terms"
    assert event.sections[-1].content == "Validade: 15 dias."
    assert event.provider == "ollama" and event.ai_generated
