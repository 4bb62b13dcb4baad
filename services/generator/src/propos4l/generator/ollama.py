"""A client of Ollama's chat API: streamed answers, timeouts, and retries on the errors worth retrying."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from typing import Any, Final

import httpx

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
from propos4l.generator.schemas import model_schema
from propos4l.shared.events import LlmUsage

__all__ = ["OllamaClient"]

logger = logging.getLogger(__name__)

_PROVIDER: Final = "ollama"
_RETRYABLE_STATUS: Final = frozenset({429, 500, 502, 503, 504})
_PROBE_TIMEOUT: Final = 10.0
# Words by which Ollama names a `format` schema it could not turn into a grammar.
_FORMAT_WORDS: Final = ("format", "schema", "grammar")


class OllamaClient:
    """Talks to one Ollama server over HTTP."""

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 120.0,
        total_timeout: float = 900.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        content: ContentCapture | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._active = 0
        self._content = content or ContentCapture()
        self._total_timeout = total_timeout
        self._retry = retry or RetryPolicy()
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(connect=connect_timeout, read=read_timeout, write=30.0, pool=30.0),
            transport=transport,
        )

    @property
    def busy(self) -> bool:
        """Whether a chat is under way."""
        return self._active > 0

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def version(self) -> str:
        """The server's version (GET /api/version); raise LlmUnavailable when it does not answer."""
        return str((await self._get_json("/api/version"))["version"])

    async def models(self) -> list[str]:
        """The names of the models the server has (GET /api/tags)."""
        listed = (await self._get_json("/api/tags")).get("models", [])
        return [str(entry.get("name") or entry.get("model")) for entry in listed if isinstance(entry, dict)]

    async def pull(self, model: str) -> None:
        """Download `model` (POST /api/pull, streamed progress); raise LlmRejected when the registry refuses it."""
        timeout = httpx.Timeout(connect=10.0, read=600.0, write=30.0, pool=30.0)
        try:
            async with self._http.stream(
                "POST", "/api/pull", json={"model": model, "stream": True}, timeout=timeout
            ) as response:
                if response.status_code != 200:
                    await response.aread()
                    raise _status_error(response, model)
                async for line in response.aiter_lines():
                    if not line.strip():
                        continue
                    status = _parse_line(line)
                    if "error" in status:
                        raise LlmRejected(f"Ollama could not pull {model!r}: {status['error']}")
                    if status.get("status") == "success":
                        return
        except httpx.TransportError as error:
            raise LlmUnavailable(f"cannot reach Ollama at {self.base_url}: {error or type(error).__name__}") from error
        raise LlmUnavailable(f"Ollama's pull of {model!r} ended without success")

    async def _get_json(self, path: str) -> dict[str, Any]:
        try:
            response = await self._http.get(path, timeout=_PROBE_TIMEOUT)
        except httpx.TransportError as error:
            raise LlmUnavailable(f"cannot reach Ollama at {self.base_url}: {error or type(error).__name__}") from error
        if response.status_code != 200:
            raise _status_error(response, "")
        body = response.json()
        if not isinstance(body, dict):
            raise LlmUnavailable(f"Ollama answered {path} with unexpected JSON")
        return body

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
        """Send a chat (POST /api/chat, streamed) and return the whole answer, retrying transient failures."""
        body: dict[str, Any] = {
            "model": model,
            "messages": [message.as_dict() for message in messages],
            "stream": True,
            # Ollama compiles the schema into a grammar: only its shape goes, the bounds stay in our validation.
            "format": model_schema(format_schema),
        }
        if options:
            body["options"] = options
        if keep_alive is not None:
            body["keep_alive"] = keep_alive
        self._active += 1
        try:
            return await call_with_retries(
                lambda: self._chat_once(body, on_text),
                policy=self._retry,
                total_timeout=self._total_timeout,
                server="Ollama",
                on_retry=on_retry,
            )
        finally:
            self._active -= 1

    async def _chat_once(self, body: dict[str, Any], on_text: TextListener | None) -> ChatAnswer:
        options: dict[str, Any] = body.get("options", {})
        with chat_span(
            _PROVIDER, str(body["model"]), body["messages"], parameters=_parameters(options), content=self._content
        ) as call:
            started = time.monotonic()
            text, final = await self._stream(body, on_text)
            call.answered(
                text=text,
                finish_reason=final.get("done_reason"),
                input_tokens=_count(final.get("prompt_eval_count")),
                output_tokens=_count(final.get("eval_count")),
                response_model=final.get("model"),
            )
            return self._answer(body, text, final, started)

    async def _stream(self, body: dict[str, Any], on_text: TextListener | None) -> tuple[str, dict[str, Any]]:
        """The answer's text and its final line ({} when the stream ended without one)."""
        text = ""
        feed = TextFeed(on_text)
        final: dict[str, Any] = {}
        try:
            async with self._http.stream("POST", "/api/chat", json=body) as response:
                if response.status_code != 200:
                    await response.aread()
                    raise _status_error(response, body["model"])
                async for line in response.aiter_lines():
                    if not line.strip():
                        continue
                    chunk = _parse_line(line)
                    if "error" in chunk:
                        raise LlmUnavailable(
                            f"Ollama reported an error mid-answer: {server_message(str(chunk['error']))}"
                        )
                    piece = str(chunk.get("message", {}).get("content", ""))
                    if piece:
                        text += piece
                        if feed.due(len(text), piece):
                            await notify(on_text, text)
                    if chunk.get("done"):
                        final = chunk
                        break
            if feed.untold(len(text)):
                await notify(on_text, text)
        except httpx.TimeoutException as error:
            raise LlmUnavailable(f"Ollama at {self.base_url} timed out ({type(error).__name__})") from error
        except httpx.TransportError as error:
            raise LlmUnavailable(f"cannot reach Ollama at {self.base_url}: {error or type(error).__name__}") from error
        return text, final

    def _answer(self, body: dict[str, Any], text: str, final: dict[str, Any], started: float) -> ChatAnswer:
        """The whole answer, or the failure its final line (or its absence) says."""
        if not final:
            raise LlmAnswerCut(f"Ollama's answer ended before its final line (after {len(text)} characters)")
        reason = final.get("done_reason")
        if reason == "length":
            limit = body.get("options", {}).get("num_predict")
            counted = (
                f"{limit} tokens"
                if isinstance(limit, int) and limit > 0
                else f"num_ctx {body.get('options', {}).get('num_ctx')}"
            )
            raise LlmAnswerTooLong(
                f"the answer reached the output token limit ({counted}) before it was finished",
                limit=limit if isinstance(limit, int) and limit > 0 else None,
                text=text,
            )
        if reason not in (None, "stop"):
            # "load" / "unload" answers carry no text: the model was (un)loaded instead of answering.
            raise LlmAnswerCut(f"Ollama ended the answer with done_reason {reason!r} instead of 'stop'")
        elapsed_ms = int((time.monotonic() - started) * 1000)
        total_ns = final.get("total_duration")
        return ChatAnswer(
            content=text,
            usage=LlmUsage(
                prompt_tokens=final.get("prompt_eval_count"),
                output_tokens=final.get("eval_count"),
                duration_ms=int(total_ns / 1_000_000) if isinstance(total_ns, int) else elapsed_ms,
            ),
        )


