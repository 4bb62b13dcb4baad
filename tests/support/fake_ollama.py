"""Protocol-faithful fake of Ollama's HTTP API (Starlette + uvicorn), scriptable from tests.

With ``flavour="llama-cpp-python"`` the /v1 API behaves as llama-cpp-python 0.3's server was seen to (see
``Flavour``).  Endpoints served like Ollama 0.12: ``GET /``, ``GET /api/version``, ``GET /api/tags``,
``POST /api/pull`` and ``POST /api/chat`` (NDJSON streaming by default, ``format`` as
``"json"`` or a JSON schema).  Ollama's OpenAI-compatible API too: ``GET /v1/models``,
``GET /v1/models/{model}`` and ``POST /v1/chat/completions`` (Server-Sent Events when ``stream``
is true, ``response_format`` as ``json_object`` or ``json_schema``, usage on request), guarded
by an optional API key as vLLM's ``--api-key`` guards ``/v1``.  Test control lives under
``/_fake/*`` so that a fake running as a separate process (``python -m tests.support.fake_ollama``)
can be scripted over HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import hashlib
import http.client
import json
import logging
import math
import re
import signal
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType
from typing import Any, Literal, get_args

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

__all__ = [
    "DEFAULT_MODEL",
    "MARKER",
    "OLLAMA_VERSION",
    "Behaviour",
    "BehaviourKind",
    "FakeConfig",
    "FakeOllama",
    "Flavour",
    "RecordedRequest",
    "client_name",
    "fake_answer",
    "injected",
    "main",
]

OLLAMA_VERSION = "0.12.6"
DEFAULT_MODEL = "qwen2.5:7b"
MARKER = "fake-ollama draft of"

JsonObject = dict[str, Any]
BehaviourKind = Literal[
    "ok",
    "http_error",
    "error_line",
    "bad_json",
    "schema_violation",
    "slow",
    "hang",
    "disconnect",
    "cut",
    "length",
    "pull_error",
]
Flavour = Literal["ollama", "llama-cpp-python"]
"""Whose OpenAI-compatible API the /v1 routes imitate.

