"""The settings base every service builds on: environment variables, validated once at start."""

from __future__ import annotations

import sys
from typing import Annotated, Final, NoReturn, TypeVar

from pydantic import Field, PostgresDsn, RedisDsn, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from propos4l.shared.logs import LogFormat

__all__ = [
    "ConfigurationError",
    "DatabaseSettings",
    "DeliverySettings",
    "ServiceSettings",
    "load_settings",
    "refuse_placeholder",
]

S = TypeVar("S", bound=BaseSettings)

_PLACEHOLDERS: Final = frozenset({"changeme", "change-me", "secret", "password", "admin", "token", "xxx", "todo"})


class ConfigurationError(SystemExit):
    """A missing or malformed setting: the service stops with one clear line."""


class ServiceSettings(BaseSettings):
    """Settings every service reads."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False, frozen=True)

    redis_url: RedisDsn = Field(description="Redis holding the event streams, e.g. redis://:pw@redis:6379/0")
    log_level: Annotated[str, Field(pattern=r"^(?i:debug|info|warning|error|critical)$")] = "info"
    log_format: LogFormat = Field(
        default="json", description="json (one object a line, for collectors) or console (short lines for a person)"
    )
    deployment_environment: str = "local"
    health_port: Annotated[int, Field(ge=0, le=65_535)] | None = Field(
        default=None, description="port of the /health and /ready endpoint of a worker (unset: none)"
    )

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_case_format(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


class DeliverySettings(BaseSettings):
    """How consumers pace and retry (shared names, so every service is tuned the same way)."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False, frozen=True)

    delivery_visibility_timeout_seconds: Annotated[float, Field(gt=0)] = 60.0
    delivery_max_deliveries: Annotated[int, Field(ge=1, le=100)] = 5
    delivery_shutdown_grace_seconds: Annotated[float, Field(ge=0)] = 10.0
    delivery_outage_give_up_seconds: Annotated[float, Field(ge=0)] = 3600.0


class DatabaseSettings(BaseSettings):
    """Settings of a service that talks to PostgreSQL."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False, frozen=True)

    database_url: PostgresDsn = Field(description="postgresql://user:pw@host:5432/db")
    database_pool_max_size: Annotated[int, Field(ge=1, le=100)] = 10


def refuse_placeholder(value: str, name: str) -> str:
    """Refuse secrets that are obviously placeholders; return the value otherwise."""
    if value.strip().lower() in _PLACEHOLDERS:
        raise ValueError(f"{name} is a placeholder value; set a real secret")
    return value


def load_settings(settings_class: type[S], service: str) -> S:
    """Build `settings_class` from the environment, or stop the process with one line naming the bad setting."""
    try:
        return settings_class()
    except ValidationError as error:
        _stop(service, _describe(error))
    except SettingsError as error:
        # A value pydantic-settings could not even decode (a list or object setting that is not JSON).
        _stop(service, str(error).replace('from source "EnvSettingsSource"', "from the environment"))


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        name = ".".join(str(part) for part in item["loc"]).upper()
        if not name:  # a check across settings: its message names them
            problems.append(message)
            continue
        problems.append(
            f"{name} is required but not set" if item["type"] == "missing" else f"{name} is invalid: {message}"
        )
    return "; ".join(problems)


def _stop(service: str, reason: str) -> NoReturn:
    print(f"propos4l-{service}: configuration error: {reason}", file=sys.stderr)
    raise ConfigurationError(2)
