"""What real model servers do that our first fake did not, each seen against llama-cpp-python's server or Ollama.

The fake imitates them (``flavour="llama-cpp-python"``, ``Behaviour.cut``, ``Behaviour.length``); the conformance
stage (tests/conformance/) checks the same paths against the real llama.cpp server.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from propos4l.generator.app import watch_model
from propos4l.generator.draft import parse_draft
from propos4l.generator.drafting import DraftFailed, LlmDrafter
from propos4l.generator.llm import LlmAnswerTooLong, LlmUnsupported, RetryPolicy
from propos4l.generator.ollama import OllamaClient
from propos4l.generator.openai_compat import OpenAICompatibleClient, StructuredOutput
from propos4l.generator.prompts import build_messages
from propos4l.generator.settings import GeneratorSettings
from propos4l.shared.events import ProposalRequest
from propos4l.shared.health import Readiness
from propos4l.shared.localrun.servers import free_port
from propos4l.shared.sections import SECTION_KEYS, Language
from tests.support.fake_ollama import DEFAULT_MODEL, Behaviour, FakeOllama

pytestmark = pytest.mark.integration

REQUEST = ProposalRequest(client_name="Padaria Pão Quente", industry="Varejo", requirements="Loja online e ERP")
QUICK = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)


@pytest.fixture
def llama() -> Iterator[FakeOllama]:
    """A fake that behaves like llama-cpp-python 0.3.36's OpenAI-compatible server."""
    with FakeOllama(flavour="llama-cpp-python") as server:
        yield server


@contextlib.asynccontextmanager
async def openai_client(fake: FakeOllama, **overrides: Any) -> AsyncIterator[OpenAICompatibleClient]:
    values: dict[str, Any] = {"read_timeout": 10.0, "total_timeout": 30.0, "retry": QUICK, **overrides}
    client = OpenAICompatibleClient(f"{fake.url}/v1", **values)
    try:
        yield client
    finally:
        await client.aclose()


def _drafter(client: OpenAICompatibleClient | OllamaClient, **options: Any) -> LlmDrafter:
    return LlmDrafter(
        client, provider="openai", model=DEFAULT_MODEL, options=options, keep_alive=None, min_section_words=20
    )


def _formats(fake: FakeOllama) -> list[str | None]:
    kinds: list[str | None] = []
    for request in fake.openai_chat_requests:
        response_format = request.body.get("response_format")
        kinds.append(response_format["type"] if isinstance(response_format, dict) else None)
    return kinds


async def test_json_schema_refused_with_a_500_is_negotiated_down_once_and_remembered(llama: FakeOllama) -> None:
    """llama-cpp-python answers json_schema with a 500: the client steps down to json_object at once, and stays."""
    async with openai_client(llama) as client:
        first = await _drafter(client).draft(REQUEST)
        second = await _drafter(client).draft(REQUEST)
        assert client.structured_output is StructuredOutput.JSON_OBJECT
    assert [section.key for section in first.sections] == list(SECTION_KEYS)
    assert second.sections
    assert _formats(llama) == ["json_schema", "json_object", "json_object"]
    sent = llama.openai_chat_requests[1].body["response_format"]["schema"]
    assert "maxLength" not in str(sent) and "maxItems" not in str(sent)


async def test_a_fixed_structured_output_the_server_refuses_fails_at_once_without_server_internals(
    llama: FakeOllama,
) -> None:
    """LLM_STRUCTURED_OUTPUT=json_schema is not negotiated: one request, a permanent failure, no file paths."""
    async with openai_client(llama, structured_output=StructuredOutput.JSON_SCHEMA) as client:
        with pytest.raises(DraftFailed) as failed:
            await _drafter(client).draft(REQUEST.model_copy(update={"language": Language.EN}))
    assert len(llama.openai_chat_requests) == 1
    detail = str(failed.value)
    assert detail.startswith("The model server refused the request")
    assert "does not take this structured output (500" in detail
    assert "/site-packages/" not in detail and "app.py" not in detail


