"""The OpenAI-compatible client against the fake's /v1 API over real HTTP: answers, failures, keys and timeouts."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from propos4l.generator.draft import draft_json_schema, parse_draft
from propos4l.generator.llm import LlmAnswerTooLong, LlmRejected, LlmUnavailable, RetryPolicy
from propos4l.generator.openai_compat import OpenAICompatibleClient
from propos4l.generator.prompts import ChatMessage, build_messages
from propos4l.shared.events import ProposalRequest
from tests.support.fake_ollama import DEFAULT_MODEL, Behaviour, FakeOllama

KEY = "sk-propos4l-test-key-0123456789"
REQUEST = ProposalRequest(client_name="Construtora Horizonte", industry="Construção civil", requirements="Portal")


@pytest.fixture
def fake() -> Iterator[FakeOllama]:
    """A fresh fake per test."""
    with FakeOllama() as server:
        yield server


@pytest.fixture
def keyed_fake() -> Iterator[FakeOllama]:
    """A fake whose /v1 endpoints want KEY."""
    with FakeOllama(api_key=KEY) as server:
        yield server


def make_client(fake: FakeOllama, **overrides: Any) -> OpenAICompatibleClient:
    """A client of the fake's /v1 API with quick retries."""
    values: dict[str, Any] = {
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
        "total_timeout": 30.0,
        "retry": RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05),
        **overrides,
    }
    return OpenAICompatibleClient(f"{fake.url}/v1", **values)


@pytest.fixture
async def client(fake: FakeOllama) -> AsyncIterator[OpenAICompatibleClient]:
    """A client of the fake, closed after the test."""
    llm = make_client(fake)
    yield llm
    await llm.aclose()


def messages() -> list[ChatMessage]:
    """The real drafting prompt."""
    return build_messages(REQUEST)


async def test_streamed_answer_is_a_valid_draft_with_usage_and_growing_text(
    fake: FakeOllama, client: OpenAICompatibleClient
) -> None:
    """The streamed answer validates as a draft, counts its tokens, and is told as it grows."""
    texts: list[str] = []

    async def listen(text: str) -> None:
        texts.append(text)

    options = {"temperature": 0.4, "seed": 7, "num_ctx": 8192}
    answer = await client.chat(
        DEFAULT_MODEL, messages(), format_schema=draft_json_schema(), options=options, keep_alive="10m", on_text=listen
    )
    draft = parse_draft(answer.content)
    assert draft.investment_items and draft.timeline_phases
    assert answer.usage.prompt_tokens and answer.usage.prompt_tokens > 0
    assert answer.usage.output_tokens and answer.usage.output_tokens > 0
    assert answer.usage.duration_ms is not None and answer.usage.duration_ms >= 0
    assert len(texts) >= 3 and texts[-1] == answer.content
    assert all(len(a) < len(b) and b.startswith(a) for a, b in itertools.pairwise(texts))
    (sent,) = fake.openai_chat_requests
    assert sent.headers["content-type"] == "application/json" and "authorization" not in sent.headers
    body = sent.body
    assert (body["model"], body["stream"], body["stream_options"]) == (DEFAULT_MODEL, True, {"include_usage": True})
    assert (body["temperature"], body["seed"]) == (0.4, 7)
    assert not {"options", "keep_alive", "num_ctx", "max_tokens"} & set(body)
    response_format = body["response_format"]
    assert response_format["type"] == "json_schema"
    spec = response_format["json_schema"]
    assert (spec["name"], spec["strict"]) == ("proposal_draft", True)
    schema = spec["schema"]
    assert schema["additionalProperties"] is False and schema["required"] == list(schema["properties"])
    assert all(d["additionalProperties"] is False for d in schema["$defs"].values())


async def test_models_lists_what_the_server_serves(fake: FakeOllama, client: OpenAICompatibleClient) -> None:
    """GET /models gives the ids of the served models."""
    fake.configure(models=[DEFAULT_MODEL, "llama3.2:3b"])
    assert sorted(await client.models()) == sorted([DEFAULT_MODEL, "llama3.2:3b"])


async def test_unknown_model_is_rejected_at_once_naming_it(fake: FakeOllama, client: OpenAICompatibleClient) -> None:
    """A 404 for the model is final: one call, and the message names the model and the setting."""
    with pytest.raises(LlmRejected) as caught:
        await client.chat("nope:1b", messages(), format_schema=draft_json_schema())
    assert "'nope:1b'" in str(caught.value) and "LLM_MODEL" in str(caught.value)
    assert [r.status for r in fake.openai_chat_requests] == [404]


