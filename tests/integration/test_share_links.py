"""Sending a proposal and the client's page: share links (expiry by opening and by the sweep, revocation, access
code, guessed tokens, rate limits), the views they record, and the client's answer (acceptance with a final PDF
signed by a test CA's certificate, decline), with the review moves, lifecycle events and webhooks they make."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader, PdfWriter
from redis.asyncio import Redis
from standardwebhooks import Webhook

from propos4l.gateway.settings import GatewaySettings
from propos4l.gateway.share_expiry import EXPIRY_ACTOR, sweep_expired
from propos4l.gateway.share_links import new_token
from propos4l.renderer.sample import sample_drafted
from propos4l.shared.delivery import Publisher
from propos4l.shared.events import ProposalRendered, ProposalRequest
from propos4l.shared.sections import Language
from tests.support.gateway import AUTH, RunningGateway, gateway_settings, running_gateway
from tests.support.signing_ca import SigningCa, issue_tsa_certificate, make_signing_ca
from tests.support.timestamp_server import timestamp_server
from tests.support.waiting import wait_for
from tests.support.webhook_receiver import webhook_receiver

pytestmark = pytest.mark.integration

PUBLIC = "/api/public/share"


@pytest.fixture(scope="module")
def signing_ca(tmp_path_factory: pytest.TempPathFactory) -> SigningCa:
    return make_signing_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
async def gateway(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(database_url, redis_url, data_dir, share_rate_limit_per_minute=1000)
    async with running_gateway(settings) as running:
        yield running


def one_page_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


async def ready_proposal(
    client: httpx.AsyncClient, redis: Redis, data_dir: Path, language: Language = Language.PT_BR
) -> tuple[uuid.UUID, bytes]:
    """A proposal asked for through the API, drafted and rendered (as the services would report it); its PDF."""
    sample = sample_drafted(language)
    request = sample.request.model_dump(mode="json", exclude_none=True)
    response = await client.post("/api/proposals", json=request, headers=AUTH)
    assert response.status_code == 202, response.text
    proposal_id = uuid.UUID(response.json()["id"])
    drafted = sample.model_copy(
        update={
            "event_id": uuid.uuid4(),
            "proposal_id": proposal_id,
            "request": ProposalRequest.model_validate(request),
        }
    )
    pdf = one_page_pdf()
    path = data_dir / "pdfs" / str(proposal_id) / "v1.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pdf)
    publisher = Publisher(redis)
    await publisher.publish(drafted)
    await publisher.publish(
        ProposalRendered(
            proposal_id=proposal_id,
            version=1,
            pdf_path=f"{proposal_id}/v1.pdf",
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            pdf_bytes=len(pdf),
            pages=1,
            render_ms=1,
        )
    )

    async def ready() -> bool:
        body = (await client.get(f"/api/proposals/{proposal_id}", headers=AUTH)).json()
        return bool(body["status"] == "ready" and body["sections"])

    await wait_for(ready, timeout=10, message="the proposal was never ready")
    return proposal_id, pdf


async def send(client: httpx.AsyncClient, proposal_id: uuid.UUID, **body: Any) -> dict[str, Any]:
    response = await client.post(f"/api/proposals/{proposal_id}/send", json=body, headers=AUTH)
    assert response.status_code == 201, response.text
    sent: dict[str, Any] = response.json()
    return sent


async def review_state(client: httpx.AsyncClient, database_url: str, proposal_id: uuid.UUID) -> str:
    connection = await asyncpg.connect(database_url)
    try:
        state: str = await connection.fetchval("SELECT review_state FROM proposals WHERE id = $1", proposal_id)
        return state
    finally:
        await connection.close()


async def lifecycle_kinds(database_url: str, proposal_id: uuid.UUID) -> list[str]:
    """The review moves queued for the lifecycle stream (and so for webhooks), oldest first."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch(
            "SELECT fields FROM outbox WHERE stream = 'propos4l.proposal.lifecycle' ORDER BY created_at"
        )
    finally:
        await connection.close()
    found = []
    for row in rows:
        fields = row["fields"] if isinstance(row["fields"], dict) else json.loads(row["fields"])
        payload = json.loads(fields["payload"])
        if payload["proposal_id"] == str(proposal_id) and payload.get("review"):
            found.append(payload["review"]["to_state"])
    return found


