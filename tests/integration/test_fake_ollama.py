"""The fake Ollama server, driven over real HTTP with httpx."""

from __future__ import annotations

import asyncio
import json
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import httpx
import pydantic
import pytest

from tests.support.fake_ollama import DEFAULT_MODEL, MARKER, OLLAMA_VERSION, Behaviour, FakeOllama

REPO_ROOT = Path(__file__).resolve().parents[2]
USER_MESSAGE = {"role": "user", "content": "Draft a proposal for a data platform.\nCLIENT: ACME Corp\n"}


class TenSections(pydantic.BaseModel):
    """Ten required string fields, like a proposal draft."""

    executive_summary: str
    client_context: str
    objectives: str
    scope: str
    approach: str
    deliverables: str
    timeline: str
    team: str
    pricing: str
    terms: str


class Tier(StrEnum):
    """A string enum."""

    BASIC = "basic"
    PREMIUM = "premium"


class Milestone(pydantic.BaseModel):
    """A nested model reached through ``$ref``."""

    title: str
    week: int = pydantic.Field(ge=1, le=52)
    done: bool


class RichProposal(pydantic.BaseModel):
    """Exercises $defs/$ref, enums, bounds, arrays, optionals, dicts and formats."""

    model_config = pydantic.ConfigDict(extra="forbid")

    title: str = pydantic.Field(max_length=40)
    tier: Tier
    lead: Milestone
    milestones: list[Milestone] = pydantic.Field(min_length=1, max_length=5)
    risks: list[str]
    budget_eur: float = pydantic.Field(gt=0)
    discount_pct: int = pydantic.Field(ge=0, le=30, multiple_of=5)
    starts_on: date
    contact: str | None
    hours_by_role: dict[str, int]


@pytest.fixture
def fake() -> Iterator[FakeOllama]:
    """A fresh fake per test."""
    with FakeOllama() as server:
        yield server


@pytest.fixture
def client(fake: FakeOllama) -> Iterator[httpx.Client]:
    """A sync client pointed at the fake."""
    with httpx.Client(base_url=fake.url, timeout=10.0) as http:
        yield http


def chat_body(**overrides: Any) -> dict[str, Any]:
    """A valid /api/chat body."""
    return {"model": DEFAULT_MODEL, "messages": [USER_MESSAGE], **overrides}


def stream_lines(http: httpx.Client, path: str, body: dict[str, Any]) -> tuple[httpx.Response, list[Any]]:
    """POST and parse the NDJSON answer line by line."""
    with http.stream("POST", path, json=body) as response:
        lines = [json.loads(line) for line in response.iter_lines() if line]
    return response, lines


def test_root_version_and_tags(client: httpx.Client) -> None:
    """Discovery endpoints answer like Ollama."""
    assert client.get("/").text == "Ollama is running"
    assert client.get("/api/version").json() == {"version": OLLAMA_VERSION}
    models = client.get("/api/tags").json()["models"]
    assert [m["name"] for m in models] == [DEFAULT_MODEL]
    entry = models[0]
    assert entry["model"] == DEFAULT_MODEL
    assert {"modified_at", "size", "digest", "details"} <= set(entry)
    assert {"format", "family", "parameter_size", "quantization_level"} <= set(entry["details"])
    assert entry["details"]["parameter_size"] == "7B"


def test_pull_streams_progress_then_lists_model(client: httpx.Client) -> None:
    """A streamed pull reports progress, ends with success and makes the model usable."""
    response, lines = stream_lines(client, "/api/pull", {"model": "llama3.2:3b"})
    assert response.headers["content-type"] == "application/x-ndjson"
    statuses = [line["status"] for line in lines]
    assert statuses[0] == "pulling manifest"
    assert statuses[-3:] == ["verifying sha256 digest", "writing manifest", "success"]
    assert any(line.get("completed") == line.get("total") for line in lines if "digest" in line)
    names = [m["name"] for m in client.get("/api/tags").json()["models"]]
    assert names[0] == "llama3.2:3b" and DEFAULT_MODEL in names
    assert client.post("/api/chat", json=chat_body(model="llama3.2:3b", stream=False)).status_code == 200


def test_pull_without_stream_and_scripted_failures(fake: FakeOllama, client: httpx.Client) -> None:
    """``stream: false`` gives one object; ``pull_error`` fails the next pull only."""
    assert client.post("/api/pull", json={"model": "gemma3", "stream": False}).json() == {"status": "success"}
    assert "gemma3:latest" in [m["name"] for m in client.get("/api/tags").json()["models"]]
    fake.script(Behaviour.pull_error("pull model manifest: file does not exist"), Behaviour.pull_error("nope"))
    _, lines = stream_lines(client, "/api/pull", {"model": "missing:1b"})
    assert lines[-1] == {"error": "pull model manifest: file does not exist"}
    failed = client.post("/api/pull", json={"model": "missing:1b", "stream": False})
    assert (failed.status_code, failed.json()) == (500, {"error": "nope"})
    assert "missing:1b" not in [m["name"] for m in client.get("/api/tags").json()["models"]]


