"""Telemetry without servers: off by default, the settings it refuses, context through headers, logs, samplers."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.utils import is_instrumentation_enabled
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

import propos4l.shared.telemetry as telemetry
from propos4l.shared.envelope import decode, encode, with_headers
from propos4l.shared.events import FailureStage, ProposalFailed, ProposalProgressed
from propos4l.shared.logs import REDACTED, JsonFormatter, log_type, redact
from propos4l.shared.settings import ConfigurationError, ServiceSettings
from propos4l.shared.telemetry import (
    BackupStatus,
    configure_telemetry,
    observe_backups,
    processing,
    publishing,
    relaying,
    telemetry_enabled,
    trace_headers,
)
from propos4l.shared.telemetry.bootstrap import TelemetrySettings
from propos4l.shared.telemetry.log_export import OtlpLogHandler
from propos4l.shared.telemetry.sampling import default_sampler
from tests.support.otlp_receiver import OtlpReceiver

REPO = Path(__file__).resolve().parents[2]
SETTINGS = ServiceSettings(redis_url="redis://localhost:6379/0", deployment_environment="test")
UPSTREAM = SpanContext(
    trace_id=0x0AF7651916CD43DD8448EB211C80319C,
    span_id=0xB7AD6B7169203331,
    is_remote=True,
    trace_flags=TraceFlags(TraceFlags.SAMPLED),
)


@pytest.fixture
def no_otel_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_SDK_DISABLED", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def upstream_span() -> Iterator[None]:
    """A remote caller's span as the current one (what a consumer sees after extracting the headers)."""
    with trace.use_span(NonRecordingSpan(UPSTREAM)):
        yield


def _failure() -> ProposalFailed:
    return ProposalFailed(proposal_id=uuid.uuid4(), version=1, stage=FailureStage.RENDERING, detail="no template")


# --- off by default -------------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_otel_environment")
def test_telemetry_is_off_without_an_endpoint_and_starts_nothing() -> None:
    threads = threading.active_count()
    handlers = list(logging.getLogger().handlers)

    handle = configure_telemetry("generator", SETTINGS)

    assert not handle.enabled and not telemetry_enabled()
    assert threading.active_count() == threads
    assert logging.getLogger().handlers == handlers
    assert handle.force_flush() is True
    handle.shutdown()


@pytest.mark.usefixtures("no_otel_environment")
def test_an_empty_endpoint_or_a_disabled_sdk_means_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "  ")
    assert not configure_telemetry("renderer", SETTINGS).enabled
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert not configure_telemetry("renderer", SETTINGS).enabled
    assert not telemetry_enabled()


@pytest.mark.usefixtures("no_otel_environment")
@pytest.mark.parametrize(
    ("name", "value"),
    [("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"), ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")],
)
def test_a_malformed_telemetry_setting_stops_the_service_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, value: str
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError):
        configure_telemetry("gateway", SETTINGS)
    error = capsys.readouterr().err.strip()
    assert error.startswith("propos4l-gateway: configuration error:") and name in error
    assert len(error.splitlines()) == 1


def test_recording_metrics_and_spans_while_off_costs_nothing_and_fails_nothing() -> None:
    telemetry.record_generation("ollama", "qwen2.5:7b", "drafted", 12.5, None)
    telemetry.record_render("default", "rendered", 0.8, pages=9)
    telemetry.count_dead_letter("propos4l.proposal.requested", "generator", "exhausted")
    with telemetry.span("render pdf", {"propos4l.template": "default"}) as current:
        assert not current.is_recording()


# --- trace context through message headers --------------------------------------------------------------------------


def test_no_trace_context_is_written_outside_a_trace() -> None:
    assert trace_headers({"x": "1"}) == {"x": "1"}


@pytest.mark.usefixtures("upstream_span")
def test_a_published_message_carries_the_trace_context_and_its_consumer_continues_it() -> None:
    event = _failure()
    with publishing(event) as outgoing:
        fields = encode(event, outgoing.headers)
    envelope = decode(fields)
    assert envelope.headers["traceparent"] == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

    with trace.use_span(trace.INVALID_SPAN):  # the consumer runs outside any trace of its own
        with processing("propos4l.proposal.failed", "gateway", "1-0", envelope, deliveries=1):
            current = trace.get_current_span().get_span_context()
    assert current.trace_id == UPSTREAM.trace_id


@pytest.mark.usefixtures("upstream_span")
def test_progress_reports_are_neither_traced_nor_carry_a_trace_context() -> None:
    progressed = ProposalProgressed(proposal_id=uuid.uuid4(), version=1, section=None, text="", characters=0)
    with publishing(progressed) as outgoing:
        assert not is_instrumentation_enabled()  # not even the XADD that sends it
    assert "traceparent" not in outgoing.headers
    envelope = decode(encode(progressed, outgoing.headers))
    with processing("propos4l.proposal.progressed", "gateway", "1-0", envelope, deliveries=1) as handled:
        assert not is_instrumentation_enabled()  # nor the handler's SQL
        assert not handled.span.get_span_context().is_valid
    assert is_instrumentation_enabled()