async def test_a_server_without_structured_output_gets_the_schema_in_the_prompt(llama: FakeOllama) -> None:
    """prompt: no response_format; the schema goes in the system message; a fenced answer still validates."""
    async with openai_client(llama, structured_output=StructuredOutput.PROMPT) as client:
        draft = await _drafter(client).draft(REQUEST)
    assert draft.sections
    (sent,) = llama.openai_chat_requests
    assert "response_format" not in sent.body
    assert "JSON schema:\n" in sent.body["messages"][0]["content"]


async def test_raw_newlines_inside_json_strings_are_accepted(llama: FakeOllama) -> None:
    """The llama.cpp grammar lets the model write raw newlines inside strings; strict json.loads refused them."""
    async with openai_client(llama) as client:
        answer = await client.chat(DEFAULT_MODEL, build_messages(REQUEST), format_schema=_schema())
    assert "\n- " in answer.content  # a raw newline inside a JSON string, as the real server sends it
    assert parse_draft(answer.content).executive_summary


async def test_unknown_token_counts_stay_unknown(llama: FakeOllama) -> None:
    """llama-cpp-python streams no usage: the draft's token counts are None, never 0."""
    async with openai_client(llama) as client:
        draft = await _drafter(client).draft(REQUEST)
    assert draft.usage.prompt_tokens is None and draft.usage.output_tokens is None
    assert draft.usage.duration_ms is not None and draft.usage.duration_ms >= 0


async def test_a_stream_ended_without_a_finish_reason_is_tried_again_not_blamed_on_the_model(
    fake: FakeOllama,
) -> None:
    """`[DONE]` with no finish reason is a cut answer: retried, never validated as whole (it was 'invalid JSON')."""
    fake.script(Behaviour.cut(after_chunks=3))
    async with openai_client(fake) as client:
        draft = await _drafter(client).draft(REQUEST)
    assert draft.sections
    assert len(fake.openai_chat_requests) == 2


async def test_ollama_stream_without_its_done_line_is_tried_again(fake: FakeOllama) -> None:
    fake.script(Behaviour.cut(after_chunks=3))
    client = OllamaClient(fake.url, retry=QUICK)
    try:
        draft = await _drafter(client).draft(REQUEST)
    finally:
        await client.aclose()
    assert draft.sections and len(fake.chat_requests) == 2
    assert "maxLength" not in str(fake.chat_requests[0].body["format"])


@pytest.mark.parametrize("native", [False, True], ids=["openai", "ollama"])
async def test_the_token_limit_asks_for_a_shorter_answer_then_fails_saying_so(fake: FakeOllama, native: bool) -> None:
    """finish reason `length` (done_reason on Ollama) is the token limit, not invalid JSON: one shorter round."""
    fake.script(Behaviour.length(), Behaviour.length())
    client: OpenAICompatibleClient | OllamaClient = (
        OllamaClient(fake.url, retry=QUICK) if native else OpenAICompatibleClient(f"{fake.url}/v1", retry=QUICK)
    )
    try:
        with pytest.raises(DraftFailed) as failed:
            await _drafter(client, num_predict=4000).draft(REQUEST)
    finally:
        await client.aclose()
    assert "atingiu o limite de tokens antes de terminar" in str(failed.value)
    assert "4000 tokens" in str(failed.value)
    requests = fake.chat_requests if native else fake.openai_chat_requests
    assert len(requests) == 2
    assert "mais curto" in requests[1].body["messages"][-1]["content"]


async def test_a_shorter_round_after_the_token_limit_can_succeed(fake: FakeOllama) -> None:
    fake.script(Behaviour.length())
    async with openai_client(fake) as client:
        draft = await _drafter(client).draft(REQUEST)
    assert draft.sections and len(fake.openai_chat_requests) == 2


async def test_the_client_raises_the_token_limit_with_what_was_written(fake: FakeOllama) -> None:
    fake.script(Behaviour.length())
    async with openai_client(fake) as client:
        with pytest.raises(LlmAnswerTooLong) as raised:
            await client.chat(DEFAULT_MODEL, build_messages(REQUEST), format_schema=_schema())
    assert raised.value.text and raised.value.limit and raised.value.limit > 0  # the tokens the server counted


