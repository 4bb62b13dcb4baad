"""A client of OpenAI-compatible chat APIs (vLLM, llama.cpp, LM Studio, OpenAI, Ollama's /v1): streamed, retried.

Servers differ in the structured output they take; the client negotiates it (see `StructuredOutput`) and remembers
what the server took, and it never takes a stream that ended without a finish reason for a whole answer.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import SecretStr

from propos4l.generator.llm import (
    ChatAnswer,
    LlmAnswerCut,
    LlmAnswerTooLong,
    LlmRejected,
    LlmUnavailable,
    LlmUnsupported,
    RetryListener,
    RetryPolicy,
    TextFeed,
    TextListener,
    call_with_retries,
    notify,
    server_message,
)
from propos4l.generator.llm_spans import ContentCapture, chat_span
from propos4l.generator.prompts import ChatMessage
from propos4l.generator.schemas import model_schema, strict_json_schema
from propos4l.generator.sse import sse_events
from propos4l.shared.events import LlmUsage

__all__ = ["OpenAICompatibleClient", "StructuredOutput"]

logger = logging.getLogger(__name__)

_SCHEMA_NAME: Final = "proposal_draft"
_DONE: Final = "[DONE]"
_RETRYABLE_STATUS: Final = frozenset({408, 409, 429, 502, 503, 504})
# Words by which a server that refuses a request names the structured-output parameter it does not take.
_STRUCTURED_WORDS: Final = re.compile(r"response_format|json_schema|json_object|schema|grammar|structured", re.I)
_UNSUPPORTED_STATUS: Final = frozenset({400, 422, 500, 501})
_CUT_REASONS: Final = frozenset({"abort", "aborted", "cancelled", "canceled"})
_PROBE_TIMEOUT: Final = 10.0
_PROVIDER: Final = "openai-compatible"
_SAMPLING_FIELDS: Final = ("temperature", "seed", "max_tokens")


class StructuredOutput(StrEnum):
    """How the answer is held to the JSON schema, from the strictest a server may take to the one every server takes.

    - ``json_schema``: OpenAI's structured outputs (OpenAI, vLLM, LM Studio, llama.cpp's own server).
    - ``json_object``: JSON mode with the schema beside it (llama-cpp-python's server turns it into a grammar).
    - ``prompt``: plain text, the schema in the system message; validation and the repair round hold the answer.
    """

    JSON_SCHEMA = "json_schema"
    JSON_OBJECT = "json_object"
    PROMPT = "prompt"

    def fallback(self) -> StructuredOutput | None:
        """The next kind to try when a server refuses this one."""
        order = list(StructuredOutput)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None


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
        structured_output: StructuredOutput | None = None,
        content: ContentCapture | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._content = content or ContentCapture()
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        self._api_key = SecretStr(key) if key else None
        self._where = _without_credentials(self.base_url)
        self._total_timeout = total_timeout
        self._retry = retry or RetryPolicy()
        # A fixed kind (LLM_STRUCTURED_OUTPUT) is never changed; otherwise start strict and step down on refusal.
        self._negotiable = structured_output is None
        self.structured_output = structured_output or StructuredOutput.JSON_SCHEMA
        self._active = 0
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

    @property
    def busy(self) -> bool:
        """Whether a chat is under way: llama-cpp-python's server cuts a running answer for any other request."""
        return self._active > 0

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def models(self) -> list[str]:
        """The ids of the models the server offers (GET /models)."""
        try:
            response = await self._http.get("/models", timeout=_PROBE_TIMEOUT)
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
        on_retry: RetryListener | None = None,
    ) -> ChatAnswer:
        """Send a chat (POST /chat/completions, streamed) and return the whole answer, retrying transient failures.

        When the server refuses the structured-output kind, the next kind is tried at once and kept for later calls.
        """
        # `options` use Ollama's names: temperature and seed pass through, num_predict becomes max_tokens; num_ctx
        # and `keep_alive` are the server's own configuration here and are not sent.
        self._active += 1
        try:
            while True:
                kind = self.structured_output
                body = self._body(model, messages, format_schema, options or {}, kind)
                try:
                    return await call_with_retries(
                        functools.partial(self._chat_once, body, on_text),
                        policy=self._retry,
                        total_timeout=self._total_timeout,
                        server=f"the model server at {self._where}",
                        on_retry=on_retry,
                    )
                except LlmUnsupported as error:
                    following = kind.fallback() if self._negotiable else None
                    if following is None:
                        raise
                    if self.structured_output == kind:
                        self.structured_output = following
                        logger.warning(
                            "the model server refused this structured output; using the next kind from now on",
                            extra={
                                "server": self._where,
                                "refused": kind.value,
                                "now": following.value,
                                "error": str(error),
                            },
                        )
        finally:
            self._active -= 1

    @staticmethod
    def _body(
        model: str,
        messages: Sequence[ChatMessage],
        format_schema: dict[str, Any],
        options: dict[str, Any],
        kind: StructuredOutput,
    ) -> dict[str, Any]:
        shape = model_schema(format_schema)
        sent = [message.as_dict() for message in messages]
        body: dict[str, Any] = {"model": model, "messages": sent, "stream": True}
        if kind is StructuredOutput.JSON_SCHEMA:
            body["stream_options"] = {"include_usage": True}
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": _SCHEMA_NAME, "schema": strict_json_schema(shape), "strict": True},
            }
        elif kind is StructuredOutput.JSON_OBJECT:
            body["stream_options"] = {"include_usage": True}
            body["response_format"] = {"type": "json_object", "schema": shape}
        else:
            # Only what every server takes: the schema travels in the system message, validation holds the answer.
            schema_text = "JSON schema:\n" + json.dumps(shape, ensure_ascii=False)
            system = next((index for index, message in enumerate(sent) if message["role"] == "system"), None)
            if system is None:
                sent.insert(0, {"role": "system", "content": schema_text})
            else:
                sent[system] = {"role": "system", "content": f"{sent[system]['content']}\n\n{schema_text}"}
        body.update(_sampling(options))
        return body

    async def _chat_once(self, body: dict[str, Any], on_text: TextListener | None) -> ChatAnswer:
        model = str(body["model"])
        with chat_span(
            _PROVIDER, model, body["messages"], parameters=_span_parameters(body), content=self._content
        ) as call:
            started = time.monotonic()
            answer = await self._answer(body, on_text)
            call.answered(
                text=answer.text,
                finish_reason=answer.finish_reason,
                input_tokens=answer.prompt_tokens,
                output_tokens=answer.output_tokens,
                response_model=answer.model,
            )
            return answer.finish(model, started, self._where, body.get("max_tokens"))

    async def _answer(self, body: dict[str, Any], on_text: TextListener | None) -> _Answer:
        model = str(body["model"])
        try:
            async with self._http.stream("POST", "/chat/completions", json=body) as response:
                if response.status_code != 200:
                    await response.aread()
                    raise self._status_error(response, model, "/chat/completions", structured="response_format" in body)
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
        return answer

    async def _streamed(self, response: httpx.Response, on_text: TextListener | None) -> _Answer:
        answer = _Answer()
        feed = TextFeed(on_text)
        text = ""
        async for event in sse_events(response.aiter_lines()):
            if event.data.strip() == _DONE:
                answer.done = True
                break
            chunk = self._decode(event.data)
            if event.event == "error" or "error" in chunk:
                raise LlmUnavailable(
                    f"the model server at {self._where} reported an error mid-answer: "
                    f"{server_message(self._scrub(_error_message(chunk) or event.data[:500]))}"
                )
            answer.take_usage(chunk)
            answer.take_model(chunk)
            choices = chunk.get("choices")
            choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
            delta = choice.get("delta")
            delta = delta if isinstance(delta, dict) else {}
            if isinstance(delta.get("refusal"), str):
                answer.refusal += delta["refusal"]
            piece = delta.get("content")
            if isinstance(piece, str) and piece:
                text += piece
                if feed.due(len(text), piece):
                    await notify(on_text, text)
            if choice.get("finish_reason"):
                answer.finish_reason = str(choice["finish_reason"])
        answer.text = text
        if feed.untold(len(text)):
            await notify(on_text, text)
        return answer

    def _whole(self, response: httpx.Response) -> _Answer:
        completion = self._decode(response.text)
        if "error" in completion:
            raise LlmUnavailable(
                f"the model server at {self._where} reported an error: "
                f"{server_message(self._scrub(_error_message(completion)))}"
            )
        answer = _Answer(done=True)
        answer.take_usage(completion)
        answer.take_model(completion)
        choices = completion.get("choices")
        choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
        message = choice.get("message")
        message = message if isinstance(message, dict) else {}
        content, refusal = message.get("content"), message.get("refusal")
        answer.text = content if isinstance(content, str) else ""
        answer.refusal = refusal if isinstance(refusal, str) else ""
        # A whole (non-streamed) completion is complete by construction; some servers leave the reason out.
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

    def _status_error(self, response: httpx.Response, model: str, path: str, *, structured: bool = False) -> Exception:
        status = response.status_code
        detail = server_message(self._scrub(_response_message(response)))
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
        if structured and status in _UNSUPPORTED_STATUS and _STRUCTURED_WORDS.search(response.text):
            # llama-cpp-python answers 500 for a response_format kind it does not know: the request, not the server.
            return LlmUnsupported(
                f"the model server at {where} does not take this structured output ({status}: {detail})"
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
    model: str | None = None

    def take_model(self, chunk: dict[str, Any]) -> None:
        """The model the server says answered (it may name the exact build of the model asked for)."""
        if self.model is None and isinstance(chunk.get("model"), str) and chunk["model"]:
            self.model = chunk["model"]

    def take_usage(self, chunk: dict[str, Any]) -> None:
        usage = chunk.get("usage")
        if not isinstance(usage, dict):
            return
        for name, field in (("prompt_tokens", "prompt_tokens"), ("completion_tokens", "output_tokens")):
            value = usage.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                setattr(self, field, value)

    def finish(self, model: str, started: float, where: str, limit: object) -> ChatAnswer:
        """The answer as the drafter takes it, once the server said it is finished.

        No finish reason means the stream was cut (llama-cpp-python's server ends a running answer with ``[DONE]``
        when another request arrives): it is tried again, never validated as if whole. ``length`` is the token
        limit, not bad JSON.
        """
        if self.refusal and not self.text:
            raise LlmRejected(f"the model {model!r} declined to answer: {self.refusal[:500]}")
        reason = self.finish_reason
        if reason is None or reason in _CUT_REASONS:
            raise LlmAnswerCut(
                f"the answer from the model server at {where} ended before the server said it was finished "
                f"(after {len(self.text)} characters; another request may have interrupted it)"
            )
        if reason == "length":
            tokens = limit if isinstance(limit, int) else self.output_tokens
            counted = f"{tokens} tokens" if tokens else "the server's limit"
            raise LlmAnswerTooLong(
                f"the answer reached the output token limit ({counted}) before it was finished",
                limit=tokens,
                text=self.text,
            )
        if reason == "content_filter":
            raise LlmRejected(f"the model server at {where} withheld the answer (content filter)")
        if reason != "stop":
            logger.warning("unexpected finish reason, taking the answer as finished", extra={"finish_reason": reason})
        return ChatAnswer(
            content=self.text,
            usage=LlmUsage(
                prompt_tokens=self.prompt_tokens,
                output_tokens=self.output_tokens,
                duration_ms=int((time.monotonic() - started) * 1000),
            ),
        )


def _span_parameters(body: dict[str, Any]) -> dict[str, Any]:
    """The request parameters a model call's span shows: the sampling fields and the structured-output kind."""
    parameters: dict[str, Any] = {key: body[key] for key in _SAMPLING_FIELDS if key in body}
    response_format = body.get("response_format")
    if isinstance(response_format, dict):
        parameters["response_format"] = response_format.get("type")
    return parameters


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
