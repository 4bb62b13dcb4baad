"""Log records as OpenTelemetry logs: the fields of the JSON lines, the log type, and the current trace context."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from typing import Final

from opentelemetry._logs import Logger, LoggerProvider, SeverityNumber
from opentelemetry.util.types import AnyValue

from propos4l.shared.logs import log_type, redact, structured_fields
from propos4l.shared.telemetry.metrics import count_log_record

__all__ = ["OtlpLogHandler"]

# The exporters' own complaints (a collector that does not answer) must not be exported through that collector.
_SELF_LOGGERS: Final = ("opentelemetry", "urllib3", "requests")


class OtlpLogHandler(logging.Handler):
    """Sends each log record to a logger provider, and counts the records by log type."""

    def __init__(self, provider: LoggerProvider) -> None:
        super().__init__()
        self._provider = provider
        self._loggers: dict[str, Logger] = {}

    def emit(self, record: logging.LogRecord) -> None:
        """Export `record` in the trace context it was logged in."""
        if record.name.startswith(_SELF_LOGGERS):
            return
        try:
            kind = log_type(record)
            attributes: dict[str, AnyValue] = {"log_type": kind, "logger.name": record.name}
            attributes.update(_attribute_values(structured_fields(record)))
            exc_type, exc_value, exc_traceback = record.exc_info or (None, None, None)
            if exc_type is not None:
                attributes["exception.type"] = exc_type.__name__
                attributes["exception.message"] = redact(str(exc_value))
                attributes["exception.stacktrace"] = redact(
                    "".join(traceback.format_exception(exc_type, exc_value, exc_traceback))
                )
            self._logger(record.name).emit(
                timestamp=int(record.created * 1_000_000_000),
                severity_number=_severity(record.levelno),
                severity_text=record.levelname,
                body=redact(record.getMessage()),
                attributes=attributes,
            )
            count_log_record(kind)
        except Exception:
            self.handleError(record)

    def _logger(self, name: str) -> Logger:
        logger = self._loggers.get(name)
        if logger is None:
            logger = self._loggers[name] = self._provider.get_logger(name)
        return logger


def _attribute_values(fields: Mapping[str, object]) -> dict[str, AnyValue]:
    """The fields as attribute values OTLP can carry (text for anything but plain scalars)."""
    values: dict[str, AnyValue] = {}
    for name, value in fields.items():
        if value is None:
            continue
        values[name] = value if isinstance(value, str | bool | int | float) else str(value)
    return values


def _severity(level: int) -> SeverityNumber:
    if level >= logging.CRITICAL:
        return SeverityNumber.FATAL
    if level >= logging.ERROR:
        return SeverityNumber.ERROR
    if level >= logging.WARNING:
        return SeverityNumber.WARN
    if level >= logging.INFO:
        return SeverityNumber.INFO
    return SeverityNumber.DEBUG
