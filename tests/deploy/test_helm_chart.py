"""The Helm chart (deploy/helm/propos4l): rendered by Helm's own engine, every manifest valid against the vendored
Kubernetes JSON schemas, and the same cross-checks as the compose file (settings given, probes on the code's
endpoints, only database clients reach PostgreSQL, autoscaling on the streams the services read)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

from propos4l.shared.health import HealthServer
from propos4l.shared.settings import DatabaseSettings
from propos4l.shared.streams import CONSUMERS, Stream
from tests.deploy.support import REPO, load_yaml, settings_classes, settings_names

CHART = REPO / "deploy" / "helm" / "propos4l"
HELM_PYTHON = REPO / ".tools" / "helm" / "bin" / "python"
RENDER = Path(__file__).with_name("render_chart.py")
SCHEMAS = Path(__file__).with_name("kubernetes-schemas") / "v1.33.0-local-strict"
SCHEMA_FILES = {
    ("apps/v1", "Deployment"): "deployment-apps-v1.json",
    ("v1", "Service"): "service-v1.json",
    ("networking.k8s.io/v1", "Ingress"): "ingress-networking-v1.json",
    ("batch/v1", "Job"): "job-batch-v1.json",
    ("v1", "ConfigMap"): "configmap-v1.json",
    ("v1", "Secret"): "secret-v1.json",
    ("policy/v1", "PodDisruptionBudget"): "poddisruptionbudget-policy-v1.json",
    ("networking.k8s.io/v1", "NetworkPolicy"): "networkpolicy-networking-v1.json",
    ("autoscaling/v2", "HorizontalPodAutoscaler"): "horizontalpodautoscaler-autoscaling-v2.json",
    ("v1", "PersistentVolumeClaim"): "persistentvolumeclaim-v1.json",
}
# KEDA's resources: checked against the openAPIV3Schema of KEDA's own CRDs (vendored unchanged, SHA-256 pinned).
KEDA_CRDS = Path(__file__).with_name("keda-crds")
KEDA_CRD_FILES = {
    ("keda.sh/v1alpha1", "ScaledObject"): "keda.sh_scaledobjects.yaml",
    ("keda.sh/v1alpha1", "TriggerAuthentication"): "keda.sh_triggerauthentications.yaml",
}
SECRETS = {
    "databaseUrl": "postgresql://propos4l:pw@postgres.example:5432/propos4l",
    "redisUrl": "redis://:pw@redis:6379/0",
    "redisPassword": "pw",
    "adminToken": "a-long-admin-token-0123456789abcdef",
    "webhookSecretKeys": "aGVsbS10ZXN0LWtleS10aGF0LWlzLTMyLWJ5dGVzLi4=",
}
DATABASE_CLIENTS = {"gateway", "library", "backup", "migrate"}

Render = Callable[[dict[str, Any]], list[dict[str, Any]]]


def _helm_python() -> Path:
    if not HELM_PYTHON.exists():
        if os.environ.get("PROPOS4L_REQUIRE_HELM"):
            pytest.fail("Helm's chart engine is not installed: run `make helm`")
        pytest.skip("Helm's chart engine is not installed (`make helm` installs it into .tools/helm)")
    return HELM_PYTHON


def render_raw(values: dict[str, Any]) -> dict[str, Any]:
    completed = subprocess.run(
        [str(_helm_python()), str(RENDER), str(CHART), json.dumps(values)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr.strip().splitlines()[-1] if completed.stderr.strip() else "render failed")
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def documents(manifests: dict[str, str]) -> list[dict[str, Any]]:
    return [
        document
        for text in manifests.values()
        for document in yaml.safe_load_all(text)
        if isinstance(document, dict) and document
    ]


@pytest.fixture(scope="module")
def render() -> Render:
    cache: dict[str, list[dict[str, Any]]] = {}

    def rendered(values: dict[str, Any]) -> list[dict[str, Any]]:
        key = json.dumps(values, sort_keys=True)
        if key not in cache:
            cache[key] = documents(render_raw({"secrets": SECRETS, **values})["manifests"])
        return cache[key]

    return rendered


@pytest.fixture(scope="module")
def manifests(render: Render) -> list[dict[str, Any]]:
    return render({})


def by_kind(manifests: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {item["metadata"]["name"]: item for item in manifests if item["kind"] == kind}


def component(item: dict[str, Any]) -> str:
    return str(item["metadata"]["labels"]["app.kubernetes.io/component"])


def workloads(manifests: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each Deployment and Job as (its service, its pod spec)."""
    for item in manifests:
        if item["kind"] in ("Deployment", "Job"):
            yield component(item), item["spec"]["template"]["spec"]


