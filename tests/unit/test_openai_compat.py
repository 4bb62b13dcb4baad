"""The OpenAI-compatible client's parts: the event-stream parser, strict schemas, and its reading of odd answers."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, Field

from propos4l.generator.draft import draft_json_schema
from propos4l.generator.llm import LlmRejected, LlmUnavailable, RetryPolicy
from propos4l.generator.openai_compat import OpenAICompatibleClient
from propos4l.generator.prompts import ChatMessage
from propos4l.generator.schemas import strict_json_schema
from propos4l.generator.sse import SseEvent, SseParser

MESSAGES = [ChatMessage("user", "Draft it.")]


def parse(text: str) -> list[SseEvent]:
    """Every event of `text`, split into lines the way httpx's aiter_lines splits them."""
    parser = SseParser()
    events = [parser.feed(line) for line in re.split(r"\r\n|\r|\n", text)]
    events.append(parser.finish())
    return [event for event in events if event is not None]


# --------------------------------------------------------------------------- the parser


def test_one_data_line_per_event() -> None:
    """Each blank line ends an event; one leading space after the colon is dropped."""
    assert parse('data: {"a": 1}\n\ndata: [DONE]\n\n') == [
        SseEvent("message", '{"a": 1}'),
        SseEvent("message", "[DONE]"),
    ]


def test_data_lines_of_one_event_are_joined_with_newlines() -> None:
    """Several data lines make one event, joined with a newline, whatever the line endings."""
    assert parse('data: {"a":\r\ndata:  1}\r\n\r\n') == [SseEvent("message", '{"a":\n 1}')]
    assert parse("data\ndata: x\r\r") == [SseEvent("message", "\nx")]


def test_comments_and_unknown_fields_are_ignored() -> None:
    """Keep-alive comments, ids, retry hints and unknown fields never become data."""
    text = ": keep-alive\n\nid: 7\nretry: 1000\nfoo: bar\ndata:x\n: note inside an event\n\n:\n\n"
    assert parse(text) == [SseEvent("message", "x")]


def test_event_names_and_a_leading_byte_order_mark() -> None:
    """A named event keeps its name, the next one is a message again; a BOM before the first line is dropped."""
    assert parse('\ufeffevent: error\ndata: {"error": "x"}\n\ndata: y\n\n') == [
        SseEvent("error", '{"error": "x"}'),
        SseEvent("message", "y"),
    ]


def test_llama_cpp_error_field_is_an_error_event() -> None:
    """llama.cpp's server writes `error: {...}` mid-stream instead of a data line."""
    assert parse('data: {"a": 1}\n\nerror: {"code": 500, "message": "boom"}\n\n') == [
        SseEvent("message", '{"a": 1}'),
        SseEvent("error", '{"code": 500, "message": "boom"}'),
    ]


def test_an_event_left_open_at_the_end_is_still_delivered() -> None:
    """A server that ends without the final blank line does not lose its last event."""
    assert parse("data: [DONE]") == [SseEvent("message", "[DONE]")]
    assert parse("event: ping\n\n") == []


# --------------------------------------------------------------------------- strict schemas


def _objects(node: object) -> list[dict[str, Any]]:
    """Every object schema (one with properties) anywhere in `node`."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            found.append(node)
        for value in node.values():
            found.extend(_objects(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_objects(value))
    return found


def test_the_draft_schema_is_made_strict_without_touching_the_original() -> None:
    """Every object is closed and requires all its properties; the caller's schema is not changed."""
    schema = draft_json_schema()
    before = copy.deepcopy(schema)
    strict = strict_json_schema(schema)
    assert schema == before
    objects = _objects(strict)
    assert len(objects) >= 1 + len(strict.get("$defs", {}))
    for obj in objects:
        assert obj["additionalProperties"] is False
        assert obj["required"] == list(obj["properties"])
    assert strict["properties"]["executive_summary"] == schema["properties"]["executive_summary"]


class Contact(BaseModel):
    """A nested model with an optional field."""

    email: str
    phone: str | None = None


class Node(BaseModel):
    """A recursive model."""

    name: str
    children: list[Node] = []


