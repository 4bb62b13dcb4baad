"""One proposal, one trace: the gateway, generator and renderer run as processes exporting to an OTLP receiver.

The services are started the way production starts them (`python -m propos4l.<service>`, configured by environment
variables only, OTEL_EXPORTER_OTLP_ENDPOINT pointing at the test's receiver), against the real Redis and PostgreSQL
of the test run and the fake Ollama.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from propos4l.shared.localrun.servers import free_port
from propos4l.shared.streams import ConsumerGroup, Stream
from tests.support.fake_ollama import FakeOllama
from tests.support.gateway import WEBHOOK_SECRET_KEY
from tests.support.otlp_receiver import OtlpReceiver, ReceivedSpan
from tests.support.waiting import wait_for_sync

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
TOKEN = "telemetry-test-token-0123456789"
REQUEST = {
    "client_name": "Transportes Rápidos",
    "industry": "Logística",
    "requirements": "Rastrear a frota em tempo real e integrar ao ERP.",
    "language": "pt-BR",
}


@dataclass
class Services:
    """The three services as processes, where the gateway answers, and where each one's output goes."""

    base_url: str
    processes: dict[str, subprocess.Popen[bytes]]
    outputs: dict[str, Path]

    def output(self, service: str) -> str:
        """What `service` printed so far."""
        return self.outputs[service].read_text(encoding="utf-8", errors="replace")

    def json_lines(self, service: str) -> list[dict[str, Any]]:
        """The JSON log lines `service` printed."""
        lines = []
        for line in self.output(service).splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
        return lines

    def stop(self) -> None:
        """SIGTERM, as an orchestrator stops a container: each service flushes its telemetry on the way out."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as otlp:
        yield otlp


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    with FakeOllama(models=["qwen2.5:7b"]) as fake:
        yield fake


@pytest.fixture
def services(
    database_url: str, redis_url: str, data_dir: Path, receiver: OtlpReceiver, fake_ollama: FakeOllama
) -> Iterator[Services]:
    port = free_port()
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "PROPOS4L_", "LLM_", "OLLAMA_"))}
    env = {
        **inherited,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PROPOS4L_ADMIN_TOKEN": TOKEN,
        "WEBHOOK_SECRET_KEYS": WEBHOOK_SECRET_KEY,
        "GATEWAY_PORT": str(port),
        "PDF_STORAGE_DIR": str(data_dir / "pdfs"),
        "TEMPLATES_DIR": str(data_dir / "templates"),
        "LIBRARY_DIR": str(data_dir / "library"),
        "LLM_PROVIDER": "ollama",
        "OLLAMA_URL": fake_ollama.url,
        "OLLAMA_MODEL": "qwen2.5:7b",
        "RENDERER_WORKERS": "1",
        "DEPLOYMENT_ENVIRONMENT": "test",
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
        "OTEL_METRIC_EXPORT_INTERVAL": "500",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        "OTEL_BLRP_SCHEDULE_DELAY": "200",
        "PYTHONUNBUFFERED": "1",
    }
    processes: dict[str, subprocess.Popen[bytes]] = {}
    outputs: dict[str, Path] = {}
    for service in ("gateway", "generator", "renderer"):
        outputs[service] = data_dir / f"{service}.log"
        with outputs[service].open("wb") as output:
            processes[service] = subprocess.Popen(
                [sys.executable, "-W", "error", "-m", f"propos4l.{service}"],
                cwd=REPO,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
    running = Services(f"http://127.0.0.1:{port}", processes, outputs)
    try:
        wait_for_sync(lambda: _answers(running), timeout=60, interval=0.2, message="the gateway did not start")
        yield running
    finally:
        running.stop()


def _answers(services: Services) -> bool:
    for name, process in services.processes.items():
        if process.poll() is not None:
            raise AssertionError(f"the {name} exited early:\n{services.output(name)[-3000:]}")
    try:
        return httpx.get(f"{services.base_url}/api/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _create_and_wait_until_ready(services: Services) -> str:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=services.base_url, headers=headers, timeout=10) as client:
        created = client.post("/api/proposals", json=REQUEST)
        assert created.status_code == 202, created.text
        proposal_id = str(created.json()["id"])

        def ready() -> bool:
            status = client.get(f"/api/proposals/{proposal_id}").json()["status"]
            assert status != "failed", client.get(f"/api/proposals/{proposal_id}").json()
            return bool(status == "ready")

        wait_for_sync(ready, timeout=90, interval=0.2, message="the proposal never became ready")
    return proposal_id


def _one(spans: list[ReceivedSpan], **wanted: str) -> ReceivedSpan:
    found = [s for s in spans if all(getattr(s, key) == value for key, value in wanted.items())]
    assert len(found) == 1, f"expected one span with {wanted}, found {[(s.service, s.name) for s in found]}"
    return found[0]


def _metric_names(receiver: OtlpReceiver, service: str) -> set[str]:
    return {metric.name for metric in receiver.metrics() if metric.service == service}


def test_one_proposal_yields_one_trace_across_gateway_generator_and_renderer(
    services: Services, receiver: OtlpReceiver
) -> None:
    proposal_id = _create_and_wait_until_ready(services)
    services.stop()  # each service exports what it still holds before it exits

    spans = receiver.spans()
    request = _one(spans, service="gateway", kind="server", name="POST /api/proposals")
    trace_spans = [s for s in spans if s.trace_id == request.trace_id]
    assert {s.service for s in trace_spans} == {"gateway", "generator", "renderer"}
    by_id = {s.span_id: s for s in trace_spans}

    # The request's outbox event is relayed in the request's trace, and the generator consumes it as its child.
    relayed = _one(trace_spans, service="gateway", kind="producer", name=f"send {Stream.PROPOSAL_REQUESTED}")
    generation = _one(trace_spans, service="generator", kind="consumer", name=f"process {Stream.PROPOSAL_REQUESTED}")
    assert generation.parent_span_id == relayed.span_id
    assert generation.attributes["messaging.consumer.group.name"] == ConsumerGroup.GENERATOR.value
    assert generation.attributes["propos4l.proposal.id"] == proposal_id

    # The model call is an LLM span (GenAI and OpenInference attributes) under the generator's consume span, and the
    # HTTP request to Ollama is its child.
    model_call = _one(trace_spans, service="generator", kind="client", name="chat qwen2.5:7b")
    assert model_call.parent_span_id == generation.span_id
    assert model_call.attributes["gen_ai.provider.name"] == "ollama"
    assert model_call.attributes["openinference.span.kind"] == "LLM"
    assert model_call.attributes["gen_ai.usage.output_tokens"] > 0
    assert model_call.attributes["llm.token_count.total"] > model_call.attributes["gen_ai.usage.output_tokens"]
    chat = [s for s in trace_spans if s.service == "generator" and s.kind == "client" and s.name.startswith("POST")]
    assert len(chat) == 1, [(s.name, s.attributes) for s in trace_spans if s.service == "generator"]
    assert chat[0].parent_span_id == model_call.span_id
    assert str(chat[0].attributes.get("url.full", chat[0].attributes.get("http.url"))).endswith("/api/chat")

    # The renderer consumes the draft the generator sent, renders and writes the PDF in its main process.
    drafted = _one(trace_spans, service="generator", kind="producer", name=f"send {Stream.PROPOSAL_DRAFTED}")
    rendering = _one(trace_spans, service="renderer", kind="consumer", name=f"process {Stream.PROPOSAL_DRAFTED}")
    assert drafted.parent_span_id == generation.span_id
    assert rendering.parent_span_id == drafted.span_id
    render = _one(trace_spans, service="renderer", name="render pdf")
    write = _one(trace_spans, service="renderer", name="write pdf")
    assert render.parent_span_id == write.parent_span_id == rendering.span_id
    assert render.attributes["propos4l.pdf.pages"] >= 1

    # The gateway records the result in the same trace, with its SQL inside the consume span.
    rendered = _one(trace_spans, service="renderer", kind="producer", name=f"send {Stream.PROPOSAL_RENDERED}")
    recording = _one(trace_spans, service="gateway", kind="consumer", name=f"process {Stream.PROPOSAL_RENDERED}")
    assert recording.parent_span_id == rendered.span_id
    assert any(s.kind == "client" and s.parent_span_id == recording.span_id for s in trace_spans)

    # Progress reports (every half second while drafting) are counted, not traced.
    assert not [s.name for s in trace_spans if Stream.PROPOSAL_PROGRESSED.value in s.name]

    # Every span of the trace hangs from the HTTP request: one tree, no orphans.
    for span in trace_spans:
        root = span
        while root.parent_span_id:
            assert root.parent_span_id in by_id, f"{root.service} {root.name} has a parent outside the trace"
            root = by_id[root.parent_span_id]
        assert root is request

    # Resources name the service as its folder does, with its version and environment.
    assert generation.resource["service.version"] and generation.resource["deployment.environment"] == "test"

    # Log records carry the trace id, over OTLP and on stdout.
    trace_logs = [record for record in receiver.logs() if record.trace_id == request.trace_id]
    assert {record.service for record in trace_logs} >= {"generator", "renderer"}
    assert any(r.body == "proposal drafted" and r.attributes["log_type"] == "app" for r in trace_logs)
    assert any(r.body == "proposal rendered" for r in trace_logs)
    for service in ("generator", "renderer"):
        assert any(line.get("trace_id") == request.trace_id for line in services.json_lines(service)), service
    access = [line for line in services.json_lines("gateway") if line["log_type"] == "access"]
    assert any(line.get("trace_id") == request.trace_id for line in access)

    # No token reaches a log, on stdout or over OTLP.
    for service in services.outputs:
        assert TOKEN not in services.output(service)
    assert all(TOKEN not in json.dumps([r.body, dict(r.attributes)], default=str) for r in receiver.logs())

    # The metrics the alerts and the dashboard are built on arrive from each service.
    assert {"http.server.duration", "propos4l.up", "propos4l.stream.pending"} <= _metric_names(receiver, "gateway")
    assert {
        "propos4l.llm.tokens",
        "propos4l.llm.duration",
        "propos4l.generation.duration",
        "propos4l.generation.p95_objective",
        "propos4l.message.duration",
        "http.client.duration",
    } <= _metric_names(receiver, "generator")
    assert {"propos4l.render.duration", "propos4l.render.pages", "propos4l.events.published"} <= _metric_names(
        receiver, "renderer"
    )
    pending = [
        point
        for metric in receiver.metrics()
        if metric.name == "propos4l.stream.pending" and metric.service == "generator"
        for point in metric.points
    ]
    assert {"stream": Stream.PROPOSAL_REQUESTED.value, "group": "generator"} in [dict(p.attributes) for p in pending]

    # Stopped cleanly: uvicorn ends the gateway with the signal it caught, the workers exit with 0.
    for name, process in services.processes.items():
        assert process.returncode in {0, -signal.SIGTERM}, (
            f"{name}: {process.returncode}\n{services.output(name)[-3000:]}"
        )