def environment(manifests: list[dict[str, Any]], container: dict[str, Any]) -> dict[str, Any]:
    """A container's variables, with its ConfigMaps' keys (values, or the secretKeyRef that fills them)."""
    config_maps = by_kind(manifests, "ConfigMap")
    names: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        names.update(config_maps[source["configMapRef"]["name"]]["data"])
    for variable in container.get("env", []):
        names[variable["name"]] = variable.get("value", variable.get("valueFrom"))
    return names


def test_the_vendored_schemas_are_the_pinned_ones() -> None:
    pinned = dict(line.split()[::-1] for line in (SCHEMAS / "SHA256SUMS").read_text().splitlines())
    assert set(pinned) == {path.name for path in SCHEMAS.glob("*.json")}
    for name, digest in pinned.items():
        assert hashlib.sha256((SCHEMAS / name).read_bytes()).hexdigest() == digest, name


def test_the_vendored_keda_crds_are_the_pinned_ones() -> None:
    pinned = dict(line.split()[::-1] for line in (KEDA_CRDS / "SHA256SUMS").read_text().splitlines())
    assert set(pinned) == {path.name for path in KEDA_CRDS.glob("*.yaml")} == set(KEDA_CRD_FILES.values())
    for name, digest in pinned.items():
        assert hashlib.sha256((KEDA_CRDS / name).read_bytes()).hexdigest() == digest, name


