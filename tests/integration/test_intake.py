"""The public intake stream and the lifecycle stream, against real Redis and PostgreSQL: a producer's message
becomes a proposal as POST /api/proposals makes one, duplicates give the same proposal, bad messages are answered
on the rejected stream, and the lifecycle stream carries the producer's correlation id up to `ready`."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from redis.asyncio import Redis

from propos4l.gateway.intake import intake_proposal_id
from propos4l.generator.app import serve as serve_generator
from propos4l.generator.settings import GeneratorSettings
from propos4l.renderer.app import serve as serve_renderer
from propos4l.renderer.settings import RendererSettings
from propos4l.shared.delivery import Publisher
from propos4l.shared.envelope import decode
from propos4l.shared.events import (
    FailureStage,
    IntakeRejected,
    LlmUsage,
    ProposalDrafted,
    ProposalFailed,
    ProposalLifecycleChanged,
    ProposalRendered,
    ProposalRequest,
    Section,
)
from propos4l.shared.sections import SECTION_KEYS, Language, section_title
from propos4l.shared.streams import Stream
from tests.support.gateway import AUTH, RunningGateway, gateway_settings, running_gateway
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

REQUEST: dict[str, Any] = {
    "client_name": "Acme Logística",
    "industry": "Logistics",
    "requirements": "Track the fleet in real time and integrate with the ERP.",
    "language": "en",
}
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture
async def gateway(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(database_url, redis_url, data_dir, delivery_visibility_timeout_seconds=1)
    async with running_gateway(settings) as running:
        yield running


def message(key: str, **overrides: str) -> dict[str, str]:
    fields = {
        "schema_version": "1",
        "source": "crm",
        "idempotency_key": key,
        "correlation_id": f"deal-{key}",
        "request": json.dumps(REQUEST),
        "callback": json.dumps({"deal": "D-42"}),
    }
    return {**fields, **overrides}


async def lifecycle(redis: Redis, proposal_id: uuid.UUID) -> list[ProposalLifecycleChanged]:
    entries = await redis.xrange(Stream.PROPOSAL_LIFECYCLE.value)
    events = [decode(fields).open(ProposalLifecycleChanged) for _, fields in entries]
    return [event for event in events if event.proposal_id == proposal_id]


async def rejections(redis: Redis) -> list[IntakeRejected]:
    entries = await redis.xrange(Stream.INTAKE_REJECTED.value)
    return [decode(fields).open(IntakeRejected) for _, fields in entries]


async def test_a_producers_request_becomes_a_ready_proposal_with_its_correlation_id_on_the_lifecycle_stream(
    gateway: RunningGateway, redis: Redis, data_dir: Path
) -> None:
    await redis.xadd(Stream.INTAKE_PROPOSAL_REQUESTED.value, message("k-1"))  # type: ignore[arg-type]
    proposal_id = intake_proposal_id("crm", "k-1")

    async def accepted() -> list[ProposalLifecycleChanged]:
        return await lifecycle(redis, proposal_id)

    first = await wait_for(accepted, timeout=10, message="no accepted event")
    assert [event.kind for event in first] == ["accepted"]
    assert first[0].correlation_id == "deal-k-1" and first[0].source == "crm"
    assert first[0].callback == {"deal": "D-42"}
    view = (await gateway.client.get(f"/api/proposals/{proposal_id}", headers=AUTH)).json()
    assert view["client_name"] == "Acme Logística" and view["status"] == "queued"
    # The same path as POST /api/proposals: the generator's request is in the outbox, then on its stream.
    requested = await wait_for(lambda: redis.xrange(Stream.PROPOSAL_REQUESTED.value), timeout=10)
    assert decode(requested[0][1]).proposal_id == proposal_id

    publisher = Publisher(redis)
    request = ProposalRequest.model_validate(REQUEST)
    sections = tuple(
        Section(key=key, title=section_title(key, Language.EN), content=f"Content of {key.value}.")
        for key in SECTION_KEYS
    )
    await publisher.publish(
        ProposalDrafted(
            proposal_id=proposal_id,
            version=1,
            request=request,
            sections=sections,
            provider="outline",
            model="outline",
            ai_generated=False,
            prompt_version="outline-v1",
            usage=LlmUsage(),
        )
    )
    (data_dir / "pdfs" / str(proposal_id)).mkdir(parents=True, exist_ok=True)
    (data_dir / "pdfs" / str(proposal_id) / "v1.pdf").write_bytes(PDF_BYTES)
    digest = hashlib.sha256(PDF_BYTES).hexdigest()
    await publisher.publish(
        ProposalRendered(
            proposal_id=proposal_id,
            version=1,
            pdf_path=f"{proposal_id}/v1.pdf",
            pdf_sha256=digest,
            pdf_bytes=len(PDF_BYTES),
            pages=3,
            render_ms=10,
        )
    )

    async def ready() -> list[ProposalLifecycleChanged] | None:
        events = await lifecycle(redis, proposal_id)
        return events if events and events[-1].kind == "ready" else None

    events = await wait_for(ready, timeout=10, message="no ready event")
    assert [event.kind for event in events] == ["accepted", "drafted", "ready"]
    assert {event.correlation_id for event in events} == {"deal-k-1"}
    pdf = events[-1].pdf
    assert pdf is not None and pdf.sha256 == digest and pdf.pages == 3
    download = await gateway.client.get(pdf.api_path, headers=AUTH)
    assert download.status_code == 200 and hashlib.sha256(download.content).hexdigest() == digest


async def test_the_same_idempotency_key_from_the_same_source_gives_the_same_proposal(
    gateway: RunningGateway, redis: Redis
) -> None:
    for _ in range(3):
        await redis.xadd(Stream.INTAKE_PROPOSAL_REQUESTED.value, message("dup"))  # type: ignore[arg-type]
    await redis.xadd(Stream.INTAKE_PROPOSAL_REQUESTED.value, message("dup", source="site-form"))  # type: ignore[arg-type]

    async def settled() -> bool:
        groups = await redis.xinfo_groups(Stream.INTAKE_PROPOSAL_REQUESTED.value)
        return bool(groups) and groups[0]["pending"] == 0 and groups[0]["entries-read"] == 4

    await wait_for(settled, timeout=10, message="the intake messages were not all settled")
    listed = (await gateway.client.get("/api/proposals", headers=AUTH)).json()
    assert sorted(item["id"] for item in listed["items"]) == sorted(
        str(intake_proposal_id(source, "dup")) for source in ("crm", "site-form")
    )
    assert await rejections(redis) == []


async def test_a_failed_proposal_is_on_the_lifecycle_stream_with_its_stage_reason_and_correlation_id(
    gateway: RunningGateway, redis: Redis
) -> None:
    await redis.xadd(Stream.INTAKE_PROPOSAL_REQUESTED.value, message("f-1"))  # type: ignore[arg-type]
    proposal_id = intake_proposal_id("crm", "f-1")
    await wait_for(lambda: lifecycle(redis, proposal_id), timeout=10, message="no accepted event")
    reason = "the model server did not answer within 120 s"
    await Publisher(redis).publish(
        ProposalFailed(proposal_id=proposal_id, version=1, stage=FailureStage.GENERATION, detail=reason)
    )

    async def failed() -> list[ProposalLifecycleChanged] | None:
        events = await lifecycle(redis, proposal_id)
        return events if events[-1].kind == "failed" else None

    events = await wait_for(failed, timeout=10, message="no failed event")
    assert [event.kind for event in events] == ["accepted", "failed"]
    failure = events[-1].failure
    assert failure is not None and (failure.stage, failure.reason) == ("generation", reason)
    assert events[-1].correlation_id == "deal-f-1" and events[-1].pdf is None


async def test_bad_messages_are_rejected_with_the_correlation_id_and_field_errors_shaped_as_a_422(
    gateway: RunningGateway, redis: Redis
) -> None:
    too_long = json.dumps({**REQUEST, "client_name": "x" * 201})
    await redis.xadd(
        Stream.INTAKE_PROPOSAL_REQUESTED.value,
        message("bad-1", request=too_long),  # type: ignore[arg-type]
    )
    await redis.xadd(
        Stream.INTAKE_PROPOSAL_REQUESTED.value,
        {"source": "crm", "correlation_id": "c-2", "request": "{not json"},
    )
    await redis.xadd(
        Stream.INTAKE_PROPOSAL_REQUESTED.value,
        message("bad-3", request=json.dumps({**REQUEST, "template": "no-such"})),  # type: ignore[arg-type]
    )
    found = await wait_for(
        lambda: _at_least(rejections(redis), 3), timeout=10, message="not every bad message was rejected"
    )
    by_correlation = {item.correlation_id: item for item in found}
    first = by_correlation["deal-bad-1"]
    assert first.idempotency_key == "bad-1" and first.source == "crm"
    # The same error as POST /api/proposals gives for that body (field names under `request.`).
    http = await gateway.client.post("/api/proposals", json=json.loads(too_long), headers=AUTH)
    assert http.status_code == 422
    http_error = http.json()["errors"][0]
    assert first.errors[0].model_dump(exclude_none=True) == {**http_error, "field": f"request.{http_error['field']}"}
    second = by_correlation["c-2"]
    assert {error.field for error in second.errors} == {"request"}
    assert second.errors[0].type == "json_invalid"
    third = by_correlation["deal-bad-3"]
    assert third.errors[0].field == "request.template" and "no-such" in third.detail
    listed = (await gateway.client.get("/api/proposals", headers=AUTH)).json()
    assert listed["total"] == 0


async def _at_least(found: Any, count: int) -> list[IntakeRejected] | None:
    items: list[IntakeRejected] = await found
    return items if len(items) >= count else None


async def test_a_producers_request_goes_through_the_real_pipeline_to_a_ready_event_whose_pdf_is_the_one_served(
    gateway: RunningGateway, redis: Redis, redis_url: str, data_dir: Path
) -> None:
    """The generator (outline provider) and the renderer in this process, as in production: the ready event's
    SHA-256 and page count are those of the PDF the API serves. (About 10 s: one real WeasyPrint render.)"""
    delivery = {"delivery_visibility_timeout_seconds": 3.0, "delivery_shutdown_grace_seconds": 1.0}
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(
            serve_generator(GeneratorSettings(redis_url=redis_url, llm_provider="outline", **delivery), stop)
        ),
        asyncio.create_task(
            serve_renderer(
                RendererSettings(
                    redis_url=redis_url,
                    pdf_storage_dir=data_dir / "pdfs",
                    templates_dir=data_dir / "templates",
                    renderer_workers=1,
                    **delivery,
                ),
                stop,
            )
        ),
    ]
    try:
        await redis.xadd(Stream.INTAKE_PROPOSAL_REQUESTED.value, message("real-1"))  # type: ignore[arg-type]
        proposal_id = intake_proposal_id("crm", "real-1")

        async def ready() -> list[ProposalLifecycleChanged] | None:
            events = await lifecycle(redis, proposal_id)
            return events if events and events[-1].kind in ("ready", "failed") else None

        events = await wait_for(ready, timeout=60, message="the proposal never became ready")
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=60)
    assert [event.kind for event in events] == ["accepted", "drafted", "ready"], events[-1].failure
    assert {event.correlation_id for event in events} == {"deal-real-1"}
    pdf = events[-1].pdf
    assert pdf is not None
    served = await gateway.client.get(pdf.api_path, headers=AUTH)
    assert served.status_code == 200
    assert hashlib.sha256(served.content).hexdigest() == pdf.sha256 and len(served.content) == pdf.bytes
    assert len(PdfReader(io.BytesIO(served.content)).pages) == pdf.pages
