"""The whole system as processes: request -> draft -> PDF over Redis Streams, as `make run` runs it."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from propos4l.shared.localrun.servers import free_port
from propos4l.shared.sections import SECTION_KEYS, Language, section_title
from tests.support.fake_ollama import FakeOllama
from tests.support.system import running_system
from tests.support.waiting import wait_for_sync

pytestmark = pytest.mark.e2e

REQUEST = {
    "client_name": "Padaria Pão Quente",
    "industry": "Varejo alimentar",
    "requirements": "Loja online com pedidos, integração ao ERP e app para entregadores.",
    "timeline": "4 meses",
    "budget": "R$ 180 mil",
}


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    with FakeOllama(models=["qwen2.5:7b"]) as fake:
        yield fake


def _settled(client: httpx.Client, proposal_id: str) -> dict[str, Any]:
    def settled() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"/api/proposals/{proposal_id}").json()
        return body if body["status"] in {"ready", "failed"} else None

    return wait_for_sync(settled, timeout=90, interval=0.2, message=f"proposal {proposal_id} never settled")


def _pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", " ", text)


def test_request_is_drafted_by_ollama_and_rendered_to_a_downloadable_pdf(
    run_dir: Path, fake_ollama: FakeOllama
) -> None:
    with running_system(run_dir, {"OLLAMA_URL": fake_ollama.url, "OLLAMA_MODEL": "qwen2.5:7b"}) as system:
        with system.client() as client:
            created = client.post("/api/proposals", json=REQUEST)
            assert created.status_code == 202, created.text
            assert created.headers["location"] == f"/api/proposals/{created.json()['id']}"
            proposal = _settled(client, created.json()["id"])
            assert proposal["status"] == "ready", proposal
            assert [s["key"] for s in proposal["sections"]] == [k.value for k in SECTION_KEYS]
            assert proposal["draft"]["provider"] == "ollama" and proposal["draft"]["ai_generated"] is True
            assert proposal["draft"]["output_tokens"] > 0

            pdf = client.get(proposal["pdf_url"])
            assert pdf.status_code == 200
            assert pdf.headers["content-type"] == "application/pdf"
            assert pdf.content.startswith(b"%PDF-")
        text = _pdf_text(pdf.content)
        assert "Padaria Pão Quente" in text
        for key in SECTION_KEYS:
            assert section_title(key, Language.PT_BR) in text
        assert "fake-ollama draft of executive_summary" in text
        chat_calls = [r for r in fake_ollama.requests if r.path == "/api/chat"]
        assert len(chat_calls) == 1
        body = chat_calls[0].body
        assert body["model"] == "qwen2.5:7b" and body["stream"] is True
        assert set(body["format"]["required"]) >= {k.value for k in SECTION_KEYS}
        assert (run_dir / "pdfs" / proposal["id"] / "v1.pdf").read_bytes() == pdf.content
    assert system.process.returncode == 0, system.printed()[-3000:]
    assert "propos4l: stopped" in system.printed()


def test_without_a_model_server_the_outline_provider_drafts_and_says_so(run_dir: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    with running_system(run_dir, {"OLLAMA_URL": nowhere}) as system:
        assert "drafting with the 'outline' provider" in system.printed()
        with system.client() as client:
            created = client.post("/api/proposals", json={**REQUEST, "language": "en"})
            proposal = _settled(client, created.json()["id"])
            assert proposal["status"] == "ready", proposal
            assert proposal["draft"] == {**proposal["draft"], "provider": "outline", "ai_generated": False}
            text = _pdf_text(client.get(proposal["pdf_url"]).content)
        assert "Draft produced without AI" in text
        assert "Padaria Pão Quente" in text and "Executive summary" in text


def test_an_unknown_model_fails_the_proposal_with_a_reason_that_names_it(
    run_dir: Path, fake_ollama: FakeOllama
) -> None:
    with running_system(run_dir, {"OLLAMA_URL": fake_ollama.url, "OLLAMA_MODEL": "llama-inexistente:70b"}) as system:
        with system.client() as client:
            created = client.post("/api/proposals", json=REQUEST)
            proposal = _settled(client, created.json()["id"])
            assert proposal["status"] == "failed"
            assert proposal["error"]["stage"] == "generation"
            assert "llama-inexistente:70b" in proposal["error"]["detail"]
            pdf = client.get(f"/api/proposals/{proposal['id']}/pdf")
            assert pdf.status_code == 409
            assert pdf.headers["content-type"] == "application/problem+json"