class Wide(BaseModel):
    """Optional fields, a described nested model, a map and recursion."""

    title: str
    note: str | None = None
    contact: Contact = Field(description="who to call")
    hours_by_role: dict[str, int]
    tree: Node


def test_optional_fields_refs_with_siblings_maps_and_recursion() -> None:
    """Optional fields become required (still nullable), a described $ref is inlined, a map stays a map."""
    strict = strict_json_schema(Wide.model_json_schema())
    assert strict["required"] == ["title", "note", "contact", "hours_by_role", "tree"]
    assert strict["additionalProperties"] is False
    note = strict["properties"]["note"]
    assert {"type": "null"} in note["anyOf"] and "default" not in note
    contact = strict["properties"]["contact"]
    assert "$ref" not in contact and "allOf" not in contact
    assert contact["description"] == "who to call"
    assert contact["required"] == ["email", "phone"] and contact["additionalProperties"] is False
    hours = strict["properties"]["hours_by_role"]
    assert hours["additionalProperties"] == {"type": "integer"}
    node = strict["$defs"]["Node"]
    assert node["required"] == ["name", "children"] and node["additionalProperties"] is False
    assert node["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    json.dumps(strict)  # still plain JSON


def test_a_one_item_all_of_is_unwrapped() -> None:
    """Older pydantic wraps a described $ref in allOf, which strict servers refuse."""
    schema = {
        "type": "object",
        "properties": {"inner": {"allOf": [{"$ref": "#/$defs/Inner"}], "description": "d"}},
        "$defs": {"Inner": {"type": "object", "properties": {"x": {"type": "string"}}}},
    }
    inner = strict_json_schema(schema)["properties"]["inner"]
    assert inner == {
        "description": "d",
        "type": "object",
        "properties": {"x": {"type": "string"}},
        "required": ["x"],
        "additionalProperties": False,
    }


# --------------------------------------------------------------------------- reading answers (in-memory transport)


def _client(handler: Callable[[httpx.Request], httpx.Response], **kwargs: Any) -> OpenAICompatibleClient:
    return OpenAICompatibleClient(
        "http://llm.test/v1/",
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(attempts=1),
        **kwargs,
    )


def _sse(*events: str) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content="".join(events).encode())


def _chunk(content: str | None = None, finish: str | None = None, **delta: Any) -> str:
    if content is not None:
        delta["content"] = content
    body = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(body)}\n\n"


async def test_the_request_carries_the_mapped_options_and_a_strict_format() -> None:
    """Ollama-style options become OpenAI fields; num_ctx and keep_alive are not sent."""
    seen: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url == "http://llm.test/v1/chat/completions"
        assert "authorization" not in request.headers
        seen.append(json.loads(request.content))
        return _sse(_chunk("{}", "stop"), "data: [DONE]\n\n")

    client = _client(handler)
    options = {"temperature": 0.2, "seed": 7, "num_predict": 512, "num_ctx": 8192}
    await client.chat(
        "m", MESSAGES, format_schema={"type": "object", "properties": {}}, options=options, keep_alive="5m"
    )
    await client.aclose()
    body = seen[0]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert (body["temperature"], body["seed"], body["max_tokens"]) == (0.2, 7, 512)
    assert "num_ctx" not in json.dumps(body) and "keep_alive" not in body and "options" not in body
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "proposal_draft",
            "schema": {"type": "object", "properties": {}, "required": [], "additionalProperties": False},
            "strict": True,
        },
    }


