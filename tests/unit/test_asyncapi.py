"""The committed AsyncAPI document is the one the event models generate."""

from __future__ import annotations

import json
from pathlib import Path

from propos4l.shared.asyncapi import asyncapi_document
from propos4l.shared.events import EVENT_TYPES

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.json"


def test_committed_asyncapi_document_is_current() -> None:
    committed = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert committed == asyncapi_document(), "regenerate: python -m propos4l.shared.asyncapi > docs/asyncapi.json"


def test_every_event_has_a_channel_a_message_and_a_schema() -> None:
    document = asyncapi_document()
    for cls in EVENT_TYPES.values():
        assert cls.__name__ in document["components"]["messages"]
        assert cls.__name__ in document["components"]["schemas"]
        assert any(channel["address"] == cls.stream.value for channel in document["channels"].values())


def test_every_reference_resolves() -> None:
    document = asyncapi_document()
    text = json.dumps(document)
    for reference in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
        node: object = document
        for key in reference.removeprefix("#/").split("/"):
            assert isinstance(node, dict) and key in node, reference
            node = node[key]
