"""Logs come as JSON lines for collectors or as short console lines for a person, chosen by LOG_FORMAT."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import textwrap

import pytest
from pydantic import ValidationError

from propos4l.shared.logs import REDACTED, ConsoleFormatter
from propos4l.shared.settings import ServiceSettings

REDIS_URL = "redis://localhost:6379/0"


def _record(message: str, *, level: int = logging.INFO, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("propos4l.test", level, __file__, 1, message, None, None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_a_console_line_reads_time_service_level_message_and_fields() -> None:
    record = _record("proposal rendered", proposal_id="abc-123", pages=9, template="Padrão azul")
    line = ConsoleFormatter("renderer").format(record)
    assert re.fullmatch(
        r'\d\d:\d\d:\d\d renderer  info    proposal rendered proposal_id=abc-123 pages=9 template="Padrão azul"', line
    ), line


def test_console_lines_redact_credentials_in_the_message_fields_and_traceback() -> None:
    try:
        raise RuntimeError("login failed for postgresql://u:topsecret@db/x")
    except RuntimeError:
        record = _record("cannot reach redis://:hunter2@redis:6379/0", level=logging.ERROR, admin_token="xyz")
        record.exc_info = sys.exc_info()
    text = ConsoleFormatter("gateway").format(record)
    assert "hunter2" not in text and "topsecret" not in text and "xyz" not in text
    assert f"admin_token={REDACTED}" in text
    assert "error" in text.splitlines()[0] and "Traceback (most recent call last)" in text


_LOGGING_PROCESS = textwrap.dedent(
    """
    import logging, sys
    from propos4l.shared.logs import configure_logging
    from propos4l.shared.settings import ServiceSettings

    settings = ServiceSettings()
    configure_logging("generator", settings.log_level, settings.log_format)
    logging.getLogger("propos4l.generator").info("draft finished", extra={"proposal_id": "p-1", "seconds": 1.5})
    """
)


def _log_line(log_format: str | None) -> str:
    env = {"REDIS_URL": REDIS_URL, "PATH": "/usr/bin:/bin"}
    if log_format is not None:
        env["LOG_FORMAT"] = log_format
    result = subprocess.run(
        [sys.executable, "-c", _LOGGING_PROCESS], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    (line,) = result.stdout.splitlines()
    return line


def test_services_log_json_unless_told_otherwise() -> None:
    entry = json.loads(_log_line(None))
    assert entry["service"] == "generator" and entry["message"] == "draft finished"
    assert entry["proposal_id"] == "p-1" and entry["seconds"] == 1.5


@pytest.mark.parametrize("value", ["console", "CONSOLE"])
def test_log_format_console_gives_a_line_a_person_reads(value: str) -> None:
    line = _log_line(value)
    assert not line.startswith("{")
    assert re.fullmatch(r"\d\d:\d\d:\d\d generator info    draft finished proposal_id=p-1 seconds=1.5", line), line


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValidationError, match="log_format"):
        ServiceSettings(redis_url=REDIS_URL, log_format="xml")  # type: ignore[arg-type]
