"""The library's AI steps in traces: embedding calls as EMBEDDING spans, the drafting context's retrieval as a
RETRIEVER span (GenAI and OpenInference attributes, ids and counts but never the texts)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openinference.semconv.trace import OpenInferenceSpanKindValues, SpanAttributes
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from propos4l.shared.embeddings import EmbeddingClient, EmbeddingError
from propos4l.shared.telemetry.ai_spans import record_retrieved, retrieval_span
from tests.support.fake_embeddings import FakeEmbeddingServer

SECRET = "Cliente Sigiloso S.A. quer migrar o ERP"


@pytest.fixture
def exported(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    yield exporter
    provider.shutdown()


async def test_each_embedding_request_is_an_embedding_span_without_the_text(exported: InMemorySpanExporter) -> None:
    with FakeEmbeddingServer() as server:
        model = next(iter(server.models))
        async with EmbeddingClient("ollama", server.url, model=model, batch_size=2) as client:
            vectors = await client.embed([SECRET, "dados", "nuvem"])
    spans = [span for span in exported.get_finished_spans() if span.name == f"embeddings {model}"]
    assert len(spans) == 2, "one span per batch of two"
    span = spans[0]
    attributes = dict(span.attributes or {})
    assert span.kind is SpanKind.CLIENT
    assert attributes[SpanAttributes.OPENINFERENCE_SPAN_KIND] == OpenInferenceSpanKindValues.EMBEDDING.value
    assert attributes["gen_ai.operation.name"] == "embeddings" and attributes["gen_ai.request.model"] == model
    assert attributes[SpanAttributes.EMBEDDING_MODEL_NAME] == model
    assert attributes["propos4l.embedding.inputs"] == 2
    assert attributes["propos4l.embedding.dimensions"] == len(vectors[0])
    assert not any(SECRET in str(value) for value in attributes.values())


async def test_a_failed_embedding_request_is_an_error_span_with_its_reason(exported: InMemorySpanExporter) -> None:
    with FakeEmbeddingServer() as server:
        async with EmbeddingClient("ollama", server.url, model="no-such-model") as client:
            with pytest.raises(EmbeddingError):
                await client.embed(["texto"])
    (span,) = [span for span in exported.get_finished_spans() if span.name == "embeddings no-such-model"]
    assert span.status.status_code is StatusCode.ERROR
    assert dict(span.attributes or {})["error.type"] == "model_not_found"


def test_a_retrieval_span_lists_the_documents_by_id_and_score(exported: InMemorySpanExporter) -> None:
    with retrieval_span("drafting context") as span:
        record_retrieved(span, [("p-1", 0.9), ("p-2", None)], search_mode="full_text", roster=3)
    (finished,) = exported.get_finished_spans()
    attributes = dict(finished.attributes or {})
    assert finished.name == "retrieve drafting context"
    assert attributes[SpanAttributes.OPENINFERENCE_SPAN_KIND] == OpenInferenceSpanKindValues.RETRIEVER.value
    assert attributes["retrieval.documents.0.document.id"] == "p-1"
    assert attributes["retrieval.documents.0.document.score"] == 0.9
    assert attributes["retrieval.documents.1.document.id"] == "p-2"
    assert "retrieval.documents.1.document.score" not in attributes
    assert attributes["propos4l.retrieval.search_mode"] == "full_text" and attributes["propos4l.retrieval.roster"] == 3
