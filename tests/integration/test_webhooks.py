"""Webhooks against real Redis and PostgreSQL, received on loopback (through WEBHOOK_ALLOWED_NETWORKS) and verified
with the `standardwebhooks` package, a receiver nobody here wrote."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.support.gateway import AUTH, RunningGateway, gateway_settings, running_gateway
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

REQUEST: dict[str, Any] = {
    "client_name": "Acme Logística",
    "industry": "Logistics",
    "requirements": "Track the fleet in real time and integrate with the ERP.",
    "language": "en",
}


@dataclass
class Received:
    """One request a receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """An HTTP server on loopback: `/ok` answers 204, `/fail-N` 500 for its first N requests, `/down` always 500,
    `/hang` answers nothing for 30 s."""

    url: str
    received: list[Received] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def at(self, path: str) -> list[Received]:
        return [item for item in self.received if item.path == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            state.received.append(Received(self.path, dict(self.headers.items()), body, time.monotonic()))
            if self.path == "/hang":
                state.release.wait(30)
                return
            if self.path.startswith("/redirect-"):
                port = self.server.server_address[1]
                host = "127.0.0.1" if self.path == "/redirect-ok" else "127.0.0.2"  # .2: loopback, not allowed
                self.send_response(307)
                self.send_header("location", f"http://{host}:{port}/ok")
                self.send_header("content-length", "0")
                self.end_headers()
                return
            failing = self.path.startswith("/fail-") and len(state.at(self.path)) <= int(self.path.split("-")[1])
            status = 500 if failing or self.path == "/down" else 204
            self.send_response(status)
            payload = b"receiver says no" if status == 500 else b""
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


def settings_for(database_url: str, redis_url: str, data_dir: Path, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "webhook_allowed_networks": "127.0.0.1/32",
        "webhook_retry_base_seconds": 0.1,
        "webhook_timeout_seconds": 1.5,
        "webhook_disable_after_failures": 3,
        **overrides,
    }
    return gateway_settings(database_url, redis_url, data_dir, **values)


@pytest.fixture
async def gateway(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[RunningGateway]:
    async with running_gateway(settings_for(database_url, redis_url, data_dir)) as running:
        yield running


async def register(client: httpx.AsyncClient, url: str, events: list[str] | None = None) -> dict[str, Any]:
    response = await client.post(
        "/api/webhooks", json={"url": url, "event_types": events or ["proposal.accepted"]}, headers=AUTH
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def create_proposal(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/proposals", json=REQUEST, headers=AUTH)
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def deliveries(client: httpx.AsyncClient, endpoint_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/webhooks/{endpoint_id}/deliveries", headers=AUTH)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_a_delivery_is_signed_as_standard_webhooks_says_and_retried_with_the_same_id_until_it_lands(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    endpoint = await register(gateway.client, f"{receiver.url}/fail-2")
    assert endpoint["secret"].startswith("whsec_")
    listed = (await gateway.client.get("/api/webhooks", headers=AUTH)).json()["items"]
    assert "secret" not in listed[0]  # shown once, never listed
    proposal_id = await create_proposal(gateway.client)

    tries = await wait_for(lambda: _at_least(receiver.at("/fail-2"), 3), timeout=15, message="not retried to success")
    assert len({item.headers["webhook-id"] for item in tries}) == 1  # the same id on every try
    verifier = Webhook(endpoint["secret"])
    for item in tries:
        payload = verifier.verify(item.body, item.headers)  # raises on a bad signature or stale timestamp
        assert payload["type"] == "proposal.accepted"
        assert payload["data"]["proposal_id"] == proposal_id
    with pytest.raises(Exception, match="(?i)signature"):
        Webhook("whsec_" + "A" * 43 + "=").verify(tries[0].body, tries[0].headers)
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(tries)]
    assert all(gap >= 0.04 for gap in gaps), gaps  # backed off (0.1 s, then 0.2 s, each with jitter over half)

    async def delivered() -> list[dict[str, Any]] | None:
        items = await deliveries(gateway.client, endpoint["id"])
        return items if items and items[0]["status"] == "delivered" else None

    log = (await wait_for(delivered, timeout=5, message="delivery not recorded"))[0]
    assert log["webhook_id"] == tries[0].headers["webhook-id"] and log["attempts"] == 3
    assert [t["status_code"] for t in log["tries"]] == [500, 500, 204]
    assert log["tries"][0]["response_excerpt"] == "receiver says no"
    assert all(t["latency_ms"] >= 0 for t in log["tries"])

    resend = await gateway.client.post(f"/api/webhooks/{endpoint['id']}/deliveries/{log['id']}/resend", headers=AUTH)
    assert resend.status_code == 202
    again = await wait_for(lambda: _at_least(receiver.at("/fail-2"), 4), timeout=5, message="not sent again")
    assert again[-1].headers["webhook-id"] == tries[0].headers["webhook-id"]


async def test_after_a_rotation_both_secrets_verify_until_the_old_one_expires(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    endpoint = await register(gateway.client, f"{receiver.url}/ok")
    rotated = await gateway.client.post(f"/api/webhooks/{endpoint['id']}/rotate-secret", headers=AUTH)
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret != endpoint["secret"]
    await create_proposal(gateway.client)
    got = (await wait_for(lambda: _at_least(receiver.at("/ok"), 1), timeout=10, message="nothing received"))[0]
    Webhook(new_secret).verify(got.body, got.headers)
    Webhook(endpoint["secret"]).verify(got.body, got.headers)


async def test_an_endpoint_that_keeps_failing_is_disabled_and_says_why(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    endpoint = await register(gateway.client, f"{receiver.url}/down")
    await create_proposal(gateway.client)

    async def disabled() -> dict[str, Any] | None:
        body: dict[str, Any] = (await gateway.client.get(f"/api/webhooks/{endpoint['id']}", headers=AUTH)).json()
        return body if not body["enabled"] else None

    body = await wait_for(disabled, timeout=15, message="never disabled")
    assert "3 failed tries in a row" in body["disabled_reason"] and "500" in body["disabled_reason"]
    assert len(receiver.at("/down")) == 3
    enabled = await gateway.client.patch(f"/api/webhooks/{endpoint['id']}", json={"enabled": True}, headers=AUTH)
    assert enabled.json()["enabled"] and enabled.json()["disabled_reason"] is None
    await wait_for(lambda: _at_least(receiver.at("/down"), 4), timeout=10, message="not tried after re-enabling")


async def test_a_receiver_that_hangs_does_not_delay_other_endpoints(
    gateway: RunningGateway, receiver: Receiver
) -> None:
    await register(gateway.client, f"{receiver.url}/hang")
    await create_proposal(gateway.client)
    hung = await wait_for(lambda: _at_least(receiver.at("/hang"), 1), timeout=10, message="nothing sent to /hang")
    await register(gateway.client, f"{receiver.url}/ok")
    await create_proposal(gateway.client)
    fast = await wait_for(lambda: _at_least(receiver.at("/ok"), 1), timeout=10, message="nothing sent to /ok")
    assert not receiver.release.is_set()
    assert fast[0].at - hung[0].at < 1.5  # within the hanging try's timeout: it did not wait for it


async def test_loopback_and_private_addresses_are_refused_without_the_allow_list(
    database_url: str, redis_url: str, data_dir: Path, receiver: Receiver
) -> None:
    settings = settings_for(database_url, redis_url, data_dir, webhook_allowed_networks="")
    async with running_gateway(settings) as gateway:
        endpoint = await register(gateway.client, f"{receiver.url}/ok")
        named = await register(gateway.client, f"http://localhost:{receiver.url.rsplit(':', 1)[1]}/ok")
        await create_proposal(gateway.client)
        for item in (endpoint, named):

            async def refused(endpoint_id: str = item["id"]) -> list[dict[str, Any]] | None:
                items = await deliveries(gateway.client, endpoint_id)
                return items if items and items[0]["tries"] else None

            first = (await wait_for(refused, timeout=10, message="no try logged"))[0]["tries"][0]
            assert first["outcome"] == "refused" and "loopback" in first["error"], first
    assert receiver.received == []


async def test_redirects_are_followed_only_when_allowed_and_each_target_is_checked(
    database_url: str, redis_url: str, data_dir: Path, receiver: Receiver
) -> None:
    async def first_try(gateway: RunningGateway, endpoint_id: str) -> dict[str, Any]:
        async def tried() -> list[dict[str, Any]] | None:
            items = await deliveries(gateway.client, endpoint_id)
            return items if items and items[0]["tries"] else None

        first: dict[str, Any] = (await wait_for(tried, timeout=10, message="no try logged"))[0]["tries"][0]
        return first

    async with running_gateway(settings_for(database_url, redis_url, data_dir)) as gateway:
        unfollowed = await register(gateway.client, f"{receiver.url}/redirect-ok")
        await create_proposal(gateway.client)
        attempt = await first_try(gateway, unfollowed["id"])
        assert (attempt["outcome"], attempt["status_code"]) == ("http_error", 307)  # off by default
        off = await gateway.client.patch(f"/api/webhooks/{unfollowed['id']}", json={"enabled": False}, headers=AUTH)
        assert off.status_code == 200  # no retry of it below, where redirects are followed
    assert receiver.at("/ok") == []

    settings = settings_for(database_url, redis_url, data_dir, webhook_max_redirects=2)
    async with running_gateway(settings) as gateway:
        followed = await register(gateway.client, f"{receiver.url}/redirect-ok")
        away = await register(gateway.client, f"{receiver.url}/redirect-away")
        await create_proposal(gateway.client)
        assert (await first_try(gateway, followed["id"]))["outcome"] == "delivered"
        refused = await first_try(gateway, away["id"])
        assert refused["outcome"] == "refused" and "127.0.0.2" in refused["error"], refused
    arrived = receiver.at("/ok")
    assert len(arrived) == 1
    Webhook(followed["secret"]).verify(arrived[0].body, arrived[0].headers)


async def test_bad_endpoints_are_422_problems_and_only_admins_manage_webhooks(gateway: RunningGateway) -> None:
    for url, where in [
        ("ftp://crm.example/hook", "http"),
        ("https://user:pw@crm.example/hook", "password"),
        ("https://crm.example:99999/hook", "Port"),
        ("not a url", "http"),
    ]:
        response = await gateway.client.post(
            "/api/webhooks", json={"url": url, "event_types": ["proposal.ready"]}, headers=AUTH
        )
        assert response.status_code == 422, (url, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"] == "url" and where.lower() in response.text.lower(), url
    unknown_event = await gateway.client.post(
        "/api/webhooks", json={"url": "https://crm.example/h", "event_types": ["proposal.maybe"]}, headers=AUTH
    )
    assert unknown_event.status_code == 422 and unknown_event.json()["errors"][0]["field"].startswith("event_types")
    missing = await gateway.client.get(f"/api/webhooks/{uuid.uuid4()}", headers=AUTH)
    assert missing.status_code == 404 and "no webhook endpoint" in missing.json()["detail"]
    made = await gateway.client.post("/api/tokens", json={"name": "seller"}, headers=AUTH)
    seller = {"Authorization": f"Bearer {made.json()['token']}"}
    refused = await gateway.client.get("/api/webhooks", headers=seller)
    assert refused.status_code == 403 and "administrators" in refused.json()["detail"]


async def _at_least(items: list[Received], count: int) -> list[Received] | None:
    return list(items) if len(items) >= count else None


async def test_events_queued_together_get_one_delivery_per_subscribed_endpoint_and_event(database_url: str) -> None:
    from propos4l.gateway.webhook_secrets import SecretBox
    from propos4l.gateway.webhook_store import QueuedEvent, WebhookStore
    from propos4l.shared.db import create_pool

    pool = await create_pool(database_url, max_size=2)
    try:
        store = WebhookStore(pool, SecretBox(["a key that only seals this test's secrets"]))
        ready_only, _ = await store.create("https://a.example/hook", ["proposal.ready"], "", True)
        both, _ = await store.create("https://b.example/hook", ["proposal.ready", "proposal.accepted"], "", True)
        await store.create("https://c.example/hook", ["proposal.ready"], "disabled", False)
        ready, accepted, failed = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        events = [
            QueuedEvent(ready, "proposal.ready", '{"n": 1}'),
            QueuedEvent(accepted, "proposal.accepted", '{"n": 2}'),
            QueuedEvent(failed, "proposal.failed", '{"n": 3}'),
        ]
        assert await store.enqueue(events) == [2, 1, 0]
        assert await store.enqueue(events) == [0, 0, 0]  # delivered again: no second delivery
        rows = await pool.fetch("SELECT id, endpoint_id, event_id, body FROM webhook_deliveries")
        assert {(row["endpoint_id"], row["event_id"], row["body"]) for row in rows} == {
            (ready_only["id"], ready, '{"n": 1}'),
            (both["id"], ready, '{"n": 1}'),
            (both["id"], accepted, '{"n": 2}'),
        }
        assert all(row["id"] == uuid.uuid5(row["endpoint_id"], str(row["event_id"])) for row in rows)  # webhook-id
    finally:
        await pool.close()
