"""The trace sampler: background polling of Redis and PostgreSQL starts no trace of its own."""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult, _get_from_env_or_default
from opentelemetry.trace import Link, SpanKind, TraceState
from opentelemetry.util.types import Attributes

__all__ = ["NoOrphanClientSpans", "default_sampler"]


class NoOrphanClientSpans(Sampler):
    """Drops client spans that would start a trace; everything else goes to the configured sampler.

    The consumers poll Redis every second and the outbox relay polls PostgreSQL: traced on their own, those calls
    would bury the proposals' traces. Inside a request or a message they are children, and kept.
    """

    def __init__(self, delegate: Sampler) -> None:
        self._delegate = delegate

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: TraceState | None = None,
    ) -> SamplingResult:
        """Drop a parentless client span; ask the delegate otherwise."""
        parent = trace.get_current_span(parent_context).get_span_context()
        if kind is SpanKind.CLIENT and not parent.is_valid:
            return SamplingResult(Decision.DROP)
        return self._delegate.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)

    def get_description(self) -> str:
        """The sampler's name, with its delegate's."""
        return f"NoOrphanClientSpans{{{self._delegate.get_description()}}}"


def default_sampler() -> Sampler:
    """The sampler OTEL_TRACES_SAMPLER asks for (parent-based, always on, by default), without orphan client spans."""
    # The SDK's own reading of OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, so the standard variables still work.
    return NoOrphanClientSpans(_get_from_env_or_default())