async def test_a_probe_cuts_a_running_answer_on_llama_cpp_python(llama: FakeOllama) -> None:
    """What the fake learned from the real server: GET /v1/models while an answer streams cuts that answer."""
    llama.configure(chunk_delay=0.05)
    async with openai_client(llama, retry=RetryPolicy(attempts=1)) as client:
        chat = asyncio.create_task(client.chat(DEFAULT_MODEL, build_messages(REQUEST), format_schema=_schema()))
        await asyncio.sleep(0.3)
        await client.models()
        with pytest.raises(Exception, match="ended before the server said it was finished"):
            await chat


async def test_readiness_probes_wait_while_the_server_drafts(llama: FakeOllama) -> None:
    """The model watcher sends no probe during a draft, so nothing cuts it and readiness does not flap."""
    llama.configure(chunk_delay=0.05)
    settings = GeneratorSettings(
        redis_url="redis://127.0.0.1:1/0",
        llm_provider="openai",
        llm_base_url=f"{llama.url}/v1",
        llm_model=DEFAULT_MODEL,
        llm_model_check_seconds=0.05,
    )
    readiness, stop = Readiness(), asyncio.Event()
    readiness.set_ready(provider="openai", model=DEFAULT_MODEL)
    async with openai_client(llama) as client:
        watcher = asyncio.create_task(watch_model(client, settings, readiness, stop))
        await asyncio.sleep(0.2)  # the watcher probes while idle
        probes_before = _probes(llama)
        started = time.monotonic()
        draft = await _drafter(client).draft(REQUEST)
        during = time.monotonic() - started
        probes_during = _probes(llama) - probes_before
        stop.set()
        await watcher
    assert probes_before >= 1
    assert during > 0.5 and probes_during <= 1  # at most one probe already on its way when the draft began
    assert draft.sections and len(llama.openai_chat_requests) == 2  # json_schema refused, then json_object, uncut
    assert readiness.ready


async def test_a_restarting_server_is_ridden_out_and_each_wait_is_told(fake: FakeOllama) -> None:
    """Connection refused for a while (a restart): the call keeps trying within the window and says when."""
    port = free_port()
    notices: list[tuple[str, float]] = []
    policy = RetryPolicy(attempts=30, base_delay=0.1, max_delay=0.4, window=20)
    client = OpenAICompatibleClient(f"http://127.0.0.1:{port}/v1", retry=policy, connect_timeout=0.5)
    restarted = FakeOllama(port=port)

    async def restart_later() -> None:
        await asyncio.sleep(1.5)
        await asyncio.to_thread(restarted.start)

    try:
        starter = asyncio.create_task(restart_later())
        answer = await client.chat(
            DEFAULT_MODEL,
            build_messages(REQUEST),
            format_schema=_schema(),
            on_retry=lambda reason, delay: notices.append((reason, delay)),
        )
        await starter
    finally:
        await client.aclose()
        restarted.stop()
    assert parse_draft(answer.content)
    assert len(notices) >= 2
    assert all("cannot reach the model server" in reason and 0 < delay <= 0.4 for reason, delay in notices)


async def test_a_refusal_of_the_schema_by_ollama_is_permanent(fake: FakeOllama) -> None:
    fake.script(Behaviour.http_error(500, "failed to load model grammar: invalid format schema"))
    client = OllamaClient(fake.url, retry=QUICK)
    try:
        with pytest.raises(LlmUnsupported):
            await client.chat(DEFAULT_MODEL, build_messages(REQUEST), format_schema=_schema())
    finally:
        await client.aclose()
    assert len(fake.chat_requests) == 1


@pytest.fixture
def fake() -> Iterator[FakeOllama]:
    with FakeOllama() as server:
        yield server


def _schema() -> dict[str, Any]:
    from propos4l.generator.draft import draft_json_schema

    return draft_json_schema()


def _probes(fake: FakeOllama) -> int:
    return sum(1 for request in fake.requests if request.path == "/v1/models")