def test_chat_streams_ndjson_by_default(client: httpx.Client) -> None:
    """Without ``stream`` the answer is NDJSON chunks and a final done line with metrics."""
    response, lines = stream_lines(client, "/api/chat", chat_body())
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    *chunks, final = lines
    assert len(chunks) >= 3
    for chunk in chunks:
        assert set(chunk) == {"model", "created_at", "message", "done"}
        assert chunk["done"] is False and chunk["model"] == DEFAULT_MODEL
        assert chunk["message"]["role"] == "assistant"
    assert final["done"] is True and final["done_reason"] == "stop"
    assert final["message"] == {"role": "assistant", "content": ""}
    for key in ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration"):
        assert isinstance(final[key], int) and final[key] > 0
    assert final["eval_count"] >= len(chunks) and final["prompt_eval_count"] > 0
    assert final["total_duration"] >= final["load_duration"] + final["eval_duration"]
    text = "".join(chunk["message"]["content"] for chunk in chunks)
    assert f"{MARKER} reply" in text and "ACME Corp" in text and "\n- " in text


def test_chat_without_stream_returns_one_object(client: httpx.Client) -> None:
    """``stream: false`` gives the final object with the full content."""
    response = client.post("/api/chat", json=chat_body(stream=False))
    assert response.headers["content-type"].startswith("application/json")
    answer = response.json()
    assert answer["done"] is True and answer["done_reason"] == "stop"
    assert answer["message"]["role"] == "assistant"
    assert answer["message"]["content"].startswith(f"{MARKER} reply for ACME Corp")
    assert answer["eval_count"] > 0 and answer["prompt_eval_count"] > 0


def test_format_schema_with_ten_required_strings(fake: FakeOllama, client: httpx.Client) -> None:
    """The answer validates against a pydantic schema; strings are recognisable prose."""
    schema = TenSections.model_json_schema()
    answer = client.post("/api/chat", json=chat_body(stream=False, format=schema)).json()
    draft = TenSections.model_validate_json(answer["message"]["content"])
    for name, value in draft.model_dump().items():
        assert f"{MARKER} {name}" in value
        assert "ACME Corp" in value and "\n- " in value
    assert fake.chat_requests[-1].body["format"] == schema


def test_format_schema_with_refs_enums_and_bounds_streamed(client: httpx.Client) -> None:
    """Nested ``$defs``/``$ref``, enums, numeric bounds, arrays and formats survive streaming."""
    body = chat_body(format=RichProposal.model_json_schema())
    _, lines = stream_lines(client, "/api/chat", body)
    content = "".join(line["message"]["content"] for line in lines)
    proposal = RichProposal.model_validate_json(content)
    assert f"{MARKER} title" in proposal.title
    assert proposal.milestones and all(1 <= m.week <= 52 for m in proposal.milestones)
    assert proposal.discount_pct % 5 == 0 and proposal.budget_eur > 0


def test_format_json_and_plain_text(client: httpx.Client) -> None:
    """``format: "json"`` gives a JSON object; no format gives prose."""
    as_json = client.post("/api/chat", json=chat_body(stream=False, format="json")).json()
    assert isinstance(json.loads(as_json["message"]["content"]), dict)
    plain = client.post("/api/chat", json=chat_body(stream=False)).json()["message"]["content"]
    with pytest.raises(json.JSONDecodeError):
        json.loads(plain)


def test_unknown_or_missing_model(client: httpx.Client) -> None:
    """Unknown model is 404, missing model is 400, both with Ollama's messages."""
    unknown = client.post("/api/chat", json=chat_body(model="nope:1b"))
    assert unknown.status_code == 404
    assert unknown.json() == {"error": 'model "nope:1b" not found, try pulling it first'}
    missing = client.post("/api/chat", json={"messages": [USER_MESSAGE]})
    assert (missing.status_code, missing.json()) == (400, {"error": "model is required"})


def test_empty_messages_load_or_unload(client: httpx.Client) -> None:
    """No messages loads the model; ``keep_alive: 0`` unloads it."""
    loaded = client.post("/api/chat", json={"model": DEFAULT_MODEL, "messages": []}).json()
    assert (loaded["done"], loaded["done_reason"]) == (True, "load")
    unloaded = client.post("/api/chat", json={"model": DEFAULT_MODEL, "messages": [], "keep_alive": 0})
    assert unloaded.json()["done_reason"] == "unload"


