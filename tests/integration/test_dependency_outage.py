"""A dependency outage is not the message's fault: finished work survives it, poison messages are still given up on.

PostgreSQL is stopped for longer than `visibility timeout x max deliveries` while the workers finish proposals. The
gateway cannot record what they report; its consumers pause and hold those events without counting deliveries, and
resume by themselves once PostgreSQL is back: every proposal ends ready, none in a dead-letter stream. An event the
gateway can never record (about a proposal it never stored) is still dead-lettered, once.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from redis.asyncio import Redis

from propos4l.shared.db import apply_migrations
from propos4l.shared.delivery import Publisher
from propos4l.shared.events import ProposalRendered
from propos4l.shared.localrun.servers import LocalPostgres
from propos4l.shared.streams import ConsumerGroup, Stream, dead_letter_stream
from tests.support.fake_ollama import FakeOllama
from tests.support.gateway import AUTH, gateway_settings, running_gateway
from tests.support.pipeline import workers
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

REQUEST = {"client_name": "Construtora Horizonte", "industry": "Construção civil", "requirements": "Portal de obras"}
VISIBILITY_TIMEOUT = 0.5
MAX_DELIVERIES = 2
OUTAGE_SECONDS = 4 * VISIBILITY_TIMEOUT * MAX_DELIVERIES  # well past what the delivery limit would allow


async def test_finished_work_survives_a_postgres_outage_longer_than_the_delivery_limit(
    run_dir: Path, redis_url: str, redis: Redis, data_dir: Path
) -> None:
    server = LocalPostgres(run_dir / "postgres")
    server.start()
    try:
        await apply_migrations(server.url)
        settings = gateway_settings(
            server.url,
            redis_url,
            data_dir,
            delivery_visibility_timeout_seconds=VISIBILITY_TIMEOUT,
            delivery_max_deliveries=MAX_DELIVERIES,
        )
        with FakeOllama(models=["qwen2.5:7b"], chunk_delay=0.05) as fake:
            async with running_gateway(settings, headers=AUTH) as gateway, workers(redis_url, fake, data_dir):
                client = gateway.client
                ids = [(await client.post("/api/proposals", json=REQUEST)).json()["id"] for _ in range(3)]

                async def all_published() -> bool:
                    return int(await redis.xlen(Stream.PROPOSAL_REQUESTED.value)) == len(ids)

                await wait_for(all_published, timeout=30, message="the outbox never published the requests")
                server.stop()  # before any result is recorded: every one of them meets the outage
                unknown = ProposalRendered(
                    proposal_id=uuid.uuid4(),
                    version=1,
                    pdf_path=f"{uuid.uuid4()}/v1.pdf",
                    pdf_sha256="0" * 64,
                    pdf_bytes=1,
                    pages=1,
                    render_ms=1,
                    template_sha256="0" * 64,
                )
                await Publisher(redis).publish(unknown)

                async def all_rendered() -> bool:
                    return all((data_dir / "pdfs" / id_ / "v1.pdf").exists() for id_ in ids)

                await wait_for(all_rendered, timeout=60, message="the workers did not finish during the outage")
                await asyncio.sleep(OUTAGE_SECONDS)  # the outage itself: what the scenario is, not a wait for a state
                server.start()

                async def all_ready() -> bool:
                    statuses = {(await client.get(f"/api/proposals/{id_}")).json().get("status") for id_ in ids}
                    assert "failed" not in statuses, statuses
                    return statuses == {"ready"}

                await wait_for(all_ready, timeout=120, interval=0.5, message="some proposals never got ready")
                # The gateway's own outbox relay outlived the outage too: a proposal asked for now is published.
                ids.append((await client.post("/api/proposals", json=REQUEST)).json()["id"])
                await wait_for(
                    all_ready, timeout=60, interval=0.5, message="a proposal after the outage never got ready"
                )
                dead_rendered = dead_letter_stream(Stream.PROPOSAL_RENDERED, ConsumerGroup.GATEWAY)

                async def poison_dead_lettered() -> bool:
                    return int(await redis.xlen(dead_rendered)) >= 1

                await wait_for(poison_dead_lettered, timeout=30, message="the poison event was not dead-lettered")
        entries = await redis.xrange(dead_rendered)
        assert [fields["original:event_id"] for _, fields in entries] == [str(unknown.event_id)]
        assert "is not known to the gateway" in entries[0][1]["dead:reason"]
        for stream in (Stream.PROPOSAL_DRAFTED, Stream.GENERATION_STARTED, Stream.PROPOSAL_PROGRESSED):
            assert await redis.xlen(dead_letter_stream(stream, ConsumerGroup.GATEWAY)) == 0
    finally:
        server.stop()
