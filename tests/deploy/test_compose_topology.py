"""deploy/compose.yml runs the deployment design: its services, networks, volumes, start order, health checks, limits,
pinned images, and the telemetry stack with its configuration from observability/."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from propos4l.generator.settings import GeneratorSettings
from tests.deploy.support import (
    COMPOSE_FILE,
    DEPLOY,
    GPU_COMPOSE_FILE,
    PYTHON_SERVICES,
    REPO,
    deployment_environment,
    interpolate,
    load_yaml,
)

DESIGN_VOLUMES = {"pdf_storage", "postgres_data", "templates", "library"}
OBSERVABILITY = {"otel-collector", "prometheus", "alertmanager", "loki", "tempo", "grafana"}
# Where each folder setting points, and the volume that must be mounted there.
FOLDER_VOLUMES = {
    "PDF_STORAGE_DIR": "pdf_storage",
    "TEMPLATES_DIR": "templates",
    "BACKUP_DIR": "backups",
    "LIBRARY_DIR": "library",
}


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return load_yaml(COMPOSE_FILE)


@pytest.fixture(scope="module")
def environment() -> dict[str, str]:
    return deployment_environment()


@pytest.fixture(scope="module")
def compose(environment: dict[str, str]) -> dict[str, Any]:
    return interpolate(load_yaml(COMPOSE_FILE), environment)


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


def one_shot(service: dict[str, Any]) -> bool:
    return service.get("restart") == "no"


def long_running(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: service for name, service in services.items() if not one_shot(service)}


def networks_of(service: dict[str, Any]) -> set[str]:
    networks = service.get("networks", [])
    return set(networks if isinstance(networks, list) else networks.keys())


def mounts(service: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(source, target, read-only) of each volume of a service (short syntax)."""
    result = []
    for entry in service.get("volumes", []):
        source, target, *options = entry.split(":")
        result.append((source, target, "ro" in ",".join(options).split(",")))
    return result


# --- services ---------------------------------------------------------------------------------------------------------


def test_it_runs_the_services_of_the_design(services: dict[str, dict[str, Any]]) -> None:
    expected = {
        *PYTHON_SERVICES,
        *("frontend", "postgres", "redis", "ollama", "ollama-pull", "ollama-pull-embedding", "migrate"),
        *OBSERVABILITY,
    }
    assert expected <= services.keys()
    # PostgreSQL 15 with pgvector (docs/adr/0012-knowledge-library-search.md), instead of plain postgres:15.3-alpine.
    assert services["postgres"]["image"] == "pgvector/pgvector:0.8.0-pg15"
    assert services["redis"]["image"].startswith("redis:7.")
    assert services["redis"]["image"].endswith("-alpine")
    assert services["ollama"]["image"].startswith("ollama/ollama:")
    # The LLM-aware trace UI is there to be switched on, not started by default.
    assert services["phoenix"]["profiles"] == ["phoenix"]
    assert services["phoenix"]["image"].startswith("arizephoenix/phoenix:version-")


def test_each_python_service_is_built_from_its_own_folder(services: dict[str, dict[str, Any]]) -> None:
    for name in PYTHON_SERVICES:
        build = services[name]["build"]
        assert (DEPLOY / build["context"]).resolve() == REPO
        assert build["dockerfile"] == f"services/{name}/Dockerfile"


def test_every_build_context_has_its_dockerfile(services: dict[str, dict[str, Any]]) -> None:
    built = {name: service["build"] for name, service in services.items() if "build" in service}
    assert built.keys() >= {*PYTHON_SERVICES, "frontend", "migrate"}
    for name, build in built.items():
        context = (DEPLOY / build["context"]).resolve()
        assert context.is_dir(), name
        assert (context / build.get("dockerfile", "Dockerfile")).is_file(), name


def test_built_images_are_tagged_with_the_release_version(services: dict[str, dict[str, Any]]) -> None:
    for name in PYTHON_SERVICES:
        project = tomllib.loads((REPO / "services" / name / "pyproject.toml").read_text())["project"]
        assert services[name]["image"] == f"propos4l/{name}:{project['version']}"
    assert services["migrate"]["image"] == services["gateway"]["image"]


