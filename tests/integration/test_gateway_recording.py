"""The gateway records what the pipeline reports, as the generator and renderer publish it through a real Redis."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from propos4l.shared.delivery import Publisher
from propos4l.shared.envelope import decode, encode
from propos4l.shared.events import (
    FailureStage,
    GenerationStarted,
    LlmUsage,
    ProposalDrafted,
    ProposalFailed,
    ProposalRendered,
    ProposalRequest,
    Section,
)
from propos4l.shared.sections import SECTION_KEYS, Language, section_title
from propos4l.shared.streams import ConsumerGroup, Stream, dead_letter_stream
from tests.support.gateway import AUTH, RunningGateway, gateway_settings, running_gateway
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

PROBLEM_JSON = "application/problem+json"
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

REQUEST: dict[str, Any] = {
    "client_name": "Acme Logística",
    "industry": "Logistics",
    "requirements": "Track the fleet in real time and integrate with the ERP.",
    "language": "en",
}


@pytest.fixture
def storage(data_dir: Path) -> Path:
    path = data_dir / "pdfs"
    path.mkdir()
    return path


@pytest.fixture
async def gateway(database_url: str, redis_url: str, storage: Path) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(database_url, redis_url, storage.parent, delivery_visibility_timeout_seconds=1)
    async with running_gateway(settings) as running:
        yield running


@pytest.fixture
def publisher(redis: Redis) -> Publisher:
    return Publisher(redis)


# --- helpers --------------------------------------------------------------------------------------------------------


async def create_proposal(client: httpx.AsyncClient) -> uuid.UUID:
    response = await client.post("/api/proposals", json=REQUEST, headers=AUTH)
    assert response.status_code == 202, response.text
    return uuid.UUID(response.json()["id"])


async def view(client: httpx.AsyncClient, proposal_id: uuid.UUID) -> dict[str, Any]:
    response = await client.get(f"/api/proposals/{proposal_id}", headers=AUTH)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def has_status(client: httpx.AsyncClient, proposal_id: uuid.UUID, status: str) -> Callable[[], Awaitable[Any]]:
    async def condition() -> dict[str, Any] | None:
        body = await view(client, proposal_id)
        return body if body["status"] == status else None

    return condition


async def wait_for_status(client: httpx.AsyncClient, proposal_id: uuid.UUID, status: str) -> dict[str, Any]:
    body: dict[str, Any] = await wait_for(
        has_status(client, proposal_id, status), timeout=10, message=f"proposal never became {status}"
    )
    return body


async def wait_until_consumed(redis: Redis, stream: Stream, entry_id: str) -> None:
    """Wait until the gateway's group has read `entry_id` of `stream` and acknowledged everything it read."""

    async def consumed() -> bool:
        groups = await redis.xinfo_groups(stream.value)
        group = next((g for g in groups if g["name"] == ConsumerGroup.GATEWAY.value), None)
        if group is None:
            return False
        read_up_to = tuple(int(part) for part in str(group["last-delivered-id"]).split("-"))
        wanted = tuple(int(part) for part in entry_id.split("-"))
        return read_up_to >= wanted and int(group["pending"]) == 0

    await wait_for(consumed, timeout=10, message=f"the gateway never settled {entry_id} of {stream.value}")


def request_model() -> ProposalRequest:
    return ProposalRequest.model_validate(REQUEST)


def sections(marker: str = "") -> tuple[Section, ...]:
    return tuple(
        Section(
            key=key,
            title=section_title(key, Language.EN),
            content=f"## {section_title(key, Language.EN)}\n\nContent of {key.value}{marker}.",
        )
        for key in SECTION_KEYS
    )


def started(proposal_id: uuid.UUID, version: int = 1) -> GenerationStarted:
    return GenerationStarted(proposal_id=proposal_id, version=version, provider="ollama", model="llama3.2:3b")


def drafted(proposal_id: uuid.UUID, version: int = 1, marker: str = "") -> ProposalDrafted:
    return ProposalDrafted(
        proposal_id=proposal_id,
        version=version,
        request=request_model(),
        sections=sections(marker),
        provider="ollama",
        model="llama3.2:3b",
        ai_generated=True,
        prompt_version="proposal-v1",
        usage=LlmUsage(prompt_tokens=812, output_tokens=2048, duration_ms=31_500),
    )


