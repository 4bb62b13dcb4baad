"""Every setting a service reads has its name in the compose file, every name the compose file takes from deploy/.env
is documented in .env.example, the services accept what the compose file gives them, and the local run (`make run`)
starts the same services with the same settings names: what is tested locally is what is deployed."""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from propos4l.shared import cli
from propos4l.shared.localrun import supervisor
from propos4l.shared.settings import DatabaseSettings
from tests.deploy.support import (
    COMPOSE_FILE,
    PYTHON_SERVICES,
    REPO,
    Dockerfile,
    EnvExample,
    deployment_environment,
    env_name,
    interpolate,
    load_yaml,
    settings_classes,
    settings_names,
    variables_in,
)


@pytest.fixture(scope="module")
def raw_services() -> dict[str, dict[str, Any]]:
    return load_yaml(COMPOSE_FILE)["services"]


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    return interpolate(load_yaml(COMPOSE_FILE), deployment_environment())["services"]


def test_settings_classes_are_found_for_every_service() -> None:
    for service in PYTHON_SERVICES:
        names = settings_names(service)
        assert {"REDIS_URL", "LOG_LEVEL", "OTEL_EXPORTER_OTLP_ENDPOINT", "DEPLOYMENT_ENVIRONMENT"} <= names, service
    assert "PROPOS4L_ADMIN_TOKEN" in settings_names("gateway")
    assert "OLLAMA_MODEL" in settings_names("generator")
    assert "BACKUP_DIR" in settings_names("backup")


@pytest.mark.parametrize("service", PYTHON_SERVICES)
def test_every_setting_the_service_reads_is_named_in_its_compose_environment(
    raw_services: dict[str, dict[str, Any]], service: str
) -> None:
    named = set(raw_services[service]["environment"])
    missing = sorted(settings_names(service) - named)
    assert missing == [], f"{service} reads {missing}, which deploy/compose.yml does not give it"


@pytest.mark.parametrize("service", PYTHON_SERVICES)
def test_every_setting_the_service_reads_is_documented_in_the_readme(service: str) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    configuration = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", configuration))
    missing = sorted(settings_names(service) - documented)
    assert missing == [], f"{service} reads {missing}, which the README's configuration table does not explain"


@pytest.mark.parametrize("service", PYTHON_SERVICES)
def test_the_compose_environment_names_nothing_the_service_ignores(
    raw_services: dict[str, dict[str, Any]], service: str
) -> None:
    """A name the service does not read is a typo or a leftover (OTEL_* of the SDK itself and AWS_* of boto3 excepted,
    the latter only beside STORAGE_URL, whose bucket they open)."""
    environment = set(raw_services[service]["environment"])
    unknown = sorted(
        name
        for name in environment - settings_names(service)
        if not name.startswith("OTEL_") and not (name.startswith("AWS_") and "STORAGE_URL" in environment)
    )
    assert unknown == []


def test_every_name_taken_from_the_env_file_is_documented_in_env_example() -> None:
    compose = load_yaml(COMPOSE_FILE)
    documented = EnvExample.read().documented
    interpolated = {name for name, _, _ in variables_in(compose)}
    passed_through = {
        name
        for service in compose["services"].values()
        for name, value in (service.get("environment") or {}).items()
        if value is None
    }
    assert sorted((interpolated | passed_through) - documented) == []
    assert sorted(documented - interpolated - passed_through) == [], "documented but never used"


def test_required_variables_are_the_secrets_left_empty_in_env_example() -> None:
    required = {name for name, modifier, _ in variables_in(load_yaml(COMPOSE_FILE)) if modifier in (":?", "?")}
    example = EnvExample.read()
    assert required == example.required
    assert {"POSTGRES_PASSWORD", "REDIS_PASSWORD", "PROPOS4L_ADMIN_TOKEN"} <= required
    text = COMPOSE_FILE.read_text()
    for name in required:  # never with a default anywhere
        assert f"${{{name}:-" not in text and f"${{{name}-" not in text, name


def test_secret_settings_get_no_value_from_the_compose_file(raw_services: dict[str, dict[str, Any]]) -> None:
    for service in PYTHON_SERVICES:
        for settings_class in settings_classes(service):
            for field_name, info in settings_class.model_fields.items():
                if SecretStr not in getattr(info.annotation, "__args__", (info.annotation,)):
                    continue
                value = raw_services[service]["environment"][env_name(settings_class, field_name)]
                required = [modifier for _, modifier, _ in variables_in(value or "")]
                assert value is None or required == [":?"], f"{service}: {field_name} must come from deploy/.env"