def _parameters(options: dict[str, Any]) -> dict[str, Any]:
    """Ollama's `options` under the GenAI names where there is one (num_predict is max_tokens)."""
    named = {"max_tokens" if key == "num_predict" else key: value for key, value in options.items()}
    if not (isinstance(named.get("max_tokens"), int) and named["max_tokens"] > 0):
        named.pop("max_tokens", None)  # 0 or -1: no limit
    return named


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _parse_line(line: str) -> dict[str, Any]:
    try:
        chunk = json.loads(line)
    except json.JSONDecodeError as error:
        raise LlmUnavailable(f"Ollama sent a line that is not JSON: {line[:120]!r}") from error
    if not isinstance(chunk, dict):
        raise LlmUnavailable(f"Ollama sent an unexpected line: {line[:120]!r}")
    return chunk


def _status_error(response: httpx.Response, model: str) -> Exception:
    try:
        message = str(response.json().get("error", "")) or response.text
    except ValueError:
        message = response.text
    message = server_message(message) or response.reason_phrase
    if response.status_code == 404:
        return LlmRejected(f"Ollama has no model {model!r} ({message}); pull it or set OLLAMA_MODEL")
    if response.status_code in (400, 500) and any(word in message.lower() for word in _FORMAT_WORDS):
        return LlmUnsupported(f"Ollama could not use the answer's JSON schema ({response.status_code}: {message})")
    if response.status_code in _RETRYABLE_STATUS:
        return LlmUnavailable(f"Ollama answered {response.status_code}: {message}")
    return LlmRejected(f"Ollama refused the request with {response.status_code}: {message}")
