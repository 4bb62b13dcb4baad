"""`propos4l observe`: Arize Phoenix as the local run's tracing UI, and how `propos4l run` finds it.

Phoenix (an OpenTelemetry trace UI that shows model calls as LLM spans) is large (~630 MB installed with its
dependencies), so it lives in its own environment, `.tools/phoenix`, installed by `make observe` and never by
`make run`. It keeps its data under PROPOS4L_DATA_DIR/phoenix and, while it runs, writes
PROPOS4L_DATA_DIR/phoenix.json: a local run started then sends its traces to it (metrics and logs go nowhere unless
configured: Phoenix takes traces only).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx

from propos4l.shared.localrun.private_files import make_private_folder
from propos4l.shared.localrun.processes import HOST, LocalServerError, die_with_parent, free_port

__all__ = ["DEFAULT_PHOENIX_PORT", "LocalPhoenix", "TracingUi", "running_tracing_ui", "serve_phoenix"]

DEFAULT_PHOENIX_PORT: Final = 6006
PROJECT: Final = "propos4l"
_STATE_FILE: Final = "phoenix.json"
_START_TIMEOUT_SECONDS: Final = 120.0  # the first start creates its database and runs its migrations
_PROBE_TIMEOUT_SECONDS: Final = 2.0


@dataclass(frozen=True, slots=True)
class TracingUi:
    """A running tracing UI: where it answers, where traces go, and a trace's page."""

    url: str

    @property
    def traces_endpoint(self) -> str:
        """The OTLP/HTTP URL for traces (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)."""
        return f"{self.url}/v1/traces"

    @property
    def trace_url_template(self) -> str:
        """A trace's page, with `{trace_id}` to fill in (TRACING_UI_URL); Phoenix finds the project itself."""
        return f"{self.url}/redirects/traces/{{trace_id}}"

    def answers(self) -> bool:
        """Whether the UI answers its health check now."""
        try:
            return httpx.get(f"{self.url}/healthz", timeout=_PROBE_TIMEOUT_SECONDS).status_code == 200
        except httpx.HTTPError:
            return False


def running_tracing_ui(data_dir: Path) -> TracingUi | None:
    """The Phoenix `propos4l observe` runs for `data_dir`, if it is running and answers."""
    try:
        url = json.loads((data_dir / _STATE_FILE).read_text())["url"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    ui = TracingUi(str(url))
    return ui if ui.answers() else None


class LocalPhoenix:
    """A Phoenix server as a child process: its own port, its data under `working_dir`."""

    def __init__(self, executable: Path, working_dir: Path, port: int | None = None) -> None:
        self.executable = executable
        self.working_dir = working_dir
        self.port = port if port is not None else free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def ui(self) -> TracingUi:
        """Where it answers."""
        return TracingUi(f"http://{HOST}:{self.port}")

    def start(self, output: int | None = subprocess.DEVNULL) -> None:
        """Start `phoenix serve` and return once it answers; raise LocalServerError if it does not."""
        if not self.executable.is_file():
            raise LocalServerError(f"Phoenix is not installed at {self.executable}: run `make observe` once")
        make_private_folder(self.working_dir)
        environment = {
            **os.environ,
            "PHOENIX_HOST": HOST,
            "PHOENIX_PORT": str(self.port),
            "PHOENIX_GRPC_PORT": str(free_port()),  # its default, 4317, is a collector's
            "PHOENIX_WORKING_DIR": str(self.working_dir),
            "PHOENIX_TELEMETRY_ENABLED": "false",
        }
        self._process = subprocess.Popen(
            [str(self.executable), "serve"],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT if output is not None else None,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGTERM),
        )
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while not self.ui.answers():
            if self._process.poll() is not None:
                raise LocalServerError(f"Phoenix exited with code {self._process.returncode} while starting")
            if time.monotonic() > deadline:
                self.stop()
                raise LocalServerError(f"Phoenix did not answer on port {self.port} in {_START_TIMEOUT_SECONDS:.0f} s")
            time.sleep(0.25)

    def wait(self, stop: threading.Event) -> int:
        """Wait until `stop` is set or Phoenix exits; Phoenix's exit code, or 0."""
        while not stop.wait(0.5):
            if self._process is None or self._process.poll() is not None:
                return self._process.returncode if self._process is not None else 0
        return 0

    def stop(self) -> None:
        """Stop Phoenix (SIGTERM, then SIGKILL after 15 s)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _port(environment: Mapping[str, str]) -> int:
    """PHOENIX_PORT, else 6006 when it is free, else a free port."""
    if environment.get("PHOENIX_PORT"):
        return int(environment["PHOENIX_PORT"])
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, DEFAULT_PHOENIX_PORT))
        except OSError:
            return free_port()
    return DEFAULT_PHOENIX_PORT


def serve_phoenix(data_dir: Path, environment: Mapping[str, str]) -> int:
    """Run Phoenix in the foreground until Ctrl-C, announced to local runs through `data_dir`/phoenix.json."""
    executable = Path(environment.get("PROPOS4L_PHOENIX") or ".tools/phoenix/bin/phoenix").resolve()
    make_private_folder(data_dir)
    phoenix = LocalPhoenix(executable, data_dir / "phoenix", _port(environment))
    state = data_dir / _STATE_FILE
    stop = threading.Event()
    previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        phoenix.start(output=None)
        state.write_text(json.dumps({"url": phoenix.ui.url, "pid": os.getpid()}))
        _say(f"Phoenix answers at {phoenix.ui.url} (data in {phoenix.working_dir}). Press Ctrl-C to stop.")
        _say("`make run` started now sends its traces there; open a proposal's trace from its page in the web app")
        return phoenix.wait(stop)
    except LocalServerError as error:
        _say(str(error))
        return 1
    finally:
        with contextlib.suppress(FileNotFoundError):
            state.unlink()
        phoenix.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _say(message: str) -> None:
    print(f"propos4l observe: {message}", file=sys.stderr, flush=True)
