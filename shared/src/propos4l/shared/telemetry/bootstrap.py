"""Turning telemetry on for one process: resource, providers, OTLP exporters, library instrumentation, log export.

Off unless an OTLP endpoint is set (OTEL_EXPORTER_OTLP_ENDPOINT, or a signal's own OTEL_EXPORTER_OTLP_*_ENDPOINT):
then nothing is installed, no exporter thread starts, and every helper of this package goes through OpenTelemetry's
no-op API. The SDK and the exporters are imported only when on.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import logging
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from opentelemetry import metrics, trace
from pydantic import AnyHttpUrl, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from propos4l.shared.settings import ServiceSettings, load_settings
from propos4l.shared.telemetry.metrics import process_gauges, telemetry_enabled

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider

__all__ = [
    "Telemetry",
    "TelemetrySettings",
    "configure_telemetry",
    "flush_telemetry",
    "instrument_fastapi",
    "running_telemetry",
]

logger = logging.getLogger(__name__)

# Libraries every service may use, instrumented when present (httpx's instrumentation ships with the generator only).
_LIBRARY_INSTRUMENTORS: Final = (
    ("opentelemetry.instrumentation.redis", "RedisInstrumentor"),
    ("opentelemetry.instrumentation.asyncpg", "AsyncPGInstrumentor"),
    ("opentelemetry.instrumentation.httpx", "HTTPXClientInstrumentor"),
)
# Liveness probes would be most of the gateway's traces and tell nothing.
_UNTRACED_URLS: Final = "/api/health"


class TelemetrySettings(BaseSettings):
    """Where telemetry goes: OpenTelemetry's own variable names, read and checked once at start."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False, frozen=True)

    otel_exporter_otlp_endpoint: AnyHttpUrl | None = Field(
        default=None, description="OTLP/HTTP collector, e.g. http://otel-collector:4318 (unset: telemetry off)"
    )
    otel_exporter_otlp_traces_endpoint: AnyHttpUrl | None = Field(
        default=None, description="full URL for traces, used as it is (e.g. a trace UI's http://host:6006/v1/traces)"
    )
    otel_exporter_otlp_metrics_endpoint: AnyHttpUrl | None = Field(default=None, description="full URL for metrics")
    otel_exporter_otlp_logs_endpoint: AnyHttpUrl | None = Field(default=None, description="full URL for logs")
    otel_traces_exporter: Literal["otlp", "none"] = "otlp"
    otel_metrics_exporter: Literal["otlp", "none"] = "otlp"
    otel_logs_exporter: Literal["otlp", "none"] = "otlp"
    otel_exporter_otlp_protocol: Literal["http/protobuf"] = "http/protobuf"
    otel_sdk_disabled: bool = False
    otel_metric_export_interval: Annotated[int, Field(ge=100, description="milliseconds between metric exports")] = (
        15_000
    )

    @field_validator(
        "otel_exporter_otlp_endpoint",
        "otel_exporter_otlp_traces_endpoint",
        "otel_exporter_otlp_metrics_endpoint",
        "otel_exporter_otlp_logs_endpoint",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("otel_traces_exporter", "otel_metrics_exporter", "otel_logs_exporter", mode="before")
    @classmethod
    def _lower_case_exporter(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    def exports_anything(self) -> bool:
        """Whether some signal has somewhere to go."""
        if self.otel_sdk_disabled:
            return False
        return any(
            getattr(self, f"otel_{signal}_exporter") != "none"
            and (self.otel_exporter_otlp_endpoint or getattr(self, f"otel_exporter_otlp_{signal}_endpoint"))
            for signal in ("traces", "metrics", "logs")
        )


@dataclass(eq=False)
class Telemetry:
    """The telemetry of one process: its providers when on, and how to flush and stop them."""

    service: str
    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    logger_provider: LoggerProvider | None = None
    _log_handler: logging.Handler | None = None
    _instrumentors: list[Any] = field(default_factory=list)
    _stopped: bool = False

    @property
    def enabled(self) -> bool:
        """True when this process exports telemetry."""
        return self.tracer_provider is not None

    def force_flush(self, timeout_seconds: float = 10.0) -> bool:
        """Export what is buffered now; False if something could not be exported in time."""
        if self.tracer_provider is None or self.meter_provider is None or self.logger_provider is None:
            return True
        millis = int(timeout_seconds * 1000)
        return all(
            (
                self.tracer_provider.force_flush(millis),
                self.logger_provider.force_flush(millis),
                self.meter_provider.force_flush(millis),
            )
        )

    def shutdown(self) -> None:
        """Export what is buffered, stop the exporters' threads and undo the instrumentation (once)."""
        if self._stopped or self.tracer_provider is None:
            return
        self._stopped = True
        if self._log_handler is not None:
            logging.getLogger().removeHandler(self._log_handler)
        for instrumentor in self._instrumentors:
            instrumentor.uninstrument()
        self.tracer_provider.shutdown()
        if self.logger_provider is not None:
            self.logger_provider.shutdown()
        if self.meter_provider is not None:
            self.meter_provider.shutdown()


def configure_telemetry(service: str, settings: ServiceSettings, *, endpoint: str | None = None) -> Telemetry:
    """Export this process's traces, metrics and logs over OTLP/HTTP, or do nothing when no endpoint is set.

    Call once per process, after `configure_logging`. `endpoint` (a collector's base URL) overrides
    OTEL_EXPORTER_OTLP_ENDPOINT and the per-signal OTEL_EXPORTER_OTLP_*_ENDPOINT (see `exporters.signal_endpoints`).
    """
    config = load_settings(TelemetrySettings, service)
    if config.otel_sdk_disabled or (endpoint is None and not config.exports_anything()):
        return Telemetry(service)
    if telemetry_enabled():
        raise RuntimeError("telemetry is already configured in this process")
    return _start(service, settings.deployment_environment, config, endpoint)


@contextlib.contextmanager
def running_telemetry(service: str, settings: ServiceSettings) -> Iterator[Telemetry]:
    """Telemetry for the life of a `with` block: configured on entry, flushed and stopped on exit."""
    telemetry = configure_telemetry(service, settings)
    try:
        yield telemetry
    finally:
        telemetry.shutdown()


def flush_telemetry(timeout_seconds: float = 5.0) -> None:
    """Export what this process has buffered now (a process about to be ended by a signal has no later chance)."""
    if not telemetry_enabled():
        return
    from opentelemetry._logs import get_logger_provider

    millis = int(timeout_seconds * 1000)
    for provider in (trace.get_tracer_provider(), get_logger_provider(), metrics.get_meter_provider()):
        flush = getattr(provider, "force_flush", None)
        if callable(flush):
            flush(millis)


def instrument_fastapi(app: FastAPI) -> None:
    """Trace and measure the app's HTTP requests (not the liveness probe) when telemetry is on."""
    if not telemetry_enabled():
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor  # the gateway only

    # The ASGI send/receive spans would add one span per response chunk (each server-sent event) and tell nothing.
    FastAPIInstrumentor.instrument_app(app, excluded_urls=_UNTRACED_URLS, exclude_spans=["receive", "send"])


def _start(service: str, environment: str, config: TelemetrySettings, endpoint: str | None) -> Telemetry:
    # Imported here so that a process with telemetry off never loads the SDK, its exporters or their HTTP stack.
    from opentelemetry._logs import set_logger_provider
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    from propos4l.shared.telemetry.exporters import log_exporter, metric_exporter, signal_endpoints, span_exporter
    from propos4l.shared.telemetry.log_export import OtlpLogHandler
    from propos4l.shared.telemetry.sampling import default_sampler

    resource = Resource.create(
        {
            "service.name": service,
            "service.version": _version(service),
            "service.instance.id": f"{socket.gethostname()}-{os.getpid()}",
            # Both spellings: backends index the older one, the current semantic conventions name the second.
            "deployment.environment": environment,
            "deployment.environment.name": environment,
        }
    )
    # A signal that is off still gets its provider (spans still carry the trace ids logs are stamped with); it only
    # has no exporter.
    urls = signal_endpoints(config, endpoint)
    tracer_provider = TracerProvider(resource=resource, sampler=default_sampler(), shutdown_on_exit=False)
    if urls["traces"] is not None:
        tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter(urls["traces"])))
    readers: list[MetricReader] = []
    if urls["metrics"] is not None:
        readers.append(
            PeriodicExportingMetricReader(
                metric_exporter(urls["metrics"]), export_interval_millis=config.otel_metric_export_interval
            )
        )
    meter_provider = MeterProvider(resource=resource, metric_readers=readers, shutdown_on_exit=False)
    logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
    if urls["logs"] is not None:
        logger_provider.add_log_record_processor(BatchLogRecordProcessor(log_exporter(urls["logs"])))
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    set_logger_provider(logger_provider)

    gauges = process_gauges()
    gauges.read_interval = max(config.otel_metric_export_interval / 1000, 1.0)
    handler = OtlpLogHandler(logger_provider)
    logging.getLogger().addHandler(handler)
    telemetry = Telemetry(
        service,
        tracer_provider=tracer_provider,
        meter_provider=meter_provider,
        logger_provider=logger_provider,
        _log_handler=handler,
        _instrumentors=_instrument_libraries(),
    )
    logger.info(
        "telemetry exported over OTLP",
        extra={"service_name": service, **{f"{signal}_endpoint": url or "off" for signal, url in urls.items()}},
    )
    return telemetry


def _instrument_libraries() -> list[Any]:
    instrumentors = []
    for module_name, class_name in _LIBRARY_INSTRUMENTORS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue  # that library's instrumentation is not part of this service
        instrumentor = getattr(module, class_name)()
        instrumentor.instrument()
        instrumentors.append(instrumentor)
    return instrumentors


def _version(service: str) -> str:
    try:
        return importlib.metadata.version(f"propos4l-{service}")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
