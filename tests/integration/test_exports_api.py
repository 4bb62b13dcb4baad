"""GET /api/proposals/{id}/export: the same version as HTML that needs nothing else, or as Markdown."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from propos4l.renderer.sample import sample_drafted
from propos4l.shared.delivery import Publisher
from propos4l.shared.events import ProposalDrafted, ProposalRequest, Section
from propos4l.shared.sections import Language, SectionKey
from tests.support.gateway import AUTH, gateway_settings, running_gateway
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = gateway_settings(database_url, redis_url, data_dir, delivery_visibility_timeout_seconds=1)
    async with running_gateway(settings) as (_, http):
        yield http


async def drafted_proposal(
    client: httpx.AsyncClient, redis: Redis, language: Language = Language.PT_BR, *, marker: str = ""
) -> tuple[uuid.UUID, ProposalDrafted]:
    """A proposal asked for through the API, then drafted (as the generator would publish it) and recorded."""
    sample = sample_drafted(language)
    request = sample.request.model_dump(mode="json", exclude_none=True)
    response = await client.post("/api/proposals", json=request, headers=AUTH)
    assert response.status_code == 202, response.text
    proposal_id = uuid.UUID(response.json()["id"])
    sections = tuple(
        Section(key=s.key, title=s.title, content=s.content + marker) if s.key is SectionKey.SOLUTION else s
        for s in sample.sections
    )
    drafted = sample.model_copy(
        update={
            "event_id": uuid.uuid4(),
            "proposal_id": proposal_id,
            "request": ProposalRequest.model_validate(request),
            "sections": sections,
        }
    )
    await Publisher(redis).publish(drafted)

    async def recorded() -> bool:
        body = (await client.get(f"/api/proposals/{proposal_id}", headers=AUTH)).json()
        return body["status"] == "rendering"

    await wait_for(recorded, timeout=10, message="the draft was never recorded")
    return proposal_id, drafted


async def export(client: httpx.AsyncClient, proposal_id: uuid.UUID, **params: Any) -> httpx.Response:
    return await client.get(f"/api/proposals/{proposal_id}/export", params=params, headers=AUTH)


async def test_markdown_export_has_the_version_content_and_computed_totals(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    proposal_id, drafted = await drafted_proposal(client, redis, marker="\n\nMARCA-DA-VERSAO")
    response = await export(client, proposal_id, format="md")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert (
        response.headers["content-disposition"] == 'attachment; filename="cooperativa-agroindustrial-vale-verde-v1.md"'
    )
    markdown = response.text
    for number, section in enumerate(drafted.sections, start=1):
        assert f"## {number:02d} {section.title}" in markdown
    assert "MARCA-DA-VERSAO" in markdown
    for amount in (
        "**R$ 331.500,00**",
        "**Desconto (8%)**",
        "**−R$ 26.520,00**",
        "**R$ 15.249,00**",
        "**R$ 320.229,00**",
    ):
        assert amount in markdown  # the discount of the request, the tax of the template, computed by code


async def test_html_export_is_self_contained_and_served_as_a_download(client: httpx.AsyncClient, redis: Redis) -> None:
    proposal_id, drafted = await drafted_proposal(client, redis, Language.EN)
    response = await export(client, proposal_id, format="html")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="northwind-logistics-v1.html"'
    assert response.headers["content-security-policy"].startswith("sandbox; default-src 'none'")
    document = response.text
    assert '<html lang="en">' in document and drafted.request.client_name in document
    assert "R$257,088.83" in document
    urls = re.findall(r"""(?:src|href)="([^"]*)"|url\("([^"]*)"\)""", document)
    assert urls and all(any(u.startswith(("data:", "#", "mailto:")) for u in pair if u) for pair in urls), urls


async def test_exports_of_versions_that_do_not_exist_or_are_not_drafted(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    proposal_id, _ = await drafted_proposal(client, redis)
    assert (await export(client, proposal_id, format="md", version=1)).status_code == 200
    assert (await export(client, proposal_id, format="md", version=2)).status_code == 404
    assert (await export(client, proposal_id, format="pdf")).status_code == 422
    assert (await export(client, proposal_id)).status_code == 422
    assert (await export(client, uuid.uuid4(), format="md")).status_code == 404

    queued = await client.post(
        "/api/proposals", json={"client_name": "X", "industry": "Y", "requirements": "Z"}, headers=AUTH
    )
    response = await export(client, uuid.UUID(queued.json()["id"]), format="html")
    assert response.status_code == 409 and "no drafted content yet" in response.json()["detail"]


async def test_the_discount_is_stored_with_the_request(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/proposals",
        json={"client_name": "X", "industry": "Y", "requirements": "Z", "discount_percent": "12.5"},
        headers=AUTH,
    )
    assert response.status_code == 202, response.text
    assert response.json()["discount_percent"] == "12.50"
    refused = await client.post(
        "/api/proposals",
        json={"client_name": "X", "industry": "Y", "requirements": "Z", "discount_percent": 120},
        headers=AUTH,
    )
    assert refused.status_code == 422 and "discount_percent" in refused.json()["detail"]
