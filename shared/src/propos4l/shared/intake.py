"""The public intake contract: how a producer outside Propos4l asks for a proposal over Redis Streams (ADR 0018).

A producer `XADD`s to its own intake stream, `propos4l.intake.proposal-requested.<producer>` (`producer_streams`; its
Redis user may write there and nowhere else), an entry of plain string fields (no Propos4l envelope):

- `schema_version`: "1"
- `source` (optional): the producer's name; the stream's name is what counts, and an entry that claims another is
  refused. With `idempotency_key` it names the request.
- `idempotency_key`: the producer's id for this request; the same pair always gives the same proposal
- `request`: the body of `POST /api/proposals`, as JSON
- `correlation_id` (optional): echoed on every lifecycle event and rejection about this request
- `callback` (optional): a JSON object of strings, the producer's own metadata, echoed on lifecycle events

The shared stream `propos4l.intake.proposal-requested` (deprecated, read until contract 2) takes the same fields with
`source` required: nothing there says who wrote an entry.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from propos4l.shared.envelope import Envelope
from propos4l.shared.events import FieldError, ProposalRequest
from propos4l.shared.field_errors import field_errors

__all__ = [
    "INTAKE_EVENT_TYPE",
    "IntakeMessage",
    "IntakeRefusal",
    "intake_envelope",
    "intake_fields",
    "read_intake",
]

INTAKE_EVENT_TYPE: Final = "intake.proposal-requested"
_NAMESPACE: Final = uuid.UUID("5f0c6f8e-3b1e-4b64-9d53-4f1f4c2f0a17")
_JSON_FIELDS: Final = ("request", "callback")


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    return text


ProducerName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,99}$")]
ProducerKey = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(_no_nul)]
CallbackValue = Annotated[str, StringConstraints(max_length=1_000), AfterValidator(_no_nul)]


class IntakeMessage(BaseModel):
    """One intake message, its JSON fields decoded: a proposal request from a producer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal["1"] = Field(description="the intake contract's version, as a string field")
    source: ProducerName = Field(
        description="the producer's name, lower case (`crm`, `site-form`); on a producer's own stream, its name "
        "whatever the entry says (an entry that names another is refused)"
    )
    idempotency_key: ProducerKey = Field(description="the producer's id of this request; resending it is safe")
    correlation_id: ProducerKey | None = Field(default=None, description="echoed on every event about this request")
    request: ProposalRequest = Field(description="the body of POST /api/proposals")
    callback: Annotated[dict[ProducerKey, CallbackValue], Field(max_length=20)] | None = Field(
        default=None, description="the producer's own metadata (strings), echoed on lifecycle events"
    )


@dataclass(frozen=True, slots=True)
class IntakeRefusal:
    """Why an intake message was refused, with what could be read of who sent it."""

    detail: str
    errors: tuple[FieldError, ...]
    source: str | None
    idempotency_key: str | None
    correlation_id: str | None


def intake_fields(message: IntakeMessage) -> dict[str, str]:
    """The stream entry fields of `message`, as a producer writes them."""
    fields = {
        "schema_version": message.schema_version,
        "source": message.source,
        "idempotency_key": message.idempotency_key,
        "request": message.request.model_dump_json(exclude_none=True),
    }
    if message.correlation_id is not None:
        fields["correlation_id"] = message.correlation_id
    if message.callback is not None:
        fields["callback"] = json.dumps(message.callback, ensure_ascii=False)
    return fields


def intake_envelope(fields: Mapping[str, Any]) -> Envelope:
    """Wrap an intake entry's raw fields as an envelope, whatever they hold: the handler validates them, so that a
    bad message is answered with a rejection instead of dead-lettered where its producer cannot see it."""
    text = {_text(name): _text(value) for name, value in fields.items()}
    payload = json.dumps(text, ensure_ascii=False, sort_keys=True)
    return Envelope(
        event_id=uuid.uuid5(_NAMESPACE, hashlib.sha256(payload.encode()).hexdigest()),
        event_type=INTAKE_EVENT_TYPE,
        schema_version=1,
        occurred_at=datetime.now(UTC),
        proposal_id=None,
        version=None,
        payload=payload,
    )


def read_intake(payload: str, producer: str | None = None) -> IntakeMessage | IntakeRefusal:
    """The message an intake envelope's payload holds, or why it is refused (errors shaped as the API's 422).

    `producer`: the producer whose stream the entry was read from, which is then its `source` whatever the entry
    says; an entry whose `source` names another is refused (None: the deprecated shared stream, `source` as sent).
    """
    fields: dict[str, Any] = json.loads(payload)
    raw = {name: fields.get(name) for name in ("source", "idempotency_key", "correlation_id")}
    who = {name: value[:200] if isinstance(value, str) else None for name, value in raw.items()}
    errors: list[FieldError] = []
    if producer is not None:
        claimed = fields.get("source")
        who["source"] = producer
        fields["source"] = producer
        if claimed is not None and claimed != producer:
            errors.append(
                FieldError(
                    field="source",
                    message=f"must be {producer!r}, the producer whose stream this is, or left out",
                    type="source_mismatch",
                )
            )
    for name in _JSON_FIELDS:
        if isinstance(fields.get(name), str):
            try:
                fields[name] = json.loads(fields[name])
            except ValueError as error:
                errors.append(FieldError(field=name, message=f"is not valid JSON ({error})", type="json_invalid"))
    if not errors:
        try:
            return IntakeMessage.model_validate(fields)
        except ValidationError as error:
            errors = field_errors(error.errors())
    summary = "; ".join(f"{item.field} {item.message}" for item in errors[:5])
    return IntakeRefusal(f"The intake message is invalid: {summary}.", tuple(errors), **who)


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