@pytest.mark.parametrize("service", PYTHON_SERVICES)
def test_the_service_accepts_the_environment_compose_gives_it(
    services: dict[str, dict[str, Any]], service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    variables = {name: str(value) for name, value in services[service]["environment"].items() if value is not None}
    for settings_class in settings_classes(service):
        for field_name in settings_class.model_fields:
            monkeypatch.delenv(env_name(settings_class, field_name), raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    for settings_class in settings_classes(service):
        settings_class()  # raises on a missing or malformed setting, as the service would at start


def test_database_services_are_those_with_database_settings(services: dict[str, dict[str, Any]]) -> None:
    for service in PYTHON_SERVICES:
        reads_database = any(issubclass(cls, DatabaseSettings) for cls in settings_classes(service))
        assert ("DATABASE_URL" in services[service]["environment"]) == reads_database, service


# --- the same services as the local run -------------------------------------------------------------------------------


class FakeServer:
    def __init__(self, *_: object, **__: object) -> None:
        self.url = "redis://127.0.0.1:1/0"

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


class FakePostgres(FakeServer):
    has_pgvector = True

    def __init__(self, *_: object, **__: object) -> None:
        self.url = "postgresql://propos4l@127.0.0.1:1/propos4l"


class StartedProcess:
    """What the recorder gives back for a process it did not start: running, with no output."""

    stdout = None

    def poll(self) -> None:
        return None


class Recorder:
    """Stands in for subprocess.Popen and subprocess.run: records what the local run would start."""

    def __init__(self) -> None:
        self.started: list[tuple[list[str], dict[str, str]]] = []

    def popen(self, args: list[str], *, env: dict[str, str], **_: object) -> object:
        self.started.append((list(args), dict(env)))
        return StartedProcess()

    def run(self, args: list[str], *, env: dict[str, str], **_: object) -> subprocess.CompletedProcess[bytes]:
        self.started.append((list(args), dict(env)))
        return subprocess.CompletedProcess(args, 0)


@pytest.fixture
def local_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[supervisor.LocalRun, Recorder, dict[str, str]]:
    """A local run prepared and started as `make run` does, with its servers and processes recorded, not started."""
    recorder = Recorder()
    monkeypatch.setattr(supervisor, "LocalRedis", FakeServer)
    monkeypatch.setattr(supervisor, "LocalPostgres", FakePostgres)
    monkeypatch.setattr(supervisor, "_ollama_answers", lambda _url: False)
    monkeypatch.setattr(supervisor.subprocess, "Popen", recorder.popen)
    monkeypatch.setattr(supervisor.subprocess, "run", recorder.run)
    server = tmp_path / "standalone" / "server.js"
    server.parent.mkdir()
    server.write_text("")
    before = {"PATH": "/usr/bin", "PROPOS4L_FRONTEND_SERVER": str(server)}
    run = supervisor.LocalRun(data_dir=tmp_path / "data", environment=dict(before))
    monkeypatch.setattr(supervisor, "say", lambda _message: None)
    run.prepare()
    run.start_services()
    return run, recorder, before


def as_container_command(args: list[str]) -> list[str]:
    return ["python", *args[1:]] if args[0] == sys.executable else args


def test_the_local_run_starts_the_services_the_compose_file_runs(
    local_run: tuple[supervisor.LocalRun, Recorder, dict[str, str]], services: dict[str, dict[str, Any]]
) -> None:
    _, recorder, _ = local_run
    started = {args[-1].removeprefix("propos4l."): args for args, _ in recorder.started if args[1:2] == ["-m"]}
    for service in PYTHON_SERVICES:
        assert service in services
        image_command = Dockerfile.read(REPO / "services" / service / "Dockerfile").last("CMD")
        assert image_command is not None
        assert as_container_command(started[service]) == image_command.exec_form()
        assert "command" not in services[service] and "entrypoint" not in services[service]


def test_the_migrate_job_runs_what_the_local_run_runs(
    local_run: tuple[supervisor.LocalRun, Recorder, dict[str, str]], services: dict[str, dict[str, Any]]
) -> None:
    _, recorder, _ = local_run
    (migrate,) = [args for args, _ in recorder.started if args[-1] == "migrate"]
    assert services["migrate"]["command"] == as_container_command(migrate)
    # And the job gives the command what it reads.
    read = {
        node.args[0].value
        for function in (cli._database_url, cli.main)
        for node in ast.walk(ast.parse(inspect.getsource(function)))
        if isinstance(node, ast.Call)
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and ast.unparse(node.func) == "os.environ.get"
    }
    assert read == {"DATABASE_URL", "LOG_LEVEL", "LOG_FORMAT"}
    assert read <= set(services["migrate"]["environment"])


def test_the_settings_the_local_run_sets_have_the_same_names_in_the_compose_file(
    local_run: tuple[supervisor.LocalRun, Recorder, dict[str, str]], raw_services: dict[str, dict[str, Any]]
) -> None:
    run, _, before = local_run
    set_by_local_run = set(run.environment) - set(before)
    assert {"REDIS_URL", "DATABASE_URL", "PDF_STORAGE_DIR", "TEMPLATES_DIR", "PROPOS4L_ADMIN_TOKEN"} <= set_by_local_run
    for name in set_by_local_run:
        readers = [service for service in PYTHON_SERVICES if name in settings_names(service)]
        assert readers, f"the local run sets {name}, which no service reads"
        for service in readers:
            assert name in raw_services[service]["environment"], f"{service} reads {name}; compose does not set it"


def test_the_front_end_gets_the_same_settings_names(
    local_run: tuple[supervisor.LocalRun, Recorder, dict[str, str]], raw_services: dict[str, dict[str, Any]]
) -> None:
    run, recorder, _ = local_run
    (frontend_env,) = [env for args, env in recorder.started if args[-1].endswith("server.js")]
    names = set(frontend_env) - set(run.environment)
    assert "NEXT_PUBLIC_API_URL" in names
    assert names <= set(raw_services["frontend"]["environment"])


def test_the_local_run_logs_console_lines_for_the_person_at_the_terminal(
    local_run: tuple[supervisor.LocalRun, Recorder, dict[str, str]],
) -> None:
    run, recorder, _ = local_run
    assert run.environment["LOG_FORMAT"] == "console"
    assert all(env["LOG_FORMAT"] == "console" for _, env in recorder.started)
