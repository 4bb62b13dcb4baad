"""A request whose drafting always crashes ends dead-lettered, with its proposal visibly failed: nothing is lost."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from propos4l.generator.drafting import Draft
from propos4l.generator.handlers import GenerationHandlers
from propos4l.generator.llm import RetryListener, TextListener
from propos4l.shared.delivery import Consumer, ConsumerOptions, Publisher
from propos4l.shared.events import ProposalRequest, SectionRegenerationRequested
from propos4l.shared.streams import ConsumerGroup, Stream, dead_letter_stream
from tests.support.gateway import AUTH, gateway_settings, running_gateway
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


class CrashingDrafter:
    """A drafter with a bug: every call raises, as an unexpected exception would."""

    provider = "ollama"
    model = "qwen2.5:7b"

    def __init__(self) -> None:
        self.calls = 0

    async def draft(
        self,
        request: ProposalRequest,
        on_text: TextListener | None = None,
        on_retry: RetryListener | None = None,
        **grounding: object,
    ) -> Draft:
        self.calls += 1
        raise RuntimeError("unexpected bug while drafting")

    async def regenerate(
        self,
        regeneration: SectionRegenerationRequested,
        on_text: TextListener | None = None,
        on_retry: RetryListener | None = None,
    ) -> Draft:
        self.calls += 1
        raise RuntimeError("unexpected bug while drafting")


async def test_message_that_always_fails_is_dead_lettered_and_its_proposal_failed(
    database_url: str, redis_url: str, redis: Redis, data_dir: Path
) -> None:
    drafter = CrashingDrafter()
    publisher = Publisher(redis)
    handlers = GenerationHandlers(drafter, publisher, max_deliveries=3)
    consumer = Consumer(
        redis,
        stream=Stream.PROPOSAL_REQUESTED,
        group=ConsumerGroup.GENERATOR,
        consumer="generator-test",
        handler=handlers.on_requested,
        on_dead_letter=handlers.on_dead_letter,
        options=ConsumerOptions(visibility_timeout=0.3, max_deliveries=3, block=0.1, shutdown_grace=0.5),
    )
    task = asyncio.create_task(consumer.run())
    try:
        async with running_gateway(gateway_settings(database_url, redis_url, data_dir)) as (_, client):
            created = await client.post(
                "/api/proposals",
                json={"client_name": "ACME", "industry": "Retail", "requirements": "ERP"},
                headers=AUTH,
            )
            proposal_id = created.json()["id"]

            async def failed() -> dict[str, Any] | None:
                body: dict[str, Any] = (await client.get(f"/api/proposals/{proposal_id}", headers=AUTH)).json()
                return body if body["status"] == "failed" else None

            proposal = await wait_for(failed, timeout=30, message="the proposal was never marked failed")
    finally:
        await consumer.stop()
        await asyncio.wait_for(task, timeout=10)
    assert drafter.calls == 3
    assert proposal["error"]["stage"] == "generation"
    assert "gave up after 3 failed deliveries" in proposal["error"]["detail"]
    dead = await redis.xrange(dead_letter_stream(Stream.PROPOSAL_REQUESTED, ConsumerGroup.GENERATOR))
    assert len(dead) == 1 and dead[0][1]["original:proposal_id"] == proposal_id
    assert int((await redis.xpending(Stream.PROPOSAL_REQUESTED.value, ConsumerGroup.GENERATOR.value))["pending"]) == 0
