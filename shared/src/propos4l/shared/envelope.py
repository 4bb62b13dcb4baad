"""The message envelope: how an event is laid out in a Redis stream entry, and read back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TypeVar

from pydantic import ValidationError

from propos4l.shared.events import Event

__all__ = ["Envelope", "EnvelopeError", "decode", "encode", "with_headers"]

E = TypeVar("E", bound=Event)

_HEADER_PREFIX: Final = "h:"
_REQUIRED: Final = (
    "event_id",
    "event_type",
    "schema_version",
    "occurred_at",
    "proposal_id",
    "version",
    "payload",
)  # proposal_id and version are empty for events that concern no proposal (a template change)


class EnvelopeError(ValueError):
    """A stream entry that is not a well-formed Propos4l message, or not the event a consumer expects."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """A decoded stream entry: the metadata every message carries, and its payload still as JSON."""

    event_id: uuid.UUID
    event_type: str
    schema_version: int
    occurred_at: datetime
    proposal_id: uuid.UUID | None
    version: int | None
    payload: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def open(self, event_class: type[E]) -> E:
        """Validate the payload as `event_class`; raise EnvelopeError if it is another event or malformed."""
        if self.event_type != event_class.event_type:
            raise EnvelopeError(f"expected event {event_class.event_type!r}, got {self.event_type!r}")
        if self.schema_version != event_class.schema_version:
            raise EnvelopeError(
                f"{self.event_type} schema version {self.schema_version} is not supported "
                f"(this service reads version {event_class.schema_version})"
            )
        try:
            return event_class.model_validate_json(self.payload)
        except ValidationError as error:
            raise EnvelopeError(f"invalid {self.event_type} payload: {_first_error(error)}") from error


def encode(event: Event, headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """Lay an event out as stream entry fields."""
    fields = {
        "event_id": str(event.event_id),
        "event_type": event.event_type,
        "schema_version": str(event.schema_version),
        "occurred_at": event.occurred_at.isoformat(),
        "proposal_id": str(getattr(event, "proposal_id", "") or ""),
        "version": str(getattr(event, "version", "") or ""),
        "payload": event.model_dump_json(),
    }
    for name, value in (headers or {}).items():
        fields[_HEADER_PREFIX + name] = value
    return fields


def with_headers(fields: Mapping[str, str], headers: Mapping[str, str]) -> dict[str, str]:
    """Stream entry fields (already encoded) with `headers` written over the headers they carry."""
    return {**fields, **{_HEADER_PREFIX + name: value for name, value in headers.items()}}


def decode(fields: Mapping[str, Any]) -> Envelope:
    """Read stream entry fields back into an Envelope; raise EnvelopeError when they are not one."""
    text = {_text(k): _text(v) for k, v in fields.items()}
    missing = [name for name in _REQUIRED if name not in text]
    if missing:
        raise EnvelopeError(f"message lacks {', '.join(missing)}")
    try:
        json.loads(text["payload"])
        return Envelope(
            event_id=uuid.UUID(text["event_id"]),
            event_type=text["event_type"],
            schema_version=int(text["schema_version"]),
            occurred_at=datetime.fromisoformat(text["occurred_at"]),
            proposal_id=uuid.UUID(text["proposal_id"]) if text["proposal_id"] else None,
            version=int(text["version"]) if text["version"] else None,
            payload=text["payload"],
            headers={k[len(_HEADER_PREFIX) :]: v for k, v in text.items() if k.startswith(_HEADER_PREFIX)},
        )
    except ValueError as error:
        raise EnvelopeError(f"malformed message: {error}") from error


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "payload"
    return f"{where}: {first['msg']}"
