"""`propos4l run`: the whole system as local processes, with the settings names the deployment uses.

Starts embedded Redis and PostgreSQL under PROPOS4L_DATA_DIR when REDIS_URL / DATABASE_URL are unset, applies the
migrations, starts the five services, prints where they answer, and watches them all: a child that dies is started
again after a growing delay, and everything stops on Ctrl-C, or when one child crashes too often (a crash loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import httpx

from propos4l.shared.localrun.private_files import make_private_folder, stored_secret
from propos4l.shared.localrun.processes import tail_text
from propos4l.shared.localrun.restarts import RestartPolicy
from propos4l.shared.localrun.servers import LocalPostgres, LocalRedis, LocalServerError
from propos4l.shared.localrun.service_processes import ServiceProcess
from propos4l.shared.localrun.tracing_ui import PROJECT, TracingUi, running_tracing_ui
from propos4l.shared.logs import configure_logging, redact

__all__ = ["SERVICES", "LocalRun", "data_dir_from_environment", "run_local"]

SERVICES: Final = ("gateway", "generator", "renderer", "backup", "library")
_STOP_TIMEOUT_SECONDS: Final = 15.0
_GATEWAY_START_TIMEOUT_SECONDS: Final = 60.0
_WATCH_INTERVAL_SECONDS: Final = 0.5


def data_dir_from_environment() -> Path:
    """PROPOS4L_DATA_DIR, or .propos4l in the current folder."""
    return Path(os.environ.get("PROPOS4L_DATA_DIR") or ".propos4l").expanduser().resolve()


def say(message: str) -> None:
    """One line for the person running the system."""
    print(f"propos4l: {message}", file=sys.stderr, flush=True)


@dataclass
class _Restarts:
    """A child's crash history and, after a crash, when it starts again."""

    policy: RestartPolicy = field(default_factory=RestartPolicy)
    due: float | None = None