def _strict(schema: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI v3 schema of a CRD as a JSON schema that refuses unknown fields, as `kubectl apply` does with
    strict field validation: objects with listed properties and no `additionalProperties` (or preserved unknown
    fields) accept no others."""
    strict = {key: value for key, value in schema.items() if not key.startswith("x-kubernetes-")}
    for key in ("properties",):
        if key in strict:
            strict[key] = {name: _strict(child) for name, child in strict[key].items()}
    for key in ("items", "additionalProperties"):
        if isinstance(strict.get(key), dict):
            strict[key] = _strict(strict[key])
    for key in ("allOf", "anyOf", "oneOf"):
        if key in strict:
            strict[key] = [_strict(child) for child in strict[key]]
    if (
        "properties" in strict
        and "additionalProperties" not in strict
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        strict["additionalProperties"] = False
    return strict


def keda_schema(key: tuple[str, str]) -> dict[str, Any]:
    """The JSON schema of a KEDA kind, from the served version of its CRD, with the metadata every object has."""
    crd = yaml.safe_load((KEDA_CRDS / KEDA_CRD_FILES[key]).read_text())
    group_version = key[0].split("/")[1]
    [version] = [item for item in crd["spec"]["versions"] if item["name"] == group_version and item["served"]]
    schema = _strict(version["schema"]["openAPIV3Schema"])
    schema["properties"]["metadata"] = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "additionalProperties": False,
    }
    schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
    schema["properties"]["apiVersion"] = {"const": key[0]}
    schema["properties"]["kind"] = {"const": key[1]}
    return schema


def test_the_strict_keda_schema_refuses_what_keda_would_refuse() -> None:
    validator = jsonschema.Draft202012Validator(keda_schema(("keda.sh/v1alpha1", "ScaledObject")))
    valid = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "renderer"},
        "spec": {"scaleTargetRef": {"name": "renderer"}, "triggers": [{"type": "redis-streams", "metadata": {}}]},
    }
    assert list(validator.iter_errors(valid)) == []
    misspelt = json.loads(json.dumps(valid))
    misspelt["spec"]["minReplicaCount"] = "one"  # a count, not a word
    misspelt["spec"]["scaleTargetRef"]["nmae"] = "renderer"
    assert {tuple(error.path) for error in validator.iter_errors(misspelt)} == {
        ("spec", "minReplicaCount"),
        ("spec", "scaleTargetRef"),
    }
    without_triggers = json.loads(json.dumps(valid))
    del without_triggers["spec"]["triggers"]
    assert [error.validator for error in validator.iter_errors(without_triggers)] == ["required"]


def test_helm_lints_the_chart_without_findings() -> None:
    report = render_raw({"secrets": SECRETS})["lint"]
    assert report["errors"] == [] and [m for m in report["messages"] if m["severity"] >= 2] == [], report


def test_every_manifest_is_valid_against_its_kubernetes_schema(render: Render) -> None:
    definitions = json.loads((SCHEMAS / "_definitions.json").read_text())
    registry: Registry[Any] = Registry().with_resource(definitions["$id"], Resource.from_contents(definitions))
    variants = [
        {},
        {"secrets": {**SECRETS, "awsAccessKeyId": "key", "awsSecretAccessKey": "secret"}},
        {
            "gateway": {
                "ingress": {"enabled": True, "className": "nginx", "tlsSecretName": "tls"},
                "autoscaling": {"enabled": False},
            }
        },
        {"gateway": {"signing": SIGNING}},
    ]
    seen: set[tuple[str, str]] = set()
    for values in variants:
        for item in render(values):
            key = (item["apiVersion"], item["kind"])
            seen.add(key)
            if key in KEDA_CRD_FILES:
                schema = keda_schema(key)
            else:
                assert key in SCHEMA_FILES, f"no schema vendored for {key}"
                schema = json.loads((SCHEMAS / SCHEMA_FILES[key]).read_text())
            validator = jsonschema.Draft202012Validator(schema, registry=registry)
            errors = sorted(validator.iter_errors(item), key=lambda error: list(error.path))
            assert errors == [], (
                f"{item['kind']} {item['metadata']['name']}: {errors[0].message} at {list(errors[0].path)}"
            )
    assert set(SCHEMA_FILES) | set(KEDA_CRD_FILES) == seen  # every schema is used, every kind is checked


def test_pods_share_no_volume_since_files_are_in_the_bucket(manifests: list[dict[str, Any]]) -> None:
    claims = by_kind(manifests, "PersistentVolumeClaim")
    assert [component(claim) for claim in claims.values()] == ["backup"]  # the backup store alone, one replica
    for service, pod in workloads(manifests):
        [container] = pod["containers"]
        templates = [mount for mount in container.get("volumeMounts", []) if mount["mountPath"] == "/data/templates"]
        for mount in templates:  # TEMPLATES_DIR: staging folders and the cache of versions read from the bucket
            [volume] = [volume for volume in pod["volumes"] if volume["name"] == mount["name"]]
            assert "emptyDir" in volume, service
    with pytest.raises(RuntimeError, match=r"storage\.url is required"):
        render_raw({"secrets": SECRETS, "storage": {"url": ""}})


SIGNING = {"secretName": "propos4l-signing", "tsaUrl": "http://tsa.example/tsr"}


def test_the_signing_certificate_is_a_mounted_secret_file_and_its_password_a_secret_key(render: Render) -> None:
    unsigned = {component(item): item for item in by_kind(render({}), "Deployment").values()}["gateway"]
    [container] = unsigned["spec"]["template"]["spec"]["containers"]
    names = {variable["name"] for variable in container["env"]}
    assert not {"SIGNING_CERT_PATH", "SIGNING_CERT_PASSWORD", "SIGNING_TSA_URL"} & names
    signed_manifests = render({"gateway": {"signing": SIGNING}})
    gateway = {component(item): item for item in by_kind(signed_manifests, "Deployment").values()}["gateway"]
    spec = gateway["spec"]["template"]["spec"]
    [container] = spec["containers"]
    variables = {variable["name"]: variable for variable in container["env"]}
    assert variables["SIGNING_CERT_PATH"]["value"] == "/run/secrets/signing/signing.p12"
    assert variables["SIGNING_CERT_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "propos4l-signing",
        "key": "password",
    }
    assert variables["SIGNING_TSA_URL"]["value"] == "http://tsa.example/tsr"
    mount = next(mount for mount in container["volumeMounts"] if mount["name"] == "signing")
    assert mount == {"name": "signing", "mountPath": "/run/secrets/signing", "readOnly": True}
    volume = next(volume for volume in spec["volumes"] if volume["name"] == "signing")
    assert volume["secret"] == {
        "secretName": "propos4l-signing",
        "items": [{"key": "signing.p12", "path": "signing.p12"}],
    }


def test_a_release_without_its_secrets_is_refused() -> None:
    with pytest.raises(RuntimeError, match=r"secrets\.databaseUrl is required"):
        render_raw({})
    without = render_raw({"secrets": {"existingSecret": "propos4l-prod"}})  # an existing Secret: none is made
    assert not [item for item in documents(without["manifests"]) if item["kind"] == "Secret"]


def test_every_service_is_given_what_it_needs_and_nothing_it_ignores(manifests: list[dict[str, Any]]) -> None:
    deployments = {component(item): item for item in by_kind(manifests, "Deployment").values()}
    assert set(deployments) == {"gateway", "generator", "renderer", "library", "backup"}
    for service, deployment in deployments.items():
        [container] = deployment["spec"]["template"]["spec"]["containers"]
        assert container["image"] == f"propos4l/{service}:0.1.0"
        given = set(environment(manifests, container))
        read = settings_names(service)
        ignored = {n for n in given - read if not n.startswith("OTEL_") and not n.startswith("AWS_")}
        assert ignored == set(), f"{service} is given {sorted(ignored)}, which it does not read"
        required = {
            name.upper()
            for settings_class in settings_classes(service)
            for name, field in settings_class.model_fields.items()
            if field.is_required()
        }
        assert required - given == set(), f"{service} needs {sorted(required - given)}"
        assert "STORAGE_URL" in given or service == "generator"


def test_probes_are_on_the_endpoints_the_code_serves(manifests: list[dict[str, Any]]) -> None:
    openapi = json.loads((REPO / "docs" / "openapi.json").read_text())["paths"]
    compose = load_yaml(REPO / "deploy" / "compose.yml")
    health_port = int(compose["x-service-environment"]["HEALTH_PORT"])
    config = next(iter(item for item in by_kind(manifests, "ConfigMap").values() if "HEALTH_PORT" in item["data"]))
    assert int(config["data"]["HEALTH_PORT"]) == health_port
    for service, pod in workloads(manifests):
        if service == "migrate":
            continue
        [container] = pod["containers"]
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        if service == "gateway":
            assert container["livenessProbe"]["httpGet"]["path"] in openapi
            assert "/api/ready" in " ".join(container["readinessProbe"]["exec"]["command"])
            assert "/api/ready" in openapi and ports["http"] == 8000
        else:
            assert container["livenessProbe"]["httpGet"]["path"] == "/health"
            assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
            assert ports["health"] == health_port
    served = HealthServer.__doc__ or ""
    assert "/health" in served and "/ready" in served


def test_pods_run_unprivileged_with_limits_and_disruption_budgets(manifests: list[dict[str, Any]]) -> None:
    dockerfile_uid = "--uid 10001"
    for service, pod in workloads(manifests):
        image_service = "gateway" if service == "migrate" else service
        assert dockerfile_uid in (REPO / "services" / image_service / "Dockerfile").read_text()
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]) & set(container["resources"]["limits"])
            assert any(mount["mountPath"] == "/tmp" for mount in container["volumeMounts"])
    budgets = {component(item) for item in by_kind(manifests, "PodDisruptionBudget").values()}
    assert budgets == {"gateway", "generator", "renderer", "library"}  # the backup agent is one replica by design


def test_only_the_database_clients_may_reach_postgresql(manifests: list[dict[str, Any]]) -> None:
    """compose's db_network, as labels and a NetworkPolicy: the services with database settings, and the migrations."""
    labelled = {
        service
        for service, _ in workloads(manifests)
        for item in manifests
        if item["kind"] in ("Deployment", "Job")
        and component(item) == service
        and item["spec"]["template"]["metadata"]["labels"].get("propos4l.io/database-client") == "true"
    }
    assert labelled == DATABASE_CLIENTS
    reads_database = {
        service
        for service in ("gateway", "generator", "renderer", "library", "backup")
        if any(issubclass(cls, DatabaseSettings) for cls in settings_classes(service))
    }
    assert reads_database == DATABASE_CLIENTS - {"migrate"}
    policies = by_kind(manifests, "NetworkPolicy")
    database = next(item for item in policies.values() if "database-client" in json.dumps(item["spec"]["podSelector"]))
    assert database["spec"]["egress"] == [{"ports": [{"protocol": "TCP", "port": 5432}]}]
    default = next(item for item in policies.values() if item["metadata"]["name"].endswith("-default"))
    assert default["spec"]["ingress"] == [] and set(default["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    allowed_ports = {port["port"] for rule in default["spec"]["egress"] for port in rule["ports"]}
    assert 5432 not in allowed_ports and 6379 in allowed_ports


def test_generator_and_renderer_scale_on_their_consumer_groups_pending_entries(
    manifests: list[dict[str, Any]],
) -> None:
    deployments = set(by_kind(manifests, "Deployment"))
    scaled = {component(item): item for item in by_kind(manifests, "ScaledObject").values()}
    assert set(scaled) == {"generator", "renderer"}
    for service, item in scaled.items():
        assert item["spec"]["scaleTargetRef"]["name"] in deployments
        streams = {trigger["metadata"]["stream"] for trigger in item["spec"]["triggers"]}
        read = {stream.value for stream, groups in CONSUMERS.items() if any(group.value == service for group in groups)}
        assert streams == read, service
        for trigger in item["spec"]["triggers"]:
            assert trigger["type"] == "redis-streams"
            assert trigger["metadata"]["consumerGroup"] == service
            assert int(trigger["metadata"]["pendingEntriesCount"]) >= 1
            assert trigger["authenticationRef"]["name"] in by_kind(manifests, "TriggerAuthentication")
        assert (
            "replicas"
            not in next(d for d in by_kind(manifests, "Deployment").values() if component(d) == service)["spec"]
        )  # KEDA owns the replica count
    assert Stream.PROPOSAL_DRAFTED.value in json.dumps(scaled["renderer"])
    [hpa] = by_kind(manifests, "HorizontalPodAutoscaler").values()
    assert component(hpa) == "gateway"
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def test_migrations_run_before_install_and_upgrade_as_compose_runs_them(
    manifests: list[dict[str, Any]], render: Render
) -> None:
    [job] = by_kind(manifests, "Job").values()
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    compose = load_yaml(REPO / "deploy" / "compose.yml")
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == compose["services"]["migrate"]["command"]
    secrets = by_kind(manifests, "Secret")
    [hook] = [secret for secret in secrets.values() if "helm.sh/hook" in secret["metadata"].get("annotations", {})]
    hook_annotations = hook["metadata"]["annotations"]
    # The Job's own Secret: made before it, and deleted once the hooks ran whatever happened, so `helm uninstall`
    # (which never deletes hooks) leaves nothing; the services' Secret is an ordinary resource the uninstall removes.
    assert int(hook_annotations["helm.sh/hook-weight"]) < int(job["metadata"]["annotations"]["helm.sh/hook-weight"])
    assert set(hook_annotations["helm.sh/hook-delete-policy"].split(",")) == {
        "before-hook-creation",
        "hook-succeeded",
        "hook-failed",
    }
    assert set(hook["stringData"]) == {"DATABASE_URL"}
    [variable] = job["spec"]["template"]["spec"]["containers"][0]["env"][:1]
    assert variable["valueFrom"]["secretKeyRef"]["name"] == hook["metadata"]["name"]
    [release_secret] = [secret for secret in secrets.values() if secret is not hook]
    assert "annotations" not in release_secret["metadata"]
    with_existing = render({"secrets": {"existingSecret": "propos4l-prod"}})
    [job] = by_kind(with_existing, "Job").values()
    assert job["spec"]["template"]["spec"]["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"]["name"] == (
        "propos4l-prod"
    )
