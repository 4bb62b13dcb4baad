"""JSON schemas as model servers take them: strict for OpenAI's structured outputs, small for grammar engines.

llama.cpp (and Ollama, which uses its converter) compiles a schema into a grammar; a length or count bound becomes
one rule per allowed repetition, so `maxLength: 40000` on ten strings compiles into megabytes and crashes the
server. The bounds stay in our own validation (pydantic), and the schema sent to a model carries only the shape.
"""

from __future__ import annotations

import copy
from typing import Any, Final

__all__ = ["model_schema", "strict_json_schema"]

_SCHEMA_MAPS: Final = ("properties", "$defs", "definitions", "patternProperties")
_SCHEMA_LISTS: Final = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_SINGLES: Final = ("items", "additionalProperties", "not", "if", "then", "else", "contains")
_MAX_DEPTH: Final = 64
# Bounds a grammar engine expands into repetitions, or that it cannot express at all; our validation checks them.
_BOUNDS: Final = frozenset(
    {
        "maxLength",
        "minLength",
        "maxItems",
        "minItems",
        "maximum",
        "minimum",
        "exclusiveMaximum",
        "exclusiveMinimum",
        "multipleOf",
        "pattern",
        "format",
        "uniqueItems",
    }
)
# Names of properties, which look like keywords but are data (a property called "format" must stay).
_PROPERTY_NAME_MAPS: Final = frozenset({"properties", "patternProperties", "$defs", "definitions"})


def model_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of `schema` with only its shape: no length, count, range or pattern bounds, no titles."""
    shaped = copy.deepcopy(schema)
    _unbound(shaped)
    return shaped


def _unbound(node: object, depth: int = 0) -> None:
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, list):
        for item in node:
            _unbound(item, depth + 1)
        return
    if not isinstance(node, dict):
        return
    for keyword in _BOUNDS | {"title"}:
        node.pop(keyword, None)
    for key, value in node.items():
        if key in _PROPERTY_NAME_MAPS and isinstance(value, dict):
            for child in value.values():
                _unbound(child, depth + 1)
        elif key in (*_SCHEMA_LISTS, *_SCHEMA_SINGLES):
            _unbound(value, depth + 1)


def strict_json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of `schema` fit for strict structured output: closed objects, every property required."""
    strict = copy.deepcopy(schema)
    _make_strict(strict, strict)
    return strict


def _make_strict(node: object, root: dict[str, Any], depth: int = 0) -> None:
    if depth > _MAX_DEPTH:
        return
    if isinstance(node, list):
        for item in node:
            _make_strict(item, root, depth + 1)
        return
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and len(node) > 1:
        # Strict servers refuse keywords beside a $ref: inline what it points to, the siblings winning.
        target = _pointer(root, ref)
        if isinstance(target, dict):
            del node["$ref"]
            for key, value in copy.deepcopy(target).items():
                node.setdefault(key, value)
    all_of = node.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
        # Older pydantic wraps a described $ref in a one-item allOf, which strict servers refuse.
        del node["allOf"]
        for key, value in all_of[0].items():
            node.setdefault(key, value)
        _make_strict(node, root, depth + 1)
        return
    if "default" in node and node["default"] is None:
        del node["default"]
    for key in _SCHEMA_MAPS:
        children = node.get(key)
        if isinstance(children, dict):
            for child in children.values():
                _make_strict(child, root, depth + 1)
    for key in (*_SCHEMA_LISTS, *_SCHEMA_SINGLES):
        _make_strict(node.get(key), root, depth + 1)
    properties = node.get("properties")
    if node.get("type") == "object" or isinstance(properties, dict):
        if isinstance(properties, dict):
            node["required"] = list(properties)
        # An object that is a map (additionalProperties is a schema) stays one: closing it would empty it.
        if not isinstance(node.get("additionalProperties"), dict):
            node["additionalProperties"] = False


def _pointer(root: dict[str, Any], ref: str) -> object:
    if not ref.startswith("#/"):
        return None
    node: object = root
    for raw in ref[2:].split("/"):
        key = raw.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node