``llama-cpp-python`` is what its 0.3.36 server does, seen against the real one: ``response_format`` takes only
``text`` or ``json_object`` (with an optional ``schema`` it turns into a grammar) and any other kind is a 500 whose
message quotes a traceback with the server's file paths; streams carry no usage (``stream_options`` is ignored);
JSON strings come with raw newlines inside; and any other request that arrives while an answer streams
(``interrupt_requests``, on by default; even ``GET /v1/models``) cuts that answer: ``[DONE]`` with no finish reason.
"""
_FLAVOURS: frozenset[str] = frozenset(get_args(Flavour))
AnswerVariant = Literal["ok", "bad_json", "schema_violation"]

_KINDS: frozenset[str] = frozenset(get_args(BehaviourKind))
# Fields a model fills with a few words, bound or not (a line's description, a phase's name and duration).
_SHORT_TEXT_FIELDS: frozenset[str] = frozenset(
    {"description", "name", "duration", "title", "label", "role", "phase", "project_role"}
)
_JSON_MEDIA = "application/json; charset=utf-8"
_NDJSON_MEDIA = "application/x-ndjson"
_SSE_MEDIA = "text/event-stream"
_CHAT_QUEUE = "/api/chat"
_CLIENT_LINE = re.compile(r"^[ \t]*CLIENT:[ \t]*(?P<name>.+?)[ \t]*$", re.MULTILINE)
_ZERO_DURATION = re.compile(r"^0+(\.0+)?(ns|us|µs|ms|s|m|h)?$")
_MAX_DEPTH = 6
_BLOCK = re.compile(r"<<<(?:PASSAGE|PERSON|ROLE|REQUIREMENT)\b.*?<<<END>>>", re.DOTALL)
_INJECTION = re.compile(r"ignore (?:all )?previous instructions", re.IGNORECASE)
_LOAD_NS = 20_000_000
_PROMPT_NS_PER_TOKEN = 400_000
_EVAL_NS_PER_TOKEN = 20_000_000


# --------------------------------------------------------------------------- public value types


@dataclass(frozen=True)
class Behaviour:
    """One scripted reaction; ``pull_error`` is consumed by /api/pull, every other kind by the chat calls.

    /api/chat and /v1/chat/completions share one queue, in the order the calls arrive.
    """

    kind: BehaviourKind = "ok"
    status: int = 500
    message: str = ""
    after_chunks: int = 0
    first_byte_delay_s: float = 0.0

    @classmethod
    def ok(cls) -> Behaviour:
        """Answer normally."""
        return cls("ok")

    @classmethod
    def http_error(cls, status: int = 500, message: str = "internal server error") -> Behaviour:
        """Reply at once with HTTP ``status`` and ``{"error": message}``."""
        return cls("http_error", status=status, message=message)

    @classmethod
    def error_line(
        cls, after_chunks: int = 1, message: str = "an error was encountered while running the model"
    ) -> Behaviour:
        """Stream ``after_chunks`` chunks, then an ``{"error": message}`` line (non-stream: HTTP 500)."""
        return cls("error_line", message=message, after_chunks=after_chunks)

    @classmethod
    def bad_json(cls) -> Behaviour:
        """Answer with content that is not valid JSON."""
        return cls("bad_json")

    @classmethod
    def schema_violation(cls) -> Behaviour:
        """Answer with valid JSON that misses required keys of the requested schema."""
        return cls("schema_violation")

    @classmethod
    def slow(cls, first_byte_delay_s: float) -> Behaviour:
        """Wait ``first_byte_delay_s`` seconds before sending anything, then answer normally."""
        return cls("slow", first_byte_delay_s=first_byte_delay_s)

    @classmethod
    def hang(cls) -> Behaviour:
        """Never answer; holds its parallel slot until the client disconnects or the fake stops."""
        return cls("hang")

    @classmethod
    def disconnect(cls, after_chunks: int = 2) -> Behaviour:
        """Close the TCP connection after ``after_chunks`` chunks (non-stream: after half the body)."""
        return cls("disconnect", after_chunks=after_chunks)

    @classmethod
    def cut(cls, after_chunks: int = 2) -> Behaviour:
        """End the stream cleanly after ``after_chunks`` chunks, without saying it is finished.

        /v1: ``data: [DONE]`` with no finish reason (llama-cpp-python's server when another request interrupts);
        /api/chat: the stream ends without its done line.
        """
        return cls("cut", after_chunks=after_chunks)

    @classmethod
    def length(cls) -> Behaviour:
        """Stop half-way as if at the token limit: finish reason ``length`` (/v1) or ``done_reason`` ``length``."""
        return cls("length")

    @classmethod
    def pull_error(cls, message: str = "pull model manifest: file does not exist") -> Behaviour:
        """Make the next /api/pull fail with ``message``."""
        return cls("pull_error", message=message)

    @property
    def endpoint(self) -> str:
        """Path of the endpoint whose calls consume this behaviour."""
        return "/api/pull" if self.kind == "pull_error" else "/api/chat"

    def to_json(self) -> JsonObject:
        """Control-API form, e.g. ``{"kind": "http_error", "status": 500, "message": "boom"}``."""
        data: JsonObject = {"kind": self.kind}
        if self.kind == "http_error":
            data["status"] = self.status
        if self.kind in ("http_error", "error_line", "pull_error"):
            data["message"] = self.message
        if self.kind in ("error_line", "disconnect"):
            data["after_chunks"] = self.after_chunks
        if self.kind == "slow":
            data["first_byte_delay_s"] = self.first_byte_delay_s
        return data

    @classmethod
    def from_json(cls, data: object) -> Behaviour:
        """Parse the control-API form; raises ``ValueError`` on anything unexpected."""
        if not isinstance(data, dict):
            raise ValueError("a behaviour must be a JSON object")
        kind = data.get("kind")
        if not isinstance(kind, str) or kind not in _KINDS:
            raise ValueError(f"unknown behaviour kind {kind!r}; expected one of {sorted(_KINDS)}")
        unknown = set(data) - {"kind", "status", "message", "after_chunks", "first_byte_delay_s"}
        if unknown:
            raise ValueError(f"unknown behaviour fields {sorted(unknown)}")
        base = _DEFAULT_BEHAVIOURS[kind]
        status = data.get("status", base.status)
        message = data.get("message", base.message)
        after = data.get("after_chunks", base.after_chunks)
        delay = data.get("first_byte_delay_s", base.first_byte_delay_s)
        if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
            raise ValueError("status must be an HTTP status code")
        if not isinstance(message, str):
            raise ValueError("message must be a string")
        if not isinstance(after, int) or isinstance(after, bool) or after < 0:
            raise ValueError("after_chunks must be a non-negative integer")
        if not isinstance(delay, int | float) or isinstance(delay, bool) or delay < 0:
            raise ValueError("first_byte_delay_s must be a non-negative number")
        return dataclasses.replace(
            base, status=status, message=message, after_chunks=after, first_byte_delay_s=float(delay)
        )


_DEFAULT_BEHAVIOURS: dict[str, Behaviour] = {
    "ok": Behaviour.ok(),
    "http_error": Behaviour.http_error(),
    "error_line": Behaviour.error_line(),
    "bad_json": Behaviour.bad_json(),
    "schema_violation": Behaviour.schema_violation(),
    "slow": Behaviour.slow(1.0),
    "hang": Behaviour.hang(),
    "disconnect": Behaviour.disconnect(),
    "cut": Behaviour.cut(),
    "length": Behaviour.length(),
    "pull_error": Behaviour.pull_error(),
}


@dataclass(frozen=True)
class FakeConfig:
    """Global knobs: served models, stream chunk delay, latency, parallelism, and the key /v1 calls need.

    ``tokens_per_second`` (0: off) gives every answer a fixed speed per parallel slot, as a model server decodes at
    about the same rate in each slot: an answer of N tokens takes N / tokens_per_second seconds, streamed in pieces
    of a few tokens (``chunk_delay`` adds to it). ``prose_words`` (0: the short default) makes each free-text
    field about that many words, as a model writes a section. ``obey_injections`` makes the fake a gullible model:
    "ignore previous instructions" anywhere in the prompt outside a ``<<<PASSAGE ...>>> ... <<<END>>>`` (or
    PERSON/ROLE) block is obeyed, and every string it writes then starts with ``PWNED``.
    """

    models: tuple[str, ...] = (DEFAULT_MODEL,)
    chunk_delay: float = 0.0
    latency: float = 0.0
    parallel: int = 1
    api_key: str | None = None
    flavour: Flavour = "ollama"
    tokens_per_second: float = 0.0
    prose_words: int = 0
    obey_injections: bool = False

    def to_json(self) -> JsonObject:
        """Control-API form (``api_key`` only when one is required)."""
        data: JsonObject = {
            "models": list(self.models),
            "chunk_delay": self.chunk_delay,
            "latency": self.latency,
            "parallel": self.parallel,
            "flavour": self.flavour,
        }
        if self.api_key is not None:
            data["api_key"] = self.api_key
        # Shown when set, so that a config without them reads as it always did.
        if self.tokens_per_second:
            data["tokens_per_second"] = self.tokens_per_second
        if self.prose_words:
            data["prose_words"] = self.prose_words
        if self.obey_injections:
            data["obey_injections"] = True
        return data

    def updated(self, changes: Mapping[str, object]) -> FakeConfig:
        """Return a validated copy with ``changes`` applied; raises ``ValueError``."""
        known = {"models", "chunk_delay", "latency", "parallel", "api_key", "flavour"}
        unknown = set(changes) - known - {"tokens_per_second", "prose_words", "obey_injections"}
        if unknown:
            raise ValueError(f"unknown config fields {sorted(unknown)}")
        models = changes.get("models", self.models)
        chunk_delay = changes.get("chunk_delay", self.chunk_delay)
        latency = changes.get("latency", self.latency)
        parallel = changes.get("parallel", self.parallel)
        if isinstance(models, str) or not isinstance(models, Iterable):
            raise ValueError("models must be a list of model names")
        names = tuple(models)
        if not all(isinstance(name, str) and name.strip() for name in names):
            raise ValueError("models must be non-empty strings")
        for key, value in (("chunk_delay", chunk_delay), ("latency", latency)):
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{key} must be a non-negative number")
        if not isinstance(parallel, int) or isinstance(parallel, bool) or parallel < 1:
            raise ValueError("parallel must be a positive integer")
        api_key = changes.get("api_key", self.api_key)
        if api_key is not None and not isinstance(api_key, str):
            raise ValueError("api_key must be a string, or null (or empty) to require none")
        flavour = changes.get("flavour", self.flavour)
        if flavour not in _FLAVOURS:
            raise ValueError(f"flavour must be one of {sorted(_FLAVOURS)}")
        assert isinstance(chunk_delay, int | float) and isinstance(latency, int | float)
        speed = changes.get("tokens_per_second", self.tokens_per_second)
        if not isinstance(speed, int | float) or isinstance(speed, bool) or speed < 0:
            raise ValueError("tokens_per_second must be a non-negative number")
        prose_words = changes.get("prose_words", self.prose_words)
        if not isinstance(prose_words, int) or isinstance(prose_words, bool) or prose_words < 0:
            raise ValueError("prose_words must be a non-negative integer")
        obey = changes.get("obey_injections", self.obey_injections)
        if not isinstance(obey, bool):
            raise ValueError("obey_injections must be a boolean")
        return FakeConfig(
            tokens_per_second=float(speed),
            prose_words=prose_words,
            obey_injections=obey,
            flavour=flavour,  # type: ignore[arg-type]
            models=tuple(str(name) for name in names),
            chunk_delay=float(chunk_delay),
            latency=float(latency),
            parallel=parallel,
            api_key=api_key or None,
        )


@dataclass
class RecordedRequest:
    """One request seen by the fake; times are ``time.monotonic()`` seconds of the fake's process."""

    method: str
    path: str
    body: Any
    headers: dict[str, str]
    received_at: float
    started_at: float | None = None
    finished_at: float | None = None
    status: int | None = None
    behaviour: str | None = None

    def to_json(self) -> JsonObject:
        """Control-API form."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecordedRequest:
        """Rebuild from the control-API form (``GET /_fake/requests``)."""
        values: dict[str, Any] = {f.name: data.get(f.name) for f in dataclasses.fields(cls)}
        return cls(**values)


# --------------------------------------------------------------------------- answers


def client_name(messages: Sequence[Mapping[str, object]]) -> str | None:
    """Name from a ``CLIENT: <name>`` line in the last user message, if any."""
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            match = _CLIENT_LINE.search(content) if isinstance(content, str) else None
            return match.group("name") if match else None
    return None


def injected(messages: Sequence[Mapping[str, object]]) -> bool:
    """Whether the prompt says "ignore previous instructions" outside every delimited library block.

    A block runs from its ``<<<PASSAGE``/``<<<PERSON``/``<<<ROLE``/``<<<REQUIREMENT`` header to the first
    ``<<<END>>>`` after it, as a model reads it: a passage that carries its own ``<<<END>>>`` would close its block
    early and speak as the prompt.
    """
    for message in messages:
        content = message.get("content")
        if isinstance(content, str) and _INJECTION.search(_BLOCK.sub(" ", content)):
            return True
    return False


def fake_answer(
    fmt: object,
    messages: Sequence[Mapping[str, object]],
    variant: AnswerVariant = "ok",
    *,
    prose_words: int = 0,
    obey_injections: bool = False,
) -> str:
    """Deterministic assistant content for a chat request (what ``/api/chat`` would return)."""
    client = client_name(messages)
    text: str
    pwned = obey_injections and injected(messages)
    prompted = _prompted_schema(messages) if fmt is None else None
    if prompted is not None:
        # A schema given only in the prompt: followed, as models often do, inside a Markdown code fence.
        document = _SchemaFaker(prompted, client, prose_words=prose_words, pwned=pwned).value(prompted, "answer")
        return "```json\n" + json.dumps(document, ensure_ascii=False, indent=2) + "\n```"
    if isinstance(fmt, dict):
        faker = _SchemaFaker(fmt, client, prose_words=prose_words, pwned=pwned)
        document = faker.value(fmt, str(fmt.get("title") or "answer"))
        if variant == "schema_violation":
            document = faker.violate(fmt, document)
        text = json.dumps(document, ensure_ascii=False)
    elif fmt == "json":
        text = json.dumps(
            {"answer": _sentence("answer", client)}
            if variant != "schema_violation"
            else ["fake-ollama schema violation"],
            ensure_ascii=False,
        )
    else:
        text = _prose("reply", None, client)
    if variant == "bad_json":
        text = "Sure! Here is the JSON you asked for:\n" + text[: max(1, len(text) // 2)]
    return text


def _prompted_schema(messages: Sequence[Mapping[str, object]]) -> JsonObject | None:
    """The JSON schema a system message carries after a ``JSON schema:`` line, if any."""
    for message in messages:
        content = message.get("content")
        if message.get("role") != "system" or not isinstance(content, str) or "JSON schema:\n" not in content:
            continue
        with contextlib.suppress(ValueError):
            schema = json.loads(content.rsplit("JSON schema:\n", 1)[1])
            if isinstance(schema, dict):
                return schema
    return None


def _sentence(name: str, client: str | None) -> str:
    """One-sentence placeholder for ``name``."""
    return f"{MARKER} {name} for {client or 'the client'}."


def _prose(name: str, title: str | None, client: str | None) -> str:
    """Markdown-ish placeholder: two sentences and a short bullet list mentioning ``name``."""
    who = client or "the client"
    label = (title or name.replace("_", " ")).strip().lower() or name
    return (
        f"{MARKER} {name} for {who}. "
        f"This {label} sets out a pragmatic, phased approach that keeps {who} in control of scope, "
        "cost and timing.\n"
        "\n"
        f"- **Goal:** a {label} agreed with {who}\n"
        "- **Approach:** short iterations with visible milestones\n"
        "- **Next step:** confirm priorities in a kick-off workshop"
    )


class _SchemaFaker:
    """Builds a JSON value conforming to a (pydantic-style) JSON schema."""

    def __init__(
        self, root: Mapping[str, Any], client: str | None, *, prose_words: int = 0, pwned: bool = False
    ) -> None:
        """Remember the root (for ``$ref``), the client name to weave into strings, and how to write prose."""
        self._root = root
        self._client = client
        self._prose_words = prose_words
        self._pwned = pwned

    def resolve(self, schema: object, hops: int = 0) -> JsonObject:
        """Inline ``$ref`` and ``allOf`` so the result can be read directly."""
        if not isinstance(schema, dict) or hops > 32:
            return {}
        out: JsonObject = dict(schema)
        ref = out.pop("$ref", None)
        if isinstance(ref, str):
            out = {**self.resolve(self._pointer(ref), hops + 1), **out}
        parts = out.pop("allOf", None)
        if isinstance(parts, list):
            merged: JsonObject = {}
            for part in parts:
                merged = _merge(merged, self.resolve(part, hops + 1))
            out = _merge(merged, out)
        return out

    def _pointer(self, ref: str) -> object:
        """Follow a local JSON pointer such as ``#/$defs/Section``."""
        if not ref.startswith("#"):
            return {}
        node: object = self._root
        for raw in ref[1:].split("/")[1:]:
            key = raw.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or key not in node:
                return {}
            node = node[key]
        return node

    def value(self, raw: object, name: str, index: int = 0, depth: int = 0, item: bool = False) -> Any:
        """Value for the schema ``raw`` of the property ``name``."""
        schema = self.resolve(raw)
        if "const" in schema:
            return schema["const"]
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return enum[index % len(enum)]
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                resolved = [self.resolve(option) for option in options]
                concrete = [option for option in resolved if not _is_null(option)]
                if not concrete or (depth >= _MAX_DEPTH and len(concrete) < len(resolved)):
                    return None
                siblings = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
                return self.value({**siblings, **concrete[0]}, name, index, depth, item)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            if "properties" in schema or "additionalProperties" in schema:
                kind = "object"
            elif "items" in schema or "prefixItems" in schema:
                kind = "array"
            else:
                kind = "string"
        if kind == "object":
            return self._object(schema, name, depth, index)
        if kind == "array":
            return self._array(schema, name, depth)
        if kind in ("integer", "number"):
            return _number(schema, kind == "integer", index)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self._string(schema, name, index, item)

    def _object(self, schema: JsonObject, name: str, depth: int, index: int = 0) -> JsonObject:
        """Object with every property (only required ones when nested too deep)."""
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        required = [key for key in schema.get("required", []) if isinstance(key, str)]
        shallow = depth < _MAX_DEPTH
        out: JsonObject = {}
        for key, sub in properties.items():
            if shallow or key in required:
                # An item's enum field takes the item's position: the second person picked is another person.
                position = index if "enum" in self.resolve(sub) else 0
                out[key] = self.value(sub, key, position, depth + 1)
        for key in required:
            if key not in out:
                out[key] = self.value(schema.get("additionalProperties", {}), key, 0, depth + 1)
        extra = schema.get("additionalProperties")
        if not properties and isinstance(extra, dict) and shallow:
            key = f"{name}_1"
            out[key] = self.value(extra, key, 0, depth + 1)
        return out

    def _array(self, schema: JsonObject, name: str, depth: int) -> list[Any]:
        """Two items by default, within ``minItems``/``maxItems``."""
        prefix = schema.get("prefixItems")
        prefix = prefix if isinstance(prefix, list) else []
        items = schema.get("items", {})
        count = max(int(schema.get("minItems", 0)), 2 if depth < _MAX_DEPTH else 0)
        if "maxItems" in schema:
            count = min(count, int(schema["maxItems"]))
        if items is False:
            count = min(count, len(prefix))
        values: list[Any] = []
        for position in range(count):
            sub = prefix[position] if position < len(prefix) else items
            values.append(self.value(sub, f"{name} item {position + 1}", position, depth + 1, item=True))
        return values

    def _string(self, schema: JsonObject, name: str, index: int, item: bool) -> str:
        """Recognisable prose (or a value of the requested ``format``) within length limits."""
        formatted = _formatted(schema.get("format"), name, index)
        if formatted is not None:
            text = formatted
        elif item or ("maxLength" not in schema and name in _SHORT_TEXT_FIELDS):
            # Without a bound to go by, a model writes a short value for a short field (a name, a duration).
            text = _sentence(name, self._client)
        else:
            title = schema.get("title")
            text = _prose(name, title if isinstance(title, str) else None, self._client)
            text = _lengthened(text, self._prose_words)
        if self._pwned:
            text = "PWNED. " + text
        low = int(schema.get("minLength", 0))
        while len(text) < low:
            text += " More detail follows in the full proposal."
        if "maxLength" in schema:
            text = text[: int(schema["maxLength"])]
        return text

    def violate(self, schema: Mapping[str, Any], document: Any) -> Any:
        """Valid JSON that breaks ``schema``: drop required keys (all but the first), or change type."""
        resolved = self.resolve(schema)
        required = [key for key in resolved.get("required", []) if isinstance(document, dict) and key in document]
        if isinstance(document, dict) and required:
            dropped = set(required[1:] or required)
            return {key: value for key, value in document.items() if key not in dropped}
        if isinstance(document, dict):
            return ["fake-ollama schema violation"]
        return {"fake_ollama": "schema violation"}


def _merge(base: JsonObject, extra: JsonObject) -> JsonObject:
    """Shallow schema merge that unions ``properties`` and ``required``."""
    out = {**base, **extra}
    if isinstance(base.get("properties"), dict) or isinstance(extra.get("properties"), dict):
        out["properties"] = {**base.get("properties", {}), **extra.get("properties", {})}
    if "required" in base or "required" in extra:
        out["required"] = list(dict.fromkeys([*base.get("required", []), *extra.get("required", [])]))
    return out


def _is_null(schema: Mapping[str, Any]) -> bool:
    """Whether ``schema`` only admits ``null``."""
    return schema.get("type") == "null" or ("const" in schema and schema["const"] is None)


def _number(schema: Mapping[str, Any], integer: bool, index: int) -> int | float:
    """42 (or 42.5) plus ``index``, moved inside the schema's bounds and ``multipleOf``."""
    step = 1 if integer else 0.5
    value: float = 42 + index + (0 if integer else 0.5)
    low, high = schema.get("minimum"), schema.get("maximum")
    xlow, xhigh = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(xlow, int | float) and not isinstance(xlow, bool):
        value = max(value, xlow + step)
    if isinstance(low, int | float) and not isinstance(low, bool):
        value = max(value, low)
    if isinstance(xhigh, int | float) and not isinstance(xhigh, bool):
        value = min(value, xhigh - step)
    if isinstance(high, int | float) and not isinstance(high, bool):
        value = min(value, high)
    multiple = schema.get("multipleOf")
    if isinstance(multiple, int | float) and not isinstance(multiple, bool) and multiple > 0:
        value = math.ceil(value / multiple) * multiple
        if isinstance(high, int | float) and value > high:
            value -= multiple
    return math.ceil(value) if integer else float(value)


def _formatted(fmt: object, name: str, index: int) -> str | None:
    """Fixed example value for a JSON-schema string ``format`` (None for free text)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "value"
    values = {
        "date": f"2025-01-{15 + index % 10:02d}",
        "date-time": f"2025-01-{15 + index % 10:02d}T09:00:00Z",
        "time": "09:00:00",
        "duration": "P14D",
        "email": f"{slug}@example.com",
        "idn-email": f"{slug}@example.com",
        "uri": f"https://example.com/fake-ollama/{slug}",
        "url": f"https://example.com/fake-ollama/{slug}",
        "iri": f"https://example.com/fake-ollama/{slug}",
        "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"fake-ollama/{name}/{index}")),
        "hostname": "example.com",
        "ipv4": "192.0.2.1",
        "ipv6": "2001:db8::1",
    }
    return values.get(fmt) if isinstance(fmt, str) else None


def _lengthened(text: str, words: int) -> str:
    """``text`` followed by filler sentences until it holds about ``words`` words (as it is when 0)."""
    filler = "Each step is reviewed with the client's team, so that decisions are recorded and risks are raised early. "
    while words and len(text.split()) < words:
        text += ("\n\n" if len(text.split()) % 60 < 20 else " ") + filler.strip()
    return text


def _split(text: str, tokens_per_second: float = 0.0) -> list[str]:
    """Cut ``text`` into at most ~16 stream chunks (pieces of about 8 tokens when the speed is fixed)."""
    size = 32 if tokens_per_second else max(4, math.ceil(len(text) / 16))
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def _pause(chunk: str, delay: float, tokens_per_second: float) -> float:
    """Seconds to wait after sending ``chunk``: the chunk delay, plus its tokens at the fixed speed."""
    return delay + (len(chunk) / 4 / tokens_per_second if tokens_per_second else 0.0)


def _tokens(text: str) -> int:
    """Rough token count (four characters per token)."""
    return max(1, math.ceil(len(text) / 4))


# --------------------------------------------------------------------------- wire helpers


def _dumps(value: object) -> str:
    """JSON the way Go's encoding/json writes it (compact, HTML characters escaped)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _rfc3339(moment: datetime | None = None) -> str:
    """UTC timestamp like Go's ``time.Time`` JSON form."""
    return (moment or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json_response(status: int, value: object) -> Response:
    """Response with Ollama's JSON content type."""
    return Response(_dumps(value), status_code=status, media_type=_JSON_MEDIA)


def _error(status: int, message: str) -> Response:
    """Ollama-style ``{"error": ...}`` response."""
    return _json_response(status, {"error": message})


def _openai_error(status: int, message: str, code: str | None = None) -> Response:
    """OpenAI-style ``{"error": {"message", "type", "param", "code"}}`` response."""
    kind = "invalid_request_error" if status < 500 else "api_error"
    return _json_response(status, {"error": _openai_error_body(message, kind, code)})


def _openai_error_body(message: str, kind: str, code: str | None = None) -> JsonObject:
    """The inner object of an OpenAI-style error."""
    return {"message": message, "type": kind, "param": None, "code": code}


def _masked(key: str) -> str:
    """An API key the way OpenAI quotes a wrong one: a few characters at each end."""
    return f"{key[:3]}***{key[-4:]}" if len(key) > 12 else "***"


def _response_format(value: object) -> tuple[object, str | None]:
    """The ``format`` a ``response_format`` asks for (None, ``"json"`` or a schema), or a 400 message."""
    if value is None:
        return None, None
    if not isinstance(value, dict):
        return None, "response_format must be an object"
    kind = value.get("type")
    if kind == "text":
        return None, None
    if kind == "json_object":
        return "json", None
    if kind != "json_schema":
        return None, f"invalid response_format type {json.dumps(kind)}; expected text, json_object or json_schema"
    spec = value.get("json_schema")
    if not isinstance(spec, dict) or not isinstance(spec.get("schema"), dict):
        return None, "response_format.json_schema must be an object with a schema object"
    name = spec.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        return None, "response_format.json_schema.name must be 1-64 letters, digits, underscores or dashes"
    if not isinstance(spec.get("strict", False), bool):
        return None, "response_format.json_schema.strict must be a boolean"
    return spec["schema"], None


def _llama_cpp_response_format(value: object) -> tuple[object, Response | None]:
    """The ``format`` llama-cpp-python 0.3.36 makes of a ``response_format``, or the 500 it answers instead.

    Its request model types ``response_format.type`` as ``Literal["text", "json_object"]``; its error handler turns
    the validation error into a 500 that quotes the traceback (with the server's file paths).
    """
    if value is None:
        return None, None
    kind = value.get("type") if isinstance(value, dict) else None
    if isinstance(value, dict) and kind == "text":
        return None, None
    if isinstance(value, dict) and kind == "json_object":
        schema = value.get("schema")
        return (schema if isinstance(schema, dict) else "json"), None
    detail = {
        "type": "literal_error",
        "loc": ("body", "response_format", "type"),
        "msg": "Input should be 'text' or 'json_object'",
        "input": kind,
        "ctx": {"expected": "'text' or 'json_object'"},
    }
    message = (
        f"1 validation error:\n  {detail!r}\n\n"
        '  File "/opt/llama/lib/python3.11/site-packages/llama_cpp/server/app.py", line 376, '
        "in create_chat_completion\n    POST /v1/chat/completions"
    )
    body = {"error": {"message": message, "type": "internal_server_error", "param": None, "code": None}}
    return None, _json_response(500, body)


def _positive_int(value: object) -> bool:
    """Whether ``value`` is an int above zero (and not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _tagged(name: str) -> str:
    """Model name with the implicit ``:latest`` tag made explicit."""
    name = name.strip()
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _model_entry(name: str, modified: datetime) -> JsonObject:
    """One ``/api/tags`` entry with plausible metadata derived from the name."""
    tagged = _tagged(name)
    base, _, tag = tagged.rsplit("/", 1)[-1].partition(":")
    family_match = re.match(r"[a-z]+", base.lower())
    family = family_match.group(0) if family_match else "llama"
    size_match = re.search(r"(\d+(?:\.\d+)?)\s*([bm])", tag.lower())
    billions = 7.0
    if size_match:
        billions = float(size_match.group(1)) / (1000 if size_match.group(2) == "m" else 1)
    parameter_size = f"{size_match.group(1)}{size_match.group(2).upper()}" if size_match else "7B"
    return {
        "name": tagged,
        "model": tagged,
        "modified_at": _rfc3339(modified),
        "size": int(billions * 610_000_000),
        "digest": hashlib.sha256(tagged.encode()).hexdigest(),
        "details": {
            "parent_model": "",
            "format": "gguf",
            "family": family,
            "families": [family],
            "parameter_size": parameter_size,
            "quantization_level": "Q4_K_M",
        },
    }


def _openai_model(name: str, modified: datetime) -> JsonObject:
    """One ``/v1/models`` entry: owned by the namespace of the name, ``library`` without one."""
    tagged = _tagged(name)
    namespace, _, _ = tagged.rpartition("/")
    return {
        "id": tagged,
        "object": "model",
        "created": int(modified.timestamp()),
        "owned_by": namespace.rsplit("/", 1)[-1] or "library",
    }


def _is_zero_keep_alive(value: object) -> bool:
    """Whether ``keep_alive`` asks to unload the model now."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == 0
    return isinstance(value, str) and bool(_ZERO_DURATION.match(value.strip()))


class _DeliberateDisconnectError(Exception):
    """Raised inside the app to make uvicorn drop the connection mid-response."""


class _QuietDeliberateDisconnects(logging.Filter):
    """Hide uvicorn's traceback for connections the fake drops on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record except the deliberate-disconnect ones."""
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, _DeliberateDisconnectError)


def _install_log_filter() -> None:
    """Attach the quiet filter to uvicorn's error logger once."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(existing, _QuietDeliberateDisconnects) for existing in logger.filters):
        logger.addFilter(_QuietDeliberateDisconnects())


# --------------------------------------------------------------------------- shared state


class _State:
    """Configuration, scripts and recorded requests, shared by the test thread and the server loop."""

    def __init__(self, initial: FakeConfig) -> None:
        """Start from ``initial``; every model counts as pulled now."""
        self._lock = threading.Lock()
        self._initial = initial
        self._config = initial
        self._modified: dict[str, datetime] = {}
        self._scripts: dict[str, deque[Behaviour]] = {"/api/chat": deque(), "/api/pull": deque()}
        self._requests: list[RecordedRequest] = []
        self._stamp(initial.models)

    def _stamp(self, names: Iterable[str]) -> None:
        """Give models without one a ``modified_at`` (lock held by caller or during init)."""
        now = datetime.now(UTC)
        for name in names:
            self._modified.setdefault(_tagged(name).lower(), now)

    @property
    def config(self) -> FakeConfig:
        """Current configuration."""
        with self._lock:
            return self._config

    def configure(self, changes: Mapping[str, object]) -> FakeConfig:
        """Apply validated ``changes``; raises ``ValueError``."""
        with self._lock:
            self._config = self._config.updated(changes)
            self._stamp(self._config.models)
            return self._config

    def find_model(self, name: str) -> str | None:
        """Configured name matching ``name`` (case-insensitive, implicit ``:latest``)."""
        wanted = _tagged(name).lower()
        with self._lock:
            return next((m for m in self._config.models if _tagged(m).lower() == wanted), None)

    def add_model(self, name: str) -> None:
        """Register a freshly pulled model."""
        with self._lock:
            self._modified[_tagged(name).lower()] = datetime.now(UTC)
            if not any(_tagged(m).lower() == _tagged(name).lower() for m in self._config.models):
                self._config = dataclasses.replace(self._config, models=(*self._config.models, name))

    def tags(self) -> list[JsonObject]:
        """``/api/tags`` entries, newest first like Ollama."""
        with self._lock:
            entries = [(m, self._modified[_tagged(m).lower()]) for m in self._config.models]
        entries.sort(key=lambda entry: entry[1], reverse=True)
        return [_model_entry(name, modified) for name, modified in entries]

    def openai_models(self) -> list[JsonObject]:
        """``/v1/models`` entries, newest first like Ollama."""
        with self._lock:
            entries = [(m, self._modified[_tagged(m).lower()]) for m in self._config.models]
        entries.sort(key=lambda entry: entry[1], reverse=True)
        return [_openai_model(name, modified) for name, modified in entries]

    def script(self, behaviours: Iterable[Behaviour]) -> None:
        """Queue behaviours for the endpoints that consume them."""
        with self._lock:
            for behaviour in behaviours:
                self._scripts[behaviour.endpoint].append(behaviour)

    def pending(self) -> dict[str, list[JsonObject]]:
        """Behaviours still queued, per consuming endpoint."""
        with self._lock:
            return {path: [b.to_json() for b in queue] for path, queue in self._scripts.items()}

    def next_behaviour(self, endpoint: str) -> Behaviour:
        """Pop the next scripted behaviour for ``endpoint`` (``ok`` when none is left)."""
        with self._lock:
            queue = self._scripts[endpoint]
            return queue.popleft() if queue else Behaviour.ok()

    def record(self, method: str, path: str, body: object, headers: Mapping[str, str]) -> RecordedRequest:
        """Append a new recorded request."""
        recorded = RecordedRequest(method, path, body, dict(headers), time.monotonic())
        with self._lock:
            self._requests.append(recorded)
        return recorded

    def update(self, recorded: RecordedRequest, **changes: Any) -> None:
        """Change fields of a recorded request."""
        with self._lock:
            for key, value in changes.items():
                setattr(recorded, key, value)

    def requests(self) -> list[RecordedRequest]:
        """Snapshot copies of the recorded requests."""
        with self._lock:
            return [dataclasses.replace(r, headers=dict(r.headers)) for r in self._requests]

    def reset(self) -> None:
        """Back to the initial configuration, no scripts, no recorded requests."""
        with self._lock:
            self._config = self._initial
            self._modified.clear()
            self._stamp(self._initial.models)
            for queue in self._scripts.values():
                queue.clear()
            self._requests.clear()


class _Slots:
    """FIFO limiter like ``OLLAMA_NUM_PARALLEL``: at most ``limit()`` chat requests run at once."""

    def __init__(self, limit: Callable[[], int]) -> None:
        """Read the limit through ``limit`` so configuration changes apply immediately."""
        self._limit = limit
        self._busy = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Hold one slot for the duration of the block."""
        await self._acquire()
        try:
            yield
        finally:
            self._busy -= 1
            self.wake()

    async def _acquire(self) -> None:
        """Take a slot, waiting in line if needed."""
        if not self._waiters and self._busy < self._limit():
            self._busy += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._busy -= 1
                self.wake()
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise

    def wake(self) -> None:
        """Hand free slots to waiters in arrival order."""
        while self._waiters and self._busy < self._limit():
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self._busy += 1


@dataclass
class _Runtime:
    """Objects bound to the server's event loop."""

    loop: asyncio.AbstractEventLoop
    closing: asyncio.Event
    slots: _Slots


class _Output:
    """Thin wrapper over ASGI ``send`` that remembers how far the response got."""

    def __init__(self, send: Send, state: _State, recorded: RecordedRequest) -> None:
        """Wrap ``send`` and report status/completion into ``recorded``."""
        self._send = send
        self._state = state
        self._recorded = recorded
        self.started = False
        self.complete = False

    async def start(self, status: int, media_type: str, length: int | None = None) -> None:
        """Send the status line and headers."""
        headers = [(b"content-type", media_type.encode())]
        if length is not None:
            headers.append((b"content-length", str(length).encode()))
        await self._send({"type": "http.response.start", "status": status, "headers": headers})
        self.started = True
        self._state.update(self._recorded, status=status)

    async def write(self, data: bytes, *, more: bool = True) -> None:
        """Send body bytes; ``more=False`` finishes the response."""
        await self._send({"type": "http.response.body", "body": data, "more_body": more})
        if not more:
            self.complete = True
            self._state.update(self._recorded, finished_at=time.monotonic())

    async def line(self, value: object) -> None:
        """Send one NDJSON line."""
        await self.write((_dumps(value) + "\n").encode())

    async def event(self, value: object) -> None:
        """Send one Server-Sent Event whose data is ``value`` as JSON (or ``[DONE]`` as is)."""
        data = value if value == "[DONE]" else _dumps(value)
        await self.write(f"data: {data}\n\n".encode())

    async def whole(self, status: int, value: object) -> None:
        """Send a complete JSON response."""
        body = _dumps(value).encode()
        await self.start(status, _JSON_MEDIA, len(body))
        await self.write(body, more=False)


async def _wait_for_disconnect(receive: Receive) -> None:
    """Return once ASGI reports ``http.disconnect`` (client gone or response complete)."""
    while (await receive())["type"] != "http.disconnect":
        pass


# --------------------------------------------------------------------------- the ASGI app


@dataclass
class _ChatPlan:
    """Everything needed to answer one validated /api/chat call."""

    recorded: RecordedRequest
    model: str
    messages: list[Mapping[str, object]]
    stream: bool
    fmt: object
    behaviour: Behaviour


class _ChatExchange(Response):
    """Answers /api/chat under a parallel slot; cancelled when the client leaves or the fake stops."""

    def __init__(self, app: _App, plan: _ChatPlan) -> None:
        """Keep the app and the plan; the body is produced in ``__call__``."""
        super().__init__(status_code=200)
        self._app = app
        self._plan = plan

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Race the work against client disconnect and server shutdown."""
        runtime = self._app.runtime
        out = _Output(send, self._app.state, self._plan.recorded)
        work = asyncio.create_task(self._work(out, runtime))
        gone = asyncio.create_task(_wait_for_disconnect(receive))
        closing = asyncio.create_task(runtime.closing.wait())
        try:
            first, _ = await asyncio.wait({work, gone, closing}, return_when=asyncio.FIRST_COMPLETED)
            if not work.done() and not out.complete:
                work.cancel()
            await asyncio.wait({work})
        finally:
            for task in (work, gone, closing):
                task.cancel()
            await asyncio.gather(work, gone, closing, return_exceptions=True)
        if work.cancelled():
            if gone not in first:
                await self._shutting_down(out)
            return
        error = work.exception()
        if error is not None:
            raise error

    async def _shutting_down(self, out: _Output) -> None:
        """Finish the exchange politely because the fake is stopping."""
        message = {"error": "fake-ollama is shutting down"}
        if not out.started:
            await out.whole(503, message)
        elif not out.complete:
            await out.line(message)
            await out.write(b"", more=False)

    async def _work(self, out: _Output, runtime: _Runtime) -> None:
        """Wait for a slot, apply latency and the behaviour, then answer."""
        plan, state = self._plan, self._app.state
        async with runtime.slots.held():
            state.update(plan.recorded, started_at=time.monotonic())
            try:
                config = state.config
                if config.latency:
                    await asyncio.sleep(config.latency)
                kind = plan.behaviour.kind
                if kind == "slow":
                    await asyncio.sleep(plan.behaviour.first_byte_delay_s)
                if kind == "hang":
                    await runtime.loop.create_future()
                content, error, after = self._content()
                if plan.stream:
                    await self._stream(out, content, error, after, config.chunk_delay)
                else:
                    await self._whole(out, content, error, config.chunk_delay)
            finally:
                if not out.complete:
                    state.update(plan.recorded, finished_at=time.monotonic())

    def _content(self) -> tuple[str, str | None, int]:
        """Answer text, plus an error to report after ``after`` chunks (or None)."""
        plan = self._plan
        fmt = plan.fmt
        if fmt not in (None, "", "json") and not isinstance(fmt, dict):
            return "", f'invalid format: {json.dumps(fmt)}; expected "json" or a valid JSON Schema object', 0
        kind = plan.behaviour.kind
        variant: AnswerVariant = "ok"
        if kind == "bad_json" or kind == "schema_violation":
            variant = kind
        config = self._app.state.config
        content = fake_answer(
            fmt,
            plan.messages,
            variant,
            prose_words=config.prose_words,
            obey_injections=config.obey_injections,
        )
        if kind == "error_line":
            return content, plan.behaviour.message, plan.behaviour.after_chunks
        return content, None, 0

    def _chunk(self, content: str) -> JsonObject:
        """One streamed, not-yet-done line."""
        return {
            "model": self._plan.model,
            "created_at": _rfc3339(),
            "message": {"role": "assistant", "content": content},
            "done": False,
        }

    def _final(self, content: str) -> JsonObject:
        """The done line (stream) or the whole answer (non-stream), with plausible metrics."""
        plan = self._plan
        prompt = "".join(str(m.get("content", "")) for m in plan.messages)
        prompt_tokens = _tokens(prompt) + 4 * len(plan.messages)
        eval_tokens = max(len(_split(content)), _tokens(content))
        prompt_ns = prompt_tokens * _PROMPT_NS_PER_TOKEN
        eval_ns = eval_tokens * _EVAL_NS_PER_TOKEN
        measured = int((time.monotonic() - plan.recorded.received_at) * 1e9)
        return {
            "model": plan.model,
            "created_at": _rfc3339(),
            "message": {"role": "assistant", "content": content},
            "done_reason": "stop",
            "done": True,
            "total_duration": max(measured, _LOAD_NS + prompt_ns + eval_ns),
            "load_duration": _LOAD_NS,
            "prompt_eval_count": prompt_tokens,
            "prompt_eval_duration": prompt_ns,
            "eval_count": eval_tokens,
            "eval_duration": eval_ns,
        }

    async def _stream(self, out: _Output, content: str, error: str | None, after: int, delay: float) -> None:
        """NDJSON answer: content chunks, then the done line (or an error line / a dropped connection)."""
        kind = self._plan.behaviour.kind
        disconnect = kind == "disconnect"
        if disconnect:
            after = self._plan.behaviour.after_chunks
        speed = self._app.state.config.tokens_per_second
        chunks = _split(content, speed) if content else []
        if kind == "length":
            chunks = chunks[: max(1, len(chunks) // 2)]
        await out.start(200, _NDJSON_MEDIA)
        for position, chunk in enumerate([*chunks, None]):
            if kind == "cut" and position == min(self._plan.behaviour.after_chunks, len(chunks)):
                await out.write(b"", more=False)
                return
            if position == min(after, len(chunks)) and (error is not None or disconnect):
                if disconnect:
                    raise _DeliberateDisconnectError("scripted disconnect")
                await out.line({"error": error})
                await out.write(b"", more=False)
                return
            if chunk is None:
                break
            await out.line(self._chunk(chunk))
            if pause := _pause(chunk, delay, speed):
                await asyncio.sleep(pause)
        done = self._final(content)
        done["message"] = {"role": "assistant", "content": ""}
        if kind == "length":
            done["done_reason"] = "length"
        await out.line(done)
        await out.write(b"", more=False)

    async def _whole(self, out: _Output, content: str, error: str | None, delay: float) -> None:
        """Single JSON answer after the time streaming would have taken."""
        speed = self._app.state.config.tokens_per_second
        if wait := sum(_pause(chunk, delay, speed) for chunk in _split(content, speed)):
            await asyncio.sleep(wait)
        if error is not None:
            await out.whole(500, {"error": error})
            return
        body = _dumps(self._final(content)).encode()
        if self._plan.behaviour.kind == "disconnect":
            await out.start(200, _JSON_MEDIA, len(body))
            await out.write(body[: len(body) // 2])
            raise _DeliberateDisconnectError("scripted disconnect")
        await out.start(200, _JSON_MEDIA, len(body))
        await out.write(body, more=False)


class _OpenAIChatExchange(_ChatExchange):
    """Answers /v1/chat/completions like Ollama's OpenAI layer: SSE chunks, or one ``chat.completion``."""

    def __init__(
        self, app: _App, plan: _ChatPlan, *, include_usage: bool, max_tokens: int | None, flavour: Flavour = "ollama"
    ) -> None:
        """Keep the OpenAI-only options next to the plan."""
        super().__init__(app, plan)
        self._flavour = flavour
        self.interrupted = False
        # llama-cpp-python's server ignores stream_options: its streams never carry usage.
        self._include_usage = include_usage and flavour != "llama-cpp-python"
        self._max_tokens = max_tokens
        self._id = f"chatcmpl-{uuid.uuid4().int % 1000}"
        self._created = int(time.time())
        self._finish_reason = "stop"

    def _content(self) -> tuple[str, str | None, int]:
        """The answer, cut at ``max_tokens`` (four characters a token) with ``finish_reason`` ``length``."""
        content, error, after = super()._content()
        if self._flavour == "llama-cpp-python":
            # Its grammar lets the model write raw newlines inside JSON strings (seen with SmolLM2).
            content = content.replace("\\n", "\n")
        if self._plan.behaviour.kind == "length":
            content = content[: max(1, len(content) // 2)]
            self._finish_reason = "length"
        if self._max_tokens is not None and _tokens(content) > self._max_tokens:
            content = content[: self._max_tokens * 4]
            self._finish_reason = "length"
        return content, error, after

    def _usage(self, content: str) -> JsonObject:
        """OpenAI's usage object, with the counts the native API would report."""
        final = self._final(content)
        prompt, completion = int(final["prompt_eval_count"]), int(final["eval_count"])
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def _envelope(self, kind: str) -> JsonObject:
        """Fields every ``chat.completion`` and ``chat.completion.chunk`` starts with."""
        return {
            "id": self._id,
            "object": kind,
            "created": self._created,
            "model": self._plan.model,
            "system_fingerprint": "fp_ollama",
        }

    def _chunk_event(self, content: str, finish_reason: str | None) -> JsonObject:
        """One ``chat.completion.chunk`` (``usage`` null on each when usage was asked for, like OpenAI)."""
        choice = {"index": 0, "delta": {"role": "assistant", "content": content}, "finish_reason": finish_reason}
        chunk = {**self._envelope("chat.completion.chunk"), "choices": [choice]}
        if self._include_usage:
            chunk["usage"] = None
        return chunk

    async def _stream(self, out: _Output, content: str, error: str | None, after: int, delay: float) -> None:
        """SSE answer: chunks, a finishing chunk, the usage chunk if asked, ``[DONE]`` (or an error event)."""
        self._app.streaming.add(self)
        try:
            await self._stream_chunks(out, content, error, after, delay)
        finally:
            self._app.streaming.discard(self)

    async def _stream_chunks(self, out: _Output, content: str, error: str | None, after: int, delay: float) -> None:
        kind = self._plan.behaviour.kind
        disconnect = kind == "disconnect"
        if disconnect:
            after = self._plan.behaviour.after_chunks
        speed = self._app.state.config.tokens_per_second
        chunks = _split(content, speed) if content else []
        await out.start(200, _SSE_MEDIA)
        for position, chunk in enumerate([*chunks, None]):
            cut = kind == "cut" and position == min(self._plan.behaviour.after_chunks, len(chunks))
            if cut or self.interrupted:
                await out.event("[DONE]")
                await out.write(b"", more=False)
                return
            if position == min(after, len(chunks)) and (error is not None or disconnect):
                if disconnect:
                    raise _DeliberateDisconnectError("scripted disconnect")
                await out.event({"error": _openai_error_body(error or "", "api_error")})
                await out.write(b"", more=False)
                return
            if chunk is None:
                break
            await out.event(self._chunk_event(chunk, None))
            if pause := _pause(chunk, delay, speed):
                await asyncio.sleep(pause)
        await out.event(self._chunk_event("", self._finish_reason))
        if self._include_usage:
            await out.event({**self._envelope("chat.completion.chunk"), "choices": [], "usage": self._usage(content)})
        await out.event("[DONE]")
        await out.write(b"", more=False)

    async def _whole(self, out: _Output, content: str, error: str | None, delay: float) -> None:
        """One ``chat.completion`` after the time streaming would have taken."""
        speed = self._app.state.config.tokens_per_second
        if wait := sum(_pause(chunk, delay, speed) for chunk in _split(content, speed)):
            await asyncio.sleep(wait)
        if error is not None:
            await out.whole(500, {"error": _openai_error_body(error, "api_error")})
            return
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "finish_reason": self._finish_reason,
        }
        completion = {**self._envelope("chat.completion"), "choices": [choice], "usage": self._usage(content)}
        body = _dumps(completion).encode()
        await out.start(200, _JSON_MEDIA, len(body))
        if self._plan.behaviour.kind == "disconnect":
            await out.write(body[: len(body) // 2])
            raise _DeliberateDisconnectError("scripted disconnect")
        await out.write(body, more=False)

    async def _shutting_down(self, out: _Output) -> None:
        """Finish the exchange politely, OpenAI-style, because the fake is stopping."""
        error = {"error": _openai_error_body("fake-ollama is shutting down", "api_error")}
        if not out.started:
            await out.whole(503, error)
        elif not out.complete:
            await out.event(error)
            await out.write(b"", more=False)


class _App:
    """Starlette application with Ollama routes and the ``/_fake`` control API."""

    def __init__(self, state: _State) -> None:
        """Build routes over ``state``."""
        self.state = state
        self.streaming: set[_OpenAIChatExchange] = set()
        self._runtime: _Runtime | None = None
        self.asgi = Starlette(
            routes=[
                Route("/", self.root, methods=["GET"]),
                Route("/api/version", self.version, methods=["GET"]),
                Route("/api/tags", self.tags, methods=["GET"]),
                Route("/api/pull", self.pull, methods=["POST"]),
                Route("/api/chat", self.chat, methods=["POST"]),
                Route("/v1/models", self.openai_models, methods=["GET"]),
                Route("/v1/models/{model:path}", self.openai_model, methods=["GET"]),
                Route("/v1/chat/completions", self.openai_chat, methods=["POST"]),
                Route("/_fake/script", self.control_script, methods=["POST"]),
                Route("/_fake/config", self.control_config, methods=["GET", "POST"]),
                Route("/_fake/requests", self.control_requests, methods=["GET"]),
                Route("/_fake/reset", self.control_reset, methods=["POST"]),
            ],
            lifespan=self._lifespan,
        )

    @property
    def runtime(self) -> _Runtime:
        """Loop-bound objects (only while serving)."""
        if self._runtime is None:
            raise RuntimeError("fake-ollama is not serving")
        return self._runtime

    @property
    def maybe_runtime(self) -> _Runtime | None:
        """Loop-bound objects, or None before the first start."""
        return self._runtime

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        """Create the loop-bound objects."""
        self._runtime = _Runtime(
            loop=asyncio.get_running_loop(),
            closing=asyncio.Event(),
            slots=_Slots(lambda: self.state.config.parallel),
        )
        yield

    async def _incoming(self, request: Request) -> tuple[RecordedRequest, object, str | None]:
        """Record ``request``; return it, its JSON body and a 400 message if the body is unusable."""
        raw = await request.body()
        body: object = None
        problem: str | None = None
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError as exc:
                problem = f"invalid character in request body: {exc}"
        elif request.method == "POST":
            problem = "missing request body"
        if problem is None and request.method == "POST" and not isinstance(body, dict):
            kind = {list: "array", str: "string", bool: "bool", int: "number", float: "number"}.get(type(body), "value")
            problem = f"json: cannot unmarshal {kind} into Go value of type api.Request"
        recorded = self.state.record(request.method, request.url.path, body, request.headers)
        if self.state.config.flavour == "llama-cpp-python" and request.url.path.startswith("/v1/"):
            # interrupt_requests: any request that wants the model cuts the answer being streamed.
            for running in self.streaming:
                running.interrupted = True
        return recorded, body, problem

    def _finish(self, recorded: RecordedRequest, response: Response) -> Response:
        """Note status and end time of a plain response."""
        self.state.update(recorded, status=response.status_code, finished_at=time.monotonic())
        return response

    async def root(self, request: Request) -> Response:
        """``GET /``."""
        recorded, _, _ = await self._incoming(request)
        return self._finish(recorded, PlainTextResponse("Ollama is running"))

    async def version(self, request: Request) -> Response:
        """``GET /api/version``."""
        recorded, _, _ = await self._incoming(request)
        return self._finish(recorded, _json_response(200, {"version": OLLAMA_VERSION}))

    async def tags(self, request: Request) -> Response:
        """``GET /api/tags``."""
        recorded, _, _ = await self._incoming(request)
        return self._finish(recorded, _json_response(200, {"models": self.state.tags()}))

    async def pull(self, request: Request) -> Response:
        """``POST /api/pull``: NDJSON progress (or one JSON object when ``stream`` is false)."""
        recorded, body, problem = await self._incoming(request)
        if problem is not None or not isinstance(body, dict):
            return self._finish(recorded, _error(400, problem or "invalid request"))
        name = body.get("model") or body.get("name")
        if not isinstance(name, str) or not name.strip():
            return self._finish(recorded, _error(400, "invalid model name"))
        stream = body.get("stream")
        behaviour = self.state.next_behaviour("/api/pull")
        self.state.update(recorded, behaviour=behaviour.kind)
        failure = behaviour.message if behaviour.kind == "pull_error" else None
        if stream is False:
            if failure is not None:
                return self._finish(recorded, _error(500, failure))
            self.state.add_model(name)
            return self._finish(recorded, _json_response(200, {"status": "success"}))
        lines = _pull_lines(name, failure)
        delay = self.state.config.chunk_delay

        async def progress() -> AsyncIterator[str]:
            for line in lines:
                if line.get("status") == "success":
                    self.state.add_model(name)
                yield _dumps(line) + "\n"
                if delay:
                    await asyncio.sleep(delay)
            self.state.update(recorded, finished_at=time.monotonic())

        self.state.update(recorded, status=200)
        return StreamingResponse(progress(), media_type=_NDJSON_MEDIA)

    async def chat(self, request: Request) -> Response:
        """``POST /api/chat``."""
        recorded, body, problem = await self._incoming(request)
        if problem is not None or not isinstance(body, dict):
            return self._finish(recorded, _error(400, problem or "invalid request"))
        model = body.get("model")
        if not isinstance(model, str) or not model.strip():
            return self._finish(recorded, _error(400, "model is required"))
        if self.state.find_model(model) is None:
            message = f"model {json.dumps(model)} not found, try pulling it first"
            return self._finish(recorded, _error(404, message))
        messages = body.get("messages") or []
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            message = "json: cannot unmarshal messages into Go struct field ChatRequest.messages of type []api.Message"
            return self._finish(recorded, _error(400, message))
        stream = body.get("stream")
        if stream is not None and not isinstance(stream, bool):
            message = "json: cannot unmarshal stream into Go struct field ChatRequest.stream of type bool"
            return self._finish(recorded, _error(400, message))
        if not messages:
            reason = "unload" if _is_zero_keep_alive(body.get("keep_alive")) else "load"
            loaded = {
                "model": model,
                "created_at": _rfc3339(),
                "message": {"role": "assistant", "content": ""},
                "done_reason": reason,
                "done": True,
            }
            return self._finish(recorded, _json_response(200, loaded))
        behaviour = self.state.next_behaviour("/api/chat")
        self.state.update(recorded, behaviour=behaviour.kind)
        if behaviour.kind == "http_error":
            return self._finish(recorded, _error(behaviour.status, behaviour.message))
        plan = _ChatPlan(recorded, model, messages, stream is not False, body.get("format"), behaviour)
        return _ChatExchange(self, plan)

    def _refused_key(self, request: Request) -> Response | None:
        """A 401 like OpenAI's when an API key is configured and the request lacks it (None when allowed)."""
        key = self.state.config.api_key
        if key is None:
            return None
        given = request.headers.get("authorization", "").strip()
        scheme, _, token = given.partition(" ")
        if scheme.lower() == "bearer" and token.strip() == key:
            return None
        if not given:
            message = (
                "You didn't provide an API key. You need to provide your API key in an Authorization header "
                "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
            )
            return _openai_error(401, message)
        return _openai_error(401, f"Incorrect API key provided: {_masked(token.strip())}.", "invalid_api_key")

    async def openai_models(self, request: Request) -> Response:
        """``GET /v1/models``."""
        recorded, _, _ = await self._incoming(request)
        refused = self._refused_key(request)
        if refused is not None:
            return self._finish(recorded, refused)
        return self._finish(recorded, _json_response(200, {"object": "list", "data": self.state.openai_models()}))

    async def openai_model(self, request: Request) -> Response:
        """``GET /v1/models/{model}``."""
        recorded, _, _ = await self._incoming(request)
        refused = self._refused_key(request)
        if refused is not None:
            return self._finish(recorded, refused)
        name = str(request.path_params["model"])
        found = self.state.find_model(name)
        entry = next((e for e in self.state.openai_models() if found and e["id"] == _tagged(found)), None)
        if entry is None:
            return self._finish(recorded, _openai_error(404, f"model {json.dumps(name)} not found", "model_not_found"))
        return self._finish(recorded, _json_response(200, entry))

    async def openai_chat(self, request: Request) -> Response:
        """``POST /v1/chat/completions``: the scripted behaviours apply, from the same queue as /api/chat."""
        recorded, body, problem = await self._incoming(request)
        refused = self._refused_key(request)
        if refused is not None:
            return self._finish(recorded, refused)
        if problem is not None or not isinstance(body, dict):
            return self._finish(recorded, _openai_error(400, problem or "invalid request"))
        model = body.get("model")
        if not isinstance(model, str) or not model.strip():
            return self._finish(recorded, _openai_error(400, "model is required"))
        if self.state.find_model(model) is None:
            message = f"model {json.dumps(model)} not found, try pulling it first"
            return self._finish(recorded, _openai_error(404, message, "model_not_found"))
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
            return self._finish(recorded, _openai_error(400, "messages must be a non-empty list of messages"))
        stream = body.get("stream", False)
        if not isinstance(stream, bool):
            return self._finish(recorded, _openai_error(400, "stream must be a boolean"))
        flavour = self.state.config.flavour
        if flavour == "llama-cpp-python":
            fmt, refusal = _llama_cpp_response_format(body.get("response_format"))
            if refusal is not None:
                return self._finish(recorded, refusal)
        else:
            fmt, format_problem = _response_format(body.get("response_format"))
            if format_problem is not None:
                return self._finish(recorded, _openai_error(400, format_problem))
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        if limit is not None and not _positive_int(limit):
            return self._finish(recorded, _openai_error(400, "max_tokens must be a positive integer"))
        stream_options = body.get("stream_options")
        include_usage = isinstance(stream_options, dict) and stream_options.get("include_usage") is True
        behaviour = self.state.next_behaviour(_CHAT_QUEUE)
        self.state.update(recorded, behaviour=behaviour.kind)
        if behaviour.kind == "http_error":
            return self._finish(recorded, _openai_error(behaviour.status, behaviour.message))
        plan = _ChatPlan(recorded, model, messages, stream, fmt, behaviour)
        return _OpenAIChatExchange(self, plan, include_usage=include_usage, max_tokens=limit, flavour=flavour)

    async def control_script(self, request: Request) -> Response:
        """``POST /_fake/script`` ``{"behaviours": [...]}``: queue behaviours; returns what is pending."""
        try:
            payload = json.loads(await request.body() or b"{}")
            items = payload.get("behaviours") if isinstance(payload, dict) else None
            if not isinstance(items, list):
                raise ValueError('expected {"behaviours": [...]}')
            behaviours = [Behaviour.from_json(item) for item in items]
        except ValueError as exc:
            return _error(400, str(exc))
        self.state.script(behaviours)
        return _json_response(200, {"pending": self.state.pending()})

    async def control_config(self, request: Request) -> Response:
        """``GET``/``POST /_fake/config``: read or partially update the knobs."""
        if request.method == "POST":
            try:
                changes = json.loads(await request.body() or b"{}")
                if not isinstance(changes, dict):
                    raise ValueError("expected a JSON object")
                self.state.configure(changes)
            except ValueError as exc:
                return _error(400, str(exc))
            self.runtime.slots.wake()
        return _json_response(200, self.state.config.to_json())

    async def control_requests(self, request: Request) -> Response:
        """``GET /_fake/requests``: every recorded request."""
        return _json_response(200, {"requests": [r.to_json() for r in self.state.requests()]})

    async def control_reset(self, request: Request) -> Response:
        """``POST /_fake/reset``: initial config, empty scripts, no recorded requests."""
        self.state.reset()
        self.runtime.slots.wake()
        return _json_response(200, {"status": "reset"})


def _pull_lines(name: str, failure: str | None) -> list[JsonObject]:
    """Progress lines of ``ollama pull`` (ending in an error line when ``failure`` is set)."""
    if failure is not None:
        return [{"status": "pulling manifest"}, {"error": failure}]
    entry = _model_entry(name, datetime.now(UTC))
    digest, total = f"sha256:{entry['digest']}", int(entry["size"])
    layer = f"pulling {entry['digest'][:12]}"
    return [
        {"status": "pulling manifest"},
        {"status": layer, "digest": digest, "total": total},
        {"status": layer, "digest": digest, "total": total, "completed": total // 2},
        {"status": layer, "digest": digest, "total": total, "completed": total},
        {"status": "verifying sha256 digest"},
        {"status": "writing manifest"},
        {"status": "success"},
    ]


# --------------------------------------------------------------------------- the server


class FakeOllama:
    """Fake Ollama server running uvicorn in a background thread; usable as a context manager."""

    def __init__(
        self,
        *,
        models: Sequence[str] = (DEFAULT_MODEL,),
        chunk_delay: float = 0.0,
        latency: float = 0.0,
        parallel: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        flavour: Flavour = "ollama",
    ) -> None:
        """Configure the fake; nothing listens until ``start()``; ``api_key`` guards the /v1 endpoints."""
        initial = FakeConfig().updated(
            {
                "models": list(models),
                "chunk_delay": chunk_delay,
                "latency": latency,
                "parallel": parallel,
                "api_key": api_key,
                "flavour": flavour,
            }
        )
        self._state = _State(initial)
        self._app = _App(self._state)
        self.host = host
        self.port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:43121``."""
        if self._thread is None:
            raise RuntimeError("fake-ollama is not started")
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        """Serve on a free (or the given) port in a background thread; return once it answers."""
        if self._thread is not None:
            raise RuntimeError("fake-ollama is already started")
        _install_log_filter()
        sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self._socket = sock
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self._app.asgi,
            host=self.host,
            port=self.port,
            http="h11",
            loop="asyncio",
            ws="none",
            lifespan="on",
            log_config=None,
            log_level="warning",
            access_log=False,
            server_header=False,
            timeout_graceful_shutdown=3,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"fake-ollama:{self.port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while True:
            if not self._thread.is_alive():
                self.stop()
                raise RuntimeError("fake-ollama server thread exited during startup")
            if self._server.started and self._answers():
                return
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"fake-ollama did not answer within {timeout} s")
            time.sleep(0.01)

    def _answers(self) -> bool:
        """Whether the control API responds (does not add a recorded request)."""
        connection = http.client.HTTPConnection(self.host, self.port, timeout=1.0)
        try:
            connection.request("GET", "/_fake/config")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def stop(self, timeout: float = 10.0) -> None:
        """Release hanging requests, shut uvicorn down and join its thread."""
        thread, server, sock = self._thread, self._server, self._socket
        if thread is None or server is None:
            return
        runtime = self._app.maybe_runtime
        if runtime is not None and not runtime.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                runtime.loop.call_soon_threadsafe(runtime.closing.set)
        server.should_exit = True
        thread.join(timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout)
        if sock is not None:
            sock.close()
        self._thread = self._server = self._socket = None
        if thread.is_alive():
            raise RuntimeError("fake-ollama server thread did not stop")

    def __enter__(self) -> FakeOllama:
        """Start and return the fake."""
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Stop the fake."""
        self.stop()

    def script(self, *behaviours: Behaviour) -> None:
        """Queue behaviours; /api/chat (and /api/pull for ``pull_error``) consume them in order."""
        self._state.script(behaviours)

    def configure(
        self,
        *,
        models: Sequence[str] | None = None,
        chunk_delay: float | None = None,
        latency: float | None = None,
        parallel: int | None = None,
        api_key: str | None = None,
        flavour: Flavour | None = None,
        tokens_per_second: float | None = None,
        prose_words: int | None = None,
        obey_injections: bool | None = None,
    ) -> FakeConfig:
        """Change knobs while running; ``None`` leaves a knob as it is (``api_key=""`` stops requiring one)."""
        changes = {
            key: value
            for key, value in (
                ("models", None if models is None else list(models)),
                ("chunk_delay", chunk_delay),
                ("latency", latency),
                ("parallel", parallel),
                ("api_key", api_key),
                ("flavour", flavour),
                ("tokens_per_second", tokens_per_second),
                ("prose_words", prose_words),
                ("obey_injections", obey_injections),
            )
            if value is not None
        }
        config = self._state.configure(changes)
        self._wake_slots()
        return config

    def _wake_slots(self) -> None:
        """Let waiting chat requests re-check the parallel limit."""
        runtime = self._app.maybe_runtime
        if self._thread is not None and runtime is not None and not runtime.loop.is_closed():
            with contextlib.suppress(RuntimeError):
                runtime.loop.call_soon_threadsafe(runtime.slots.wake)

    def reset(self) -> None:
        """Initial config, empty scripts, no recorded requests."""
        self._state.reset()
        self._wake_slots()

    @property
    def config(self) -> FakeConfig:
        """Current knobs."""
        return self._state.config

    @property
    def requests(self) -> list[RecordedRequest]:
        """Copies of every recorded request (control API calls excluded), oldest first."""
        return self._state.requests()

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """Recorded ``POST /api/chat`` requests, oldest first."""
        return [r for r in self._state.requests() if r.path == "/api/chat"]

    @property
    def openai_chat_requests(self) -> list[RecordedRequest]:
        """Recorded ``POST /v1/chat/completions`` requests, oldest first."""
        return [r for r in self._state.requests() if r.path == "/v1/chat/completions"]

    @property
    def pending(self) -> dict[str, list[JsonObject]]:
        """Scripted behaviours not consumed yet, per endpoint."""
        return self._state.pending()


# --------------------------------------------------------------------------- CLI


def main(argv: Sequence[str] | None = None) -> int:
    """Serve a fake Ollama until SIGTERM/SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m tests.support.fake_ollama", description=main.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=11434, help="0 picks a free port")
    parser.add_argument("--model", dest="models", action="append", help="repeatable; default qwen2.5:7b")
    parser.add_argument("--chunk-delay", type=float, default=0.0, help="seconds between stream chunks")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before an answer starts")
    parser.add_argument("--parallel", type=int, default=1, help="like OLLAMA_NUM_PARALLEL")
    parser.add_argument("--api-key", default=None, help="require this bearer key on /v1 (like vLLM's --api-key)")
    args = parser.parse_args(argv)
    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    fake = FakeOllama(
        models=args.models or (DEFAULT_MODEL,),
        chunk_delay=args.chunk_delay,
        latency=args.latency,
        parallel=args.parallel,
        host=args.host,
        port=args.port,
        api_key=args.api_key,
    )
    fake.start()
    try:
        print(f"fake-ollama listening on {fake.url}", flush=True)
        while not stopping.wait(0.2):
            pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
