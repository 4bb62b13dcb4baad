"""The model call spans, against the fake model over real HTTP: GenAI and OpenInference attributes, one per attempt,
and the prompt and answer only when content capture is on, cut to its limit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from openinference.semconv.trace import OpenInferenceSpanKindValues, SpanAttributes
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from propos4l.generator.draft import draft_json_schema
from propos4l.generator.llm import LlmUnavailable, RetryPolicy
from propos4l.generator.llm_spans import ContentCapture
from propos4l.generator.ollama import OllamaClient
from propos4l.generator.openai_compat import OpenAICompatibleClient
from propos4l.generator.prompts import build_messages
from propos4l.shared.events import ProposalRequest
from tests.support.fake_ollama import DEFAULT_MODEL, Behaviour, FakeOllama

REQUEST = ProposalRequest(client_name="Construtora Horizonte", industry="Construção civil", requirements="Portal")
QUICK_RETRIES = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)
CONTENT_KEYS = (SpanAttributes.INPUT_VALUE, SpanAttributes.OUTPUT_VALUE, "llm.input_messages", "llm.output_messages")


@pytest.fixture
def fake() -> Iterator[FakeOllama]:
    with FakeOllama() as server:
        yield server


@pytest.fixture
def exported(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """The spans the code under test ends, through an SDK provider seen as the global one for this test only."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    yield exporter
    provider.shutdown()


def chat_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.name.startswith("chat ")]


async def ollama_chat(fake: FakeOllama, content: ContentCapture | None = None, **options: Any) -> Any:
    client = OllamaClient(fake.url, retry=QUICK_RETRIES, content=content)
    try:
        return await client.chat(
            DEFAULT_MODEL,
            build_messages(REQUEST),
            format_schema=draft_json_schema(),
            options={"temperature": 0.2, "num_ctx": 8192, **options},
        )
    finally:
        await client.aclose()


async def test_an_ollama_call_is_an_llm_span_with_the_genai_attributes_and_its_tokens(
    fake: FakeOllama, exported: InMemorySpanExporter
) -> None:
    answer = await ollama_chat(fake, num_predict=4096, seed=7)

    (span,) = chat_spans(exported)
    attributes = dict(span.attributes or {})
    assert span.name == f"chat {DEFAULT_MODEL}" and span.kind is SpanKind.CLIENT
    assert span.status.status_code is not StatusCode.ERROR
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.provider.name"] == attributes["gen_ai.system"] == "ollama"
    assert attributes["gen_ai.request.model"] == DEFAULT_MODEL
    assert attributes["gen_ai.request.temperature"] == 0.2
    assert attributes["gen_ai.request.max_tokens"] == 4096
    assert attributes["gen_ai.request.seed"] == 7
    assert attributes["gen_ai.response.model"] == DEFAULT_MODEL
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    prompt, output = answer.usage.prompt_tokens, answer.usage.output_tokens
    assert prompt and output  # the fake counts them: the span must carry the same numbers
    assert attributes["gen_ai.usage.input_tokens"] == prompt
    assert attributes["gen_ai.usage.output_tokens"] == output
    assert attributes[SpanAttributes.OPENINFERENCE_SPAN_KIND] == OpenInferenceSpanKindValues.LLM.value
    assert attributes[SpanAttributes.LLM_MODEL_NAME] == DEFAULT_MODEL
    assert attributes[SpanAttributes.LLM_TOKEN_COUNT_PROMPT] == prompt
    assert attributes[SpanAttributes.LLM_TOKEN_COUNT_COMPLETION] == output
    assert attributes[SpanAttributes.LLM_TOKEN_COUNT_TOTAL] == prompt + output
    parameters = json.loads(str(attributes[SpanAttributes.LLM_INVOCATION_PARAMETERS]))
    assert parameters == {"temperature": 0.2, "num_ctx": 8192, "max_tokens": 4096, "seed": 7}


async def test_the_prompt_and_the_answer_stay_out_of_the_span_by_default(
    fake: FakeOllama, exported: InMemorySpanExporter
) -> None:
    await ollama_chat(fake)

    (span,) = chat_spans(exported)
    leaked = [key for key in span.attributes or {} if key.startswith(CONTENT_KEYS)]
    assert leaked == []
    assert REQUEST.client_name not in json.dumps(dict(span.attributes or {}), default=str)
    assert "gen_ai.request.max_tokens" not in (span.attributes or {})  # not set: the server's own limit


