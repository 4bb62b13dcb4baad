"""A client of OpenAI-compatible chat APIs (vLLM, llama.cpp, LM Studio, OpenAI, Ollama's /v1): streamed, retried."""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import SecretStr

from propos4l.generator.llm import (
    ChatAnswer,
    LlmRejected,
    LlmUnavailable,
    RetryPolicy,
    TextListener,
    call_with_retries,
    notify,
)
from propos4l.generator.prompts import ChatMessage
from propos4l.shared.events import LlmUsage

__all__ = ["OpenAICompatibleClient", "SseEvent", "SseParser", "strict_json_schema"]

logger = logging.getLogger(__name__)

_SCHEMA_NAME: Final = "proposal_draft"
_DONE: Final = "[DONE]"
_RETRYABLE_STATUS: Final = frozenset({408, 409, 429})
_SCHEMA_MAPS: Final = ("properties", "$defs", "definitions", "patternProperties")
_SCHEMA_LISTS: Final = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_SINGLES: Final = ("items", "additionalProperties", "not", "if", "then", "else", "contains")
_MAX_DEPTH: Final = 64


# --------------------------------------------------------------------------- Server-Sent Events


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One dispatched Server-Sent Event: its type (``message`` unless named) and its data lines joined."""

    event: str
    data: str


class SseParser:
    """Turns the lines of a text/event-stream into events, as the WHATWG event-stream rules say."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._first = True

    def feed(self, line: str) -> SseEvent | None:
        """Take one line (without its line ending); return the event a blank line completes, if any."""
        if self._first:
            self._first = False
            line = line.removeprefix("\ufeff")
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "error":
            # llama.cpp's server reports a failure mid-stream as an `error:` field rather than `data:`.
            self._event = "error"
            self._data.append(value)
        return None

    def finish(self) -> SseEvent | None:
        """The event left pending when the stream ended without a blank line (servers are not all strict)."""
        return self._dispatch()

    def _dispatch(self) -> SseEvent | None:
        data, event = self._data, self._event or "message"
        self._data, self._event = [], ""
        if not data:
            return None
        return SseEvent(event=event, data="\n".join(data))


async def _sse_events(lines: AsyncIterable[str]) -> AsyncIterator[SseEvent]:
    parser = SseParser()
    async for line in lines:
        event = parser.feed(line)
        if event is not None:
            yield event
    last = parser.finish()
    if last is not None:
        yield last


# --------------------------------------------------------------------------- strict JSON schema


