"""Where each signal goes, and exporters that say once, not per batch, that an endpoint refuses their signal.

The endpoints follow OpenTelemetry's exporter specification: OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_ENDPOINT is a
full URL used as it is; otherwise OTEL_EXPORTER_OTLP_ENDPOINT is a base URL under which each signal has its path
(``/v1/traces``, ``/v1/metrics``, ``/v1/logs``); OTEL_{TRACES,METRICS,LOGS}_EXPORTER=none switches a signal off.
A trace-only UI (Phoenix, Jaeger) answers 404 or 405 to metrics and logs: the first such answer is logged as one
warning naming the signal and the endpoint, and that signal is not sent again by this process.

Imported only when telemetry is on (it loads the OTLP exporters and their HTTP stack).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal

import requests
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, MetricsData
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

if TYPE_CHECKING:
    from propos4l.shared.telemetry.bootstrap import TelemetrySettings

__all__ = [
    "SIGNALS",
    "GuardedLogExporter",
    "GuardedMetricExporter",
    "GuardedSpanExporter",
    "Signal",
    "log_exporter",
    "metric_exporter",
    "signal_endpoints",
    "span_exporter",
]

logger = logging.getLogger(__name__)

Signal = Literal["traces", "metrics", "logs"]
SIGNALS: Final[tuple[Signal, ...]] = ("traces", "metrics", "logs")

# What a server answers to a signal it does not take (no such path, no POST there, not this encoding, not built in).
_REFUSED_STATUS: Final = frozenset({404, 405, 415, 501})
# The OTLP exporters log each failed batch here; a refused one has been reported already.
_EXPORTER_LOGGERS: Final = (
    "opentelemetry.exporter.otlp.common.http",
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
    "opentelemetry.exporter.otlp.proto.http.metric_exporter",
    "opentelemetry.exporter.otlp.proto.http._log_exporter",
)


def signal_endpoints(config: TelemetrySettings, endpoint: str | None = None) -> dict[Signal, str | None]:
    """The URL each signal is exported to, None for a signal that is off.

    `endpoint` (a base URL) replaces OTEL_EXPORTER_OTLP_ENDPOINT and the per-signal URLs; OTEL_*_EXPORTER=none still
    switches a signal off.
    """
    urls: dict[Signal, str | None] = {}
    for signal in SIGNALS:
        specific = getattr(config, f"otel_exporter_otlp_{signal}_endpoint")
        base = endpoint or (str(config.otel_exporter_otlp_endpoint) if config.otel_exporter_otlp_endpoint else None)
        if getattr(config, f"otel_{signal}_exporter") == "none":
            urls[signal] = None
        elif endpoint is None and specific is not None:
            urls[signal] = str(specific)  # the spec: a signal's own endpoint is used as it is
        elif base is not None:
            urls[signal] = f"{base.rstrip('/')}/v1/{signal}"
        else:
            urls[signal] = None
    return urls


class _Refusal:
    """Whether one signal's endpoint has refused it, told once; the exporter's own per-batch error stays silent."""

    _current = threading.local()  # set while a batch's answer was a refusal, for the log filter in this thread

    def __init__(self, signal: Signal, endpoint: str) -> None:
        self.signal = signal
        self.endpoint = endpoint
        self.refused = False
        self.session = _WatchedSession(self)

    def answered(self, status: int) -> None:
        if status not in _REFUSED_STATUS:
            return
        _Refusal._current.refused = True
        if not self.refused:
            self.refused = True
            logger.warning(
                "the telemetry endpoint refuses this signal; it is not exported any more",
                extra={"signal": self.signal, "endpoint": self.endpoint, "status": status},
            )

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """The sending of one batch, in this thread (the flag that silences the exporter's error is this batch's)."""
        _Refusal._current.refused = False
        try:
            yield
        finally:
            _Refusal._current.refused = False

    @staticmethod
    def silence_exporter_errors() -> None:
        """Drop the OTLP exporters' error for a batch that was refused (installed once per process)."""
        for name in _EXPORTER_LOGGERS:
            exporter_logger = logging.getLogger(name)
            if _refused_batch not in exporter_logger.filters:
                exporter_logger.addFilter(_refused_batch)