def rendered(storage: Path, proposal_id: uuid.UUID, version: int = 1, *, write: bool = True) -> ProposalRendered:
    relative = f"{proposal_id}/v{version}.pdf"
    if write:
        (storage / str(proposal_id)).mkdir(exist_ok=True)
        (storage / relative).write_bytes(PDF_BYTES)
    return ProposalRendered(
        proposal_id=proposal_id,
        version=version,
        pdf_path=relative,
        pdf_sha256=hashlib.sha256(PDF_BYTES).hexdigest(),
        pdf_bytes=len(PDF_BYTES),
        pages=3,
        render_ms=420,
    )


def failed(proposal_id: uuid.UUID, stage: FailureStage = FailureStage.GENERATION, detail: str = "") -> ProposalFailed:
    return ProposalFailed(
        proposal_id=proposal_id,
        version=1,
        stage=stage,
        detail=detail or "the model server did not answer within 120 s",
    )


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


def assert_sections_recorded(body: dict[str, Any], marker: str = "") -> None:
    assert [section["key"] for section in body["sections"]] == [key.value for key in SECTION_KEYS]
    assert body["sections"][0] == {
        "key": "executive_summary",
        "title": "Executive summary",
        "content": f"## Executive summary\n\nContent of executive_summary{marker}.",
    }
    assert body["sections"][-1]["title"] == "Terms and conditions"


# --- the happy path -------------------------------------------------------------------------------------------------


async def test_a_proposal_moves_from_generating_to_rendering_to_ready_and_its_pdf_downloads(
    client: httpx.AsyncClient, publisher: Publisher, storage: Path
) -> None:
    proposal_id = await create_proposal(client)
    pdf_url = f"/api/proposals/{proposal_id}/pdf"

    await publisher.publish(started(proposal_id))
    generating = await wait_for_status(client, proposal_id, "generating")
    assert generating["sections"] == [] and generating["draft"] is None and generating["pdf_url"] is None

    await publisher.publish(drafted(proposal_id))
    drafting_done = await wait_for_status(client, proposal_id, "rendering")
    assert_sections_recorded(drafting_done)
    assert drafting_done["draft"] == {
        "provider": "ollama",
        "model": "llama3.2:3b",
        "ai_generated": True,
        "prompt_version": "proposal-v1",
        "prompt_tokens": 812,
        "output_tokens": 2048,
        "duration_ms": 31_500,
    }
    assert drafting_done["pdf_url"] is None
    problem = assert_problem(await client.get(pdf_url, headers=AUTH), 409)
    assert "rendering" in problem["detail"]

    await publisher.publish(rendered(storage, proposal_id))
    ready = await wait_for_status(client, proposal_id, "ready")
    assert ready["pdf_url"] == pdf_url
    assert ready["pages"] == 3
    assert ready["error"] is None
    assert_sections_recorded(ready)

    for params in ({}, {"version": 1}):
        response = await client.get(pdf_url, params=params, headers=AUTH)
        assert response.status_code == 200, response.text
        assert response.content == PDF_BYTES
        assert response.headers["content-type"] == "application/pdf"
        disposition = response.headers["content-disposition"]
        assert disposition.startswith("attachment")
        assert 'filename="acme-logistica-v1.pdf"' in disposition

    listed = (await client.get("/api/proposals", params={"status": "ready"}, headers=AUTH)).json()
    assert [item["id"] for item in listed["items"]] == [str(proposal_id)]
    assert listed["items"][0]["pdf_url"] == pdf_url


async def test_a_failure_shows_its_stage_and_detail_and_the_pdf_is_a_409(
    client: httpx.AsyncClient, publisher: Publisher
) -> None:
    proposal_id = await create_proposal(client)
    await publisher.publish(started(proposal_id))
    await wait_for_status(client, proposal_id, "generating")
    await publisher.publish(failed(proposal_id, FailureStage.GENERATION, "the model returned no valid JSON"))

    body = await wait_for_status(client, proposal_id, "failed")
    assert body["error"] == {"stage": "generation", "detail": "the model returned no valid JSON"}
    assert body["pdf_url"] is None
    problem = assert_problem(await client.get(f"/api/proposals/{proposal_id}/pdf", headers=AUTH), 409)
    assert "failed" in problem["detail"]
    listed = (await client.get("/api/proposals", params={"status": "failed"}, headers=AUTH)).json()
    assert listed["total"] == 1
    assert listed["items"][0]["error"] == body["error"]


# --- idempotency and ordering ---------------------------------------------------------------------------------------