async def test_sending_freezes_the_version_and_the_page_shows_it_and_records_views(
    client: httpx.AsyncClient, redis: Redis, data_dir: Path, database_url: str
) -> None:
    proposal_id, pdf = await ready_proposal(client, redis, data_dir)
    sent = await send(client, proposal_id, expires_in_days=7)
    token = sent["token"]
    assert len(token) >= 43 and sent["url"].endswith(f"/share#{token}")  # >= 256 bits, in the URL's fragment
    assert sent["link"]["version"] == 1 and sent["link"]["state"] == "active"
    assert await review_state(client, database_url, proposal_id) == "sent"

    page = await client.get(f"{PUBLIC}/{token}")
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["language"] == "pt-BR" and body["version"] == 1 and len(body["sections"]) == 10
    assert body["investment"]["total"] and body["brand"]["company_name"]
    assert body["answer"] is None and body["signing_configured"] is False
    assert await review_state(client, database_url, proposal_id) == "viewed"

    beacon = await client.post(f"{PUBLIC}/{token}/visits/{body['visit_id']}", json={"seconds": 42})
    assert beacon.status_code == 204
    lower = await client.post(f"{PUBLIC}/{token}/visits/{body['visit_id']}", json={"seconds": 5})
    assert lower.status_code == 204  # the total never goes down
    unknown_visit = await client.post(f"{PUBLIC}/{token}/visits/{uuid.uuid4()}", json={"seconds": 5})
    assert unknown_visit.status_code == 404
    download = await client.get(f"{PUBLIC}/{token}/pdf")
    assert download.status_code == 200 and download.content == pdf
    assert (await client.get(f"{PUBLIC}/{token}")).status_code == 200

    links = await client.get(f"/api/proposals/{proposal_id}/share-links", headers=AUTH)
    assert links.status_code == 200
    (link,) = links.json()["links"]
    assert link["views"]["opens"] == 2 and link["views"]["seconds_on_page"] == 42
    assert link["views"]["downloads"] == 1 and link["views"]["first_opened_at"]
    assert "token" not in link
    assert await lifecycle_kinds(database_url, proposal_id) == ["sent", "viewed"]

    again = await send(client, proposal_id)  # another link to the same sent version; no new move
    assert again["link"]["version"] == 1 and again["token"] != token
    assert await review_state(client, database_url, proposal_id) == "viewed"


async def test_unknown_revoked_and_guessed_tokens_get_the_same_404_and_expired_links_a_410(
    client: httpx.AsyncClient, redis: Redis, data_dir: Path, database_url: str
) -> None:
    proposal_id, _ = await ready_proposal(client, redis, data_dir)
    sent = await send(client, proposal_id)
    token, link_id = sent["token"], sent["link"]["id"]
    unknown = await client.get(f"{PUBLIC}/{new_token()}")
    assert unknown.status_code == 404
    truncated = await client.get(f"{PUBLIC}/{token[:-1]}")
    revoke = await client.delete(f"/api/proposals/{proposal_id}/share-links/{link_id}", headers=AUTH)
    assert revoke.status_code == 204
    revoked = await client.get(f"{PUBLIC}/{token}")
    for answer in (truncated, revoked):
        assert answer.status_code == 404
        assert {k: v for k, v in answer.json().items() if k != "instance"} == {
            k: v for k, v in unknown.json().items() if k != "instance"
        }
    assert unknown.json()["code"] == "share_link_not_found"
    assert (await client.post(f"{PUBLIC}/{token}/accept", json={"name": "A", "email": "a@b.c"})).status_code == 404
    other_proposal = await client.delete(f"/api/proposals/{uuid.uuid4()}/share-links/{link_id}", headers=AUTH)
    assert other_proposal.status_code == 404

    expiring = await send(client, proposal_id, expires_in_days=1)
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "UPDATE share_links SET expires_at = now() - interval '1 second' WHERE id = $1",
            uuid.UUID(expiring["link"]["id"]),
        )
    finally:
        await connection.close()
    expired = await client.get(f"{PUBLIC}/{expiring['token']}")
    assert expired.status_code == 410 and expired.json()["code"] == "share_link_expired"
    # no link of the proposal works any more, and nobody answered: the proposal has expired
    assert await review_state(client, database_url, proposal_id) == "expired"
    states = [
        link["state"]
        for link in (await client.get(f"/api/proposals/{proposal_id}/share-links", headers=AUTH)).json()["links"]
    ]
    assert states == ["expired", "revoked"]


