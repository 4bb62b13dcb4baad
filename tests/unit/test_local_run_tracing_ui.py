"""The local run finds the tracing UI `make observe` runs, and sends it traces only (unless told otherwise)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from propos4l.shared.localrun.supervisor import LocalRun
from propos4l.shared.localrun.tracing_ui import running_tracing_ui


class _Healthy(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet."""


@pytest.fixture
def phoenix_url() -> Iterator[str]:
    """A server that answers Phoenix's health check."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Healthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _announce(data_dir: Path, url: str) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "phoenix.json").write_text(json.dumps({"url": url, "pid": 1}))


def test_a_running_phoenix_gets_the_traces_and_a_trace_link_template(tmp_path: Path, phoenix_url: str) -> None:
    _announce(tmp_path, phoenix_url)
    run = LocalRun(data_dir=tmp_path, environment={})

    run._send_traces_to_the_tracing_ui()

    assert run.tracing_ui is not None and run.tracing_ui.url == phoenix_url
    assert run.environment == {
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{phoenix_url}/v1/traces",
        "OTEL_RESOURCE_ATTRIBUTES": "openinference.project.name=propos4l",
        "TRACING_UI_URL": f"{phoenix_url}/redirects/traces/{{trace_id}}",
    }  # no metrics or logs endpoint: Phoenix takes traces only


def test_configured_telemetry_is_left_alone(tmp_path: Path, phoenix_url: str) -> None:
    _announce(tmp_path, phoenix_url)
    run = LocalRun(data_dir=tmp_path, environment={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})

    run._send_traces_to_the_tracing_ui()

    assert run.tracing_ui is None
    assert run.environment == {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}


def test_a_phoenix_that_is_gone_or_never_ran_is_not_used(tmp_path: Path, phoenix_url: str) -> None:
    assert running_tracing_ui(tmp_path) is None
    (tmp_path / "phoenix.json").write_text("not json")
    assert running_tracing_ui(tmp_path) is None
    _announce(tmp_path, "http://127.0.0.1:1")  # a stale file: nothing answers there
    assert running_tracing_ui(tmp_path) is None
    _announce(tmp_path, phoenix_url)
    assert running_tracing_ui(tmp_path) is not None
