"""Failed sign-ins are counted in Redis, so that several gateway replicas share one budget; while Redis does not
answer, each replica counts for itself and people still sign in. Two gateway apps on one Redis and one database."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from propos4l.gateway import passwords
from propos4l.gateway.sign_in_throttle import SharedSignInThrottle
from propos4l.shared.localrun.servers import free_port
from propos4l.shared.runtime import connect_redis
from tests.support.gateway import AUTH, RunningGateway, gateway_settings, running_gateway

pytestmark = pytest.mark.integration

PASSWORD = "a long enough passphrase 42"
LIMIT = 3


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_HASHER", hasher)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", hasher.hash("no such account"))


@contextlib.asynccontextmanager
async def replicas(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[tuple[RunningGateway, ...]]:
    """Two gateway apps, as two replicas behind a load balancer: one database, one Redis."""
    settings = gateway_settings(database_url, redis_url, data_dir, sign_in_failure_limit=LIMIT)
    async with running_gateway(settings) as first, running_gateway(settings) as second:
        assert first.app is not second.app
        yield first, second


def browser(gateway: RunningGateway, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=gateway.app, client=(address, 50_000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def sign_in(gateway: RunningGateway, email: str, password: str, address: str) -> httpx.Response:
    async with browser(gateway, address) as person:
        return await person.post("/api/auth/sign-in", json={"email": email, "password": password})


async def create_user(client: httpx.AsyncClient, email: str) -> dict[str, Any]:
    body = {"email": email, "display_name": "Eva", "role": "viewer", "password": PASSWORD}
    response = await client.post("/api/users", json=body, headers=AUTH)
    assert response.status_code == 201, response.text
    user: dict[str, Any] = response.json()
    return user


async def test_an_account_s_failed_sign_ins_count_once_across_replicas(
    database_url: str, redis_url: str, data_dir: Path
) -> None:
    async with replicas(database_url, redis_url, data_dir) as (first, second):
        await create_user(first.client, "eva@example.com")
        # Guesses alternate between the replicas, from different addresses: each replica saw fewer than the limit.
        for index, replica in enumerate((first, second, first)):
            wrong = await sign_in(replica, "eva@example.com", "wrong password here", f"198.51.100.{index}")
            assert wrong.status_code == 401, wrong.text
        for replica in (first, second):
            throttled = await sign_in(replica, "EVA@example.com", PASSWORD, "198.51.100.99")
            assert throttled.status_code == 429, throttled.text
            assert throttled.json()["code"] == "sign_in_throttled"
            assert 1 <= int(throttled.headers["Retry-After"]) <= 300


async def test_an_address_s_wrong_tokens_count_once_across_replicas(
    database_url: str, redis_url: str, data_dir: Path
) -> None:
    async with replicas(database_url, redis_url, data_dir) as (first, second):
        wrong = {"Authorization": "Bearer not-a-token-of-ours"}
        for replica in (first, second, second):
            async with browser(replica, "203.0.113.5") as guesser:
                assert (await guesser.get("/api/me", headers=wrong)).status_code == 401
        for replica in (first, second):
            async with browser(replica, "203.0.113.5") as guesser:
                refused = await guesser.get("/api/me", headers=AUTH)  # even the right token waits now
                assert refused.status_code == 429, refused.text
            async with browser(replica, "203.0.113.6") as elsewhere:
                assert (await elsewhere.get("/api/me", headers=AUTH)).status_code == 200


async def test_while_redis_does_not_answer_sign_ins_go_on_and_each_replica_still_throttles(
    database_url: str, redis_url: str, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    nobody_listens = connect_redis(f"redis://127.0.0.1:{free_port()}/0")
    try:
        async with replicas(database_url, redis_url, data_dir) as (first, _):
            await create_user(first.client, "eva@example.com")
            throttles: list[SharedSignInThrottle] = [
                first.app.state.token_verifier.throttle,
                first.app.state.account_throttle,
            ]
            for throttle in throttles:  # the throttles' Redis is down (the pipeline's Redis is not: it is not tested)
                throttle.connect(nobody_listens)
            assert (await sign_in(first, "eva@example.com", PASSWORD, "192.0.2.1")).status_code == 200
            for index in range(LIMIT):
                wrong = await sign_in(first, "eva@example.com", "wrong password here", f"192.0.2.{10 + index}")
                assert wrong.status_code == 401, wrong.text
            assert (await sign_in(first, "eva@example.com", PASSWORD, "192.0.2.99")).status_code == 429
    finally:
        await nobody_listens.aclose()
    warnings = [record for record in caplog.records if "counts in this process only" in record.getMessage()]
    assert len(warnings) == 2  # once per throttle and outage, not once per request
