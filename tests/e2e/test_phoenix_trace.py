"""A proposal's trace in the real tracing UI: `propos4l observe` runs Arize Phoenix, `propos4l run` sends it traces,
and Phoenix's REST API holds one trace for the proposal with its model call as an LLM span with token counts.

Phoenix comes from `make observe` (.tools/phoenix, ~630 MB): without it the test is skipped and says so, unless
PROPOS4L_REQUIRE_PHOENIX=1 (`make test` installs it and sets that).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from propos4l.shared.localrun.servers import free_port
from propos4l.shared.localrun.tracing_ui import running_tracing_ui
from tests.support.fake_ollama import FakeOllama
from tests.support.system import REPO, running_system
from tests.support.waiting import wait_for_sync

pytestmark = pytest.mark.e2e

PHOENIX = Path(os.environ.get("PROPOS4L_PHOENIX") or REPO / ".tools" / "phoenix" / "bin" / "phoenix")
MODEL = "qwen2.5:7b"


@pytest.fixture
def phoenix(run_dir: Path) -> Iterator[str]:
    """`propos4l observe` for `run_dir`, as `make observe` starts it; its URL once it answers."""
    if not PHOENIX.is_file():
        if os.environ.get("PROPOS4L_REQUIRE_PHOENIX"):
            pytest.fail(f"Phoenix is not installed at {PHOENIX} (make phoenix)")
        pytest.skip(f"no Phoenix at {PHOENIX}: `make observe` (or `make phoenix`) installs it into .tools/phoenix")
    environment = {**os.environ, "PROPOS4L_DATA_DIR": str(run_dir), "PROPOS4L_PHOENIX": str(PHOENIX)}
    environment["PHOENIX_PORT"] = str(free_port())
    log = (run_dir / "observe.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "propos4l.shared.cli", "observe"], cwd=REPO, env=environment, stdout=log, stderr=log
    )
    try:
        ui = wait_for_sync(
            lambda: running_tracing_ui(run_dir) or (process.poll() is not None and "exited") or None,
            timeout=150,
            interval=0.5,
            message="Phoenix did not start",
        )
        assert ui != "exited", (run_dir / "observe.log").read_text()[-3000:]
        yield ui.url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _spans(phoenix: str, trace_id: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{phoenix}/v1/projects/propos4l/spans", params={"trace_id": trace_id, "limit": 1000}, timeout=10.0
    )
    if response.status_code == 404:  # the project appears with its first span
        return []
    response.raise_for_status()
    spans: list[dict[str, Any]] = response.json()["data"]
    return spans


def _attribute(span: dict[str, Any], name: str) -> Any:
    """An attribute, whether Phoenix gives the attributes flat (``a.b``) or nested (``{"a": {"b": ...}}``)."""
    attributes = span["attributes"]
    if name in attributes:
        return attributes[name]
    value: Any = attributes
    for part in name.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def test_a_proposal_has_one_trace_in_phoenix_with_its_model_call_as_an_llm_span(run_dir: Path, phoenix: str) -> None:
    with (
        FakeOllama(models=[MODEL]) as fake,
        running_system(run_dir, {"OLLAMA_URL": fake.url, "OLLAMA_MODEL": MODEL}) as system,
    ):
        assert f"traces:     {phoenix}" in system.printed()
        with system.client() as client:
            created = client.post(
                "/api/proposals",
                json={"client_name": "Padaria Pão Quente", "industry": "Varejo", "requirements": "Loja online."},
            )
            assert created.status_code == 202, created.text
            proposal_id = created.json()["id"]

            def ready() -> dict[str, Any] | None:
                body: dict[str, Any] = client.get(f"/api/proposals/{proposal_id}").json()
                assert body["status"] != "failed", body
                return body if body["status"] == "ready" else None

            proposal = wait_for_sync(ready, timeout=90, interval=0.2, message="the proposal never became ready")

        trace_id = proposal["trace_id"]
        assert trace_id and proposal["trace_url"] == f"{phoenix}/redirects/traces/{trace_id}"

        def whole_trace() -> list[dict[str, Any]] | None:
            spans = _spans(phoenix, trace_id)
            services_seen = {span["name"] for span in spans if span["name"].startswith("process ")}
            llm = [span for span in spans if span["span_kind"] == "LLM"]
            request = [span for span in spans if span["name"] == "POST /api/proposals"]
            return spans if llm and request and len(services_seen) >= 2 else None

        # The services export in batches (every 5 s by default): wait for them.
        spans = wait_for_sync(whole_trace, timeout=60, interval=1.0, message="the trace never reached Phoenix")

    assert {span["context"]["trace_id"] for span in spans} == {trace_id}
    roots = [span for span in spans if not span["parent_id"]]
    assert [root["name"] for root in roots] == ["POST /api/proposals"]  # one trace: the request's
    (llm,) = [span for span in spans if span["span_kind"] == "LLM"]
    assert llm["name"] == f"chat {MODEL}"
    assert _attribute(llm, "llm.model_name") == MODEL
    assert _attribute(llm, "llm.token_count.prompt") > 0
    assert _attribute(llm, "llm.token_count.completion") > 0
    assert _attribute(llm, "gen_ai.provider.name") == "ollama"
    assert _attribute(llm, "input.value") is None  # client data stays out by default
    (retriever,) = [span for span in spans if span["span_kind"] == "RETRIEVER"]  # the library, at request time
    assert retriever["name"] == "retrieve drafting context"
    assert retriever["parent_id"] == roots[0]["context"]["span_id"]
    assert system.process.returncode == 0, system.printed()[-3000:]