async def test_wrong_base_url_says_so(fake: FakeOllama) -> None:
    """A base URL without /v1 finds no endpoint (a 404 that is not about a model); the message says what to fix."""
    llm = OpenAICompatibleClient(fake.url, retry=RetryPolicy(attempts=3, base_delay=0.01))
    try:
        with pytest.raises(LlmRejected, match="LLM_BASE_URL should be the API root, usually ending in /v1"):
            await llm.chat(DEFAULT_MODEL, messages(), format_schema=draft_json_schema())
    finally:
        await llm.aclose()


async def test_server_error_then_success_is_retried(fake: FakeOllama, client: OpenAICompatibleClient) -> None:
    """A 500 is worth another try; the second one answers."""
    fake.script(Behaviour.http_error(500, "CUDA out of memory"))
    answer = await client.chat(DEFAULT_MODEL, messages(), format_schema=draft_json_schema())
    parse_draft(answer.content)
    assert [(r.status, r.behaviour) for r in fake.openai_chat_requests] == [(500, "http_error"), (200, "ok")]


async def test_error_event_mid_stream_is_retried_and_the_text_restarts(
    fake: FakeOllama, client: OpenAICompatibleClient
) -> None:
    """An error event after some chunks fails the attempt; the retry's text starts over."""
    fake.script(Behaviour.error_line(after_chunks=3, message="runner crashed"))
    texts: list[str] = []
    answer = await client.chat(DEFAULT_MODEL, messages(), format_schema=draft_json_schema(), on_text=texts.append)
    parse_draft(answer.content)
    assert [r.behaviour for r in fake.openai_chat_requests] == ["error_line", "ok"]
    restarts = [i for i, (a, b) in enumerate(itertools.pairwise(texts)) if not b.startswith(a)]
    assert len(restarts) == 1 and len(texts[: restarts[0] + 1]) == 3


async def test_error_event_on_every_attempt_gives_up_with_the_cause(fake: FakeOllama) -> None:
    """When every attempt breaks mid-stream, the failure says what the server said."""
    fake.script(*[Behaviour.error_line(1, "runner crashed")] * 2)
    llm = make_client(fake, retry=RetryPolicy(attempts=2, base_delay=0.01))
    try:
        with pytest.raises(LlmUnavailable, match=r"runner crashed \(after 2 attempts\)"):
            await llm.chat(DEFAULT_MODEL, messages(), format_schema=draft_json_schema())
    finally:
        await llm.aclose()


async def test_dropped_connection_is_retried(fake: FakeOllama, client: OpenAICompatibleClient) -> None:
    """A connection closed part-way through the stream is a transient failure."""
    fake.script(Behaviour.disconnect(after_chunks=2))
    answer = await client.chat(DEFAULT_MODEL, messages(), format_schema=draft_json_schema())
    parse_draft(answer.content)
    assert [r.behaviour for r in fake.openai_chat_requests] == ["disconnect", "ok"]


async def test_answer_cut_at_max_tokens_says_the_token_limit_not_invalid_json(
    fake: FakeOllama, client: OpenAICompatibleClient
) -> None:
    """finish_reason "length" is the token limit: it is raised as such, with the limit, never parsed as a draft."""
    with pytest.raises(LlmAnswerTooLong, match="output token limit \\(30 tokens\\)") as raised:
        await client.chat(DEFAULT_MODEL, messages(), format_schema=draft_json_schema(), options={"num_predict": 30})
    assert raised.value.limit == 30
    assert 0 < len(raised.value.text) <= 120
    (sent,) = fake.openai_chat_requests
    assert sent.body["max_tokens"] == 30


async def test_wrong_or_missing_api_key_is_rejected_at_once(keyed_fake: FakeOllama) -> None:
    """401 is final, and the message says which setting to fix."""
    wrong = make_client(keyed_fake, api_key="sk-wrong-key-000000000000")
    missing = make_client(keyed_fake)
    try:
        with pytest.raises(LlmRejected) as refused:
            await wrong.chat(DEFAULT_MODEL, messages(), format_schema=draft_json_schema())
        with pytest.raises(LlmRejected, match="wants an API key: set LLM_API_KEY"):
            await missing.models()
    finally:
        await wrong.aclose()
        await missing.aclose()
    assert "refused LLM_API_KEY" in str(refused.value) and "sk-wrong-key-000000000000" not in str(refused.value)
    assert [(r.path, r.status) for r in keyed_fake.requests] == [("/v1/chat/completions", 401), ("/v1/models", 401)]


