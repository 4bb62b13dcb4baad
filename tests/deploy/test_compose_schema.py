"""The compose files are valid Compose files: checked against the Compose specification's own JSON schema."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.deploy.support import (
    COMPOSE_FILE,
    GPU_COMPOSE_FILE,
    InterpolationError,
    deployment_environment,
    interpolate,
    load_yaml,
)

SCHEMA_FILE = Path(__file__).with_name("compose-spec.json")


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def errors(validator: jsonschema.protocols.Validator, document: Any) -> list[str]:
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(document)]


def test_the_vendored_schema_is_the_compose_specification() -> None:
    digest = hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest()
    assert digest in SCHEMA_FILE.with_name("README.md").read_text(), "compose-spec.json differs from its noted source"
    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema["title"] == "Compose Specification"
    assert {"service", "network", "volume", "healthcheck"} <= schema["definitions"].keys()


@pytest.mark.parametrize("path", [COMPOSE_FILE, GPU_COMPOSE_FILE], ids=lambda path: path.name)
def test_compose_file_is_valid_as_written(validator: jsonschema.protocols.Validator, path: Path) -> None:
    assert errors(validator, load_yaml(path)) == []


def test_compose_file_is_valid_once_interpolated(validator: jsonschema.protocols.Validator) -> None:
    resolved = interpolate(load_yaml(COMPOSE_FILE), deployment_environment())
    assert errors(validator, resolved) == []


def test_interpolation_refuses_a_missing_secret() -> None:
    environment = deployment_environment()
    del environment["POSTGRES_PASSWORD"]
    with pytest.raises(InterpolationError, match="POSTGRES_PASSWORD"):
        interpolate(load_yaml(COMPOSE_FILE), environment)
    with pytest.raises(InterpolationError, match="REDIS_PASSWORD"):
        interpolate(load_yaml(COMPOSE_FILE), deployment_environment(REDIS_PASSWORD=""))


def broken(change: str) -> Any:
    document = copy.deepcopy(load_yaml(COMPOSE_FILE))
    services = document["services"]
    if change == "unknown depends_on condition":
        services["gateway"]["depends_on"]["postgres"]["condition"] = "service_ready"
    elif change == "unknown service key":
        services["redis"]["restart_policy"] = {"condition": "on-failure"}
    elif change == "healthcheck interval as a number":
        services["postgres"]["healthcheck"]["interval"] = 10
    elif change == "service name with a space":
        services["web app"] = services.pop("frontend")
    elif change == "volume with an unknown key":
        document["volumes"]["pdf_storage"] = {"size": "10g"}
    return document


@pytest.mark.parametrize(
    "change",
    [
        "unknown depends_on condition",
        "unknown service key",
        "healthcheck interval as a number",
        "service name with a space",
        "volume with an unknown key",
    ],
)
def test_schema_rejects_a_broken_compose_file(validator: jsonschema.protocols.Validator, change: str) -> None:
    assert errors(validator, broken(change)) != []
