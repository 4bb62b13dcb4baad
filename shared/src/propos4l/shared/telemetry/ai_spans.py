"""Spans of the knowledge library's AI steps, as tracing tools read them: embedding calls and retrievals.

Like the generator's model calls (`propos4l.generator.llm_spans`), each carries the OpenTelemetry GenAI attributes
and OpenInference's span kind (EMBEDDING, RETRIEVER), so Arize Phoenix shows them as such. Neither the embedded text
nor the retrieved passages' text go into a span (client data): counts, the model, ids and scores do.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Final

from openinference.semconv.trace import DocumentAttributes, OpenInferenceSpanKindValues, SpanAttributes
from opentelemetry import trace
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as gen_ai
from opentelemetry.semconv.attributes.error_attributes import ERROR_TYPE
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from propos4l.shared.telemetry.metrics import SCOPE

__all__ = ["embedding_span", "record_retrieved", "retrieval_span"]

_EMBEDDINGS: Final = "embeddings"


@contextlib.contextmanager
def embedding_span(provider: str, model: str, inputs: int) -> Iterator[Span]:
    """The span of one embedding request of `inputs` texts; an exception is recorded on it and raised again."""
    tracer = trace.get_tracer(SCOPE)
    attributes: dict[str, AttributeValue] = {
        gen_ai.GEN_AI_OPERATION_NAME: _EMBEDDINGS,
        gen_ai.GEN_AI_PROVIDER_NAME: provider,
        gen_ai.GEN_AI_SYSTEM: provider,
        gen_ai.GEN_AI_REQUEST_MODEL: model,
        SpanAttributes.OPENINFERENCE_SPAN_KIND: OpenInferenceSpanKindValues.EMBEDDING.value,
        SpanAttributes.EMBEDDING_MODEL_NAME: model,
        "propos4l.embedding.inputs": inputs,
    }
    with tracer.start_as_current_span(
        f"{_EMBEDDINGS} {model}", kind=SpanKind.CLIENT, attributes=attributes, record_exception=False
    ) as span:
        try:
            yield span
        except Exception as error:
            span.set_attribute(ERROR_TYPE, str(getattr(error, "reason", type(error).__name__)))
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR, str(error)))
            raise


@contextlib.contextmanager
def retrieval_span(name: str) -> Iterator[Span]:
    """The span of one retrieval from the library (`name`: what it retrieves for, e.g. "drafting context")."""
    tracer = trace.get_tracer(SCOPE)
    attributes = {SpanAttributes.OPENINFERENCE_SPAN_KIND: OpenInferenceSpanKindValues.RETRIEVER.value}
    with tracer.start_as_current_span(f"retrieve {name}", attributes=attributes) as span:
        yield span


def record_retrieved(span: Span, documents: Sequence[tuple[str, float | None]], **counts: int | str) -> None:
    """What a retrieval found: each document's id and score, in rank order, and a few counts (no text)."""
    if not span.is_recording():
        return
    for index, (document_id, score) in enumerate(documents):
        prefix = f"{SpanAttributes.RETRIEVAL_DOCUMENTS}.{index}."
        span.set_attribute(prefix + DocumentAttributes.DOCUMENT_ID, document_id)
        if score is not None:
            span.set_attribute(prefix + DocumentAttributes.DOCUMENT_SCORE, score)
    for name, value in counts.items():
        span.set_attribute(f"propos4l.retrieval.{name}", value)
