"""The whole system as processes, started through `propos4l run` the way `make run` starts it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from propos4l.shared.localrun.servers import free_port
from tests.support.waiting import wait_for_sync

__all__ = ["RunningSystem", "running_system"]

REPO = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "e2e-admin-token-0123456789abcdef"


@dataclass
class RunningSystem:
    """A local run: where the gateway answers, its token, and everything the run printed."""

    base_url: str
    token: str
    data_dir: Path
    process: subprocess.Popen[str]
    output: list[str]

    def client(self) -> httpx.Client:
        """An authenticated HTTP client of the gateway."""
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {self.token}"}, timeout=30.0)

    def printed(self) -> str:
        """Everything the run printed so far."""
        return "".join(self.output)


@contextmanager
def running_system(data_dir: Path, environment: Mapping[str, str]) -> Iterator[RunningSystem]:
    """Start `propos4l run` with embedded Redis and PostgreSQL; stop it with SIGINT, as Ctrl-C would."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL", "LLM_PROVIDER"}}
    env.update(
        {
            "PROPOS4L_DATA_DIR": str(data_dir),
            "GATEWAY_PORT": str(port),
            "PROPOS4L_ADMIN_TOKEN": ADMIN_TOKEN,
            "DELIVERY_VISIBILITY_TIMEOUT_SECONDS": "5",
            "LLM_RETRY_BASE_SECONDS": "0.1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(environment)
    process = subprocess.Popen(
        [sys.executable, "-m", "propos4l.shared.cli", "run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(iter(process.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    system = RunningSystem(f"http://127.0.0.1:{port}", ADMIN_TOKEN, data_dir, process, output)
    try:
        wait_for_sync(
            # The banner's last line that is always there: the whole banner has been read (the reader is a thread).
            lambda: "  traces:" in system.printed() or process.poll() is not None,
            timeout=120,
            message="the local run did not start",
        )
        if process.poll() is not None:
            raise AssertionError(f"the local run exited early:\n{system.printed()[-4000:]}")
        yield system
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)
        if process.stdout is not None:
            process.stdout.close()
