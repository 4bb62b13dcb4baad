"""The AsyncAPI 3.0 document of Propos4l's events, generated from the pydantic models so it cannot drift.

`python -m propos4l.shared.asyncapi > docs/asyncapi.json` writes it; a test checks the committed copy is current.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import models_json_schema

from propos4l.shared.events import EVENT_TYPES
from propos4l.shared.streams import CONSUMERS, Stream

__all__ = ["asyncapi_document"]

_PRODUCERS: dict[Stream, str] = {
    Stream.PROPOSAL_REQUESTED: "gateway",
    Stream.GENERATION_STARTED: "generator",
    Stream.PROPOSAL_PROGRESSED: "generator",
    Stream.SECTION_REGENERATION_REQUESTED: "gateway",
    Stream.PROPOSAL_DRAFTED: "generator (the gateway for a section edited by hand)",
    Stream.PROPOSAL_RENDERED: "renderer",
    Stream.PROPOSAL_FAILED: "generator, renderer",
    Stream.TEMPLATE_CHANGED: "gateway",
    Stream.LIBRARY_ENTRY_CHANGED: "gateway",
    Stream.LIBRARY_DOCUMENT_UPLOADED: "gateway",
    Stream.LIBRARY_DOCUMENT_INDEXED: "library",
    Stream.LIBRARY_DOCUMENT_FAILED: "library",
    Stream.PROPOSAL_DOCUMENT_UPLOADED: "gateway",
    Stream.PROPOSAL_DOCUMENT_PROGRESSED: "library",
    Stream.PROPOSAL_DOCUMENT_READ: "library",
    Stream.PROPOSAL_DOCUMENT_FAILED: "library",
}
_ENVELOPE = {
    "type": "object",
    "description": "Stream entry fields. `payload` holds the event as JSON; `h:<name>` fields carry headers "
    "such as W3C trace context.",
    "required": ["event_id", "event_type", "schema_version", "occurred_at", "proposal_id", "version", "payload"],
    "properties": {
        "event_id": {"type": "string", "format": "uuid"},
        "event_type": {"type": "string"},
        "schema_version": {"type": "string", "pattern": "^[0-9]+$"},
        "occurred_at": {"type": "string", "format": "date-time"},
        "proposal_id": {"type": "string", "description": "correlation id (a UUID); empty when no proposal"},
        "version": {"type": "string", "pattern": "^[0-9]*$"},
        "payload": {"type": "string", "contentMediaType": "application/json"},
    },
    "additionalProperties": {"type": "string"},
}


def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI document, as data."""
    classes = list(EVENT_TYPES.values())
    _, definitions = models_json_schema(
        [(cls, "validation") for cls in classes], ref_template="#/components/schemas/{model}"
    )
    schemas: dict[str, Any] = {"StreamEntry": _ENVELOPE, **definitions.get("$defs", {})}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for cls in classes:
        name = cls.__name__
        messages[name] = {
            "name": cls.event_type,
            "title": name,
            "summary": (cls.__doc__ or "").strip().splitlines()[0],
            "contentType": "application/json",
            "headers": {"$ref": "#/components/schemas/StreamEntry"},
            "payload": {"$ref": f"#/components/schemas/{name}"},
            "x-schema-version": cls.schema_version,
        }
        channel = cls.stream.name.lower()
        channels[channel] = {
            "address": cls.stream.value,
            "description": f"Redis stream. Written by the {_PRODUCERS[cls.stream]}; read by the consumer groups "
            + ", ".join(group.value for group in CONSUMERS[cls.stream])
            + ". Each group's dead letters go to `<stream>.dead.<group>`.",
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        operations[f"publish{name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"}],
        }
        for group in CONSUMERS[cls.stream]:
            operations[f"{group.value}Receives{name}"] = {
                "action": "receive",
                "channel": {"$ref": f"#/channels/{channel}"},
                "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"}],
                "bindings": {"redis": {"consumerGroup": group.value}},
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Propos4l events",
            "version": "1.0.0",
            "description": "Events the Propos4l services exchange over Redis Streams, delivered at least once. "
            "Consumers are idempotent by event id; ids of events caused by another event are derived from it.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


if __name__ == "__main__":
    print(json.dumps(asyncapi_document(), indent=2, ensure_ascii=False, sort_keys=False))
