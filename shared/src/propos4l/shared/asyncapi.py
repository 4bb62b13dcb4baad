"""The AsyncAPI 3.0 document of Propos4l's events, generated from the pydantic models so it cannot drift.

`python -m propos4l.shared.asyncapi > docs/asyncapi.json` writes it; a test checks the committed copy is current.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic.json_schema import models_json_schema

from propos4l.shared.events import EVENT_TYPES
from propos4l.shared.intake import INTAKE_EVENT_TYPE, IntakeMessage
from propos4l.shared.streams import CONSUMERS, PUBLIC_STREAMS, Stream, producer_streams

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
    Stream.PROPOSAL_REQUIREMENTS_FOUND: "gateway",
    Stream.PROPOSAL_REQUIREMENTS_REVIEWED: "generator",
    Stream.INTAKE_PROPOSAL_REQUESTED: "outside producers (Redis ACL users)",
    Stream.INTAKE_REJECTED: "gateway",
    Stream.PROPOSAL_LIFECYCLE: "gateway",
}
_PUBLIC_TAG: dict[str, str] = {
    "name": "public",
    "description": "A contract with systems outside Propos4l: versioned and kept compatible (docs/adr/0018). The "
    "other channels are internal and may change.",
}
_INTAKE_ENTRY = {
    "type": "object",
    "description": "Stream entry fields as a producer writes them with XADD: plain strings, no envelope. "
    "`request` is the body of POST /api/proposals as JSON; `callback` a JSON object of strings.",
    "required": ["schema_version", "source", "idempotency_key", "request"],
    "properties": {
        "schema_version": {"const": "1"},
        "source": {
            "type": "string",
            "pattern": "^[a-z0-9][a-z0-9._-]{0,99}$",
            "description": "on a producer's own stream: optional, and refused unless it is the stream's producer",
        },
        "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 200},
        "correlation_id": {"type": "string", "minLength": 1, "maxLength": 200},
        "request": {"type": "string", "contentMediaType": "application/json"},
        "callback": {"type": "string", "contentMediaType": "application/json"},
    },
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
        [(cls, "validation") for cls in classes] + [(IntakeMessage, "validation")],
        ref_template="#/components/schemas/{model}",
    )
    schemas: dict[str, Any] = {
        "StreamEntry": _ENVELOPE,
        "IntakeStreamEntry": _INTAKE_ENTRY,
        "ProducerIntakeStreamEntry": {
            **_INTAKE_ENTRY,
            "required": ["schema_version", "idempotency_key", "request"],
            "description": "Stream entry fields on a producer's own intake stream: as IntakeStreamEntry, with "
            "`source` optional (the stream's producer is the source).",
        },
        **definitions.get("$defs", {}),
    }
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
        groups = ", ".join(group.value for group in CONSUMERS[cls.stream])
        channels[channel] = {
            "address": cls.stream.value,
            "description": f"Redis stream. Written by the {_PRODUCERS[cls.stream]}; "
            + (f"read by the consumer groups {groups}. " if groups else "read by outside consumers only. ")
            + "Each group's dead letters go to `<stream>.dead.<group>`.",
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
        }
        if cls.stream in PUBLIC_STREAMS:
            channels[channel]["tags"] = [_PUBLIC_TAG]
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
    _add_intake(channels, operations, messages)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Propos4l events",
            "version": "1.1.0",
            "description": "Events the Propos4l services exchange over Redis Streams, delivered at least once. "
            "Consumers are idempotent by event id; ids of events caused by another event are derived from it. "
            "The channels tagged `public` are the contract with outside systems (intake, rejections, lifecycle); "
            "the rest are internal. 1.1.0: each producer has its own intake, rejections and lifecycle streams "
            "(`{producer}` channels), the only ones its Redis user may use; the shared intake stream is deprecated.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas, "messages": messages},
    }


def _add_intake(channels: dict[str, Any], operations: dict[str, Any], messages: dict[str, Any]) -> None:
    """The public intake channel: producers write plain fields (IntakeMessage), not Propos4l envelopes."""
    stream = Stream.INTAKE_PROPOSAL_REQUESTED
    messages["IntakeMessage"] = {
        "name": INTAKE_EVENT_TYPE,
        "title": "IntakeMessage",
        "summary": (IntakeMessage.__doc__ or "").strip().splitlines()[0],
        "contentType": "application/json",
        "headers": {"$ref": "#/components/schemas/IntakeStreamEntry"},
        "payload": {"$ref": "#/components/schemas/IntakeMessage"},
        "x-schema-version": 1,
    }
    channel = stream.name.lower()
    channels[channel] = {
        "address": stream.value,
        "description": f"Redis stream. Written by {_PRODUCERS[stream]}; read by the consumer group "
        + ", ".join(group.value for group in CONSUMERS[stream])
        + ". Deprecated (read until intake contract 2): nothing says who wrote an entry, so `source` is taken as "
        "sent; producers write to their own stream instead. A refused message is answered on "
        "propos4l.intake.rejected; see docs/integrations.md.",
        "messages": {"IntakeMessage": {"$ref": "#/components/messages/IntakeMessage"}},
        "tags": [_PUBLIC_TAG],
    }
    operations["producerSendsIntakeMessageToTheSharedStream"] = {
        "action": "send",
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [{"$ref": f"#/channels/{channel}/messages/IntakeMessage"}],
    }
    for group in CONSUMERS[stream]:
        operations[f"{group.value}ReceivesIntakeMessage"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/IntakeMessage"}],
            "bindings": {"redis": {"consumerGroup": group.value}},
        }
    _add_producer_channels(channels, operations, messages)


def _add_producer_channels(channels: dict[str, Any], operations: dict[str, Any], messages: dict[str, Any]) -> None:
    """Each producer's own streams (`producer_streams`): its Redis user may XADD to the first and read the others."""
    example = producer_streams("crm")
    producer = {
        "description": "the producer's name (its Redis user is producer-<name>): 1 to 63 of a-z, 0-9, '-', '_'",
        "examples": ["crm"],
    }
    messages["ProducerIntakeMessage"] = {
        **messages["IntakeMessage"],
        "title": "ProducerIntakeMessage",
        "headers": {"$ref": "#/components/schemas/ProducerIntakeStreamEntry"},
    }
    own = [
        (
            "producer_intake_proposal_requested",
            example.intake.replace("crm", "{producer}"),
            "ProducerIntakeMessage",
            "Redis stream. Written by one producer (its Redis user may XADD here and nowhere else); read by the "
            "consumer group gateway, which takes the producer from the stream's name as the request's `source`. "
            "A refused message is answered on the producer's rejections stream.",
        ),
        (
            "producer_intake_rejected",
            example.rejected.replace("crm", "{producer}"),
            "IntakeRejected",
            "Redis stream. Written by the gateway: the producer's refused messages; read by that producer only.",
        ),
        (
            "producer_proposal_lifecycle",
            example.lifecycle.replace("crm", "{producer}"),
            "ProposalLifecycleChanged",
            "Redis stream. Written by the gateway: the lifecycle events of the proposals the producer asked for (the "
            "same events, with the same ids, as on propos4l.proposal.lifecycle); read by that producer only.",
        ),
    ]
    for channel, address, message, description in own:
        channels[channel] = {
            "address": address,
            "parameters": {"producer": producer},
            "description": description,
            "messages": {message: {"$ref": f"#/components/messages/{message}"}},
            "tags": [_PUBLIC_TAG],
        }
    operations["producerSendsIntakeMessage"] = {
        "action": "send",
        "channel": {"$ref": "#/channels/producer_intake_proposal_requested"},
        "messages": [{"$ref": "#/channels/producer_intake_proposal_requested/messages/ProducerIntakeMessage"}],
    }
    operations["gatewayReceivesProducerIntakeMessage"] = {
        "action": "receive",
        "channel": {"$ref": "#/channels/producer_intake_proposal_requested"},
        "messages": [{"$ref": "#/channels/producer_intake_proposal_requested/messages/ProducerIntakeMessage"}],
        "bindings": {"redis": {"consumerGroup": "gateway"}},
    }
    for channel, message in (
        ("producer_intake_rejected", "IntakeRejected"),
        ("producer_proposal_lifecycle", "ProposalLifecycleChanged"),
    ):
        operations[f"publish{message}ToItsProducer"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{message}"}],
        }


if __name__ == "__main__":
    print(json.dumps(asyncapi_document(), indent=2, ensure_ascii=False, sort_keys=False))