async def test_comments_multiline_data_null_content_and_usage() -> None:
    """Comments are skipped, a JSON chunk split over data lines is read, usage comes from the last chunk."""
    usage = {"choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}}
    split = '{"choices": [{"index": 0,\ndata: "delta": {"content": "b"}, "finish_reason": null}]}'
    stream = _sse(
        ": this is a comment\n\n",
        _chunk(None, role="assistant"),
        _chunk("a"),
        f"data: {split}\n\n",
        _chunk(None, "stop"),
        f"data: {json.dumps(usage)}\n\n",
        "data: [DONE]\n\n",
    )
    texts: list[str] = []
    client = _client(lambda request: stream)
    answer = await client.chat("m", MESSAGES, format_schema={}, on_text=texts.append)
    await client.aclose()
    assert answer.content == "ab" and texts == ["a", "ab"]
    assert (answer.usage.prompt_tokens, answer.usage.output_tokens) == (11, 3)
    assert answer.usage.duration_ms is not None and answer.usage.duration_ms >= 0


async def test_a_stream_that_stops_before_finishing_is_unavailable() -> None:
    """No finish_reason and no [DONE]: the answer was cut off by the server, worth another try."""
    client = _client(lambda request: _sse(_chunk("{")))
    with pytest.raises(LlmUnavailable, match="ended before the server said it was finished"):
        await client.chat("m", MESSAGES, format_schema={})
    await client.aclose()


async def test_a_server_that_ignores_stream_answers_with_one_completion() -> None:
    """A plain chat.completion is read too, usage included."""
    completion = {
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "{}"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6},
    }
    texts: list[str] = []
    client = _client(lambda request: httpx.Response(200, json=completion))
    answer = await client.chat("m", MESSAGES, format_schema={}, on_text=texts.append)
    await client.aclose()
    assert (answer.content, answer.usage.prompt_tokens, answer.usage.output_tokens, texts) == ("{}", 5, 1, ["{}"])


async def test_a_refusal_is_final_and_says_why() -> None:
    """Strict structured output may refuse instead of answering; asking again will not help."""
    client = _client(lambda request: _sse(_chunk(None, refusal="I can't help with that."), _chunk(None, "stop")))
    with pytest.raises(LlmRejected, match="declined to answer: I can't help with that"):
        await client.chat("m", MESSAGES, format_schema={})
    await client.aclose()


@pytest.mark.parametrize(
    ("status", "body", "kind", "words"),
    [
        (401, {"error": {"message": "no key"}}, LlmRejected, "wants an API key: set LLM_API_KEY"),
        (403, {"error": {"message": "not for you"}}, LlmRejected, "LLM_API_KEY (403: not for you)"),
        (404, {"detail": "Not Found"}, LlmRejected, "has no /chat/completions for model 'm'"),
        (400, {"object": "error", "message": "bad schema", "code": 400}, LlmRejected, "refused the request with 400"),
        (413, {"error": "too long"}, LlmRejected, "refused the request with 413: too long"),
        (429, {"error": {"message": "slow down"}}, LlmUnavailable, "answered 429: slow down"),
        (502, "<html>bad gateway</html>", LlmUnavailable, "answered 502: <html>bad gateway</html>"),
    ],
)
async def test_status_codes_become_the_right_failure(
    status: int, body: object, kind: type[Exception], words: str
) -> None:
    """Each status ends as retry-later or give-up, with a message a person can act on."""

    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    client = _client(handler)
    with pytest.raises(kind) as caught:
        await client.chat("m", MESSAGES, format_schema={})
    await client.aclose()
    assert words in str(caught.value)


async def test_a_key_echoed_by_the_server_is_scrubbed() -> None:
    """Should a server quote the key back, the failure does not carry it."""
    key = "sk-secret-0123456789"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"message": f"bad key {key}"}})

    client = _client(handler, api_key=key)
    with pytest.raises(LlmRejected) as caught:
        await client.models()
    await client.aclose()
    assert key not in str(caught.value) and "refused LLM_API_KEY" in str(caught.value)
    assert key not in repr(client)


async def test_credentials_in_the_base_url_stay_out_of_messages() -> None:
    """A user:password in LLM_BASE_URL is not repeated in failures."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = OpenAICompatibleClient(
        "http://user:hunter2@llm.test/v1", transport=httpx.MockTransport(handler), retry=RetryPolicy(attempts=1)
    )
    with pytest.raises(LlmUnavailable) as caught:
        await client.chat("m", MESSAGES, format_schema={})
    await client.aclose()
    assert "hunter2" not in str(caught.value) and "http://llm.test/v1" in str(caught.value)