def test_every_image_is_pinned_to_a_version(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        reference = service["image"]
        if "@sha256:" in reference:
            continue
        repository, _, tag = reference.rpartition(":")
        assert repository and "/" not in tag, f"{name}: {reference} has no tag"
        # At least major.minor (pgvector/pgvector:0.8.0-pg15 is the pin); never latest or a bare major.
        assert re.match(r"^(v|version-)?\d+\.\d+", tag), f"{name}: {reference} is not pinned to a version"


def test_the_ollama_pull_job_pulls_the_model_the_generator_drafts_with(raw: dict[str, Any]) -> None:
    for model in ("qwen2.5:14b", "registry.example.com/team/model:q4"):
        services = interpolate(raw, deployment_environment(OLLAMA_MODEL=model))["services"]
        assert services["ollama-pull"]["command"] == ["pull", model]
        assert services["generator"]["environment"]["OLLAMA_MODEL"] == model
    unset = deployment_environment()
    del unset["OLLAMA_MODEL"]
    services = interpolate(raw, unset)["services"]
    default = GeneratorSettings.model_fields["ollama_model"].default
    assert services["ollama-pull"]["command"] == ["pull", default]
    assert services["generator"]["environment"]["OLLAMA_MODEL"] == default
    assert services["ollama-pull"]["environment"]["OLLAMA_HOST"] == services["generator"]["environment"]["OLLAMA_URL"]


def test_redis_keeps_an_append_only_file_and_needs_a_password(
    services: dict[str, dict[str, Any]], environment: dict[str, str]
) -> None:
    command = services["redis"]["command"]
    options = dict(zip(command[1::2], command[2::2], strict=True))
    assert command[0] == "redis-server"
    assert options["--appendonly"] == "yes"
    assert options["--appendfsync"] == "everysec"
    assert options["--requirepass"] == environment["REDIS_PASSWORD"]


def test_services_connect_with_the_deployment_passwords(
    services: dict[str, dict[str, Any]], environment: dict[str, str]
) -> None:
    postgres = services["postgres"]["environment"]
    assert postgres["POSTGRES_PASSWORD"] == environment["POSTGRES_PASSWORD"]
    for name, service in services.items():
        variables = service.get("environment") or {}
        if variables.get("REDIS_URL"):
            redis = urlsplit(variables["REDIS_URL"])
            assert (redis.hostname, redis.port, redis.password) == ("redis", 6379, environment["REDIS_PASSWORD"]), name
        if variables.get("DATABASE_URL"):
            database = urlsplit(variables["DATABASE_URL"])
            assert database.hostname == "postgres", name
            assert database.username == postgres["POSTGRES_USER"], name
            assert database.password == postgres["POSTGRES_PASSWORD"], name
            assert database.path == f"/{postgres['POSTGRES_DB']}", name


def test_no_secret_has_a_default_in_the_compose_file() -> None:
    text = COMPOSE_FILE.read_text()
    assert not re.search(r"\$\{[A-Z0-9_]*(PASSWORD|TOKEN|SECRET|_KEY)[A-Z0-9_]*:?[-+]", text)
    assert "changeme" not in text.lower()


def test_every_python_service_exports_telemetry_to_the_collector(services: dict[str, dict[str, Any]]) -> None:
    collector = yaml.safe_load((REPO / "observability/otel-collector/config.yaml").read_text())
    http_port = collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"].rpartition(":")[2]
    for name in PYTHON_SERVICES:
        variables = services[name]["environment"]
        assert variables["OTEL_EXPORTER_OTLP_ENDPOINT"] == f"http://otel-collector:{http_port}", name
        assert variables["DEPLOYMENT_ENVIRONMENT"], name


# --- networks ---------------------------------------------------------------------------------------------------------


def test_the_database_network_is_internal_and_holds_only_what_needs_the_database(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    assert set(compose["networks"]) == {"app_network", "db_network"}
    assert compose["networks"]["db_network"]["internal"] is True
    assert not compose["networks"]["app_network"].get("internal", False)
    assert networks_of(services["postgres"]) == {"db_network"}
    on_database_network = {name for name, service in services.items() if "db_network" in networks_of(service)}
    uses_database = {name for name, service in services.items() if "DATABASE_URL" in (service.get("environment") or {})}
    assert on_database_network == uses_database | {"postgres"}
    assert {"gateway", "backup", "migrate", "library"} <= uses_database
    for name in ("redis", "ollama", "generator", "renderer", "frontend", *OBSERVABILITY):
        assert "db_network" not in networks_of(services[name]), name


def test_every_networked_service_is_on_a_declared_network(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    for name, service in services.items():
        if service.get("network_mode") == "none":
            continue
        assert networks_of(service), name
        assert networks_of(service) <= compose["networks"].keys(), name


# --- volumes ----------------------------------------------------------------------------------------------------------


def test_the_named_volumes_are_declared_and_used(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    declared = set(compose["volumes"])
    assert DESIGN_VOLUMES | {"backups", "redis_data", "ollama_data"} <= declared
    used = {
        source for service in services.values() for source, _, _ in mounts(service) if not source.startswith(("/", "."))
    }
    assert used == declared


def test_data_lives_in_volumes(services: dict[str, dict[str, Any]]) -> None:
    assert ("postgres_data", "/var/lib/postgresql/data", False) in mounts(services["postgres"])
    assert ("redis_data", "/data", False) in mounts(services["redis"])
    assert ("ollama_data", "/root/.ollama", False) in mounts(services["ollama"])


def test_folder_settings_point_at_their_volumes(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        variables = service.get("environment") or {}
        by_target = {target: (source, read_only) for source, target, read_only in mounts(service)}
        for setting, volume in FOLDER_VOLUMES.items():
            if variables.get(setting):
                assert by_target.get(variables[setting], (None,))[0] == volume, f"{name}: {setting}"


def test_only_the_writers_mount_a_volume_read_write(services: dict[str, dict[str, Any]]) -> None:
    def writable(name: str) -> set[str]:
        return {source for source, _, read_only in mounts(services[name]) if not read_only}

    assert writable("renderer") == {"pdf_storage", "templates"}
    assert writable("gateway") == {"templates", "library"}  # templates and uploads; it only serves the PDFs
    assert writable("library") == set()  # it reads the uploads the gateway stored
    assert writable("backup") == {"backups"}  # it reads what it backs up


def test_observability_configuration_is_mounted_read_only_from_the_repository(
    services: dict[str, dict[str, Any]],
) -> None:
    for name in OBSERVABILITY:
        binds = [(source, read_only) for source, _, read_only in mounts(services[name]) if source.startswith(".")]
        assert binds, name
        for source, read_only in binds:
            assert (DEPLOY / source).resolve().is_relative_to(REPO / "observability"), (name, source)
            assert (DEPLOY / source).exists(), (name, source)
            assert read_only, (name, source)


def test_every_bind_mounted_file_exists(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for source, _, _ in mounts(service):
            if source.startswith("."):
                assert (DEPLOY / source).exists(), (name, source)


# --- start order and health -------------------------------------------------------------------------------------------


def conditions(service: dict[str, Any]) -> dict[str, str]:
    depends_on = service.get("depends_on", {})
    assert isinstance(depends_on, dict), "depends_on must name a condition"
    return {target: entry["condition"] for target, entry in depends_on.items()}


def test_start_order_of_the_design(services: dict[str, dict[str, Any]]) -> None:
    healthy, done = "service_healthy", "service_completed_successfully"
    assert conditions(services["migrate"]) == {"postgres": healthy}
    assert conditions(services["ollama-pull"]) == {"ollama": healthy}
    for name in ("gateway", "backup", "library"):
        assert conditions(services[name]) == {"postgres": healthy, "migrate": done, "redis": healthy}, name
    assert conditions(services["generator"]) == {"redis": healthy, "ollama": healthy, "ollama-pull": done}
    assert conditions(services["renderer"]) == {"redis": healthy}
    assert conditions(services["frontend"]) == {"gateway": healthy}


def test_every_long_running_service_has_a_health_check(services: dict[str, dict[str, Any]]) -> None:
    for name, service in long_running(services).items():
        if "healthcheck" not in service:
            assert len(service.get("x-no-healthcheck", "")) > 20, f"{name} has no health check, and no reason why"
            continue
        test = service["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, name
        assert "start_period" in service["healthcheck"], name


def test_dependencies_wait_for_health_or_completion(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for target, condition in conditions(service).items():
            if one_shot(services[target]):
                assert condition == "service_completed_successfully", (name, target)
            elif "healthcheck" in services[target]:
                assert condition == "service_healthy", (name, target)
            else:
                assert condition == "service_started", (name, target)


def test_workers_are_checked_on_their_health_port(services: dict[str, dict[str, Any]]) -> None:
    for name in PYTHON_SERVICES:
        service = services[name]
        command = " ".join(service["healthcheck"]["test"][1:])
        if name == "gateway":  # readiness behind the admin token, as every route but /api/health
            port = service["environment"]["GATEWAY_PORT"]
            assert f"127.0.0.1:{port}/api/ready" in command
            assert "os.environ['PROPOS4L_ADMIN_TOKEN']" in command and "PROPOS4L_ADMIN_TOKEN" in service["environment"]
            assert f"{service['ports'][0].rpartition(':')[2]}" == port
        else:  # the workers serve /health and /ready on HEALTH_PORT
            app = (REPO / "services" / name / "src/propos4l" / name / "app.py").read_text()
            assert "HealthServer" in app, f"{name} does not serve HEALTH_PORT"
            assert f"127.0.0.1:{service['environment']['HEALTH_PORT']}/ready" in command, name


def test_restart_policies(services: dict[str, dict[str, Any]]) -> None:
    one_shots = {name for name, service in services.items() if one_shot(service)}
    assert one_shots == {"migrate", "ollama-pull", "ollama-pull-embedding", "tempo-init"}
    for name, service in long_running(services).items():
        assert service["restart"] in ("unless-stopped", "always"), name


def test_long_running_services_have_resource_limits(services: dict[str, dict[str, Any]]) -> None:
    for name, service in long_running(services).items():
        limits = service["deploy"]["resources"]["limits"]
        assert float(limits["cpus"]) > 0, name
        assert re.fullmatch(r"\d+[kmg]", limits["memory"]), name


def test_every_service_rotates_its_logs(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        logging = service["logging"]
        assert logging["driver"] == "json-file", name
        assert re.fullmatch(r"\d+m", logging["options"]["max-size"]), name
        assert int(logging["options"]["max-file"]) >= 2, name


def test_our_services_run_without_privileges(services: dict[str, dict[str, Any]]) -> None:
    for name in (*PYTHON_SERVICES, "migrate", "frontend"):
        assert services[name]["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in services[name]["security_opt"], name
        assert "user" not in services[name], f"{name} runs as its image's unprivileged user"


# --- ports and scaling ------------------------------------------------------------------------------------------------


def published(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(host address, host port, container port) of each published port."""
    result = []
    for entry in service.get("ports", []):
        *host, container = entry.split(":")
        address, port = (host[0], host[1]) if len(host) == 2 else ("0.0.0.0", host[0])
        result.append((address, port, container))
    return result


def test_host_ports_do_not_collide(services: dict[str, dict[str, Any]]) -> None:
    ports = [port for service in services.values() for _, port, _ in published(service)]
    assert len(ports) == len(set(ports)), ports
    assert published(services["gateway"])[0][2] == "8000"
    assert published(services["frontend"])[0][2] == "3000"
    grafana = published(services["grafana"])[0]
    assert grafana[2] == "3000"
    assert grafana[1] != published(services["frontend"])[0][1]


def test_only_the_entry_points_are_published(services: dict[str, dict[str, Any]]) -> None:
    exposed = {name for name, service in services.items() if service.get("ports")}
    assert exposed == {"gateway", "frontend", "grafana", "prometheus", "alertmanager", "phoenix"}
    for name in ("prometheus", "alertmanager", "phoenix"):  # no login: the host only
        assert all(address == "127.0.0.1" for address, _, _ in published(services[name])), name


def test_workers_can_be_scaled(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        assert "container_name" not in service, f"{name}: a fixed container name prevents --scale"
    for name in ("generator", "renderer"):
        assert "ports" not in services[name], name


# --- the GPU variant --------------------------------------------------------------------------------------------------


def test_the_gpu_variant_gives_ollama_the_gpus() -> None:
    override = load_yaml(GPU_COMPOSE_FILE)
    assert set(override["services"]) == {"ollama"}
    devices = override["services"]["ollama"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": "all", "capabilities": ["gpu"]}]


def test_deploy_folder_holds_what_the_readme_names() -> None:
    readme = (DEPLOY / "README.md").read_text()
    for needed in ("--scale generator=3", "compose.gpu.yml", "propos4l backup", ".env.example", "restore"):
        assert needed in readme, needed
    assert Path(DEPLOY / ".env.example").is_file()