async def test_the_same_drafted_event_delivered_twice_is_recorded_once(
    client: httpx.AsyncClient, app: FastAPI, publisher: Publisher, redis: Redis
) -> None:
    proposal_id = await create_proposal(client)
    event = drafted(proposal_id)
    await publisher.publish(event)
    first = await wait_for_status(client, proposal_id, "rendering")

    duplicate_entry = await publisher.publish(event)
    await wait_until_consumed(redis, Stream.PROPOSAL_DRAFTED, duplicate_entry)

    again = await view(client, proposal_id)
    assert again == first, "a redelivered event must not change the record"
    async with app.state.pool.acquire() as connection:
        processed = await connection.fetchval(
            "SELECT count(*) FROM processed_events WHERE consumer_group = 'gateway' AND event_id = $1", event.event_id
        )
        versions = await connection.fetchval(
            "SELECT count(*) FROM proposal_versions WHERE proposal_id = $1", proposal_id
        )
    assert processed == 1
    assert versions == 1
    assert await redis.xlen(dead_letter_stream(Stream.PROPOSAL_DRAFTED, ConsumerGroup.GATEWAY)) == 0


async def test_a_second_draft_of_the_same_version_does_not_replace_the_first(
    client: httpx.AsyncClient, publisher: Publisher, redis: Redis
) -> None:
    proposal_id = await create_proposal(client)
    await publisher.publish(drafted(proposal_id, marker=" (first)"))
    await wait_for_status(client, proposal_id, "rendering")
    entry = await publisher.publish(drafted(proposal_id, marker=" (second)"))
    await wait_until_consumed(redis, Stream.PROPOSAL_DRAFTED, entry)
    assert_sections_recorded(await view(client, proposal_id), marker=" (first)")


async def test_a_failure_arriving_after_ready_does_not_override_ready(
    client: httpx.AsyncClient, publisher: Publisher, storage: Path, redis: Redis
) -> None:
    proposal_id = await create_proposal(client)
    await publisher.publish(drafted(proposal_id))
    await wait_for_status(client, proposal_id, "rendering")
    await publisher.publish(rendered(storage, proposal_id))
    ready = await wait_for_status(client, proposal_id, "ready")

    entry = await publisher.publish(failed(proposal_id, FailureStage.RENDERING, "a late duplicate failure"))
    await wait_until_consumed(redis, Stream.PROPOSAL_FAILED, entry)

    after = await view(client, proposal_id)
    assert after["status"] == "ready"
    assert after["error"] is None
    assert after["updated_at"] == ready["updated_at"]
    response = await client.get(f"/api/proposals/{proposal_id}/pdf", headers=AUTH)
    assert response.status_code == 200 and response.content == PDF_BYTES


async def test_rendered_arriving_before_drafted_still_ends_ready_with_the_sections(
    client: httpx.AsyncClient, publisher: Publisher, storage: Path, redis: Redis
) -> None:
    proposal_id = await create_proposal(client)
    entry = await publisher.publish(rendered(storage, proposal_id))
    await wait_until_consumed(redis, Stream.PROPOSAL_RENDERED, entry)
    early = await view(client, proposal_id)
    assert early["status"] == "queued", "never ready without its sections"
    assert early["pdf_url"] == f"/api/proposals/{proposal_id}/pdf"

    await publisher.publish(drafted(proposal_id))
    body = await wait_for_status(client, proposal_id, "ready")
    assert body is not None
    assert_sections_recorded(body)
    assert body["draft"]["model"] == "llama3.2:3b"
    assert body["pages"] == 3

    # A late "started" does not move the status back either.
    entry = await publisher.publish(started(proposal_id))
    await wait_until_consumed(redis, Stream.GENERATION_STARTED, entry)
    assert (await view(client, proposal_id))["status"] == "ready"
    response = await client.get(f"/api/proposals/{proposal_id}/pdf", headers=AUTH)
    assert response.status_code == 200 and response.content == PDF_BYTES


# --- events the gateway cannot record -------------------------------------------------------------------------------


