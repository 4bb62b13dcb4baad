"""A client of Ollama's chat API: streamed answers, timeouts, and retries on the errors worth retrying."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import httpx

from propos4l.generator.prompts import ChatMessage
from propos4l.shared.events import LlmUsage

__all__ = ["ChatAnswer", "LlmRejected", "LlmUnavailable", "OllamaClient", "RetryPolicy"]

logger = logging.getLogger(__name__)

_RETRYABLE_STATUS: Final = frozenset({429, 500, 502, 503, 504})


class LlmUnavailable(RuntimeError):
    """The model server could not answer now (connection, timeout, 5xx, 429): worth trying again later."""


class LlmRejected(RuntimeError):
    """The model server refused the request (400, 404 unknown model): trying again cannot help."""


@dataclass(frozen=True, slots=True)
class ChatAnswer:
    """The assistant's full text and what it cost."""

    content: str
    usage: LlmUsage


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and full jitter."""

    attempts: int = 3
    base_delay: float = 1.0
    max_delay: float = 30.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt number `attempt + 1`."""
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


class OllamaClient:
    """Talks to one Ollama server over HTTP."""

    def __init__(
        self,
        base_url: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 120.0,
        total_timeout: float = 900.0,
        retry: RetryPolicy = RetryPolicy(),
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._total_timeout = total_timeout
        self._retry = retry
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(connect=connect_timeout, read=read_timeout, write=30.0, pool=30.0),
            transport=transport,
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def version(self) -> str:
        """The server's version (GET /api/version)."""
        response = await self._http.get("/api/version")
        response.raise_for_status()
        return str(response.json()["version"])

    async def chat(
        self,
        model: str,
        messages: Sequence[ChatMessage],
        *,
        format_schema: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
        keep_alive: str | None = None,
    ) -> ChatAnswer:
        """Send a chat and return the whole streamed answer, retrying transient failures."""
        body: dict[str, Any] = {
            "model": model,
            "messages": [message.as_dict() for message in messages],
            "stream": True,
        }
        if format_schema is not None:
            body["format"] = format_schema
        if options:
            body["options"] = options
        if keep_alive is not None:
            body["keep_alive"] = keep_alive
        attempt = 1
        while True:
            try:
                async with asyncio.timeout(self._total_timeout):
                    return await self._chat_once(body)
            except TimeoutError as error:
                failure = LlmUnavailable(f"Ollama did not finish within {self._total_timeout:.0f} s")
                failure.__cause__ = error
            except LlmUnavailable as error:
                failure = error
            if attempt >= self._retry.attempts:
                raise LlmUnavailable(f"{failure} (after {attempt} attempts)") from failure
            delay = self._retry.delay(attempt)
            logger.warning(
                "ollama call failed, retrying",
                extra={"attempt": attempt, "retry_in_s": round(delay, 2), "error": str(failure)},
            )
            await asyncio.sleep(delay)
            attempt += 1

    async def _chat_once(self, body: dict[str, Any]) -> ChatAnswer:
        started = time.monotonic()
        parts: list[str] = []
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
                        raise LlmUnavailable(f"Ollama reported an error mid-answer: {chunk['error']}")
                    parts.append(str(chunk.get("message", {}).get("content", "")))
                    if chunk.get("done"):
                        final = chunk
                        break
        except httpx.TimeoutException as error:
            raise LlmUnavailable(f"Ollama at {self.base_url} timed out ({type(error).__name__})") from error
        except httpx.TransportError as error:
            raise LlmUnavailable(f"cannot reach Ollama at {self.base_url}: {error or type(error).__name__}") from error
        if not final:
            raise LlmUnavailable("Ollama's answer ended before its final line")
        elapsed_ms = int((time.monotonic() - started) * 1000)
        total_ns = final.get("total_duration")
        return ChatAnswer(
            content="".join(parts),
            usage=LlmUsage(
                prompt_tokens=final.get("prompt_eval_count"),
                output_tokens=final.get("eval_count"),
                duration_ms=int(total_ns / 1_000_000) if isinstance(total_ns, int) else elapsed_ms,
            ),
        )


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
    message = message.strip()[:500] or response.reason_phrase
    if response.status_code == 404:
        return LlmRejected(f"Ollama has no model {model!r} ({message}); pull it or set OLLAMA_MODEL")
    if response.status_code in _RETRYABLE_STATUS:
        return LlmUnavailable(f"Ollama answered {response.status_code}: {message}")
    return LlmRejected(f"Ollama refused the request with {response.status_code}: {message}")