async def test_api_key_is_sent_as_a_bearer_header_and_never_logged(
    keyed_fake: FakeOllama, caplog: pytest.LogCaptureFixture
) -> None:
    """The key goes in Authorization on every call, and appears in no log record, retries included."""
    caplog.set_level(logging.DEBUG)
    keyed_fake.script(Behaviour.http_error(503, "loading model"), Behaviour.error_line(2, "runner crashed"))
    llm = make_client(keyed_fake, api_key=SecretStr(KEY))
    try:
        assert await llm.models() == [DEFAULT_MODEL]
        answer = await llm.chat(DEFAULT_MODEL, messages(), format_schema=draft_json_schema())
    finally:
        await llm.aclose()
    parse_draft(answer.content)
    recorded = keyed_fake.requests
    assert [r.status for r in recorded] == [200, 503, 200, 200]
    assert all(r.headers["authorization"] == f"Bearer {KEY}" for r in recorded)
    assert any("retrying" in record.getMessage() for record in caplog.records)
    assert KEY not in caplog.text
    assert all(KEY not in repr(vars(record)) for record in caplog.records)
    assert KEY not in repr(llm)


async def test_hanging_server_times_out_on_every_attempt(fake: FakeOllama) -> None:
    """No first byte within the read timeout fails each attempt; after the last, the cause is given."""
    fake.script(Behaviour.hang(), Behaviour.hang())
    llm = make_client(fake, read_timeout=0.3, retry=RetryPolicy(attempts=2, base_delay=0.01))
    began = time.monotonic()
    try:
        with pytest.raises(LlmUnavailable, match=r"timed out \(ReadTimeout\) \(after 2 attempts\)"):
            await llm.chat(DEFAULT_MODEL, messages(), format_schema=draft_json_schema())
    finally:
        await llm.aclose()
    assert time.monotonic() - began < 10
    assert [r.behaviour for r in fake.openai_chat_requests] == ["hang", "hang"]


async def test_total_timeout_bounds_a_slow_stream(fake: FakeOllama) -> None:
    """A stream that keeps trickling is still cut at the total timeout."""
    fake.configure(chunk_delay=0.2)
    llm = make_client(fake, total_timeout=0.5, retry=RetryPolicy(attempts=1))
    try:
        with pytest.raises(LlmUnavailable, match="did not finish within"):
            await llm.chat(DEFAULT_MODEL, messages(), format_schema=draft_json_schema())
    finally:
        await llm.aclose()


# --------------------------------------------------------------------------- the fake's /v1 API itself


def test_fake_v1_whole_answer_json_object_and_model_lookup(fake: FakeOllama) -> None:
    """stream false gives one chat.completion; json_object gives JSON; /v1/models/{id} finds or 404s."""
    with httpx.Client(base_url=f"{fake.url}/v1", timeout=10.0) as http:
        body = {
            "model": DEFAULT_MODEL,
            "messages": [{"role": "user", "content": "Hi\nCLIENT: ACME Corp"}],
            "response_format": {"type": "json_object"},
        }
        completion = http.post("/chat/completions", json=body).json()
        assert completion["object"] == "chat.completion" and completion["choices"][0]["finish_reason"] == "stop"
        assert "ACME Corp" in completion["choices"][0]["message"]["content"]
        usage = completion["usage"]
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
        assert http.get(f"/models/{DEFAULT_MODEL}").json()["id"] == DEFAULT_MODEL
        missing = http.get("/models/nope:1b")
        assert (missing.status_code, missing.json()["error"]["code"]) == (404, "model_not_found")
        bad = http.post("/chat/completions", json={**body, "response_format": {"type": "xml"}})
        assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"


def test_fake_v1_shares_the_script_with_api_chat(fake: FakeOllama) -> None:
    """Behaviours are consumed by whichever chat call comes next, native or OpenAI-style."""
    fake.script(Behaviour.http_error(502, "bad gateway"), Behaviour.http_error(429, "slow down"))
    with httpx.Client(base_url=fake.url, timeout=10.0) as http:
        user = [{"role": "user", "content": "Hi"}]
        first = http.post("/v1/chat/completions", json={"model": DEFAULT_MODEL, "messages": user})
        assert first.status_code == 502
        assert first.json() == {"error": {"message": "bad gateway", "type": "api_error", "param": None, "code": None}}
        assert http.post("/api/chat", json={"model": DEFAULT_MODEL, "messages": user}).status_code == 429
        assert http.post("/v1/chat/completions", json={"model": DEFAULT_MODEL, "messages": user}).status_code == 200
    assert fake.pending["/api/chat"] == []
