"""`propos4l run`: the whole system as local processes, with the settings names the deployment uses.

Starts embedded Redis and PostgreSQL under PROPOS4L_DATA_DIR when REDIS_URL / DATABASE_URL are unset, applies the
migrations, starts the four services, prints where they answer, and stops everything on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import httpx

from propos4l.shared.localrun.servers import LocalPostgres, LocalRedis, LocalServerError, die_with_parent
from propos4l.shared.logs import configure_logging

__all__ = ["SERVICES", "LocalRun", "run_local"]

SERVICES: Final = ("gateway", "generator", "renderer", "backup")
_STOP_TIMEOUT_SECONDS: Final = 15.0
_GATEWAY_START_TIMEOUT_SECONDS: Final = 60.0


def say(message: str) -> None:
    """One line for the person running the system."""
    print(f"propos4l: {message}", file=sys.stderr, flush=True)


@dataclass
class LocalRun:
    """The configuration of a local run and the processes it started."""

    data_dir: Path
    environment: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    servers: list[LocalRedis | LocalPostgres] = field(default_factory=list)

    @classmethod
    def from_environment(cls) -> LocalRun:
        """Read the settings the local run honours, with their defaults."""
        data_dir = Path(os.environ.get("PROPOS4L_DATA_DIR") or ".propos4l").expanduser().resolve()
        return cls(data_dir=data_dir, environment=dict(os.environ))

    def prepare(self) -> None:
        """Start what is missing (Redis, PostgreSQL), choose the LLM provider, and migrate."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = self.environment
        env.setdefault("PDF_STORAGE_DIR", str(self.data_dir / "pdfs"))
        env.setdefault("TEMPLATES_DIR", str(self.data_dir / "templates"))
        env.setdefault("BACKUP_DIR", str(self.data_dir / "backups"))
        for folder in ("PDF_STORAGE_DIR", "TEMPLATES_DIR", "BACKUP_DIR"):  # so no service starts before its folders
            Path(env[folder]).mkdir(parents=True, exist_ok=True)
        env.setdefault("GATEWAY_PORT", "8000")
        env.setdefault("LOG_FORMAT", "console")  # a person reads this terminal; containers keep JSON
        env.setdefault("OLLAMA_URL", "http://localhost:11434")
        if not env.get("REDIS_URL"):
            redis = LocalRedis(self.data_dir / "redis", persistent=True)
            redis.start()
            self.servers.append(redis)
            env["REDIS_URL"] = redis.url
            say(f"started embedded Redis at {redis.url} (data in {self.data_dir / 'redis'})")
        if not env.get("DATABASE_URL"):
            postgres = LocalPostgres(self.data_dir / "postgres")
            postgres.start()
            self.servers.append(postgres)
            env["DATABASE_URL"] = postgres.url
            say(f"started embedded PostgreSQL at {postgres.url} (data in {self.data_dir / 'postgres'})")
        if not env.get("PROPOS4L_ADMIN_TOKEN"):
            env["PROPOS4L_ADMIN_TOKEN"] = self._stored_admin_token()
        if not env.get("LLM_PROVIDER") and not _ollama_answers(env["OLLAMA_URL"]):
            say(
                f"no model server answers at OLLAMA_URL={env['OLLAMA_URL']}: drafting with the 'outline' provider "
                "(sections built from the request, without AI). Start Ollama or set OLLAMA_URL to use a model."
            )
            env["LLM_PROVIDER"] = "outline"
        self._migrate()

    def start_services(self) -> None:
        """Start the four services as child processes, and the web front end when it was built (`make run`)."""
        for service in SERVICES:
            self.processes[service] = subprocess.Popen(
                [sys.executable, "-m", f"propos4l.{service}"],
                env=self.environment,
                start_new_session=True,  # Ctrl-C reaches the supervisor only; it stops the children in order
                preexec_fn=die_with_parent(signal.SIGTERM),  # and a supervisor killed outright takes them along
            )
        server = self.environment.get("PROPOS4L_FRONTEND_SERVER")
        if server and Path(server).is_file():
            self.processes["frontend"] = subprocess.Popen(
                [self.environment.get("PROPOS4L_NODE", "node"), server],
                cwd=Path(server).parent,
                env={
                    **self.environment,
                    "PORT": self.environment.get("FRONTEND_PORT", "3000"),
                    "HOSTNAME": "127.0.0.1",
                    "NODE_ENV": "production",
                    "NEXT_PUBLIC_API_URL": f"http://127.0.0.1:{self.environment['GATEWAY_PORT']}",
                },
                start_new_session=True,
                preexec_fn=die_with_parent(signal.SIGTERM),
            )

    def wait_for_gateway(self) -> str:
        """Wait until the gateway answers its health check; return its base URL."""
        base = f"http://127.0.0.1:{self.environment['GATEWAY_PORT']}"
        deadline = time.monotonic() + _GATEWAY_START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            self.check_children()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/api/health", timeout=1.0).status_code == 200:
                    return base
            time.sleep(0.2)
        raise LocalServerError(f"the gateway did not answer at {base} within {_GATEWAY_START_TIMEOUT_SECONDS:.0f} s")

    def check_children(self) -> None:
        """Raise if a service exited."""
        for service, process in self.processes.items():
            code = process.poll()
            if code is not None:
                raise LocalServerError(f"the {service} exited with code {code}; see its output above")

    def stop(self) -> None:
        """Stop the services (SIGTERM, then SIGKILL after a grace period), then the embedded servers."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + _STOP_TIMEOUT_SECONDS
        for service, process in self.processes.items():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                say(f"the {service} did not stop in time; killing it")
                process.kill()
                process.wait()
        for server in reversed(self.servers):
            server.stop()

    def _stored_admin_token(self) -> str:
        path = self.data_dir / "admin-token"
        if path.exists():
            return path.read_text().strip()
        token = secrets.token_urlsafe(32)
        path.write_text(token + "\n")
        path.chmod(0o600)
        return token

    def _migrate(self) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "propos4l.shared.cli", "migrate"],
            env=self.environment,
            check=False,
        )
        if result.returncode != 0:
            raise LocalServerError("the database migrations failed; see the line above")


def _ollama_answers(url: str) -> bool:
    try:
        return httpx.get(f"{url.rstrip('/')}/api/version", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def _stop_signal() -> Iterator[threading.Event]:
    stop = threading.Event()
    previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def run_local() -> int:
    """Run the whole system until Ctrl-C (or SIGTERM); return the exit code."""
    run = LocalRun.from_environment()
    configure_logging("run", os.environ.get("LOG_LEVEL", "warning"), "console")  # the terminal of a person
    with _stop_signal() as stop:
        try:
            run.prepare()
            run.start_services()
            base = run.wait_for_gateway()
            say("running. Press Ctrl-C to stop.")
            say(f"  API:        {base}/api  (OpenAPI docs at {base}/docs)")
            say(f"  API token:  {run.environment['PROPOS4L_ADMIN_TOKEN']}")
            say(f"  LLM:        {run.environment.get('LLM_PROVIDER', 'ollama')} ({run.environment['OLLAMA_URL']})")
            say(f"  data:       {run.data_dir}")
            if "frontend" in run.processes:
                say(f"  web:        http://127.0.0.1:{run.environment.get('FRONTEND_PORT', '3000')}")
            while not stop.wait(0.5):
                run.check_children()
            say("stopping")
            return 0
        except LocalServerError as error:
            say(str(error))
            return 1
        finally:
            run.stop()
            say("stopped")
