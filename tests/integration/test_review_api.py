"""Review through the HTTP API on real PostgreSQL and Redis: submit, comment threads with @mentions, approval blocked
by open threads and its override, roles and ownership, approval rules (admin CRUD and the proposal view), a new
version resetting an approval, and the webhooks the moves fire."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from standardwebhooks import Webhook
from weasyprint import HTML

from propos4l.gateway.problems import PROBLEM_JSON
from propos4l.shared.sections import SECTION_KEYS, Language, section_title
from tests.support.gateway import AUTH, RunningGateway, gateway_settings, running_gateway
from tests.support.waiting import wait_for
from tests.support.webhook_receiver import webhook_receiver

pytestmark = pytest.mark.integration

PROPOSAL: dict[str, Any] = {
    "client_name": "Banco Azul",
    "industry": "Banking",
    "requirements": "Rastrear frotas em tempo real e integrar com o ERP.",
    "language": "en",
    "template": "default",
    "discount_percent": "20",
}


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    """An HTTP server on loopback that takes every POST (204) and keeps its headers and body."""
    with webhook_receiver() as running:
        yield running.url, running.received


@pytest.fixture
async def gateway(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(
        database_url, redis_url, data_dir, webhook_allowed_networks="127.0.0.1/32", webhook_retry_base_seconds=0.1
    )
    async with running_gateway(settings) as running:
        yield running


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["detail"]
    return body


async def user_with_token(client: httpx.AsyncClient, email: str, role: str, name: str) -> tuple[str, dict[str, str]]:
    created = await client.post("/api/users", json={"email": email, "display_name": name, "role": role}, headers=AUTH)
    assert created.status_code == 201, created.text
    token = await client.post(
        "/api/tokens", json={"name": name, "role": role, "owner_id": created.json()["id"]}, headers=AUTH
    )
    assert token.status_code == 201, token.text
    return created.json()["id"], {"Authorization": f"Bearer {token.json()['token']}"}


async def make_ready(gateway: RunningGateway, proposal_id: str) -> None:
    """Version 1 drafted and rendered, as the generator and renderer would leave it (so that edits may follow)."""
    sections = [
        {"key": key.value, "title": section_title(key, Language.EN), "content": f"v1 {key.value}"}
        for key in SECTION_KEYS
    ]
    async with gateway.app.state.pool.acquire() as connection:
        await connection.execute("UPDATE proposals SET status = 'ready' WHERE id = $1", uuid.UUID(proposal_id))
        await connection.execute(
            """UPDATE proposal_versions SET sections = $2, drafted_at = now(), investment_items = $3
               WHERE proposal_id = $1 AND version = 1""",
            uuid.UUID(proposal_id),
            sections,
            [{"description": "Build", "quantity": "100", "unit_price": "150"}],
        )


async def test_the_review_flow_from_submission_to_approval_with_threads_mentions_and_roles(
    gateway: RunningGateway, receiver: tuple[str, list[tuple[dict[str, str], bytes]]]
) -> None:
    client = gateway.client
    hook_url, bodies = receiver
    hook = await client.post(
        "/api/webhooks",
        json={"url": hook_url, "event_types": ["proposal.review.in_review", "proposal.review.approved"]},
        headers=AUTH,
    )
    assert hook.status_code == 201, hook.text
    secret = hook.json()["secret"]
    ana_id, ana = await user_with_token(client, "ana@example.com", "editor", "Ana Souza")
    _, bruno = await user_with_token(client, "bruno@example.com", "editor", "Bruno Lima")
    carla_id, carla = await user_with_token(client, "carla@example.com", "manager", "Carla Dias")
    _, vitor = await user_with_token(client, "vitor@example.com", "viewer", "Vitor Reis")

    created = await client.post("/api/proposals", json=PROPOSAL, headers=ana)
    assert created.status_code == 202, created.text
    proposal_id = created.json()["id"]
    assert created.json()["review_state"] == "draft"
    await make_ready(gateway, proposal_id)
    review = (await client.get(f"/api/proposals/{proposal_id}/review", headers=ana)).json()
    assert (review["state"], review["next_states"], review["approval_required"]) == ("draft", ["in_review"], False)

    # Threads: on a section, with mentions by e-mail and by name; an unknown mention is refused.
    unknown = await client.post(
        f"/api/proposals/{proposal_id}/threads",
        json={"anchor_kind": "section", "anchor": "scope", "body": "@nobody@example.com look"},
        headers=ana,
    )
    assert problem(unknown, 422)["code"] == "mention_unknown"
    assert problem(
        await client.post(
            f"/api/proposals/{proposal_id}/threads",
            json={"anchor_kind": "section", "anchor": "nope", "body": "x"},
            headers=ana,
        ),
        422,
    )
    thread = await client.post(
        f"/api/proposals/{proposal_id}/threads",
        json={"anchor_kind": "section", "anchor": "scope", "body": "@Carla@example.com is the scope too wide?"},
        headers=ana,
    )
    assert thread.status_code == 201, thread.text
    thread_id = thread.json()["id"]
    assert thread.json()["comments"][0]["mentions"] == [{"user_id": carla_id, "display_name": "Carla Dias"}]
    answered = await client.post(
        f"/api/proposals/{proposal_id}/threads/{thread_id}/comments",
        json={"body": "Narrow it, @[ana souza]."},
        headers=carla,
    )
    assert answered.status_code == 201, answered.text
    assert [c["author"] for c in answered.json()["comments"]] == ["Ana Souza", "Carla Dias"]
    assert answered.json()["comments"][1]["mentions"][0]["user_id"] == ana_id
    assert (
        problem(await client.post(f"/api/proposals/{proposal_id}/threads", json={"body": "hi"}, headers=vitor), 403)[
            "code"
        ]
        == "role_required"
    )

    # Submission: only the owner, a collaborator or a manager; viewers never.
    transitions = f"/api/proposals/{proposal_id}/transitions"
    assert problem(await client.post(transitions, json={"to": "in_review"}, headers=bruno), 403)["code"] == (
        "not_a_collaborator"
    )
    assert problem(await client.post(transitions, json={"to": "in_review"}, headers=vitor), 403)["code"] == (
        "role_required"
    )
    problem(await client.post(transitions, json={"to": "sent"}, headers=ana), 422)  # sending has its own route
    submitted = await client.post(transitions, json={"to": "in_review", "reason": "ready"}, headers=ana)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["state"] == "in_review"
    assert problem(await client.post(transitions, json={"to": "approved"}, headers=ana), 403)["code"] == (
        "role_required"
    )

    # Approval: blocked by the open thread, unless overridden with a reason; resolving it unblocks.
    assert problem(await client.post(transitions, json={"to": "approved"}, headers=carla), 409)["code"] == (
        "review_open_threads"
    )
    assert (
        problem(await client.post(transitions, json={"to": "approved", "override": True}, headers=carla), 422)["code"]
        == "review_override_needs_reason"
    )
    resolved = await client.patch(
        f"/api/proposals/{proposal_id}/threads/{thread_id}", json={"resolved": True}, headers=ana
    )
    assert resolved.status_code == 200 and resolved.json()["resolved"] is True
    approved = await client.post(transitions, json={"to": "approved"}, headers=carla)
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert (body["state"], body["approved_version"], body["open_threads"]) == ("approved", 1, 0)
    assert [(t["from_state"], t["to_state"], t["actor"]) for t in body["transitions"]] == [
        ("draft", "in_review", "Ana Souza"),
        ("in_review", "approved", "Carla Dias"),
    ]
    view = (await client.get(f"/api/proposals/{proposal_id}", headers=vitor)).json()
    assert (view["review_state"], view["approved_version"], view["open_threads"]) == ("approved", 1, 0)

    # A new version (a section edit) sends it back to draft: the approval was of version 1.
    edited = await client.put(
        f"/api/proposals/{proposal_id}/sections/scope", json={"content": "A narrower scope."}, headers=ana
    )
    assert edited.status_code == 202, edited.text
    review = (await client.get(f"/api/proposals/{proposal_id}/review", headers=carla)).json()
    assert (review["state"], review["version"], review["approved_version"]) == ("draft", 2, None)
    assert review["transitions"][-1]["actor"] == "system"
    assert review["transitions"][-1]["reason"] == "version 2 was made after the approval"

    # The webhooks of the two subscribed moves were delivered, signed.
    async def two_came() -> bool:
        return len(bodies) >= 2

    await wait_for(two_came, timeout=15, message="the review webhooks never came")
    delivered = [Webhook(secret).verify(body, headers) for headers, body in bodies]  # raises unless signed
    assert sorted(item["type"] for item in delivered) == ["proposal.review.approved", "proposal.review.in_review"]
    approved_event = next(item for item in delivered if item["type"] == "proposal.review.approved")
    assert approved_event["data"]["review"]["actor"] == "Carla Dias"
    audit = (await client.get("/api/audit", params={"action": "proposal.review.approved"}, headers=AUTH)).json()
    assert [record["object_id"] for record in audit["items"]] == [proposal_id]


async def test_approval_rules_are_admin_managed_and_shown_on_the_proposal(gateway: RunningGateway) -> None:
    client = gateway.client
    _, manager = await user_with_token(client, "dora@example.com", "manager", "Dora")
    rules = "/api/approval-rules"
    assert problem(await client.get(rules, headers=manager), 403)["code"] == "role_required"
    problem(await client.post(rules, json={"name": "x", "kind": "total_above"}, headers=AUTH), 422)
    problem(await client.post(rules, json={"name": "x", "kind": "industry", "threshold": "3"}, headers=AUTH), 422)
    problem(
        await client.post(rules, json={"name": "x", "kind": "discount_above", "threshold": "101"}, headers=AUTH), 422
    )
    discount = await client.post(
        rules, json={"name": "Deep discounts", "kind": "discount_above", "threshold": "15"}, headers=AUTH
    )
    assert discount.status_code == 201, discount.text
    assert discount.json()["threshold"] == "15.00"
    total = await client.post(
        rules,
        json={"name": "Big deals", "kind": "total_above", "threshold": "100000", "currency": "BRL"},
        headers=AUTH,
    )
    assert total.status_code == 201, total.text

    created = (await client.post("/api/proposals", json=PROPOSAL, headers=AUTH)).json()
    await make_ready(gateway, created["id"])
    view = (await client.get(f"/api/proposals/{created['id']}", headers=manager)).json()
    assert view["approval_required"] is True
    assert [(rule["name"], rule["reason"]) for rule in view["approval_rules"]] == [
        ("Deep discounts", "discount 20.00% is above 15.00%")
    ]
    lowered = {**total.json(), "threshold": "1000"}
    del lowered["id"], lowered["created_at"], lowered["updated_at"]
    assert (await client.put(f"{rules}/{total.json()['id']}", json=lowered, headers=AUTH)).status_code == 200
    view = (await client.get(f"/api/proposals/{created['id']}", headers=manager)).json()
    assert [rule["name"] for rule in view["approval_rules"]] == ["Deep discounts", "Big deals"]
    # 100 x 150 = 15000.00, less 20 % = 12000.00, plus the default template's taxes (as the PDF prices it)
    big = view["approval_rules"][1]
    assert (big["threshold"], big["currency"], big["actual"]) == ("1000.00", "BRL", view["investment"]["total"])
    assert (view["approval_rules"][0]["actual"], view["approval_rules"][0]["threshold"]) == ("20.00", "15.00")
    assert (await client.delete(f"{rules}/{discount.json()['id']}", headers=AUTH)).status_code == 204
    problem(await client.delete(f"{rules}/{discount.json()['id']}", headers=AUTH), 404)
    listed = (await client.get(rules, headers=AUTH)).json()["items"]
    assert [rule["name"] for rule in listed] == ["Big deals"]


async def test_a_pdf_needing_approval_is_stamped_until_its_version_is_approved(
    gateway: RunningGateway, data_dir: Path
) -> None:
    client = gateway.client
    _, manager = await user_with_token(client, "eva@example.com", "manager", "Eva")
    rule = {"name": "Deep discounts", "kind": "discount_above", "threshold": "10"}
    assert (await client.post("/api/approval-rules", json=rule, headers=AUTH)).status_code == 201
    proposal_id = (await client.post("/api/proposals", json={**PROPOSAL, "language": "pt-BR"}, headers=AUTH)).json()[
        "id"
    ]
    await make_ready(gateway, proposal_id)
    stored = HTML(string="<p>Proposta comercial</p><p style='page-break-before: always'>Página dois</p>").write_pdf()
    pdf = data_dir / "pdfs" / proposal_id / "v1.pdf"
    pdf.parent.mkdir(parents=True)
    pdf.write_bytes(stored)
    async with gateway.app.state.pool.acquire() as connection:
        await connection.execute(
            "UPDATE proposal_versions SET pdf_path = $2, pdf_sha256 = $3, pdf_bytes = $4, pages = 2 "
            "WHERE proposal_id = $1 AND version = 1",
            uuid.UUID(proposal_id),
            f"{proposal_id}/v1.pdf",
            "0" * 64,
            len(stored),
        )

    stamped = await client.get(f"/api/proposals/{proposal_id}/pdf", headers=manager)
    assert stamped.status_code == 200, stamped.text
    assert stamped.headers["x-propos4l-watermark"] == "not-approved"
    pages = PdfReader(io.BytesIO(stamped.content)).pages
    assert [("RASCUNHO - NÃO APROVADO" in page.extract_text()) for page in pages] == [True, True]
    assert "Página dois" in pages[1].extract_text()
    assert pdf.read_bytes() == stored  # the stored file is never changed

    transitions = f"/api/proposals/{proposal_id}/transitions"
    for to in ("in_review", "approved"):
        assert (await client.post(transitions, json={"to": to}, headers=manager)).status_code == 200
    clean = await client.get(f"/api/proposals/{proposal_id}/pdf", headers=manager)
    assert clean.status_code == 200 and "x-propos4l-watermark" not in clean.headers
    assert clean.content == stored