async def test_an_event_about_an_unknown_proposal_is_dead_lettered_and_later_events_still_recorded(
    client: httpx.AsyncClient, publisher: Publisher, redis: Redis
) -> None:
    unknown = uuid.uuid4()
    stray = drafted(unknown)
    await publisher.publish(stray)
    dead_stream = "propos4l.proposal.drafted.dead.gateway"
    assert dead_stream == dead_letter_stream(Stream.PROPOSAL_DRAFTED, ConsumerGroup.GATEWAY)

    async def dead_letters() -> list[Any]:
        entries: list[Any] = list(await redis.xrange(dead_stream) or [])
        return entries

    entries = await wait_for(dead_letters, timeout=10, message="the stray event was never dead-lettered")
    assert len(entries) == 1
    _entry_id, fields = entries[0]
    assert str(unknown) in fields["dead:reason"]
    assert fields["dead:group"] == "gateway"
    assert fields["dead:stream"] == Stream.PROPOSAL_DRAFTED.value
    original = decode({k.removeprefix("original:"): v for k, v in fields.items() if k.startswith("original:")})
    assert original.event_id == stray.event_id

    # The consumer lives on: a real proposal's events are recorded afterwards, on the same stream and others.
    proposal_id = await create_proposal(client)
    await publisher.publish(started(proposal_id))
    await wait_for_status(client, proposal_id, "generating")
    await publisher.publish(drafted(proposal_id))
    assert_sections_recorded(await wait_for_status(client, proposal_id, "rendering"))
    assert await redis.xlen(dead_stream) == 1
    listed = (await client.get("/api/proposals", headers=AUTH)).json()
    assert listed["total"] == 1


async def test_a_forged_rendered_event_leaves_no_orphan_pdf_and_no_version(
    client: httpx.AsyncClient, publisher: Publisher, redis: Redis, storage: Path
) -> None:
    known = await create_proposal(client)
    await publisher.publish(drafted(known))
    await wait_for_status(client, known, "rendering")
    await publisher.publish(rendered(storage, known))
    await wait_for_status(client, known, "ready")
    # What a renderer writes for a valid event about a proposal, or a version, the gateway never recorded.
    unknown_proposal = rendered(storage, uuid.uuid4())
    unknown_version = rendered(storage, known, version=7)
    # One that names a recorded version's PDF as its file: that file is not the forger's to remove.
    pointing_elsewhere = rendered(storage, uuid.uuid4(), write=False).model_copy(update={"pdf_path": f"{known}/v1.pdf"})
    for event in (unknown_proposal, unknown_version, pointing_elsewhere):
        await publisher.publish(event)
    dead_stream = dead_letter_stream(Stream.PROPOSAL_RENDERED, ConsumerGroup.GATEWAY)

    async def all_dead() -> bool:
        return int(await redis.xlen(dead_stream)) == 3

    await wait_for(all_dead, timeout=15, message="the forged events were not all refused")
    assert not (storage / unknown_proposal.pdf_path).exists()
    assert not (storage / unknown_version.pdf_path).exists()
    assert (storage / f"{known}/v1.pdf").read_bytes() == PDF_BYTES
    assert (await view(client, known))["version"] == 1
    old_version = await client.get(f"/api/proposals/{known}/pdf?version=7", headers=AUTH)
    assert old_version.status_code == 404, old_version.text


async def test_an_unreadable_event_about_a_known_proposal_fails_it_at_the_recording_stage(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    proposal_id = await create_proposal(client)
    fields = encode(drafted(proposal_id))
    fields["payload"] = '{"proposal_id": "not what a drafted event holds"}'
    await redis.xadd(Stream.PROPOSAL_DRAFTED.value, fields)  # type: ignore[arg-type]

    body = await wait_for_status(client, proposal_id, "failed")
    assert body["error"]["stage"] == "recording"
    assert "gateway" in body["error"]["detail"]
    assert await redis.xlen(dead_letter_stream(Stream.PROPOSAL_DRAFTED, ConsumerGroup.GATEWAY)) == 1


async def test_a_rendered_pdf_missing_from_storage_is_a_409_not_a_500(
    client: httpx.AsyncClient, publisher: Publisher, storage: Path
) -> None:
    proposal_id = await create_proposal(client)
    await publisher.publish(drafted(proposal_id))
    await wait_for_status(client, proposal_id, "rendering")
    await publisher.publish(rendered(storage, proposal_id, write=False))
    await wait_for_status(client, proposal_id, "ready")

    problem = assert_problem(await client.get(f"/api/proposals/{proposal_id}/pdf", headers=AUTH), 409)
    assert "missing" in problem["detail"]
    response = await client.get(f"/api/proposals/{proposal_id}/pdf", params={"version": 1}, headers=AUTH)
    assert_problem(response, 409)
