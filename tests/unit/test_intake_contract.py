"""The public intake contract read without servers: what a producer's fields become, and how each fault is worded."""

from __future__ import annotations

import json

from propos4l.shared.intake import IntakeMessage, IntakeRefusal, intake_envelope, intake_fields, read_intake

REQUEST = {"client_name": "Acme", "industry": "Logistics", "requirements": "Track the fleet."}


def fields(**overrides: str) -> dict[str, str]:
    base = {"schema_version": "1", "source": "crm", "idempotency_key": "k-1", "request": json.dumps(REQUEST)}
    return {**base, **overrides}


def read(raw: dict[str, str] | dict[bytes, bytes]) -> IntakeMessage | IntakeRefusal:
    return read_intake(intake_envelope(raw).payload)


def test_a_valid_message_is_read_with_its_request_and_metadata() -> None:
    message = read(fields(correlation_id="deal-1", callback=json.dumps({"deal": "D-1"})))
    assert isinstance(message, IntakeMessage)
    assert message.request.client_name == "Acme" and message.request.template == "default"
    assert (message.source, message.idempotency_key, message.correlation_id) == ("crm", "k-1", "deal-1")
    assert message.callback == {"deal": "D-1"}
    assert read(intake_fields(message)) == message  # what `propos4l intake send` writes reads back the same


def test_raw_bytes_from_redis_are_read_as_text_and_the_envelope_id_is_stable() -> None:
    raw = {key.encode(): value.encode() for key, value in fields().items()}
    assert isinstance(read(raw), IntakeMessage)
    assert intake_envelope(fields()).event_id == intake_envelope(fields()).event_id
    assert intake_envelope(fields()).event_id != intake_envelope(fields(idempotency_key="k-2")).event_id


def test_each_fault_is_named_by_its_field_and_keeps_who_sent_it() -> None:
    refused = read({"source": "crm", "correlation_id": "c-9", "request": "{"})
    assert isinstance(refused, IntakeRefusal)
    assert (refused.source, refused.correlation_id, refused.idempotency_key) == ("crm", "c-9", None)
    assert [(error.field, error.type) for error in refused.errors] == [("request", "json_invalid")]

    refused = read(fields(schema_version="2", source="CRM!", request=json.dumps({**REQUEST, "industry": ""})))
    assert isinstance(refused, IntakeRefusal)
    found = {error.field: error.type for error in refused.errors}
    assert found == {
        "schema_version": "literal_error",
        "source": "string_pattern_mismatch",
        "request.industry": "string_too_short",
    }
    assert refused.detail.startswith("The intake message is invalid: ")

    refused = read({"schema_version": "1", "source": "crm", "request": json.dumps({**REQUEST, "extra": 1})})
    assert isinstance(refused, IntakeRefusal)
    assert {error.field: error.type for error in refused.errors} == {
        "idempotency_key": "missing",
        "request.extra": "extra_forbidden",
    }
    assert next(error for error in refused.errors if error.field == "idempotency_key").message == "is required"