def strict_json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of `schema` fit for strict structured output: closed objects, every property required."""
    strict = copy.deepcopy(schema)
    _make_strict(strict, strict)
    return strict


def _make_strict(node: object, root: dict[str, Any], depth: int = 0) -> None:
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, list):
        for item in node:
            _make_strict(item, root, depth + 1)
        return
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and len(node) > 1:
        # Strict servers refuse keywords beside a $ref: inline what it points to, the siblings winning.
        target = _pointer(root, ref)
        if isinstance(target, dict):
            del node["$ref"]
            for key, value in copy.deepcopy(target).items():
                node.setdefault(key, value)
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
        # Older pydantic wraps a described $ref in a one-item allOf, which strict servers refuse.
        del node["allOf"]
        for key, value in all_of[0].items():
            node.setdefault(key, value)
        _make_strict(node, root, depth + 1)
        return
    if "default" in node and node["default"] is None:
        del node["default"]
    for key in _SCHEMA_MAPS:
        children = node.get(key)
        if isinstance(children, dict):
            for child in children.values():
                _make_strict(child, root, depth + 1)
    for key in (*_SCHEMA_LISTS, *_SCHEMA_SINGLES):
        _make_strict(node.get(key), root, depth + 1)
    properties = node.get("properties")
    if node.get("type") == "object" or isinstance(properties, dict):
        if isinstance(properties, dict):
            node["required"] = list(properties)
        # An object that is a map (additionalProperties is a schema) stays one: closing it would empty it.
        if not isinstance(node.get("additionalProperties"), dict):
            node["additionalProperties"] = False


def _pointer(root: dict[str, Any], ref: str) -> object:
    if not ref.startswith("#/"):
        return None
    node: object = root
    for raw in ref[2:].split("/"):
        key = raw.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


# --------------------------------------------------------------------------- the client


class OpenAICompatibleClient:
    """Talks to one OpenAI-compatible server (its base URL is the API root, usually ending in /v1)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | SecretStr | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 120.0,
        total_timeout: float = 900.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        self._api_key = SecretStr(key) if key else None
        self._where = _without_credentials(self.base_url)
        self._total_timeout = total_timeout
        self._retry = retry or RetryPolicy()
        headers = {"Accept": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(connect=connect_timeout, read=read_timeout, write=30.0, pool=30.0),
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"OpenAICompatibleClient({self._where!r}, api_key={'set' if self._api_key else 'none'})"

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def models(self) -> list[str]:
        """The ids of the models the server offers (GET /models)."""
        try:
            response = await self._http.get("/models")
        except httpx.TimeoutException as error:
            raise LlmUnavailable(f"the model server at {self._where} timed out ({type(error).__name__})") from error
        except httpx.TransportError as error:
            raise self._unreachable(error) from error
        if response.status_code != 200:
            raise self._status_error(response, "", "/models")
        try:
            listed = response.json().get("data", [])
        except (ValueError, AttributeError) as error:
            raise LlmUnavailable(f"the model server at {self._where} answered /models with unexpected JSON") from error
        return [str(entry["id"]) for entry in listed if isinstance(entry, dict) and "id" in entry]

    async def chat(
        self,
        model: str,
        messages: Sequence[ChatMessage],
        *,
        format_schema: dict[str, Any],
        options: dict[str, Any] | None = None,
        keep_alive: str | None = None,
        on_text: TextListener | None = None,
    ) -> ChatAnswer:
        """Send a chat (POST /chat/completions, streamed) and return the whole answer, retrying transient failures."""
        # `options` use Ollama's names: temperature and seed pass through, num_predict becomes max_tokens; num_ctx
        # and `keep_alive` are the server's own configuration here and are not sent.
        body: dict[str, Any] = {
            "model": model,
            "messages": [message.as_dict() for message in messages],
            "stream": True,
            "stream_options": {"include_usage": True},
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": _SCHEMA_NAME, "schema": strict_json_schema(format_schema), "strict": True},
            },
        }
        body.update(_sampling(options or {}))
        return await call_with_retries(
            lambda: self._chat_once(body, on_text),
            policy=self._retry,
            total_timeout=self._total_timeout,
            server=f"the model server at {self._where}",
        )

    async def _chat_once(self, body: dict[str, Any], on_text: TextListener | None) -> ChatAnswer:
        started = time.monotonic()
        model = str(body["model"])
        try:
            async with self._http.stream("POST", "/chat/completions", json=body) as response:
                if response.status_code != 200:
                    await response.aread()
                    raise self._status_error(response, model, "/chat/completions")
                if response.headers.get("content-type", "").startswith("application/json"):
                    # A server that ignores `stream` answers with one chat.completion.
                    await response.aread()
                    answer = self._whole(response)
                    if answer.text:
                        await notify(on_text, answer.text)
                else:
                    answer = await self._streamed(response, on_text)
        except httpx.TimeoutException as error:
            raise LlmUnavailable(f"the model server at {self._where} timed out ({type(error).__name__})") from error
        except httpx.TransportError as error:
            raise self._unreachable(error) from error
        return answer.finish(model, started)

    async def _streamed(self, response: httpx.Response, on_text: TextListener | None) -> _Answer:
        answer = _Answer()
        async for event in _sse_events(response.aiter_lines()):
            if event.data.strip() == _DONE:
                answer.done = True
                break
            chunk = self._decode(event.data)
            if event.event == "error" or "error" in chunk:
                raise LlmUnavailable(
                    f"the model server at {self._where} reported an error mid-answer: "
                    f"{self._scrub(_error_message(chunk) or event.data[:500])}"
                )
            answer.take_usage(chunk)
            choices = chunk.get("choices")
            choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
            delta = choice.get("delta")
            delta = delta if isinstance(delta, dict) else {}
            if isinstance(delta.get("refusal"), str):
                answer.refusal += delta["refusal"]
            piece = delta.get("content")
            if isinstance(piece, str) and piece:
                answer.text += piece
                await notify(on_text, answer.text)
            if choice.get("finish_reason"):
                answer.finish_reason = str(choice["finish_reason"])
        if not answer.done and answer.finish_reason is None:
            raise LlmUnavailable(f"the answer from the model server at {self._where} ended before it finished")
        return answer

    def _whole(self, response: httpx.Response) -> _Answer:
        completion = self._decode(response.text)
        if "error" in completion:
            raise LlmUnavailable(
                f"the model server at {self._where} reported an error: {self._scrub(_error_message(completion))}"
            )
        answer = _Answer(done=True)
        answer.take_usage(completion)
        choices = completion.get("choices")
        choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
        message = choice.get("message")
        message = message if isinstance(message, dict) else {}
        content, refusal = message.get("content"), message.get("refusal")
        answer.text = content if isinstance(content, str) else ""
        answer.refusal = refusal if isinstance(refusal, str) else ""
        answer.finish_reason = str(choice.get("finish_reason") or "stop")
        return answer

    def _decode(self, data: str) -> dict[str, Any]:
        try:
            value = json.loads(data)
        except json.JSONDecodeError as error:
            raise LlmUnavailable(
                f"the model server at {self._where} sent data that is not JSON: {data[:120]!r}"
            ) from error
        if not isinstance(value, dict):
            raise LlmUnavailable(f"the model server at {self._where} sent unexpected data: {data[:120]!r}")
        return value

    def _unreachable(self, error: httpx.TransportError) -> LlmUnavailable:
        return LlmUnavailable(f"cannot reach the model server at {self._where}: {error or type(error).__name__}")

    def _scrub(self, text: str) -> str:
        """`text` without the API key, should a server ever echo it back."""
        key = self._api_key.get_secret_value() if self._api_key else ""
        return text.replace(key, "***") if key else text

    def _status_error(self, response: httpx.Response, model: str, path: str) -> Exception:
        status = response.status_code
        detail = self._scrub(_response_message(response))
        where = self._where
        if status == 401:
            if self._api_key is None:
                return LlmRejected(f"the model server at {where} wants an API key: set LLM_API_KEY (401: {detail})")
            return LlmRejected(f"the model server at {where} refused LLM_API_KEY (401: {detail})")
        if status == 403:
            return LlmRejected(f"the model server at {where} does not allow this with LLM_API_KEY (403: {detail})")
        if status == 404:
            if model and _names_the_model(response, detail, model):
                return LlmRejected(
                    f"the model server at {where} has no model {model!r} ({detail}); set LLM_MODEL to one it serves"
                )
            subject = f" for model {model!r}" if model else ""
            return LlmRejected(
                f"the model server at {where} has no {path}{subject} (404: {detail}); "
                "LLM_BASE_URL should be the API root, usually ending in /v1"
            )
        if status in _RETRYABLE_STATUS or status >= 500:
            return LlmUnavailable(f"the model server at {where} answered {status}: {detail}")
        return LlmRejected(f"the model server at {where} refused the request with {status}: {detail}")