async def expire_links(database_url: str, *link_ids: str) -> None:
    """The links' expiry moved a second into the past, as time would."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "UPDATE share_links SET expires_at = now() - interval '1 second' WHERE id = ANY($1::uuid[])",
            [uuid.UUID(link_id) for link_id in link_ids],
        )
    finally:
        await connection.close()


async def expiry_records(database_url: str, proposal_id: uuid.UUID) -> tuple[list[str], list[str]]:
    """Who made each move of the proposal to `expired`, and the audit records of such moves."""
    connection = await asyncpg.connect(database_url)
    try:
        moves = await connection.fetch(
            "SELECT actor_label FROM proposal_transitions WHERE proposal_id = $1 AND to_state = 'expired'",
            proposal_id,
        )
        audits = await connection.fetch(
            "SELECT actor_name FROM audit_log WHERE action = 'proposal.review.expired' AND object_id = $1",
            str(proposal_id),
        )
    finally:
        await connection.close()
    return [row["actor_label"] for row in moves], [row["actor_name"] for row in audits]


async def test_the_sweep_expires_unanswered_proposals_whose_links_ran_out_once_across_concurrent_sweeps(
    gateway: RunningGateway, redis: Redis, data_dir: Path, database_url: str
) -> None:
    client = gateway.client
    ran_out, _ = await ready_proposal(client, redis, data_dir)
    first = await send(client, ran_out)
    await client.get(f"{PUBLIC}/{first['token']}")  # viewed: a viewed proposal expires as a sent one does
    second = await send(client, ran_out)
    revoked_too = await send(client, ran_out)
    deleted = await client.delete(f"/api/proposals/{ran_out}/share-links/{revoked_too['link']['id']}", headers=AUTH)
    assert deleted.status_code == 204
    still_open, _ = await ready_proposal(client, redis, data_dir)
    old = await send(client, still_open)
    await send(client, still_open)  # a link that still works
    only_revoked, _ = await ready_proposal(client, redis, data_dir)
    withdrawn = await send(client, only_revoked)
    deleted = await client.delete(f"/api/proposals/{only_revoked}/share-links/{withdrawn['link']['id']}", headers=AUTH)
    assert deleted.status_code == 204
    await expire_links(database_url, first["link"]["id"], second["link"]["id"], old["link"]["id"])
    assert await review_state(client, database_url, ran_out) == "viewed"

    # Two replicas sweeping at once (each sweep takes its own connections from the pool): one move, one event.
    pool = gateway.app.state.pool
    moved = await asyncio.gather(sweep_expired(pool), sweep_expired(pool), sweep_expired(pool))
    assert sum(moved) == 1, moved
    assert await sweep_expired(pool) == 0  # and again: nothing left to do
    assert await review_state(client, database_url, ran_out) == "expired"
    assert await lifecycle_kinds(database_url, ran_out) == ["sent", "viewed", "expired"]
    assert await expiry_records(database_url, ran_out) == ([EXPIRY_ACTOR], [EXPIRY_ACTOR])
    # a link still works; only revoked links (the consultancy's choice, not an expiry): both stay waiting
    assert await review_state(client, database_url, still_open) == "sent"
    assert await review_state(client, database_url, only_revoked) == "sent"

    # Opening the expired link afterwards tells the client, and moves nothing again.
    opened = await client.get(f"{PUBLIC}/{first['token']}")
    assert opened.status_code == 410 and opened.json()["code"] == "share_link_expired"
    assert await lifecycle_kinds(database_url, ran_out) == ["sent", "viewed", "expired"]


async def test_a_gateway_sweeps_on_its_own_every_share_expiry_sweep_seconds(
    database_url: str, redis_url: str, redis: Redis, data_dir: Path
) -> None:
    settings = gateway_settings(database_url, redis_url, data_dir, share_expiry_sweep_seconds=1)
    async with running_gateway(settings) as (_, client):
        proposal_id, _ = await ready_proposal(client, redis, data_dir)
        sent = await send(client, proposal_id)
        await expire_links(database_url, sent["link"]["id"])

        async def expired() -> bool:
            return await review_state(client, database_url, proposal_id) == "expired"

        await wait_for(expired, timeout=15, message="no sweep moved the proposal to expired")
    assert await lifecycle_kinds(database_url, proposal_id) == ["sent", "expired"]
    assert await expiry_records(database_url, proposal_id) == ([EXPIRY_ACTOR], [EXPIRY_ACTOR])


SHARE_WEBHOOKS = [f"proposal.review.{state}" for state in ("viewed", "accepted", "declined", "expired")]


async def test_the_clients_moves_reach_a_webhook_receiver_signed_as_standard_webhooks_says(
    database_url: str, redis_url: str, redis: Redis, data_dir: Path
) -> None:
    settings = gateway_settings(
        database_url, redis_url, data_dir, webhook_allowed_networks="127.0.0.1/32", webhook_retry_base_seconds=0.1
    )
    with webhook_receiver() as receiver:
        async with running_gateway(settings) as (app, client):
            hook = await client.post(
                "/api/webhooks", json={"url": receiver.url, "event_types": SHARE_WEBHOOKS}, headers=AUTH
            )
            assert hook.status_code == 201, hook.text
            secret = hook.json()["secret"]
            accepted, _ = await ready_proposal(client, redis, data_dir)
            declined, _ = await ready_proposal(client, redis, data_dir)
            expired, _ = await ready_proposal(client, redis, data_dir)
            for proposal_id, path, body in (
                (accepted, "accept", {"name": "Ana", "email": "ana@cliente.example"}),
                (declined, "decline", {"name": "Rui", "email": "rui@cliente.example", "reason": "Prazo curto"}),
            ):
                token = (await send(client, proposal_id))["token"]
                assert (await client.get(f"{PUBLIC}/{token}")).status_code == 200
                answered = await client.post(f"{PUBLIC}/{token}/{path}", json=body)
                assert answered.status_code in (200, 201), answered.text
            await expire_links(database_url, (await send(client, expired))["link"]["id"])
            assert await sweep_expired(app.state.pool) == 1

            async def all_came() -> bool:
                return len(receiver.received) >= 5

            await wait_for(all_came, timeout=20, message="the share webhooks never came")
        # raises unless each is signed with the endpoint's secret, within the timestamp's tolerance
        delivered = [Webhook(secret).verify(body, headers) for headers, body in receiver.received]
    got = sorted((item["data"]["proposal_id"], item["type"]) for item in delivered)
    assert got == sorted(
        [
            (str(accepted), "proposal.review.viewed"),
            (str(accepted), "proposal.review.accepted"),
            (str(declined), "proposal.review.viewed"),
            (str(declined), "proposal.review.declined"),
            (str(expired), "proposal.review.expired"),
        ]
    )  # and not `sent`, which the endpoint did not subscribe to
    by_type = {item["type"]: item for item in delivered if item["data"]["proposal_id"] != str(declined)}
    assert by_type["proposal.review.accepted"]["data"]["review"]["actor"] == "client: Ana <ana@cliente.example>"
    assert by_type["proposal.review.expired"]["data"]["review"]["actor"] == EXPIRY_ACTOR
    assert len({headers["webhook-id"] for headers, _ in receiver.received}) == 5  # one delivery per move


async def test_an_access_code_is_needed_checked_and_throttled(
    database_url: str, redis_url: str, redis: Redis, data_dir: Path
) -> None:
    settings = gateway_settings(database_url, redis_url, data_dir, share_code_attempts=3)
    async with running_gateway(settings) as (_, client):
        proposal_id, _ = await ready_proposal(client, redis, data_dir)
        sent = await send(client, proposal_id, access_code="ABC-1234")
        assert sent["link"]["has_access_code"] is True
        url = f"{PUBLIC}/{sent['token']}"
        missing = await client.get(url)
        assert missing.status_code == 403 and missing.json()["code"] == "access_code_required"
        right = await client.get(url, headers={"X-Access-Code": "ABC-1234"})
        assert right.status_code == 200
        for _ in range(3):
            wrong = await client.get(url, headers={"X-Access-Code": "WRONG-CODE"})
            assert wrong.status_code == 403 and wrong.json()["code"] == "access_code_wrong"
        throttled = await client.get(url, headers={"X-Access-Code": "ABC-1234"})
        assert throttled.status_code == 429 and throttled.json()["code"] == "access_code_throttled"
        assert int(throttled.headers["Retry-After"]) > 0
        connection = await asyncpg.connect(database_url)
        try:
            stored = await connection.fetchval("SELECT access_code_hash FROM share_links")
            tokens = await connection.fetchval("SELECT token_sha256 FROM share_links")
        finally:
            await connection.close()
        assert stored.startswith("$argon2id$") and "ABC-1234" not in stored
        assert tokens == hashlib.sha256(sent["token"].encode()).digest()


async def test_public_routes_are_rate_limited_per_address_and_guessing_is_throttled(
    database_url: str, redis_url: str, redis: Redis, data_dir: Path
) -> None:
    settings = gateway_settings(database_url, redis_url, data_dir, share_rate_limit_per_minute=5)
    async with running_gateway(settings) as (_, client):
        proposal_id, _ = await ready_proposal(client, redis, data_dir)
        token = (await send(client, proposal_id))["token"]
        answers = [(await client.get(f"{PUBLIC}/{token}")).status_code for _ in range(6)]
        assert answers == [200] * 5 + [429]
    await redis.flushall()
    settings = gateway_settings(database_url, redis_url, data_dir, share_rate_limit_per_minute=1000)
    async with running_gateway(settings) as (_, client):
        guesses = [(await client.get(f"{PUBLIC}/{new_token()}")).status_code for _ in range(21)]
        assert guesses == [404] * 20 + [429]
        # the address that guessed is held back even with a real link
        assert (await client.get(f"{PUBLIC}/{token}")).status_code == 429


def validation_context(ca: SigningCa) -> ValidationContext:
    _, _, der = pem.unarmor(ca.root_pem)
    return ValidationContext(trust_roots=[asn1_x509.Certificate.load(der)])


@pytest.mark.parametrize("level", ["B-B", "B-T"])
async def test_acceptance_makes_a_final_pdf_signed_with_the_consultancys_certificate(
    database_url: str, redis_url: str, redis: Redis, data_dir: Path, signing_ca: SigningCa, level: str
) -> None:
    with contextlib.ExitStack() as stack:
        tsa_url = (
            stack.enter_context(timestamp_server(issue_tsa_certificate(signing_ca)))[0] if level == "B-T" else None
        )
        settings = gateway_settings(
            database_url,
            redis_url,
            data_dir,
            signing_cert_path=signing_ca.pkcs12_path,
            signing_cert_password=signing_ca.password,
            signing_tsa_url=tsa_url,
        )
        await accept_and_check_the_signed_pdf(settings, redis, data_dir, signing_ca, level, database_url)


async def accept_and_check_the_signed_pdf(
    settings: GatewaySettings, redis: Redis, data_dir: Path, signing_ca: SigningCa, level: str, database_url: str
) -> None:
    async with running_gateway(settings) as (_, client):
        proposal_id, pdf = await ready_proposal(client, redis, data_dir, Language.EN)
        token = (await send(client, proposal_id))["token"]
        page = (await client.get(f"{PUBLIC}/{token}")).json()
        assert page["signing_configured"] is True and page["language"] == "en"
        accepted = await client.post(
            f"{PUBLIC}/{token}/accept",
            json={"name": "Ana Souza", "email": "ana@client.example", "role": "CTO", "note": "Go ahead."},
            headers={"User-Agent": "test-browser"},
        )
        assert accepted.status_code == 200, accepted.text
        answer = accepted.json()
        assert answer["decision"] == "accepted" and answer["signature_level"] == level
        assert answer["final_pdf_available"] is True and answer["address"] is None  # not shown to the public
        assert answer["accepted_pdf_sha256"] == hashlib.sha256(pdf).hexdigest()

        final = await client.get(f"{PUBLIC}/{token}/final-pdf")
        assert final.status_code == 200 and final.headers["content-type"] == "application/pdf"
        same = await client.get(f"/api/proposals/{proposal_id}/final-pdf", headers=AUTH)
        assert same.content == final.content
        signed = final.content
        assert signed.startswith(pdf)  # the accepted bytes, unchanged, then the acceptance page and signature
        (signature,) = PdfFileReader(io.BytesIO(signed)).embedded_signatures
        status = await async_validate_pdf_signature(signature, validation_context(signing_ca))
        assert status.bottom_line and status.intact and status.valid and status.trusted
        assert status.coverage.name == "ENTIRE_FILE"
        assert (status.timestamp_validity is not None) == (level == "B-T")
        text = re.sub(r"\s+", "", PdfReader(io.BytesIO(signed)).pages[-1].extract_text())
        assert re.findall(r"[0-9a-f]{64}", text) == [hashlib.sha256(pdf).hexdigest()]
        assert "AnaSouza" in text and signing_ca.signer_name.replace(" ", "") in text

        listed = (await client.get(f"/api/proposals/{proposal_id}/share-links", headers=AUTH)).json()
        assert listed["answer"]["decision"] == "accepted" and listed["answer"]["address"]
        again = await client.post(f"{PUBLIC}/{token}/decline", json={"name": "B", "email": "b@c.d", "reason": "x"})
        assert again.status_code == 409 and again.json()["code"] == "already_answered"
        assert await review_state(client, database_url, proposal_id) == "accepted"
        assert await lifecycle_kinds(database_url, proposal_id) == ["sent", "viewed", "accepted"]


async def test_without_a_certificate_the_acceptance_stands_and_its_pdf_says_it_is_not_signed(
    client: httpx.AsyncClient, redis: Redis, data_dir: Path, database_url: str
) -> None:
    proposal_id, pdf = await ready_proposal(client, redis, data_dir)
    token = (await send(client, proposal_id))["token"]
    accepted = await client.post(f"{PUBLIC}/{token}/accept", json={"name": "Ana", "email": "ana@cliente.example"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["signature_level"] is None and accepted.json()["final_pdf_available"] is True
    final = (await client.get(f"{PUBLIC}/{token}/final-pdf")).content
    assert final.startswith(pdf) and not PdfFileReader(io.BytesIO(final)).embedded_signatures
    assert "nãoestáassinadodigitalmente" in re.sub(r"\s+", "", PdfReader(io.BytesIO(final)).pages[-1].extract_text())
    exists = await client.post(f"/api/proposals/{proposal_id}/final-pdf", headers=AUTH)
    assert exists.status_code == 409 and exists.json()["code"] == "final_pdf_exists"
    assert await lifecycle_kinds(database_url, proposal_id) == ["sent", "accepted"]


async def test_a_decline_needs_a_reason_and_is_recorded(
    client: httpx.AsyncClient, redis: Redis, data_dir: Path, database_url: str
) -> None:
    proposal_id, _ = await ready_proposal(client, redis, data_dir)
    token = (await send(client, proposal_id))["token"]
    no_reason = await client.post(f"{PUBLIC}/{token}/decline", json={"name": "Ana", "email": "ana@x.example"})
    assert no_reason.status_code == 422
    declined = await client.post(
        f"{PUBLIC}/{token}/decline",
        json={"name": "Ana", "email": "ana@x.example", "reason": "Budget moved to next year."},
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["decision"] == "declined" and declined.json()["final_pdf_available"] is False
    assert (await client.get(f"{PUBLIC}/{token}/final-pdf")).status_code == 409
    page = (await client.get(f"{PUBLIC}/{token}")).json()
    assert page["answer"]["reason"] == "Budget moved to next year." and page["state"] == "declined"
    assert await review_state(client, database_url, proposal_id) == "declined"
    assert (await lifecycle_kinds(database_url, proposal_id))[-1] == "declined"
    refused = await client.post(f"{PUBLIC}/{token}/accept", json={"name": "Ana", "email": "ana@x.example"})
    assert refused.status_code == 409


async def test_sending_is_refused_while_an_approval_rule_needs_an_approval(
    client: httpx.AsyncClient, redis: Redis, data_dir: Path, database_url: str
) -> None:
    proposal_id, _ = await ready_proposal(client, redis, data_dir)
    connection = await asyncpg.connect(database_url)
    try:
        industry = await connection.fetchval("SELECT industry FROM proposals WHERE id = $1", proposal_id)
        await connection.execute(
            "INSERT INTO approval_rules (id, name, kind, value) VALUES ($1, 'Agro needs a manager', 'industry', $2)",
            uuid.uuid4(),
            industry,
        )
    finally:
        await connection.close()
    refused = await client.post(f"/api/proposals/{proposal_id}/send", json={}, headers=AUTH)
    assert refused.status_code == 409 and refused.json()["code"] == "review_approval_required"
    links = (await client.get(f"/api/proposals/{proposal_id}/share-links", headers=AUTH)).json()
    assert links["links"] == []


async def test_a_proposal_without_a_pdf_cannot_be_sent(client: httpx.AsyncClient) -> None:
    request = sample_drafted(Language.PT_BR).request.model_dump(mode="json", exclude_none=True)
    proposal_id = (await client.post("/api/proposals", json=request, headers=AUTH)).json()["id"]
    refused = await client.post(f"/api/proposals/{proposal_id}/send", json={}, headers=AUTH)
    assert refused.status_code == 409 and refused.json()["code"] == "proposal_not_ready"
    assert (await client.post(f"/api/proposals/{uuid.uuid4()}/send", json={}, headers=AUTH)).status_code == 404


async def test_a_final_pdf_that_failed_is_recorded_and_can_be_made_again(
    client: httpx.AsyncClient, redis: Redis, data_dir: Path, database_url: str
) -> None:
    proposal_id, pdf = await ready_proposal(client, redis, data_dir)
    token = (await send(client, proposal_id))["token"]
    stored = data_dir / "pdfs" / str(proposal_id) / "v1.pdf"
    stored.rename(stored.with_suffix(".away"))  # the PDF storage lost it: the final PDF cannot be made
    accepted = await client.post(f"{PUBLIC}/{token}/accept", json={"name": "Ana", "email": "ana@cliente.example"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["decision"] == "accepted" and accepted.json()["final_pdf_available"] is False
    assert await review_state(client, database_url, proposal_id) == "accepted"  # the acceptance stands
    listed = (await client.get(f"/api/proposals/{proposal_id}/share-links", headers=AUTH)).json()
    assert "missing from the PDF storage" in listed["answer"]["final_pdf_problem"]
    stored.with_suffix(".away").rename(stored)
    remade = await client.post(f"/api/proposals/{proposal_id}/final-pdf", headers=AUTH)
    assert remade.status_code == 200, remade.text
    assert remade.json()["final_pdf_available"] is True and remade.json()["final_pdf_problem"] is None
    final = await client.get(f"{PUBLIC}/{token}/final-pdf")
    assert final.status_code == 200 and final.content.startswith(pdf)
