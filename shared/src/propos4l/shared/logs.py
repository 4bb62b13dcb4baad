"""Logs on standard output: JSON for services in containers, short human lines for a person at a terminal.

LOG_FORMAT chooses: `json` (the default) writes one object a line with the structured fields a record carries, the
trace and span ids of the span it was logged in, and a `log_type` (app, access or error) that the collector routes on;
`console` (what `make run` sets) writes `time service level message key=value`. Secrets never reach a log in either:
credentials in text (bearer tokens, passwords in URLs and query strings) and fields named like secrets are replaced by
a marker.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, Literal

from opentelemetry import trace

__all__ = [
    "REDACTED",
    "ConsoleFormatter",
    "JsonFormatter",
    "LogFormat",
    "configure_logging",
    "log_type",
    "redact",
    "structured_fields",
]

REDACTED: Final = "[REDACTED]"

LogFormat = Literal["json", "console"]

# Attributes every LogRecord has; anything else was passed through `extra=` and is a structured field.
_STANDARD: Final = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_DROPPED: Final = frozenset({"color_message"})  # uvicorn's ANSI-coloured duplicate of the message
_SECRET_FIELD: Final = re.compile(r"(?i)(authorization|cookie|password|passwd|secret|api[_-]?key|(?:^|[_-])token)$")
_SECRETS_IN_TEXT: Final = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {REDACTED}"),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@"), rf"\1{REDACTED}@"),
    (re.compile(r"(?i)\b(password|passwd|secret|token|api[_-]?key|access_token)=[^&\s\"']+"), rf"\1={REDACTED}"),
)


def redact(text: str) -> str:
    """`text` with the credentials it may hold replaced by a marker."""
    for pattern, replacement in _SECRETS_IN_TEXT:
        text = pattern.sub(replacement, text)
    return text


def _redacted(name: str, value: Any) -> Any:
    if _SECRET_FIELD.search(name):
        return REDACTED
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {key: _redacted(str(key), item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(name, item) for item in value]
    return value


def structured_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a record was given through `extra=`, with secrets redacted."""
    return {
        name: _redacted(name, value)
        for name, value in vars(record).items()
        if name not in _STANDARD and name not in _DROPPED and not name.startswith("_")
    }


def log_type(record: logging.LogRecord) -> str:
    """The stream a record belongs to (access, error or app): the attribute the collector routes on."""
    if record.levelno >= logging.ERROR:
        return "error"
    return "access" if record.name == "uvicorn.access" else "app"


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message, service, trace ids and extra fields."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        """Render `record` as a JSON line."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "log_type": log_type(record),
        }
        entry.update(structured_fields(record))
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        # Handlers format in the thread and task that logged, so the current span is the one the record belongs to.
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            entry["trace_id"] = trace.format_trace_id(span_context.trace_id)
            entry["span_id"] = trace.format_span_id(span_context.span_id)
        return json.dumps(entry, default=str, ensure_ascii=False)


class ConsoleFormatter(logging.Formatter):
    """Formats a record as one short line for a person: time, service, level, message and the extra fields."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        """Render `record` as `HH:MM:SS service level message key=value ...`, then its traceback if any."""
        moment = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        parts = [moment, f"{self._service:<9}", f"{record.levelname.lower():<7}", redact(record.getMessage())]
        parts += [f"{name}={_console_value(value)}" for name, value in structured_fields(record).items()]
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + redact(self.formatException(record.exc_info))
        return line


def _console_value(value: Any) -> str:
    """A field's value as one word: plain when it is one already, else quoted as JSON."""
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    if text and not any(character.isspace() or character in '"=' for character in text):
        return text
    return json.dumps(text, ensure_ascii=False)


def configure_logging(service: str, level: str = "info", log_format: LogFormat = "json") -> None:
    """Send every log record of the process to stdout, as JSON lines or as console lines for a person."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(ConsoleFormatter(service) if log_format == "console" else JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