@dataclass
class LocalRun:
    """The configuration of a local run and the processes it started."""

    data_dir: Path
    environment: dict[str, str] = field(default_factory=dict)
    processes: dict[str, ServiceProcess] = field(default_factory=dict)
    servers: list[LocalRedis | LocalPostgres] = field(default_factory=list)
    admin_token_from_environment: bool = False
    tracing_ui: TracingUi | None = None
    _restarts: dict[str, _Restarts] = field(default_factory=dict)

    @classmethod
    def from_environment(cls) -> LocalRun:
        """Read the settings the local run honours, with their defaults."""
        return cls(data_dir=data_dir_from_environment(), environment=dict(os.environ))

    def prepare(self) -> None:
        """Start what is missing (Redis, PostgreSQL), choose the LLM provider, and migrate."""
        make_private_folder(self.data_dir)  # PDFs, databases, logs and secrets: the owner's only
        env = self.environment
        for folder, default in (
            ("PDF_STORAGE_DIR", "pdfs"),
            ("TEMPLATES_DIR", "templates"),
            ("BACKUP_DIR", "backups"),
            ("LIBRARY_DIR", "library"),
        ):
            if env.get(folder):  # a folder of the user's choosing: created private if missing, its mode left alone
                Path(env[folder]).mkdir(mode=0o700, parents=True, exist_ok=True)
            else:
                env[folder] = str(self.data_dir / default)
                make_private_folder(Path(env[folder]))  # so no service starts before its folders
        env.setdefault("GATEWAY_PORT", "8000")
        env.setdefault("LOG_FORMAT", "console")  # a person reads this terminal; containers keep JSON
        env.setdefault("OLLAMA_URL", "http://localhost:11434")
        if env.get("EMBEDDING_PROVIDER", "ollama") == "ollama":
            env.setdefault("EMBEDDING_URL", env["OLLAMA_URL"])  # the model server the generator uses
        if not env.get("REDIS_URL"):
            redis = LocalRedis(self.data_dir / "redis", persistent=True)
            redis.start()
            self.servers.append(redis)
            env["REDIS_URL"] = redis.url
            say(f"started embedded Redis at {redact(redis.url)} (data and password in {self.data_dir / 'redis'})")
        if not env.get("DATABASE_URL"):
            postgres = LocalPostgres(self.data_dir / "postgres", prefer_pgvector=True)
            postgres.start()
            self.servers.append(postgres)
            env["DATABASE_URL"] = postgres.url
            cluster = self.data_dir / "postgres"
            say(f"started embedded PostgreSQL at {redact(postgres.url)} (data and password in {cluster})")
            if not postgres.has_pgvector:
                say(
                    "this PostgreSQL has no pgvector: library search is full-text only "
                    "(install postgresql-15-pgvector, or set PROPOS4L_SERVER_BINARIES=embedded for a new data folder)"
                )
        if env.get("PROPOS4L_ADMIN_TOKEN"):
            self.admin_token_from_environment = True
        else:
            env["PROPOS4L_ADMIN_TOKEN"] = stored_secret(self.data_dir / "admin-token")
        if not env.get("WEBHOOK_SECRET_KEYS"):  # 32 random bytes in URL-safe base64: a key that encrypts them
            env["WEBHOOK_SECRET_KEYS"] = stored_secret(self.data_dir / "webhook-secret-key")
        if not env.get("LLM_PROVIDER") and not _ollama_answers(env["OLLAMA_URL"]):
            say(
                f"no model server answers at OLLAMA_URL={env['OLLAMA_URL']}: drafting with the 'outline' provider "
                "(sections built from the request, without AI). Start Ollama or set OLLAMA_URL to use a model."
            )
            env["LLM_PROVIDER"] = "outline"
        self._send_traces_to_the_tracing_ui()
        self._migrate()

    def _send_traces_to_the_tracing_ui(self) -> None:
        """Traces to the Phoenix `make observe` runs, unless telemetry is configured already."""
        env = self.environment
        if any(env.get(name) for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
            return
        ui = running_tracing_ui(self.data_dir)
        if ui is None:
            return
        self.tracing_ui = ui
        env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = ui.traces_endpoint
        # Phoenix groups traces by this resource attribute; the user's own attributes win.
        env.setdefault("OTEL_RESOURCE_ATTRIBUTES", f"openinference.project.name={PROJECT}")
        env.setdefault("TRACING_UI_URL", ui.trace_url_template)

    def start_services(self) -> None:
        """Start the five services as child processes, and the web front end when it was built (`make run`)."""
        for service in SERVICES:
            self.processes[service] = ServiceProcess(
                service, [sys.executable, "-m", f"propos4l.{service}"], self.environment
            )
        server = self.environment.get("PROPOS4L_FRONTEND_SERVER")
        if server and Path(server).is_file():
            self.processes["frontend"] = ServiceProcess(
                "frontend",
                [self.environment.get("PROPOS4L_NODE", "node"), server],
                {
                    **self.environment,
                    "PORT": self.environment.get("FRONTEND_PORT", "3000"),
                    "HOSTNAME": "127.0.0.1",
                    "NODE_ENV": "production",
                    "NEXT_PUBLIC_API_URL": f"http://127.0.0.1:{self.environment['GATEWAY_PORT']}",
                },
                cwd=Path(server).parent,
            )
        for process in self.processes.values():
            process.start()

    def wait_for_gateway(self) -> str:
        """Wait until the gateway answers its health check (restarting what crashes meanwhile); return its URL."""
        base = f"http://127.0.0.1:{self.environment['GATEWAY_PORT']}"
        deadline = time.monotonic() + _GATEWAY_START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            self.watch()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/api/health", timeout=1.0).status_code == 200:
                    return base
            time.sleep(0.2)
        raise LocalServerError(f"the gateway did not answer at {base} within {_GATEWAY_START_TIMEOUT_SECONDS:.0f} s")

    def first_admin(self) -> tuple[str, str | None] | None:
        """The first admin's e-mail, and its password the run that created it (None after); None without a gateway.

        The password is kept in data/admin-password (0600), like the admin token.
        """
        try:
            from propos4l.gateway.cli import FIRST_ADMIN_EMAIL, ensure_first_admin
        except ModuleNotFoundError as error:
            if error.name is None or not error.name.startswith("propos4l.gateway"):
                raise
            return None
        password = stored_secret(self.data_dir / "admin-password")
        created = asyncio.run(ensure_first_admin(self.environment["DATABASE_URL"], password))
        return FIRST_ADMIN_EMAIL, password if created else None

    def watch(self) -> None:
        """Start again, after their delay, the children that died; raise when one crashes too often."""
        now = time.monotonic()
        for server in self.servers:
            self._watch_server(server, now)
        for name, process in self.processes.items():
            self._watch_service(name, process, now)

    def _watch_service(self, name: str, process: ServiceProcess, now: float) -> None:
        restarts = self._restarts.setdefault(name, _Restarts())
        if restarts.due is not None:
            if now >= restarts.due:
                restarts.due = None
                process.start()
            return
        code = process.exit_code
        if code is None:
            return
        delay = restarts.policy.crashed(now)
        if delay is None:
            raise LocalServerError(
                f"the {name} crashed {restarts.policy.recent_crashes} times within "
                f"{restarts.policy.window_seconds:.0f} s (last exit code {code}); stopping everything. "
                f"Its last lines:\n{process.last_lines()}"
            )
        restarts.due = now + delay
        say(f"the {name} exited with code {code}; starting it again in {delay:.0f} s")

    def _watch_server(self, server: LocalRedis | LocalPostgres, now: float) -> None:
        name = "embedded Redis" if isinstance(server, LocalRedis) else "embedded PostgreSQL"
        restarts = self._restarts.setdefault(name, _Restarts())
        if restarts.due is not None:
            if now < restarts.due:
                return
            restarts.due = None
            try:
                server.start()
            except LocalServerError as error:
                self._server_crashed(name, server, restarts, now, f"could not start again: {error}")
                return
            say(f"{name} is back on port {server.port}")
            return
        if server.running:  # asking collects a dead server, so it stays no zombie holding its pid
            return
        self._server_crashed(name, server, restarts, now, f"exited with code {server.exit_code}")

    def _server_crashed(
        self, name: str, server: LocalRedis | LocalPostgres, restarts: _Restarts, now: float, what: str
    ) -> None:
        delay = restarts.policy.crashed(now)
        if delay is None:
            raise LocalServerError(
                f"{name} crashed {restarts.policy.recent_crashes} times within "
                f"{restarts.policy.window_seconds:.0f} s ({what.splitlines()[0]}); stopping everything. "
                f"Last lines of {server.log_path}:\n{tail_text(server.log_path, lines=10)}"
            )
        restarts.due = now + delay
        say(f"{name} {what.splitlines()[0]}; starting it again in {delay:.0f} s")

    def stop(self) -> None:
        """Stop the services (SIGTERM, then SIGKILL after a grace period), then the embedded servers."""
        for process in self.processes.values():
            process.terminate()
        deadline = time.monotonic() + _STOP_TIMEOUT_SECONDS
        for service, process in self.processes.items():
            if not process.wait(timeout=max(deadline - time.monotonic(), 0.1)):
                say(f"the {service} did not stop in time; killing it")
                process.kill()
        for server in reversed(self.servers):
            server.stop()

    def _migrate(self) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "propos4l.shared.cli", "migrate"],
            env=self.environment,
            check=False,
        )
        if result.returncode != 0:
            raise LocalServerError("the database migrations failed; see the line above")