def test_scripted_http_errors_then_normal(fake: FakeOllama, client: httpx.Client) -> None:
    """Behaviours are consumed one per call; afterwards calls succeed."""
    fake.script(Behaviour.http_error(500, "boom"), Behaviour.http_error(429, "slow down"))
    first = client.post("/api/chat", json=chat_body())
    assert (first.status_code, first.json()) == (500, {"error": "boom"})
    assert client.post("/api/chat", json=chat_body()).status_code == 429
    assert client.post("/api/chat", json=chat_body(stream=False)).json()["done"] is True
    assert [r.behaviour for r in fake.chat_requests] == ["http_error", "http_error", "ok"]


def test_error_line_mid_stream(fake: FakeOllama, client: httpx.Client) -> None:
    """The stream starts, then an error line ends it; without streaming it is a 500."""
    fake.script(Behaviour.error_line(2, "runner crashed"), Behaviour.error_line(2, "runner crashed"))
    response, lines = stream_lines(client, "/api/chat", chat_body())
    assert response.status_code == 200
    assert [line.get("done") for line in lines[:2]] == [False, False]
    assert lines[2:] == [{"error": "runner crashed"}]
    whole = client.post("/api/chat", json=chat_body(stream=False))
    assert (whole.status_code, whole.json()) == (500, {"error": "runner crashed"})


def test_bad_json_and_schema_violation(fake: FakeOllama, client: httpx.Client) -> None:
    """``bad_json`` is not JSON; ``schema_violation`` is JSON missing required keys."""
    body = chat_body(stream=False, format=TenSections.model_json_schema())
    fake.script(Behaviour.bad_json(), Behaviour.schema_violation())
    bad = client.post("/api/chat", json=body).json()["message"]["content"]
    with pytest.raises(json.JSONDecodeError):
        json.loads(bad)
    violating = client.post("/api/chat", json=body).json()["message"]["content"]
    assert isinstance(json.loads(violating), dict)
    with pytest.raises(pydantic.ValidationError) as caught:
        TenSections.model_validate_json(violating)
    assert {error["type"] for error in caught.value.errors()} == {"missing"}


def test_slow_delays_the_first_byte(fake: FakeOllama, client: httpx.Client) -> None:
    """``slow`` trips a short read timeout; with patience the answer arrives after the delay."""
    fake.script(Behaviour.slow(0.4), Behaviour.slow(0.2))
    with pytest.raises(httpx.ReadTimeout):
        client.post("/api/chat", json=chat_body(), timeout=httpx.Timeout(5.0, read=0.1))
    began = time.monotonic()
    answer = client.post("/api/chat", json=chat_body(stream=False)).json()
    assert answer["done"] is True
    assert time.monotonic() - began >= 0.2


def test_hang_until_the_client_gives_up(fake: FakeOllama, client: httpx.Client) -> None:
    """``hang`` never answers; once the client leaves, its slot frees up for the next call."""
    fake.script(Behaviour.hang())
    with pytest.raises(httpx.ReadTimeout):
        client.post("/api/chat", json=chat_body(), timeout=httpx.Timeout(5.0, read=0.2))
    assert client.post("/api/chat", json=chat_body(stream=False)).json()["done"] is True
    hung, normal = fake.chat_requests
    assert hung.behaviour == "hang" and hung.status is None
    assert hung.finished_at is not None and normal.started_at is not None
    assert hung.finished_at <= normal.started_at


def test_disconnect_mid_response(fake: FakeOllama, client: httpx.Client) -> None:
    """``disconnect`` drops the connection part-way, streamed or not."""
    fake.script(Behaviour.disconnect(after_chunks=2), Behaviour.disconnect())
    received: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError):
        with client.stream("POST", "/api/chat", json=chat_body()) as response:
            received.extend(line for line in response.iter_lines() if line)
    assert len(received) == 2
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/api/chat", json=chat_body(stream=False))
    assert client.post("/api/chat", json=chat_body(stream=False)).json()["done"] is True


