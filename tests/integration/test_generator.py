"""The generator against real Redis and the fake Ollama: every failure mode ends drafted or failed, never stuck."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from propos4l.generator.app import serve
from propos4l.generator.settings import GeneratorSettings
from propos4l.shared.delivery import Publisher
from propos4l.shared.envelope import decode
from propos4l.shared.events import (
    GenerationStarted,
    ProposalDrafted,
    ProposalFailed,
    ProposalProgressed,
    ProposalRequest,
    ProposalRequested,
    Section,
    SectionRegenerationRequested,
)
from propos4l.shared.localrun.servers import free_port
from propos4l.shared.sections import SECTION_KEYS, Language, SectionKey, section_title
from propos4l.shared.streams import Stream
from tests.support.fake_ollama import Behaviour, FakeOllama
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def fake() -> Iterator[FakeOllama]:
    with FakeOllama(models=["qwen2.5:7b"]) as server:
        yield server


def _settings(redis_url: str, fake: FakeOllama, **overrides: Any) -> GeneratorSettings:
    values: dict[str, Any] = {
        "redis_url": redis_url,
        "ollama_url": fake.url,
        "ollama_model": "qwen2.5:7b",
        "llm_retry_base_seconds": 0.05,
        "llm_read_timeout_seconds": 10.0,
        "delivery_visibility_timeout_seconds": 0.5,
        "delivery_max_deliveries": 3,
        "delivery_shutdown_grace_seconds": 0.2,
        **overrides,
    }
    return GeneratorSettings(**values)


@contextlib.asynccontextmanager
async def generator(settings: GeneratorSettings) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)


async def _request(redis: Redis, client: str = "Construtora Horizonte") -> ProposalRequested:
    request = ProposalRequest(client_name=client, industry="Construção civil", requirements="Portal de obras")
    event = ProposalRequested(proposal_id=uuid.uuid4(), version=1, request=request)
    await Publisher(redis).publish(event)
    return event


async def _outcome(redis: Redis, timeout: float = 30.0) -> ProposalDrafted | ProposalFailed:
    async def read() -> ProposalDrafted | ProposalFailed | None:
        for stream, event_class in (
            (Stream.PROPOSAL_DRAFTED, ProposalDrafted),
            (Stream.PROPOSAL_FAILED, ProposalFailed),
        ):
            entries = await redis.xrange(stream.value)
            if entries:
                return decode(entries[0][1]).open(event_class)  # type: ignore[no-any-return]
        return None

    return await wait_for(read, timeout=timeout, message="the generator published neither a draft nor a failure")


def _chats(fake: FakeOllama) -> list[dict[str, Any]]:
    return [request.body for request in fake.requests if request.path == "/api/chat"]


async def test_draft_is_published_with_all_sections_and_usage(redis: Redis, redis_url: str, fake: FakeOllama) -> None:
    async with generator(_settings(redis_url, fake, ollama_seed=42, ollama_temperature=0.2)):
        requested = await _request(redis)
        outcome = await _outcome(redis)
    assert isinstance(outcome, ProposalDrafted)
    assert outcome.proposal_id == requested.proposal_id and outcome.version == 1
    assert [section.key for section in outcome.sections] == list(SECTION_KEYS)
    assert "Construtora Horizonte" in outcome.sections[0].content
    assert outcome.ai_generated and outcome.provider == "ollama" and outcome.model == "qwen2.5:7b"
    assert outcome.usage.prompt_tokens and outcome.usage.output_tokens
    started = await redis.xrange(Stream.GENERATION_STARTED.value)
    assert decode(started[0][1]).open(GenerationStarted).proposal_id == requested.proposal_id
    (chat,) = _chats(fake)
    assert chat["options"] == {"temperature": 0.2, "num_ctx": 8192, "seed": 42}
    assert chat["keep_alive"] == "10m"


async def test_server_error_is_retried_then_drafted(redis: Redis, redis_url: str, fake: FakeOllama) -> None:
    fake.script(Behaviour.http_error(500, "CUDA out of memory"), Behaviour.http_error(503, "busy"))
    async with generator(_settings(redis_url, fake, llm_max_attempts=3)):
        await _request(redis)
        outcome = await _outcome(redis)
    assert isinstance(outcome, ProposalDrafted)
    assert len(_chats(fake)) == 3


async def test_unknown_model_fails_at_once_with_its_name(redis: Redis, redis_url: str, fake: FakeOllama) -> None:
    async with generator(_settings(redis_url, fake, ollama_model="mistral-inexistente:7b")):
        await _request(redis)
        outcome = await _outcome(redis)
    assert isinstance(outcome, ProposalFailed)
    assert outcome.stage.value == "generation"
    assert "mistral-inexistente:7b" in outcome.detail
    assert len(_chats(fake)) == 1  # a 404 is not retried


async def test_invalid_json_gets_one_repair_round(redis: Redis, redis_url: str, fake: FakeOllama) -> None:
    fake.script(Behaviour.bad_json())
    async with generator(_settings(redis_url, fake)):
        await _request(redis)
        outcome = await _outcome(redis)
    assert isinstance(outcome, ProposalDrafted)
    first, second = _chats(fake)
    assert len(second["messages"]) == len(first["messages"]) + 2
    assert "não é válida" in second["messages"][-1]["content"]
    assert outcome.usage.output_tokens and outcome.usage.output_tokens > 0


async def test_invalid_answers_twice_fail_with_a_readable_reason(
    redis: Redis, redis_url: str, fake: FakeOllama
) -> None:
    fake.script(Behaviour.bad_json(), Behaviour.schema_violation())
    async with generator(_settings(redis_url, fake)):
        await _request(redis)
        outcome = await _outcome(redis)
    assert isinstance(outcome, ProposalFailed)
    assert "não escreveu uma proposta válida, nem após uma rodada de correção" in outcome.detail


async def test_error_line_mid_stream_is_retried(redis: Redis, redis_url: str, fake: FakeOllama) -> None:
    fake.script(Behaviour.error_line(after_chunks=2, message="llama runner process has terminated"))
    async with generator(_settings(redis_url, fake)):
        await _request(redis)
        outcome = await _outcome(redis)
    assert isinstance(outcome, ProposalDrafted)
    assert len(_chats(fake)) == 2


async def test_hanging_server_times_out_and_the_message_is_redelivered(
    redis: Redis, redis_url: str, fake: FakeOllama
) -> None:
    fake.script(Behaviour.hang(), Behaviour.hang())
    settings = _settings(redis_url, fake, llm_max_attempts=2, llm_read_timeout_seconds=0.5)
    async with generator(settings):
        await _request(redis)
        outcome = await _outcome(redis)
    assert isinstance(outcome, ProposalDrafted)
    assert len(_chats(fake)) == 3  # two timed-out attempts in the first delivery, then the redelivery


async def test_server_down_through_every_delivery_fails_with_the_cause(redis: Redis, redis_url: str) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    settings = GeneratorSettings(
        redis_url=redis_url,
        ollama_url=nowhere,
        llm_max_attempts=1,
        delivery_visibility_timeout_seconds=0.3,
        delivery_max_deliveries=2,
        delivery_shutdown_grace_seconds=0.2,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop))
    try:
        await _request(redis)
        outcome = await _outcome(redis)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=15)
    assert isinstance(outcome, ProposalFailed)
    assert "não respondeu em 2 tentativas de entrega" in outcome.detail
    assert "cannot reach Ollama" in outcome.detail


async def test_the_same_request_twice_yields_the_same_draft_event_id(
    redis: Redis, redis_url: str, fake: FakeOllama
) -> None:
    async with generator(_settings(redis_url, fake)):
        requested = await _request(redis)
        await Publisher(redis).publish(requested)  # a duplicate delivery of the same event
        await wait_for(lambda: _count(redis, Stream.PROPOSAL_DRAFTED), timeout=30)

        async def two() -> bool:
            return await redis.xlen(Stream.PROPOSAL_DRAFTED.value) == 2

        await wait_for(two, timeout=30)
    entries = await redis.xrange(Stream.PROPOSAL_DRAFTED.value)
    ids = {decode(fields).event_id for _, fields in entries}
    assert len(ids) == 1


async def _count(redis: Redis, stream: Stream) -> int:
    return int(await redis.xlen(stream.value))


async def test_progress_reports_partial_text_section_by_section_before_the_draft(redis: Redis, redis_url: str) -> None:
    with FakeOllama(models=["qwen2.5:7b"], chunk_delay=0.01) as slow_fake:
        settings = _settings(redis_url, slow_fake, generator_progress_interval_seconds=0.1)
        async with generator(settings):
            requested = await _request(redis)
            drafted = await _outcome(redis)
    assert isinstance(drafted, ProposalDrafted)
    entries = await redis.xrange(Stream.PROPOSAL_PROGRESSED.value)
    progress = [decode(fields).open(ProposalProgressed) for _, fields in entries]
    assert len(progress) >= 10, "one report per section at least"
    assert all(p.proposal_id == requested.proposal_id for p in progress)
    sections_seen = [p.section for p in progress if p.section is not None]
    assert sections_seen[0] == SECTION_KEYS[0]
    assert set(sections_seen) == set(SECTION_KEYS)
    first_summary = next(p for p in progress if p.section == SECTION_KEYS[0])
    final_summary = drafted.sections[0].content
    assert first_summary.text and final_summary.startswith(first_summary.text.strip()[:10])
    assert progress[-1].completed[: len(SECTION_KEYS) - 1] == SECTION_KEYS[: len(progress[-1].completed)][:9]
    drafted_id = (await redis.xrange(Stream.PROPOSAL_DRAFTED.value))[0][0]
    assert all(entry_id < drafted_id for entry_id, _ in entries), "progress comes before the draft"


async def test_regeneration_rewrites_only_the_asked_section(redis: Redis, redis_url: str, fake: FakeOllama) -> None:
    base = tuple(
        Section(key=key, title=section_title(key, Language.PT_BR), content=f"texto original de {key.value}")
        for key in SECTION_KEYS
    )
    regeneration = SectionRegenerationRequested(
        proposal_id=uuid.uuid4(),
        version=2,
        request=ProposalRequest(client_name="Construtora Horizonte", industry="Construção", requirements="Portal"),
        section=SectionKey.SCOPE,
        instructions="mais curto, destaque segurança",
        base_sections=base,
    )
    async with generator(_settings(redis_url, fake)):
        await Publisher(redis).publish(regeneration)
        outcome = await _outcome(redis)
    assert isinstance(outcome, ProposalDrafted)
    assert outcome.version == 2 and outcome.origin == "regenerate" and outcome.edited_section == SectionKey.SCOPE
    changed = {s.key for s, old in zip(outcome.sections, base, strict=True) if s.content != old.content}
    assert changed == {SectionKey.SCOPE}
    (chat,) = _chats(fake)
    prompt = chat["messages"][-1]["content"]
    assert "mais curto, destaque segurança" in prompt and "texto original de executive_summary" in prompt
    assert set(chat["format"]["required"]) == {"content"}


async def test_missing_model_makes_the_generator_not_ready_and_says_which(redis_url: str, fake: FakeOllama) -> None:
    port = free_port()
    settings = _settings(redis_url, fake, ollama_model="llama3.1:8b", health_port=port)
    async with generator(settings), httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:

        async def not_ready() -> httpx.Response | None:
            try:
                response = await client.get("/ready")
            except httpx.TransportError:
                return None
            return response if response.status_code == 503 else None

        response = await wait_for(not_ready, timeout=10)
        assert "'llama3.1:8b' is missing" in response.json()["reason"]
        assert "OLLAMA_AUTO_PULL" in response.json()["reason"]
        assert (await client.get("/health")).status_code == 200


async def test_auto_pull_fetches_a_missing_model_before_drafting(redis: Redis, redis_url: str) -> None:
    with FakeOllama(models=["qwen2.5:7b"]) as server:
        settings = _settings(redis_url, server, ollama_model="llama3.1:8b", ollama_auto_pull=True)
        async with generator(settings):
            await _request(redis)
            outcome = await _outcome(redis)
        paths = [request.path for request in server.requests]
    assert isinstance(outcome, ProposalDrafted) and outcome.model == "llama3.1:8b"
    assert paths.index("/api/pull") < paths.index("/api/chat")


async def test_shutdown_mid_draft_leaves_the_request_for_another_replica(redis: Redis, redis_url: str) -> None:
    with FakeOllama(models=["qwen2.5:7b"], chunk_delay=0.5) as slow_fake:  # about 8 s for a whole answer
        settings = _settings(
            redis_url, slow_fake, delivery_shutdown_grace_seconds=0.1, delivery_visibility_timeout_seconds=1.0
        )
        async with generator(settings):
            await _request(redis)
            await wait_for(lambda: _count(redis, Stream.PROPOSAL_PROGRESSED), timeout=20)
        assert await redis.xlen(Stream.PROPOSAL_DRAFTED.value) == 0
        pending = await redis.xpending(Stream.PROPOSAL_REQUESTED.value, "generator")
        assert pending["pending"] == 1, "the unfinished request stays pending, not acknowledged"
        async with generator(settings):  # another replica
            outcome = await _outcome(redis, timeout=60)
    assert isinstance(outcome, ProposalDrafted)