def describe_model_server(environment: Mapping[str, str]) -> str:
    """The provider that drafts and the server it talks to, as the generator will read them from `environment`."""
    provider = environment.get("LLM_PROVIDER", "ollama")
    if provider == "openai":
        model = environment.get("LLM_MODEL") or environment.get("OLLAMA_MODEL", "qwen2.5:7b")
        return f"openai ({environment.get('LLM_BASE_URL', 'LLM_BASE_URL not set')}, model {model})"
    if provider == "outline":
        return "outline (sections built from the request, without AI)"
    url, model = environment.get("OLLAMA_URL", "http://localhost:11434"), environment.get("OLLAMA_MODEL", "qwen2.5:7b")
    return f"ollama ({url}, model {model})"


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
            if run.admin_token_from_environment:  # someone else's secret: not ours to print
                say("  API token:  the one in PROPOS4L_ADMIN_TOKEN")
            else:
                say(
                    f"  API token:  {run.environment['PROPOS4L_ADMIN_TOKEN']}  (kept in {run.data_dir / 'admin-token'})"
                )
            first_admin = run.first_admin()
            if first_admin is not None:
                email, password = first_admin
                if password is not None:  # shown once: the run that made the account
                    say(f"  sign in:    {email} / {password}  (kept in {run.data_dir / 'admin-password'})")
                else:
                    say(f"  sign in:    {email}, password in {run.data_dir / 'admin-password'} unless changed")
            say(f"  LLM:        {describe_model_server(run.environment)}")
            say(f"  data:       {run.data_dir}")
            if run.tracing_ui is not None:
                say(f"  traces:     {run.tracing_ui.url}  (Phoenix, from `make observe`)")
            else:
                say("  traces:     off (`make observe` in another terminal starts a tracing UI; then restart this)")
            if "frontend" in run.processes:
                say(f"  web:        http://127.0.0.1:{run.environment.get('FRONTEND_PORT', '3000')}")
            while not stop.wait(_WATCH_INTERVAL_SECONDS):
                run.watch()
            say("stopping")
            return 0
        except LocalServerError as error:
            say(str(error))
            return 1
        finally:
            run.stop()
            say("stopped")
