"""Live drafting over Server-Sent Events, and new versions by regenerating and editing sections."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from tests.support.fake_ollama import FakeOllama
from tests.support.system import RunningSystem, running_system
from tests.support.waiting import wait_for_sync

pytestmark = pytest.mark.e2e

REQUEST = {
    "client_name": "Cooperativa Vale Verde",
    "industry": "Agronegócio",
    "requirements": "Rastreabilidade de lotes do campo ao cliente, com app offline para os cooperados.",
}


@pytest.fixture
def system(run_dir: Path) -> Iterator[tuple[RunningSystem, FakeOllama]]:
    with (
        FakeOllama(models=["qwen2.5:7b"], chunk_delay=0.15) as fake,
        running_system(
            run_dir,
            {
                "OLLAMA_URL": fake.url,
                "OLLAMA_MODEL": "qwen2.5:7b",
                "GENERATOR_PROGRESS_INTERVAL_SECONDS": "0.1",
            },
        ) as running,
    ):
        yield running, fake


def _read_events(
    client: httpx.Client, proposal_id: str, *, last_id: str | None, stop_after: int | None
) -> list[dict[str, Any]]:
    """Read the event stream until `stop_after` events, or until the proposal is ready or failed."""
    headers = {"Last-Event-ID": last_id} if last_id else {}
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    with client.stream("GET", f"/api/proposals/{proposal_id}/events", headers=headers, timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith(":"):
                continue
            if not line:
                if "data" in current:
                    current["data"] = json.loads(current["data"])
                    events.append(current)
                    if stop_after is not None and len(events) >= stop_after:
                        return events
                    if current["event"] == "status" and current["data"]["status"] in {"ready", "failed"}:
                        return events
                current = {}
                continue
            field, _, value = line.partition(":")
            current[field] = value.removeprefix(" ")
    return events


def _settled(client: httpx.Client, proposal_id: str, version: int) -> dict[str, Any]:
    def settled() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"/api/proposals/{proposal_id}").json()
        return body if body["version"] == version and body["status"] in {"ready", "failed"} else None

    return wait_for_sync(settled, timeout=90, interval=0.2)


def _pdf_text(data: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages))


def test_the_draft_streams_live_and_the_stream_resumes_without_loss_or_repeat(
    system: tuple[RunningSystem, FakeOllama],
) -> None:
    running, _ = system
    with running.client() as client:
        proposal_id = client.post("/api/proposals", json=REQUEST).json()["id"]
        first = _read_events(client, proposal_id, last_id=None, stop_after=4)
        rest = _read_events(client, proposal_id, last_id=first[-1]["id"], stop_after=None)
        everything = _read_events(client, proposal_id, last_id=None, stop_after=None)

    received = first + rest
    assert [event["id"] for event in received] == [event["id"] for event in everything], "no loss, no repeat"
    kinds = [(event["event"], event["data"].get("status")) for event in received]
    assert kinds[0] == ("status", "queued")
    assert kinds[-1] == ("status", "ready")
    statuses = [status for kind, status in kinds if kind == "status"]
    assert statuses == ["queued", "generating", "rendering", "ready"]
    progress = [event["data"] for event in received if event["event"] == "progress"]
    progress_positions = [index for index, (kind, _) in enumerate(kinds) if kind == "progress"]
    assert progress_positions and max(progress_positions) < kinds.index(("status", "rendering"))
    with_text = [p for p in progress if p["text"]]
    assert with_text, "partial text arrives before the proposal is ready"
    assert with_text[0]["section"] == "executive_summary"
    assert with_text[0]["title"] == "Sumário executivo"
    assert "Cooperativa Vale Verde" in " ".join(p["text"] for p in with_text)
    assert len({p["section"] for p in progress if p["section"]}) >= 5, "the stream moves section by section"


def test_regenerating_and_editing_make_versions_two_and_three_and_version_one_still_downloads(
    system: tuple[RunningSystem, FakeOllama],
) -> None:
    running, fake = system
    with running.client() as client:
        proposal_id = client.post("/api/proposals", json=REQUEST).json()["id"]
        first = _settled(client, proposal_id, 1)
        assert first["status"] == "ready"
        pdf_v1 = client.get(f"/api/proposals/{proposal_id}/pdf").content

        regenerated = client.post(
            f"/api/proposals/{proposal_id}/sections/scope/regenerate", json={"instructions": "mais curto"}
        )
        assert regenerated.status_code == 202, regenerated.text
        assert regenerated.json()["version"] == 2 and regenerated.json()["status"] == "queued"
        busy = client.put(f"/api/proposals/{proposal_id}/sections/terms", json={"content": "x"})
        assert busy.status_code == 409 and "still" in busy.json()["detail"]
        second = _settled(client, proposal_id, 2)
        assert second["status"] == "ready"
        changed = [
            key
            for key in (s["key"] for s in first["sections"])
            if next(s for s in first["sections"] if s["key"] == key)["content"]
            != next(s for s in second["sections"] if s["key"] == key)["content"]
        ]
        assert changed == ["scope"]
        regeneration_prompt = fake.chat_requests[-1].body["messages"][-1]["content"]
        assert "mais curto" in regeneration_prompt

        edited_text = "Escopo revisado à mão: **somente** o módulo de rastreabilidade."
        edited = client.put(f"/api/proposals/{proposal_id}/sections/scope", json={"content": edited_text})
        assert edited.status_code == 202 and edited.json()["version"] == 3
        third = _settled(client, proposal_id, 3)
        assert third["status"] == "ready"
        assert next(s for s in third["sections"] if s["key"] == "scope")["content"] == edited_text

        versions = client.get(f"/api/proposals/{proposal_id}/versions").json()["items"]
        assert [(v["version"], v["origin"], v["section_key"]) for v in versions] == [
            (1, "draft", None),
            (2, "regenerate", "scope"),
            (3, "edit", "scope"),
        ]
        assert versions[1]["instructions"] == "mais curto"
        assert all(v["pdf_url"] for v in versions)
        old = client.get(f"/api/proposals/{proposal_id}/pdf", params={"version": 1})
        latest = client.get(f"/api/proposals/{proposal_id}/pdf")
    assert old.status_code == 200 and old.content == pdf_v1
    assert "Escopo revisado à mão: somente o módulo de rastreabilidade." in _pdf_text(latest.content)
    assert "Escopo revisado" not in _pdf_text(old.content)
