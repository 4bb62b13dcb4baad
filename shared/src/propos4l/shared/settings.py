"""The settings base every service builds on: environment variables, validated once at start."""

from __future__ import annotations

import sys
from typing import Annotated, Final, Literal, NoReturn, TypeVar

from pydantic import Field, HttpUrl, PostgresDsn, RedisDsn, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from propos4l.shared.logs import LogFormat

__all__ = [
    "ConfigurationError",
    "DatabaseSettings",
    "DeliverySettings",
    "EmbeddingSettings",
    "ServiceSettings",
    "StorageSettings",
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


DEFAULT_EMBEDDING_URL: Final = "http://localhost:11434"
"""Where embeddings come from unless EMBEDDING_URL says otherwise: the generator's default OLLAMA_URL."""


class EmbeddingSettings(BaseSettings):
    """Where the knowledge library's embeddings come from (the library service embeds passages, the gateway queries).

    docs/adr/0014-embedding-model.md says why the default model is bge-m3; nothing is downloaded by Propos4l itself.
    """

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False, frozen=True)

    embedding_provider: Literal["ollama", "openai", "none"] = Field(
        default="ollama",
        description="ollama (/api/embed), openai (an OpenAI-compatible /v1/embeddings) or none (full-text search only)",
    )
    embedding_url: HttpUrl | None = Field(
        default=None,
        description="the embedding server: Ollama's base URL, or the OpenAI-compatible base URL ending in /v1 "
        f"(unset: {DEFAULT_EMBEDDING_URL} for ollama, like the generator's OLLAMA_URL; required for openai)",
    )
    embedding_model: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        default="bge-m3", description="the embedding model; changing it re-embeds the library in the background"
    )
    embedding_api_key: SecretStr | None = Field(default=None, description="bearer key of an OpenAI-compatible server")
    embedding_batch_size: Annotated[int, Field(ge=1, le=512)] = Field(
        default=32, description="passages sent to the embedding server in one request"
    )
    embedding_timeout_seconds: Annotated[float, Field(gt=0, le=600)] = Field(
        default=60.0, description="time one embedding request of a batch of passages may take"
    )
    embedding_query_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = Field(
        default=2.0, description="time embedding a search query may take before search answers with full text only"
    )

    @model_validator(mode="after")
    def _openai_needs_a_url(self) -> EmbeddingSettings:
        if self.embedding_provider == "openai" and self.embedding_url is None:
            raise ValueError("EMBEDDING_URL is required when EMBEDDING_PROVIDER=openai")
        return self

    @property
    def embedding_base_url(self) -> str:
        """The embedding server's base URL, without a trailing slash."""
        return str(self.embedding_url or DEFAULT_EMBEDDING_URL).rstrip("/")


class StorageSettings(BaseSettings):
    """Where PDFs are kept: the local folders (default) or an S3-compatible bucket (docs/adr/0021-object-storage.md).

    With STORAGE_URL the credentials and region come from boto3's usual sources (AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY, AWS_REGION, a profile, or the pod's role); they are not settings of their own.
    """

    model_config = SettingsConfigDict(env_file=None, extra="ignore", case_sensitive=False, frozen=True)

    storage_url: str | None = Field(
        default=None,
        description="s3://bucket/prefix: PDFs go to the bucket under prefix/pdfs/ (unset: the local folders)",
    )
    storage_endpoint_url: HttpUrl | None = Field(
        default=None, description="the S3-compatible endpoint (MinIO, R2, Ceph); unset: AWS"
    )

    @field_validator("storage_url", "storage_endpoint_url", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("storage_url")
    @classmethod
    def _an_s3_url(cls, value: str | None) -> str | None:
        if value is not None:
            from propos4l.shared.object_store import parse_s3_url

            parse_s3_url(value)
        return value

    @property
    def storage_endpoint(self) -> str | None:
        """The endpoint override as boto3 takes it."""
        return str(self.storage_endpoint_url).rstrip("/") if self.storage_endpoint_url else None


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
