"""OpenTelemetry for every service: one bootstrap, trace context through Redis Streams, the pipeline's metrics.

Usage in a service's entry point, after `configure_logging`::

    with running_telemetry("generator", settings):
        run_until_signalled(lambda stop: serve(settings, stop))

Everything here is a no-op unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
"""

from __future__ import annotations

from propos4l.shared.telemetry.bootstrap import (
    Telemetry,
    TelemetrySettings,
    configure_telemetry,
    flush_telemetry,
    instrument_fastapi,
    running_telemetry,
)
from propos4l.shared.telemetry.metrics import (
    BackupStatus,
    StreamWatch,
    count_dead_letter,
    count_republished,
    count_trimmed,
    mark_consumer_paused,
    observe_backups,
    record_generation,
    record_library_document,
    record_render,
    set_generation_objective,
    telemetry_enabled,
    watch_stream,
)
from propos4l.shared.telemetry.propagation import (
    Outgoing,
    Processing,
    current_trace_id,
    processing,
    publishing,
    relaying,
    span,
    trace_headers,
)

__all__ = [
    "BackupStatus",
    "Outgoing",
    "Processing",
    "StreamWatch",
    "Telemetry",
    "TelemetrySettings",
    "configure_telemetry",
    "count_dead_letter",
    "count_republished",
    "count_trimmed",
    "current_trace_id",
    "flush_telemetry",
    "instrument_fastapi",
    "mark_consumer_paused",
    "observe_backups",
    "processing",
    "publishing",
    "record_generation",
    "record_library_document",
    "record_render",
    "relaying",
    "running_telemetry",
    "set_generation_objective",
    "span",
    "telemetry_enabled",
    "trace_headers",
    "watch_stream",
]
