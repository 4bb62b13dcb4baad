"""The embeddings client against the fake embedding server, over both protocols: batches, and each failure mapped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import pytest

from propos4l.shared.embeddings import EmbeddingClient, EmbeddingError
from tests.support.fake_embeddings import CONTEXT_WORDS, FakeEmbeddingServer, fake_embedding

pytestmark = pytest.mark.integration


@pytest.fixture
def fake() -> Iterator[FakeEmbeddingServer]:
    with FakeEmbeddingServer() as server:
        yield server


def client_of(fake: FakeEmbeddingServer, provider: Literal["ollama", "openai"], **options: object) -> EmbeddingClient:
    base = fake.url if provider == "ollama" else f"{fake.url}/v1"
    return EmbeddingClient(provider, base, model="fake-small", **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("provider", ["ollama", "openai"])
async def test_texts_are_embedded_in_batches_in_order(fake: FakeEmbeddingServer, provider: str) -> None:
    texts = [f"texto número {index} sobre migração" for index in range(7)]
    async with client_of(fake, provider, batch_size=3) as client:  # type: ignore[arg-type]
        vectors = await client.embed(texts)
    assert vectors == [fake_embedding(text, 256) for text in texts]
    assert [len(request["input"]) for request in fake.requests] == [3, 3, 1]


def test_similar_texts_are_closer_than_unrelated_ones() -> None:
    def cosine(left: str, right: str) -> float:
        return sum(a * b for a, b in zip(fake_embedding(left, 256), fake_embedding(right, 256), strict=True))

    assert cosine("migração para a nuvem", "moving workloads to the cloud") > cosine(
        "migração para a nuvem", "prontuário eletrônico de hospitais"
    )


@pytest.mark.parametrize("provider", ["ollama", "openai"])
async def test_an_unknown_model_is_model_not_found(fake: FakeEmbeddingServer, provider: str) -> None:
    async with client_of(fake, provider) as client:  # type: ignore[arg-type]
        with pytest.raises(EmbeddingError) as caught:
            await client.embed(["x"], model="no-such-model")
    assert caught.value.reason == "model_not_found" and "no-such-model" in str(caught.value)


async def test_a_text_too_long_for_an_openai_server_is_input_too_long(fake: FakeEmbeddingServer) -> None:
    async with client_of(fake, "openai") as client:
        with pytest.raises(EmbeddingError) as caught:
            await client.embed(["palavra " * (CONTEXT_WORDS + 1)])
    assert caught.value.reason == "input_too_long"


async def test_ollama_truncates_long_texts_as_asked(fake: FakeEmbeddingServer) -> None:
    async with client_of(fake, "ollama") as client:
        assert len((await client.embed(["palavra " * (CONTEXT_WORDS + 1)]))[0]) == 256


@pytest.mark.parametrize("provider", ["ollama", "openai"])
async def test_a_busy_or_absent_server_is_unavailable(fake: FakeEmbeddingServer, provider: str) -> None:
    async with client_of(fake, provider) as client:  # type: ignore[arg-type]
        with fake.down(), pytest.raises(EmbeddingError) as busy:
            await client.embed(["x"])
        url = fake.url
        fake.stop()
        with pytest.raises(EmbeddingError) as absent:
            await client.embed(["x"])
    assert (busy.value.reason, absent.value.reason) == ("unavailable", "unavailable")
    assert url.removeprefix("http://") in str(absent.value)