@dataclass(slots=True)
class _Answer:
    """What has arrived of one answer."""

    text: str = ""
    refusal: str = ""
    finish_reason: str | None = None
    done: bool = False
    prompt_tokens: int | None = None
    output_tokens: int | None = None

    def take_usage(self, chunk: dict[str, Any]) -> None:
        usage = chunk.get("usage")
        if not isinstance(usage, dict):
            return
        for name, field in (("prompt_tokens", "prompt_tokens"), ("completion_tokens", "output_tokens")):
            value = usage.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                setattr(self, field, value)

    def finish(self, model: str, started: float) -> ChatAnswer:
        """The answer as the drafter takes it; a refusal without content is final, a cut-off answer is not."""
        if self.refusal and not self.text:
            raise LlmRejected(f"the model {model!r} declined to answer: {self.refusal[:500]}")
        if self.finish_reason not in (None, "stop"):
            logger.warning("the model's answer was cut short", extra={"finish_reason": self.finish_reason})
        return ChatAnswer(
            content=self.text,
            usage=LlmUsage(
                prompt_tokens=self.prompt_tokens,
                output_tokens=self.output_tokens,
                duration_ms=int((time.monotonic() - started) * 1000),
            ),
        )


def _sampling(options: dict[str, Any]) -> dict[str, Any]:
    """The OpenAI request fields for Ollama-style `options`."""
    fields: dict[str, Any] = {}
    if options.get("temperature") is not None:
        fields["temperature"] = options["temperature"]
    if options.get("seed") is not None:
        fields["seed"] = options["seed"]
    limit = options.get("num_predict")
    if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0:
        fields["max_tokens"] = limit
    return fields


def _error_message(body: dict[str, Any]) -> str:
    """The message of an error body, whichever of the common shapes it takes."""
    error = body.get("error", body)
    if isinstance(error, dict):
        message = error.get("message") or error.get("detail") or ""
        return str(message)
    return str(error or "")


def _response_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    message = _error_message(body) if isinstance(body, dict) else ""
    if not message and isinstance(body, dict) and isinstance(body.get("detail"), str):
        message = body["detail"]
    return (message or response.text).strip()[:500] or response.reason_phrase


def _names_the_model(response: httpx.Response, detail: str, model: str) -> bool:
    """Whether a 404 is about the model (rather than a wrong path): an error code or a message that says so."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("code") == "model_not_found":
        return True
    return model in detail or "model" in detail.lower()


def _without_credentials(url: str) -> str:
    """`url` without any user or password in it, for messages and logs."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))