@pytest.mark.parametrize("parallel", [1, 2])
async def test_parallel_limits_concurrent_chats(fake: FakeOllama, parallel: int) -> None:
    """``parallel=1`` serialises two concurrent calls; ``parallel=2`` lets them overlap."""
    fake.configure(parallel=parallel, chunk_delay=0.01)

    async def one(http: httpx.AsyncClient) -> list[str]:
        async with http.stream("POST", "/api/chat", json=chat_body()) as response:
            return [line async for line in response.aiter_lines() if line]

    async with httpx.AsyncClient(base_url=fake.url, timeout=10.0) as http:
        first_lines, second_lines = await asyncio.gather(one(http), one(http))
    assert json.loads(first_lines[-1])["done"] and json.loads(second_lines[-1])["done"]
    first, second = sorted(fake.chat_requests, key=lambda r: r.started_at or 0.0)
    assert first.finished_at is not None and second.started_at is not None
    assert second.received_at < first.finished_at  # both were in flight together
    if parallel == 1:
        assert first.finished_at <= second.started_at
    else:
        assert second.started_at < first.finished_at


def test_latency_before_answer(fake: FakeOllama, client: httpx.Client) -> None:
    """``latency`` delays every chat answer."""
    fake.configure(latency=0.2)
    began = time.monotonic()
    assert client.post("/api/chat", json=chat_body(stream=False)).status_code == 200
    assert time.monotonic() - began >= 0.2


def test_records_what_the_client_sent(fake: FakeOllama, client: httpx.Client) -> None:
    """Path, body, headers and timing of each request are recorded."""
    body = chat_body(stream=False, format="json", options={"temperature": 0.2, "num_ctx": 8192}, keep_alive="5m")
    client.post("/api/chat", json=body, headers={"x-request-id": "abc"})
    client.get("/api/tags")
    chat, tags = fake.requests
    assert (chat.method, chat.path, chat.body, chat.status) == ("POST", "/api/chat", body, 200)
    assert chat.headers["x-request-id"] == "abc"
    assert chat.received_at <= (chat.started_at or 0) <= (chat.finished_at or 0)
    assert (tags.method, tags.path, tags.body) == ("GET", "/api/tags", None)


def test_control_api(fake: FakeOllama, client: httpx.Client) -> None:
    """A separate process can be scripted, configured, inspected and reset over HTTP."""
    behaviours = [{"kind": "http_error", "status": 502, "message": "bad gateway"}, {"kind": "bad_json"}]
    pending = client.post("/_fake/script", json={"behaviours": behaviours}).json()["pending"]
    assert pending["/api/chat"] == behaviours
    assert client.post("/_fake/script", json={"behaviours": [{"kind": "explode"}]}).status_code == 400
    assert client.post("/api/chat", json=chat_body()).json() == {"error": "bad gateway"}

    config = client.post("/_fake/config", json={"models": ["llama3.2:3b"], "parallel": 3}).json()
    assert config == {
        "models": ["llama3.2:3b"],
        "chunk_delay": 0.0,
        "latency": 0.0,
        "parallel": 3,
        "flavour": "ollama",
    }
    assert client.post("/_fake/config", json={"parallel": 0}).status_code == 400
    assert [m["name"] for m in client.get("/api/tags").json()["models"]] == ["llama3.2:3b"]
    assert client.post("/api/chat", json=chat_body()).status_code == 404

    recorded = client.get("/_fake/requests").json()["requests"]
    assert [(r["method"], r["path"], r["status"]) for r in recorded] == [
        ("POST", "/api/chat", 502),
        ("GET", "/api/tags", 200),
        ("POST", "/api/chat", 404),
    ]
    assert recorded[0]["body"] == chat_body()

    assert client.post("/_fake/reset").json() == {"status": "reset"}
    assert client.get("/_fake/requests").json() == {"requests": []}
    assert client.get("/_fake/config").json()["models"] == [DEFAULT_MODEL]
    assert client.post("/api/chat", json=chat_body(stream=False)).json()["done"] is True  # bad_json dropped


def test_cli_serves_until_sigterm() -> None:
    """``python -m tests.support.fake_ollama`` prints its URL, serves, and exits cleanly on SIGTERM."""
    command = [sys.executable, "-m", "tests.support.fake_ollama", "--port", "0", "--model", "llama3.2:3b"]
    with subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        try:
            ready, _, _ = select.select([process.stdout], [], [], 15.0)
            assert ready, "the fake printed nothing within 15 s"
            match = re.fullmatch(r"fake-ollama listening on (http://127\.0\.0\.1:\d+)\n", process.stdout.readline())
            assert match is not None
            url = match.group(1)
            assert httpx.get(f"{url}/api/version").json() == {"version": OLLAMA_VERSION}
            assert [m["name"] for m in httpx.get(f"{url}/api/tags").json()["models"]] == ["llama3.2:3b"]
        finally:
            process.send_signal(signal.SIGTERM)
            _, errors = process.communicate(timeout=15.0)
    assert process.returncode == 0, errors
    assert "Traceback" not in errors
