"""A missing or malformed setting stops a service at start with one clear line."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SERVICES = ["gateway", "generator", "renderer", "backup", "library"]
_SETTING_NAMES = (
    "REDIS_URL",
    "DATABASE_URL",
    "PROPOS4L_ADMIN_TOKEN",
    "PDF_STORAGE_DIR",
    "TEMPLATES_DIR",
    "BACKUP_DIR",
    "LIBRARY_DIR",
)


def _start(service: str, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in _SETTING_NAMES}
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-m", f"propos4l.{service}"], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("service", SERVICES)
def test_service_without_settings_stops_with_one_line_naming_them(service: str) -> None:
    result = _start(service)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"propos4l-{service}: configuration error: ")
    assert "REDIS_URL is required but not set" in lines[0]


def test_malformed_url_is_named() -> None:
    result = _start("generator", REDIS_URL="not a url")
    assert result.returncode == 2
    assert "REDIS_URL is invalid" in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(("token", "reason"), [("changeme", "placeholder"), ("short", "at least 16 characters")])
def test_gateway_refuses_weak_admin_tokens(token: str, reason: str) -> None:
    result = _start(
        "gateway",
        REDIS_URL="redis://127.0.0.1:1/0",
        DATABASE_URL="postgresql://u@127.0.0.1:1/db",
        PDF_STORAGE_DIR="/tmp/pdfs",
        PROPOS4L_ADMIN_TOKEN=token,
    )
    assert result.returncode == 2
    assert "PROPOS4L_ADMIN_TOKEN is invalid" in result.stderr and reason in result.stderr


def test_unknown_llm_provider_is_refused() -> None:
    result = _start("generator", REDIS_URL="redis://127.0.0.1:1/0", LLM_PROVIDER="gpt")
    assert result.returncode == 2
    assert "LLM_PROVIDER is invalid" in result.stderr


def test_openai_provider_without_base_url_is_refused_by_name() -> None:
    result = _start("generator", REDIS_URL="redis://127.0.0.1:1/0", LLM_PROVIDER="openai")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "propos4l-generator: configuration error: LLM_BASE_URL is required when LLM_PROVIDER=openai"
    )


def _gateway_settings(**environment: str) -> object:
    from propos4l.gateway.settings import GatewaySettings

    base = {
        "redis_url": "redis://127.0.0.1:6379/0",
        "database_url": "postgresql://u:p@127.0.0.1/db",
        "propos4l_admin_token": "an-admin-token-0123456789",
        "webhook_secret_keys": "dW5pdC10ZXN0LWtleS10aGF0LWlzLTMyLWJ5dGVzLi4=",
        "pdf_storage_dir": "/tmp/p",
        "templates_dir": "/tmp/t",
        "library_dir": "/tmp/l",
    }
    return GatewaySettings(**{**base, **environment})


@pytest.mark.parametrize(
    ("value", "origins"),
    [
        ("http://a.example:3000, https://b.example", ("http://a.example:3000", "https://b.example")),
        ('["http://x.example:1"]', ("http://x.example:1",)),
    ],
)
def test_cors_origins_are_read_comma_separated_or_as_json(
    value: str, origins: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", value)
    assert _gateway_settings().cors_allowed_origins == origins  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", ["localhost:3000", "[not json", "http://a.example/path"])
def test_a_malformed_cors_setting_stops_the_gateway_with_one_line(value: str) -> None:
    """It used to stop with a traceback from pydantic-settings' JSON decoding."""
    result = _start(
        "gateway",
        REDIS_URL="redis://127.0.0.1:6379/0",
        DATABASE_URL="postgresql://u:p@127.0.0.1/db",
        PROPOS4L_ADMIN_TOKEN="an-admin-token-0123456789",
        PDF_STORAGE_DIR="/tmp/p",
        TEMPLATES_DIR="/tmp/t",
        LIBRARY_DIR="/tmp/l",
        CORS_ALLOWED_ORIGINS=value,
    )
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("propos4l-gateway: configuration error: CORS_ALLOWED_ORIGINS is invalid")
