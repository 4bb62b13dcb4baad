"""Text embeddings from Ollama's `/api/embed` or an OpenAI-compatible `/v1/embeddings`, in batches, with timeouts.

Every way a server can fail to give embeddings becomes one `EmbeddingError` with a `reason` the caller can act on:
search answers with full text only, the library service retries later.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Any, Final, Literal

import httpx

from propos4l.shared.settings import EmbeddingSettings
from propos4l.shared.telemetry.ai_spans import embedding_span

__all__ = ["EmbeddingClient", "EmbeddingError", "EmbeddingFailure", "client_from_settings"]

EmbeddingFailure = Literal["unavailable", "model_not_found", "input_too_long", "refused", "bad_response"]

_log = logging.getLogger(__name__)
_CONNECT_TIMEOUT_SECONDS: Final = 5.0
_TOO_LONG_HINTS: Final = ("context length", "too long", "maximum context", "exceeds", "too many tokens")


class EmbeddingError(Exception):
    """The embedding server gave no embeddings: `reason` says why, the message says it for a person."""

    def __init__(self, reason: EmbeddingFailure, message: str) -> None:
        super().__init__(message)
        self.reason: EmbeddingFailure = reason


class EmbeddingClient:
    """Embeds texts with one provider at one base URL; the model is chosen per call (search may use an older one)."""

    def __init__(
        self,
        provider: Literal["ollama", "openai"],
        base_url: str,
        *,
        model: str,
        api_key: str | None = None,
        batch_size: int = 32,
        timeout_seconds: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """A client of `provider` at `base_url` (Ollama's root, or the OpenAI-compatible root ending in /v1)."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.provider = provider
        self.model = model
        self.batch_size = batch_size
        self.timeout_seconds = timeout_seconds
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, _CONNECT_TIMEOUT_SECONDS)),
            transport=transport,
        )

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def __aenter__(self) -> EmbeddingClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def embed(
        self, texts: Sequence[str], *, model: str | None = None, timeout_seconds: float | None = None
    ) -> list[list[float]]:
        """One vector per text, in order, asking `batch_size` texts at a time; raise `EmbeddingError`."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            vectors += await self._embed_batch(batch, model or self.model, timeout_seconds)
        return vectors

    async def _embed_batch(self, texts: list[str], model: str, timeout_seconds: float | None) -> list[list[float]]:
        with embedding_span(self.provider, model, len(texts)) as span:
            vectors = await self._ask(texts, model, timeout_seconds)
            span.set_attribute("propos4l.embedding.dimensions", len(vectors[0]))
            return vectors

    async def _ask(self, texts: list[str], model: str, timeout_seconds: float | None) -> list[list[float]]:
        if self.provider == "ollama":
            path, body = "/api/embed", {"model": model, "input": texts, "truncate": True}
        else:
            path, body = "/embeddings", {"model": model, "input": texts, "encoding_format": "float"}
        timeout = (
            httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, _CONNECT_TIMEOUT_SECONDS))
            if timeout_seconds is not None
            else httpx.USE_CLIENT_DEFAULT
        )
        where = f"{self._http.base_url}{path}"
        try:
            response = await self._http.post(path, json=body, timeout=timeout)
        except httpx.TimeoutException as error:
            raise EmbeddingError("unavailable", f"the embedding server at {where} did not answer in time") from error
        except httpx.HTTPError as error:
            raise EmbeddingError("unavailable", f"cannot reach the embedding server at {where}: {error}") from error
        if response.status_code != 200:
            raise _error_of(response, model, where)
        try:
            payload = response.json()
        except ValueError as error:
            raise EmbeddingError("bad_response", f"the embedding server at {where} answered no JSON") from error
        vectors = _ollama_vectors(payload) if self.provider == "ollama" else _openai_vectors(payload)
        if vectors is None or len(vectors) != len(texts):
            raise EmbeddingError(
                "bad_response", f"the embedding server at {where} answered no list of {len(texts)} embeddings"
            )
        dimensions = {len(vector) for vector in vectors}
        if len(dimensions) != 1 or 0 in dimensions:
            raise EmbeddingError("bad_response", f"the embedding server at {where} answered vectors of mixed sizes")
        return vectors


def _error_message(response: httpx.Response) -> str:
    """The server's own words: Ollama's {"error": "..."} or OpenAI's {"error": {"message": "..."}}."""
    try:
        payload = response.json()
    except ValueError:
        return response.text[:300]
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        error = error.get("message")
    return str(error)[:300] if error else response.text[:300]


def _error_of(response: httpx.Response, model: str, where: str) -> EmbeddingError:
    message = _error_message(response)
    status = response.status_code
    if status == 404:
        return EmbeddingError(
            "model_not_found", f"the embedding server at {where} does not serve model {model!r} ({message})"
        )
    if status in (400, 413, 422) and any(hint in message.lower() for hint in _TOO_LONG_HINTS):
        return EmbeddingError("input_too_long", f"a text is too long for embedding model {model!r} ({message})")
    if status in (401, 403):
        return EmbeddingError("refused", f"the embedding server at {where} refused the API key ({status}: {message})")
    if status in (408, 429) or status >= 500:
        return EmbeddingError("unavailable", f"the embedding server at {where} is not available ({status}: {message})")
    return EmbeddingError("refused", f"the embedding server at {where} refused the request ({status}: {message})")


def _is_vector(value: Any) -> bool:
    return (
        isinstance(value, list)
        and all(isinstance(number, int | float) and not isinstance(number, bool) for number in value)
        and all(math.isfinite(number) for number in value)
    )


def _ollama_vectors(payload: Any) -> list[list[float]] | None:
    vectors = payload.get("embeddings") if isinstance(payload, dict) else None
    if not isinstance(vectors, list) or not all(_is_vector(vector) for vector in vectors):
        return None
    return [[float(number) for number in vector] for vector in vectors]


def _openai_vectors(payload: Any) -> list[list[float]] | None:
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        return None
    items = sorted(data, key=lambda item: item.get("index", 0) if isinstance(item.get("index"), int) else 0)
    vectors = [item.get("embedding") for item in items]
    if not all(_is_vector(vector) for vector in vectors):
        return None
    return [[float(number) for number in vector] for vector in vectors if isinstance(vector, list)]


def client_from_settings(settings: EmbeddingSettings) -> EmbeddingClient | None:
    """The client the settings describe, or None when EMBEDDING_PROVIDER=none (full-text search only)."""
    if settings.embedding_provider == "none":
        return None
    api_key = settings.embedding_api_key.get_secret_value() if settings.embedding_api_key else None
    return EmbeddingClient(
        settings.embedding_provider,
        settings.embedding_base_url,
        model=settings.embedding_model,
        api_key=api_key,
        batch_size=settings.embedding_batch_size,
        timeout_seconds=settings.embedding_timeout_seconds,
    )