async def test_captured_content_is_in_the_span_cut_to_the_limit(
    fake: FakeOllama, exported: InMemorySpanExporter
) -> None:
    await ollama_chat(fake, ContentCapture(enabled=True, max_chars=60))

    (span,) = chat_spans(exported)
    attributes = dict(span.attributes or {})
    sent = build_messages(REQUEST)
    for index, message in enumerate(sent):
        assert attributes[f"llm.input_messages.{index}.message.role"] == message.role
        content = str(attributes[f"llm.input_messages.{index}.message.content"])
        assert len(content) <= 60
        assert content[:-1] == message.content[:59] and content.endswith("…")
    assert attributes["llm.output_messages.0.message.role"] == "assistant"
    output = str(attributes[SpanAttributes.OUTPUT_VALUE])
    assert len(output) == 60 and output.startswith("{")
    assert attributes["llm.output_messages.0.message.content"] == output
    assert len(str(attributes[SpanAttributes.INPUT_VALUE])) == 60
    assert attributes[SpanAttributes.INPUT_MIME_TYPE] == "text/plain"  # cut JSON is not JSON any more


async def test_short_content_is_kept_whole(fake: FakeOllama, exported: InMemorySpanExporter) -> None:
    answer = await ollama_chat(fake, ContentCapture(enabled=True, max_chars=100_000))

    (span,) = chat_spans(exported)
    attributes = dict(span.attributes or {})
    assert attributes[SpanAttributes.OUTPUT_VALUE] == answer.content
    assert json.loads(str(attributes[SpanAttributes.INPUT_VALUE]))[0]["content"] == build_messages(REQUEST)[0].content
    assert attributes[SpanAttributes.INPUT_MIME_TYPE] == "application/json"


async def test_each_attempt_has_its_own_span_and_a_failed_one_says_why(
    fake: FakeOllama, exported: InMemorySpanExporter
) -> None:
    fake.script(Behaviour.http_error(503, "busy"))

    await ollama_chat(fake)

    failed, answered = sorted(chat_spans(exported), key=lambda span: span.start_time or 0)
    assert failed.status.status_code is StatusCode.ERROR
    (event,) = [event for event in failed.events if event.name == "exception"]
    assert str((event.attributes or {})["exception.type"]).endswith(LlmUnavailable.__name__)
    assert (failed.attributes or {})["error.type"] == LlmUnavailable.__name__
    assert "gen_ai.usage.output_tokens" not in (failed.attributes or {})
    assert answered.status.status_code is not StatusCode.ERROR
    assert (answered.attributes or {})["gen_ai.usage.output_tokens"]


async def test_an_openai_compatible_call_names_its_provider_and_counts_its_tokens(
    fake: FakeOllama, exported: InMemorySpanExporter
) -> None:
    client = OpenAICompatibleClient(f"{fake.url}/v1", retry=QUICK_RETRIES)
    try:
        answer = await client.chat(
            DEFAULT_MODEL,
            build_messages(REQUEST),
            format_schema=draft_json_schema(),
            options={"temperature": 0.4, "num_ctx": 8192, "num_predict": 2048},
        )
    finally:
        await client.aclose()

    (span,) = chat_spans(exported)
    attributes = dict(span.attributes or {})
    assert attributes["gen_ai.provider.name"] == attributes["gen_ai.system"] == "openai-compatible"
    assert attributes["gen_ai.request.temperature"] == 0.4
    assert attributes["gen_ai.request.max_tokens"] == 2048
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.response.model"] == DEFAULT_MODEL
    assert attributes["gen_ai.usage.input_tokens"] == attributes[SpanAttributes.LLM_TOKEN_COUNT_PROMPT]
    assert attributes["gen_ai.usage.input_tokens"] == answer.usage.prompt_tokens
    assert attributes["gen_ai.usage.output_tokens"] == answer.usage.output_tokens
    parameters = json.loads(str(attributes[SpanAttributes.LLM_INVOCATION_PARAMETERS]))
    assert parameters == {"temperature": 0.4, "max_tokens": 2048, "response_format": "json_schema"}
    assert not [key for key in attributes if key.startswith(CONTENT_KEYS)]
