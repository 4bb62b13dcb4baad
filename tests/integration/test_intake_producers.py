"""Producers' own intake streams, through the gateway against real Redis (with the producers' ACL users) and
PostgreSQL: the stream says who wrote an entry, so a producer cannot pass for another, and each reads only the
lifecycle and rejections of its own requests."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from propos4l.gateway.intake import intake_proposal_id
from propos4l.shared.cli import main
from propos4l.shared.consumer_groups import HANDED_BACK
from propos4l.shared.envelope import decode
from propos4l.shared.events import IntakeRejected, ProposalLifecycleChanged
from propos4l.shared.localrun.servers import LocalRedis
from propos4l.shared.producer_access import list_producers
from propos4l.shared.streams import ConsumerGroup, Stream, producer_streams
from tests.support.gateway import AUTH, RunningGateway, gateway_settings, running_gateway
from tests.support.producers import ProducerFactory, producers
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

REQUEST = json.dumps(
    {
        "client_name": "Acme Logística",
        "industry": "Logistics",
        "requirements": "Track the fleet in real time and integrate with the ERP.",
        "language": "en",
    }
)


@pytest.fixture
async def connect_producer(redis: Redis, redis_server: LocalRedis) -> AsyncIterator[ProducerFactory]:
    async with producers(redis, redis_server.url) as connect:
        yield connect


@pytest.fixture
async def gateway(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(database_url, redis_url, data_dir, intake_producer_scan_seconds=0.2)
    async with running_gateway(settings) as running:
        yield running


async def _entries(client: Redis, stream: str) -> list[dict[str, Any]]:
    return [fields for _, fields in await client.xrange(stream)]


async def test_a_message_on_a_producers_stream_is_that_producers_whatever_source_it_claims(
    connect_producer: ProducerFactory, gateway: RunningGateway, redis: Redis
) -> None:
    crm = await connect_producer("crm")
    await connect_producer("erp")
    mine, theirs = producer_streams("crm"), producer_streams("erp")
    # Without `source`: the stream's producer. Claiming another producer's name: refused, nothing created.
    await crm.xadd(mine.intake, {"schema_version": "1", "idempotency_key": "k-1", "request": REQUEST})
    await crm.xadd(
        mine.intake,
        {"schema_version": "1", "source": "erp", "idempotency_key": "k-2", "correlation_id": "c-2", "request": REQUEST},
    )
    # Naming itself is fine.
    await crm.xadd(mine.intake, {"schema_version": "1", "source": "crm", "idempotency_key": "k-3", "request": REQUEST})

    async def rejected() -> list[IntakeRejected]:
        return [decode(fields).open(IntakeRejected) for fields in await _entries(crm, mine.rejected)]

    [refusal] = await wait_for(rejected, timeout=15, message="the claim of another source was not rejected")
    assert refusal.source == "crm" and refusal.idempotency_key == "k-2" and refusal.correlation_id == "c-2"
    assert [(error.field, error.type) for error in refusal.errors] == [("source", "source_mismatch")]

    async def accepted() -> list[ProposalLifecycleChanged] | None:
        events = [decode(fields).open(ProposalLifecycleChanged) for fields in await _entries(crm, mine.lifecycle)]
        return events if len(events) >= 2 else None

    events = await wait_for(accepted, timeout=15, message="the producer's lifecycle stream got no events")
    assert {event.proposal_id for event in events} == {intake_proposal_id("crm", key) for key in ("k-1", "k-3")}
    assert {(event.kind, event.source) for event in events} == {("accepted", "crm")}
    listed = (await gateway.client.get("/api/proposals", headers=AUTH)).json()
    assert sorted(item["id"] for item in listed["items"]) == sorted(
        str(intake_proposal_id("crm", key)) for key in ("k-1", "k-3")
    )
    # The same events are on the shared stream (webhooks read it), and nothing of crm's on erp's streams.
    shared = {decode(fields).event_id for fields in await _entries(redis, Stream.PROPOSAL_LIFECYCLE.value)}
    assert {event.event_id for event in events} <= shared
    assert await redis.xlen(theirs.lifecycle) == 0 and await redis.xlen(theirs.rejected) == 0
    assert await redis.xlen(Stream.INTAKE_REJECTED.value) == 0


async def test_a_producer_added_while_the_gateway_runs_is_read_without_a_restart(
    gateway: RunningGateway, connect_producer: ProducerFactory
) -> None:
    late = await connect_producer("site-form")
    streams = producer_streams("site-form")
    await late.xadd(streams.intake, {"schema_version": "1", "idempotency_key": "late-1", "request": REQUEST})

    async def created() -> bool:
        answer = await gateway.client.get(f"/api/proposals/{intake_proposal_id('site-form', 'late-1')}", headers=AUTH)
        return answer.status_code == 200

    await wait_for(created, timeout=15, message="the new producer's stream was not read")


async def test_a_revoked_producer_is_no_longer_read_and_is_read_again_once_made_again(
    gateway: RunningGateway,
    connect_producer: ProducerFactory,
    redis: Redis,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    streams = producer_streams("site-form")
    producer = await connect_producer("site-form")
    await producer.xadd(streams.intake, {"schema_version": "1", "idempotency_key": "before", "request": REQUEST})
    await wait_for(lambda: _exists(gateway, "before"), timeout=15, message="the producer's stream was not read")
    assert await _gateway_readers(redis, streams.intake)  # the gateway's consumer is in the group

    monkeypatch.setenv("REDIS_URL", redis_url)
    assert await asyncio.to_thread(main, ["intake", "revoke", "site-form"]) == 0
    assert "site-form" not in await list_producers(redis)

    async def left_the_group() -> bool:
        return not await _gateway_readers(redis, streams.intake)

    await wait_for(left_the_group, timeout=15, message="the gateway still reads the revoked producer's stream")
    # What reaches the stream now (here through the admin, as the producer can no longer connect) waits there.
    await redis.xadd(streams.intake, {"schema_version": "1", "idempotency_key": "while-revoked", "request": REQUEST})
    assert not await _exists(gateway, "while-revoked")

    await connect_producer("site-form")  # made again: read again, from where the group stopped
    await wait_for(lambda: _exists(gateway, "while-revoked"), timeout=15, message="the producer made again is not read")


async def _exists(gateway: RunningGateway, key: str) -> bool:
    answer = await gateway.client.get(f"/api/proposals/{intake_proposal_id('site-form', key)}", headers=AUTH)
    return answer.status_code == 200


async def _gateway_readers(redis: Redis, stream: str) -> list[str]:
    """The consumers of the gateway's group on `stream` (the hand-back placeholder left out)."""
    consumers = await redis.xinfo_consumers(stream, ConsumerGroup.GATEWAY.value)
    names = [entry["name"] for entry in consumers]
    return [name.decode() if isinstance(name, bytes) else str(name) for name in names if name != HANDED_BACK]