def test_a_relayed_outbox_event_keeps_the_trace_of_the_request_that_stored_it() -> None:
    event = _failure()
    with trace.use_span(NonRecordingSpan(UPSTREAM)):
        stored = encode(event, trace_headers())  # in the HTTP request, with the proposal's row
    with relaying(event.stream.value, stored) as published:
        assert trace.get_current_span().get_span_context().trace_id == UPSTREAM.trace_id
    assert decode(published).headers["traceparent"].split("-")[1] == format(UPSTREAM.trace_id, "032x")
    assert {k: v for k, v in published.items() if not k.startswith("h:")} == {
        k: v for k, v in stored.items() if not k.startswith("h:")
    }


def test_relaying_passes_an_unreadable_entry_through_untouched() -> None:
    with relaying("propos4l.proposal.requested", {"junk": "1"}) as published:
        assert published == {"junk": "1"}


def test_headers_written_over_an_entry_replace_only_themselves() -> None:
    fields = encode(_failure(), {"traceparent": "old", "keep": "me"})
    replaced = with_headers(fields, {"traceparent": "new"})
    assert decode(replaced).headers == {"traceparent": "new", "keep": "me"}


def test_the_sdk_sampler_drops_polling_calls_but_keeps_calls_inside_a_trace() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=default_sampler())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")

    with tracer.start_as_current_span("XREADGROUP", kind=SpanKind.CLIENT):
        pass
    with tracer.start_as_current_span("process propos4l.proposal.drafted", kind=SpanKind.CONSUMER):
        with tracer.start_as_current_span("XACK", kind=SpanKind.CLIENT):
            pass
    with tracer.start_as_current_span("POST /api/proposals", kind=SpanKind.SERVER):
        pass

    assert sorted(span.name for span in exporter.get_finished_spans()) == [
        "POST /api/proposals",
        "XACK",
        "process propos4l.proposal.drafted",
    ]
    provider.shutdown()


# --- logs -----------------------------------------------------------------------------------------------------------


