"""W3C trace context through Redis Streams: the send and process spans, and the message headers that link them.

A publisher writes the context of its send span into the message headers (`traceparent`, `tracestate`); a consumer
starts its process span as a child of the context it reads back, so one trace follows a proposal through every
service. With telemetry off the spans are OpenTelemetry's no-op ones: an incoming context still passes through, so
logs keep the trace id of the request that caused them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.instrumentation.utils import suppress_instrumentation
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from propos4l.shared.envelope import Envelope, EnvelopeError, decode, with_headers
from propos4l.shared.events import Event, ProposalFailed, ProposalProgressed
from propos4l.shared.logs import redact
from propos4l.shared.telemetry.metrics import SCOPE, instruments

__all__ = [
    "Outgoing",
    "Processing",
    "current_trace_id",
    "processing",
    "publishing",
    "relaying",
    "span",
    "trace_headers",
]

_MESSAGING: Final[dict[str, AttributeValue]] = {"messaging.system": "redis"}
# Progress reports go out every half second while a proposal is drafted: traced, they would bury the proposal's trace
# under a dozen copies of the same spans and cost more than the rest of it. They are counted, not traced.
_UNTRACED_EVENTS: Final = frozenset({ProposalProgressed.event_type})


def trace_headers(headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """`headers` plus the trace context of the current span (nothing is added outside a trace)."""
    carrier = dict(headers or {})
    propagate.inject(carrier)
    return carrier


def current_trace_id() -> str | None:
    """The id of the current trace (32 hex digits), or None outside a sampled trace."""
    context = trace.get_current_span().get_span_context()
    return trace.format_trace_id(context.trace_id) if context.is_valid and context.trace_flags.sampled else None


def span(name: str, attributes: Mapping[str, AttributeValue] | None = None) -> contextlib.AbstractContextManager[Span]:
    """A span of work inside the current trace (it records an exception that escapes it)."""
    return trace.get_tracer(SCOPE).start_as_current_span(name, attributes=attributes)


@dataclass(slots=True)
class Outgoing:
    """A message being sent: the headers to write with it, and its send span."""

    headers: dict[str, str]
    span: Span

    def sent(self, entry_id: str) -> None:
        """Note the entry id Redis gave the message."""
        self.span.set_attribute("messaging.message.id", entry_id)


@contextlib.contextmanager
def publishing(event: Event, headers: Mapping[str, str] | None = None) -> Iterator[Outgoing]:
    """A send span for `event`, in the current trace; yields the headers that carry it to the consumers."""
    if event.event_type in _UNTRACED_EVENTS:
        with suppress_instrumentation():
            yield Outgoing(dict(headers or {}), trace.INVALID_SPAN)
    else:
        attributes = _event_attributes(
            event.event_type,
            str(event.event_id),
            getattr(event, "proposal_id", None),
            getattr(event, "version", None),
        )
        with _send_span(event.stream.value, attributes, None) as outgoing_span:
            yield Outgoing(trace_headers(headers), outgoing_span)
    failure = {"stage": event.stage.value} if isinstance(event, ProposalFailed) else {}
    instruments().events_published.add(1, {"event_type": event.event_type, **failure})


@contextlib.contextmanager
def relaying(stream: str, fields: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """A send span for an event stored earlier (the outbox), as a child of the context stored with it.

    Yields the fields to append, their trace context replaced by the send span's.
    """
    envelope: Envelope | None
    try:
        envelope = decode(fields)
    except EnvelopeError:  # not ours to judge here: the consumers dead-letter what they cannot read
        envelope = None
    if envelope is None:
        yield dict(fields)
        return
    parent = propagate.extract(envelope.headers)
    attributes = _event_attributes(envelope.event_type, str(envelope.event_id), envelope.proposal_id, envelope.version)
    with _send_span(stream, attributes, parent):
        yield with_headers(fields, trace_headers(envelope.headers))
    instruments().events_published.add(1, {"event_type": envelope.event_type})


class Processing:
    """The process span of one delivery, and how the delivery ended (for the span and the message metrics)."""

    def __init__(self, process_span: Span) -> None:
        self.span = process_span
        self.outcome = "acknowledged"

    def dead_lettered(self, reason: str) -> None:
        """The message goes to the dead-letter stream."""
        self.outcome = "dead_letter"
        self.span.add_event("dead-lettered", {"reason": redact(reason)})
        self.span.set_status(Status(StatusCode.ERROR, redact(reason)))

    def failed(self, error: BaseException) -> None:
        """The handler raised: the message stays pending and will be delivered again."""
        self.outcome = "retry"
        self.span.record_exception(error)
        self.span.set_status(Status(StatusCode.ERROR, redact(f"{type(error).__name__}: {error}")))


@contextlib.contextmanager
def processing(stream: str, group: str, message_id: str, envelope: Envelope, deliveries: int) -> Iterator[Processing]:
    """A process span for one delivery, as a child of the context its publisher wrote in the headers."""
    started = time.perf_counter()
    with _process_span(stream, group, message_id, envelope, deliveries) as process_span:
        delivery = Processing(process_span)
        try:
            yield delivery
        except asyncio.CancelledError:
            delivery.outcome = "cancelled"
            raise
        except BaseException as error:
            delivery.outcome = "error"
            process_span.record_exception(error)
            process_span.set_status(Status(StatusCode.ERROR, redact(f"{type(error).__name__}: {error}")))
            raise
        finally:
            process_span.set_attribute("propos4l.delivery.outcome", delivery.outcome)
            instruments().message_duration.record(
                time.perf_counter() - started, {"stream": stream, "group": group, "outcome": delivery.outcome}
            )


@contextlib.contextmanager
def _process_span(stream: str, group: str, message_id: str, envelope: Envelope, deliveries: int) -> Iterator[Span]:
    if envelope.event_type in _UNTRACED_EVENTS:
        with suppress_instrumentation():  # nor the handler's own calls
            yield trace.INVALID_SPAN
        return
    attributes = {
        **_MESSAGING,
        "messaging.operation.type": "process",
        "messaging.destination.name": stream,
        "messaging.consumer.group.name": group,
        "messaging.message.id": message_id,
        "propos4l.delivery.count": deliveries,
        **_event_attributes(envelope.event_type, str(envelope.event_id), envelope.proposal_id, envelope.version),
    }
    with trace.get_tracer(SCOPE).start_as_current_span(
        f"process {stream}",
        context=propagate.extract(envelope.headers),
        kind=SpanKind.CONSUMER,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as process_span:
        yield process_span


@contextlib.contextmanager
def _send_span(stream: str, attributes: Mapping[str, AttributeValue], parent: Context | None) -> Iterator[Span]:
    with trace.get_tracer(SCOPE).start_as_current_span(
        f"send {stream}",
        context=parent,
        kind=SpanKind.PRODUCER,
        attributes={
            **_MESSAGING,
            "messaging.operation.type": "send",
            "messaging.destination.name": stream,
            **attributes,
        },
    ) as send_span:
        yield send_span


def _event_attributes(
    event_type: str, event_id: str, proposal_id: object | None, version: int | None
) -> dict[str, AttributeValue]:
    attributes: dict[str, AttributeValue] = {"propos4l.event.type": event_type, "propos4l.event.id": event_id}
    if proposal_id is not None:
        attributes["propos4l.proposal.id"] = str(proposal_id)
    if version is not None:
        attributes["propos4l.proposal.version"] = version
    return attributes
