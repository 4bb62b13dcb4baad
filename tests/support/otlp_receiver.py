"""An OTLP/HTTP receiver for tests and benchmarks: takes protobuf traces, metrics and logs, and keeps them decoded.

It answers like a collector (`POST /v1/traces`, `/v1/metrics`, `/v1/logs`, protobuf, optionally gzipped), so a service
started with OTEL_EXPORTER_OTLP_ENDPOINT pointing at it exports exactly what it would export in production.
"""

from __future__ import annotations

import gzip
import threading
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

__all__ = ["OtlpReceiver", "ReceivedLog", "ReceivedMetric", "ReceivedPoint", "ReceivedSpan"]

_SPAN_KINDS = {
    Span.SPAN_KIND_INTERNAL: "internal",
    Span.SPAN_KIND_SERVER: "server",
    Span.SPAN_KIND_CLIENT: "client",
    Span.SPAN_KIND_PRODUCER: "producer",
    Span.SPAN_KIND_CONSUMER: "consumer",
}


@dataclass(frozen=True)
class ReceivedSpan:
    """One exported span, with the service that sent it."""

    service: str
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: str
    attributes: Mapping[str, Any]
    status_code: int
    resource: Mapping[str, Any]


@dataclass(frozen=True)
class ReceivedLog:
    """One exported log record, with the service that sent it."""

    service: str
    trace_id: str
    span_id: str
    severity: str
    body: Any
    attributes: Mapping[str, Any]


@dataclass(frozen=True)
class ReceivedPoint:
    """One data point: its attributes and its value (a number, or a histogram's count and sum)."""

    attributes: Mapping[str, Any]
    value: float | None = None
    count: int | None = None
    sum: float | None = None


@dataclass(frozen=True)
class ReceivedMetric:
    """One exported metric of one export, with the service that sent it."""

    service: str
    name: str
    unit: str
    points: tuple[ReceivedPoint, ...]


@dataclass
class _Store:
    lock: threading.Lock = field(default_factory=threading.Lock)
    spans: list[ReceivedSpan] = field(default_factory=list)
    logs: list[ReceivedLog] = field(default_factory=list)
    metrics: list[ReceivedMetric] = field(default_factory=list)
    requests: int = 0
    refusals: int = 0
    received_bytes: int = 0


class OtlpReceiver:
    """Serves OTLP/HTTP on a free local port in a background thread; a context manager."""

    def __init__(self, *, decode: bool = True, refuse: Iterable[str] = ()) -> None:
        """`decode=False` only counts the requests (a benchmark's receiver should cost as little as possible).

        `refuse` names signals ("metrics", "logs") answered 405 Method Not Allowed, as a trace-only UI answers them.
        """
        self._decode = decode
        self._refused_paths = frozenset(f"/v1/{signal}" for signal in refuse)
        self._store = _Store()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL to give as OTEL_EXPORTER_OTLP_ENDPOINT."""
        if self._server is None:
            raise RuntimeError("the OTLP receiver is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if self.path in receiver._refused_paths:
                    receiver._count_refusal()
                    self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                answer = receiver._accept(self.path, self.headers.get("Content-Encoding", ""), body)
                if answer is None:
                    self.send_response(HTTPStatus.NOT_FOUND)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                """Stay quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="otlp receiver", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def requests(self) -> int:
        """How many export requests arrived."""
        with self._store.lock:
            return self._store.requests

    @property
    def refusals(self) -> int:
        """How many export requests were answered 405 (see `refuse`)."""
        with self._store.lock:
            return self._store.refusals

    def _count_refusal(self) -> None:
        with self._store.lock:
            self._store.refusals += 1

    @property
    def received_bytes(self) -> int:
        """How many bytes of export requests arrived."""
        with self._store.lock:
            return self._store.received_bytes

    def spans(self) -> list[ReceivedSpan]:
        """Every span received so far."""
        with self._store.lock:
            return list(self._store.spans)

    def logs(self) -> list[ReceivedLog]:
        """Every log record received so far."""
        with self._store.lock:
            return list(self._store.logs)

    def metrics(self) -> list[ReceivedMetric]:
        """Every metric of every export received so far."""
        with self._store.lock:
            return list(self._store.metrics)

    def _accept(self, path: str, encoding: str, body: bytes) -> bytes | None:
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        with self._store.lock:
            self._store.requests += 1
            self._store.received_bytes += len(body)
        if path == "/v1/traces":
            if self._decode:
                self._keep_spans(ExportTraceServiceRequest.FromString(body))
            return ExportTraceServiceResponse().SerializeToString()
        if path == "/v1/metrics":
            if self._decode:
                self._keep_metrics(ExportMetricsServiceRequest.FromString(body))
            return ExportMetricsServiceResponse().SerializeToString()
        if path == "/v1/logs":
            if self._decode:
                self._keep_logs(ExportLogsServiceRequest.FromString(body))
            return ExportLogsServiceResponse().SerializeToString()
        return None

    def _keep_spans(self, request: ExportTraceServiceRequest) -> None:
        spans = []
        for resource_spans in request.resource_spans:
            resource = _attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    spans.append(
                        ReceivedSpan(
                            service=str(resource.get("service.name", "")),
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            name=span.name,
                            kind=_SPAN_KINDS.get(span.kind, "unspecified"),
                            attributes=_attributes(span.attributes),
                            status_code=span.status.code,
                            resource=resource,
                        )
                    )
        with self._store.lock:
            self._store.spans.extend(spans)

    def _keep_logs(self, request: ExportLogsServiceRequest) -> None:
        logs = []
        for resource_logs in request.resource_logs:
            service = str(_attributes(resource_logs.resource.attributes).get("service.name", ""))
            for scope_logs in resource_logs.scope_logs:
                for record in scope_logs.log_records:
                    logs.append(
                        ReceivedLog(
                            service=service,
                            trace_id=record.trace_id.hex(),
                            span_id=record.span_id.hex(),
                            severity=record.severity_text,
                            body=_value(record.body),
                            attributes=_attributes(record.attributes),
                        )
                    )
        with self._store.lock:
            self._store.logs.extend(logs)

    def _keep_metrics(self, request: ExportMetricsServiceRequest) -> None:
        received = []
        for resource_metrics in request.resource_metrics:
            service = str(_attributes(resource_metrics.resource.attributes).get("service.name", ""))
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    received.append(ReceivedMetric(service, metric.name, metric.unit, tuple(_points(metric))))
        with self._store.lock:
            self._store.metrics.extend(received)


def _points(metric: Any) -> Iterable[ReceivedPoint]:
    kind = metric.WhichOneof("data")
    if kind in {"gauge", "sum"}:
        for point in getattr(metric, kind).data_points:
            number = point.as_double if point.WhichOneof("value") == "as_double" else point.as_int
            yield ReceivedPoint(_attributes(point.attributes), value=float(number))
    elif kind == "histogram":
        for point in metric.histogram.data_points:
            yield ReceivedPoint(_attributes(point.attributes), count=int(point.count), sum=float(point.sum))


def _attributes(pairs: Iterable[KeyValue]) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    return getattr(value, kind)