def _record(
    message: str, *, level: int = logging.INFO, name: str = "propos4l.test", **extra: object
) -> logging.LogRecord:
    record = logging.LogRecord(name, level, __file__, 1, message, None, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


@pytest.mark.usefixtures("upstream_span")
def test_json_log_lines_carry_the_trace_and_span_ids() -> None:
    line = json.loads(JsonFormatter("renderer").format(_record("proposal rendered", pages=9)))
    assert line["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert line["span_id"] == "b7ad6b7169203331"
    assert line["pages"] == 9 and line["log_type"] == "app"


def test_json_log_lines_outside_a_trace_have_no_trace_ids() -> None:
    line = json.loads(JsonFormatter("renderer").format(_record("started")))
    assert "trace_id" not in line and "span_id" not in line


def test_access_app_and_error_records_are_told_apart() -> None:
    assert log_type(_record("GET /api/proposals 200", name="uvicorn.access")) == "access"
    assert log_type(_record("drafted")) == "app"
    assert log_type(_record("dead-lettered", level=logging.ERROR)) == "error"
    assert log_type(_record("boom", level=logging.CRITICAL, name="uvicorn.access")) == "error"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer s3cr3t-t0ken.value", "s3cr3t-t0ken.value"),
        ("auth basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
        ("cannot reach redis://:hunter2@redis:6379/0", "hunter2"),
        ("postgresql://propos4l:pg-pass@postgres:5432/propos4l refused", "pg-pass"),
        ('"GET /api/proposals?token=abc123&page=2 HTTP/1.1" 200', "abc123"),
        ("password=letmein", "letmein"),
    ],
)
def test_credentials_in_log_text_are_redacted(text: str, secret: str) -> None:
    assert secret not in redact(text) and REDACTED in redact(text)


def test_fields_named_like_secrets_are_redacted_and_the_rest_is_kept() -> None:
    record = _record(
        "request",
        authorization="Bearer abc",
        admin_token="xyz",
        headers={"Cookie": "session=1", "Accept": "application/json"},
        prompt_tokens=120,
        url="http://user:pw@host/x",
    )
    line = json.loads(JsonFormatter("gateway").format(record))
    assert line["authorization"] == line["admin_token"] == REDACTED
    assert line["headers"] == {"Cookie": REDACTED, "Accept": "application/json"}
    assert line["prompt_tokens"] == 120
    assert "pw" not in line["url"]


def test_exceptions_in_json_logs_are_redacted_too() -> None:
    try:
        raise RuntimeError("login failed for postgresql://u:topsecret@db/x")
    except RuntimeError:
        record = _record("failed", level=logging.ERROR)
        record.exc_info = sys.exc_info()
    assert "topsecret" not in JsonFormatter("gateway").format(record)


@pytest.mark.usefixtures("upstream_span")
def test_otlp_log_records_carry_the_trace_the_log_type_and_no_secrets() -> None:
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    handler = OtlpLogHandler(provider)
    try:
        raise ValueError("token=abc123")
    except ValueError:
        record = _record("could not call redis://:pw@redis/0", level=logging.ERROR, api_key="k", stream="s")
        record.exc_info = sys.exc_info()
    handler.emit(record)
    handler.emit(_record("exporter retrying", name="opentelemetry.exporter.otlp"))  # never exported through itself

    [exported] = [item.log_record for item in exporter.get_finished_logs()]
    assert exported.trace_id == UPSTREAM.trace_id and exported.span_id == UPSTREAM.span_id
    attributes = dict(exported.attributes or {})
    assert attributes["log_type"] == "error" and attributes["stream"] == "s"
    assert attributes["api_key"] == REDACTED and attributes["exception.type"] == "ValueError"
    assert "abc123" not in str(attributes) and "pw@" not in str(exported.body)
    provider.shutdown()


# --- metrics --------------------------------------------------------------------------------------------------------


def test_backup_gauges_report_each_kind_and_the_start_time_when_none_is_verified_yet() -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    statuses = [
        BackupStatus("database", last_verified_at=1_700_000_000.0, interval_seconds=21_600.0),
        BackupStatus("pdfs", last_verified_at=None, interval_seconds=86_400.0),
        BackupStatus("templates", last_verified_at=1_700_000_500.0, interval_seconds=None),
    ]
    observe_backups(lambda: statuses, meter_provider=provider)

    data = reader.get_metrics_data()
    assert data is not None
    points = {
        metric.name: {point.attributes["kind"]: point.value for point in metric.data.data_points}  # type: ignore[index]
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }
    assert points["propos4l.backup.interval"] == {"database": 21_600.0, "pdfs": 86_400.0}
    verified = points["propos4l.backup.last_verified_timestamp"]
    assert verified["database"] == 1_700_000_000.0 and verified["templates"] == 1_700_000_500.0
    assert verified["pdfs"] > 1_700_000_500.0  # when the agent started: a first backup that never comes still alerts
    provider.shutdown()


def test_the_package_exports_what_the_services_use() -> None:
    assert set(telemetry.__all__) == {
        "BackupStatus",
        "Outgoing",
        "Processing",
        "StreamWatch",
        "Telemetry",
        "TelemetrySettings",
        "configure_telemetry",
        "count_dead_letter",
        "current_trace_id",
        "count_republished",
        "count_trimmed",
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
    }


# --- on, in a process of its own (the SDK's providers can be installed once per process) ---------------------------

_EXPORTING_PROCESS = textwrap.dedent(
    """
    import logging, sys, threading
    from propos4l.shared.logs import configure_logging
    from propos4l.shared.settings import ServiceSettings
    from propos4l.shared.telemetry import configure_telemetry, record_render, span

    configure_logging("renderer")
    handle = configure_telemetry(
        "renderer", ServiceSettings(redis_url="redis://localhost:6379/0", deployment_environment="staging"),
        endpoint=sys.argv[1],
    )
    assert handle.enabled
    with span("render pdf", {"propos4l.template": "default"}):
        logging.getLogger("propos4l.renderer").info("proposal rendered", extra={"pages": 9})
        record_render("default", "rendered", 0.4, pages=9)
    handle.shutdown()
    handle.shutdown()  # a second call does nothing
    print("threads", threading.active_count())
    """
)


def test_telemetry_exports_traces_metrics_and_logs_with_the_service_resource() -> None:
    with OtlpReceiver() as receiver:
        done = subprocess.run(
            [sys.executable, "-W", "error", "-c", _EXPORTING_PROCESS, receiver.url],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "threads 1" in done.stdout  # the exporters' threads stopped with the shutdown
        [rendered] = [s for s in receiver.spans() if s.name == "render pdf"]
        assert rendered.service == "renderer"
        assert rendered.resource["deployment.environment"] == "staging"
        assert rendered.resource["service.version"] not in {"", "unknown"}
        assert rendered.resource["service.instance.id"]
        [log] = [r for r in receiver.logs() if r.body == "proposal rendered"]
        assert (log.trace_id, log.span_id) == (rendered.trace_id, rendered.span_id)
        assert log.attributes["log_type"] == "app" and log.attributes["pages"] == 9
        names = {metric.name for metric in receiver.metrics()}
        assert {"propos4l.render.duration", "propos4l.render.pages", "propos4l.up", "propos4l.log.records"} <= names
    assert '"message": "telemetry exported over OTLP"' in done.stdout


# --- where each signal goes -----------------------------------------------------------------------------------------

_OTEL_NAMES = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",
    "OTEL_TRACES_EXPORTER",
    "OTEL_METRICS_EXPORTER",
    "OTEL_LOGS_EXPORTER",
    "OTEL_SDK_DISABLED",
)


def _endpoints(monkeypatch: pytest.MonkeyPatch, endpoint: str | None = None, **variables: str) -> dict[str, object]:
    from propos4l.shared.telemetry.exporters import signal_endpoints

    for name in _OTEL_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return dict(signal_endpoints(TelemetrySettings(), endpoint))


def test_a_base_endpoint_gives_each_signal_its_path(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _endpoints(monkeypatch, OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318/") == {
        "traces": "http://collector:4318/v1/traces",
        "metrics": "http://collector:4318/v1/metrics",
        "logs": "http://collector:4318/v1/logs",
    }


def test_a_signal_endpoint_is_used_as_it_is_and_none_switches_a_signal_off(monkeypatch: pytest.MonkeyPatch) -> None:
    endpoints = _endpoints(
        monkeypatch,
        OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://127.0.0.1:6006/v1/traces",
        OTEL_LOGS_EXPORTER="None",
    )
    assert endpoints == {
        "traces": "http://127.0.0.1:6006/v1/traces",
        "metrics": "http://collector:4318/v1/metrics",
        "logs": None,
    }


def test_a_signal_endpoint_alone_turns_telemetry_on_for_that_signal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    endpoints = _endpoints(monkeypatch, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://ui:6006/v1/traces")
    assert endpoints == {"traces": "http://ui:6006/v1/traces", "metrics": None, "logs": None}
    assert TelemetrySettings().exports_anything()
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert not TelemetrySettings().exports_anything()


def test_an_explicit_endpoint_replaces_the_environment_but_not_a_switched_off_signal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    endpoints = _endpoints(
        monkeypatch,
        "http://receiver:1",
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://elsewhere:2/v1/traces",
        OTEL_METRICS_EXPORTER="none",
    )
    assert endpoints == {"traces": "http://receiver:1/v1/traces", "metrics": None, "logs": "http://receiver:1/v1/logs"}


_SIGNALS_PROCESS = textwrap.dedent(
    """
    import logging, sys
    from propos4l.shared.logs import configure_logging
    from propos4l.shared.settings import ServiceSettings
    from propos4l.shared.telemetry import configure_telemetry, record_render, span

    configure_logging("renderer")
    handle = configure_telemetry("renderer", ServiceSettings(redis_url="redis://localhost:6379/0"))
    assert handle.enabled
    for batch in range(4):  # several batches of every signal
        with span(f"render {batch}"):
            logging.getLogger("propos4l.renderer").info("proposal rendered")
            record_render("default", "rendered", 0.4, pages=9)
        assert handle.force_flush() in (True, False)
    handle.shutdown()
    """
)


def _run_exporting(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {name: value for name, value in os.environ.items() if not name.startswith("OTEL_")}
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", _SIGNALS_PROCESS],
        cwd=REPO,
        env={**clean, **environment},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_an_endpoint_that_refuses_a_signal_is_warned_about_once_and_not_sent_to_again() -> None:
    with OtlpReceiver(refuse=("metrics", "logs")) as trace_only:
        url = trace_only.url
        done = _run_exporting({"OTEL_EXPORTER_OTLP_ENDPOINT": url})
        assert done.returncode == 0, done.stderr
        assert {span.name for span in trace_only.spans()} >= {"render 0", "render 3"}
        assert trace_only.refusals == 2  # one request each for metrics and logs, then no more
    output = done.stdout + done.stderr
    warnings = [json.loads(line) for line in done.stdout.splitlines() if "refuses this signal" in line]
    assert sorted((record["signal"], record["endpoint"]) for record in warnings) == [
        ("logs", f"{url}/v1/logs"),
        ("metrics", f"{url}/v1/metrics"),
    ]
    assert all(record["level"] == "warning" and record["status"] == 405 for record in warnings)
    assert "Failed to export" not in output


def test_each_signal_goes_to_its_own_endpoint_and_a_switched_off_one_nowhere() -> None:
    with OtlpReceiver() as collector, OtlpReceiver() as trace_ui:
        done = _run_exporting(
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{trace_ui.url}/v1/traces",
                "OTEL_LOGS_EXPORTER": "none",
            }
        )
        assert done.returncode == 0, done.stderr
        assert {span.name for span in trace_ui.spans()} >= {"render 0"}
        assert trace_ui.metrics() == [] and trace_ui.logs() == []
        assert collector.spans() == [] and collector.logs() == []
        assert "propos4l.render.duration" in {metric.name for metric in collector.metrics()}