def _refused_batch(record: logging.LogRecord) -> bool:
    return not getattr(_Refusal._current, "refused", False)


class _WatchedSession(requests.Session):
    """The exporter's HTTP session, telling its refusal watch every answer's status."""

    def __init__(self, refusal: _Refusal) -> None:
        super().__init__()
        self._refusal = refusal

    def request(self, *arguments: Any, **options: Any) -> requests.Response:
        """Send as usual, then tell the watch the status."""
        response = super().request(*arguments, **options)
        self._refusal.answered(response.status_code)
        return response


class GuardedSpanExporter(SpanExporter):
    """An OTLP span exporter that stops sending once its endpoint refused traces."""

    def __init__(self, endpoint: str) -> None:
        self.refusal = _Refusal("traces", endpoint)
        self._inner = OTLPSpanExporter(endpoint=endpoint, session=self.refusal.session)

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Send `spans`, unless the endpoint refused them before."""
        if self.refusal.refused:
            return SpanExportResult.FAILURE
        with self.refusal.batch():
            return self._inner.export(spans)

    def shutdown(self) -> None:
        """Close the exporter's connections."""
        self._inner.shutdown()  # type: ignore[no-untyped-call]

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Nothing is buffered here."""
        return self._inner.force_flush(timeout_millis)


class GuardedMetricExporter(MetricExporter):
    """An OTLP metric exporter that stops sending once its endpoint refused metrics."""

    def __init__(self, endpoint: str) -> None:
        self.refusal = _Refusal("metrics", endpoint)
        self._inner = OTLPMetricExporter(endpoint=endpoint, session=self.refusal.session)
        super().__init__(
            preferred_temporality=self._inner._preferred_temporality,
            preferred_aggregation=self._inner._preferred_aggregation,
        )

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any) -> MetricExportResult:
        """Send `metrics_data`, unless the endpoint refused metrics before."""
        if self.refusal.refused:
            return MetricExportResult.FAILURE
        with self.refusal.batch():
            return self._inner.export(metrics_data, timeout_millis, **kwargs)

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        """Nothing is buffered here."""
        return self._inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        """Close the exporter's connections."""
        self._inner.shutdown(timeout_millis, **kwargs)


class GuardedLogExporter(LogRecordExporter):
    """An OTLP log exporter that stops sending once its endpoint refused logs."""

    def __init__(self, endpoint: str) -> None:
        self.refusal = _Refusal("logs", endpoint)
        self._inner = OTLPLogExporter(endpoint=endpoint, session=self.refusal.session)

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        """Send `batch`, unless the endpoint refused logs before."""
        if self.refusal.refused:
            return LogRecordExportResult.FAILURE
        with self.refusal.batch():
            return self._inner.export(batch)

    def shutdown(self) -> None:
        """Close the exporter's connections."""
        self._inner.shutdown()  # type: ignore[no-untyped-call]

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        """Nothing is buffered here."""
        return self._inner.force_flush(timeout_millis)


def span_exporter(endpoint: str) -> GuardedSpanExporter:
    """The trace exporter for `endpoint` (a full URL)."""
    _Refusal.silence_exporter_errors()
    return GuardedSpanExporter(endpoint)


def metric_exporter(endpoint: str) -> GuardedMetricExporter:
    """The metric exporter for `endpoint` (a full URL)."""
    _Refusal.silence_exporter_errors()
    return GuardedMetricExporter(endpoint)


def log_exporter(endpoint: str) -> GuardedLogExporter:
    """The log exporter for `endpoint` (a full URL)."""
    _Refusal.silence_exporter_errors()
    return GuardedLogExporter(endpoint)
