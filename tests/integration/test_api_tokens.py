"""API tokens through the gateway: admins create, list and revoke them; a token works until revoked or expired."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from propos4l.gateway.problems import PROBLEM_JSON
from tests.support.gateway import AUTH, gateway_settings, running_gateway

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with running_gateway(gateway_settings(database_url, redis_url, data_dir)) as gateway:
        yield gateway.client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["detail"]
    return body


async def create_token(client: httpx.AsyncClient, headers: dict[str, str] = AUTH, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/tokens", json=body, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert response.headers["location"] == f"/api/tokens/{created['id']}"
    return created


async def test_a_created_token_is_shown_once_stored_hashed_and_works(
    client: httpx.AsyncClient, database_url: str
) -> None:
    created = await create_token(client, name="CRM integration")
    secret = created["token"]
    assert secret.startswith("p4l_") and len(secret) >= 40 and secret.startswith(created["prefix"])
    assert (created["name"], created["admin"], created["created_by"]) == ("CRM integration", False, "admin")
    assert created["expires_at"] is None and created["last_used_at"] is None

    response = await client.get("/api/proposals", headers=bearer(secret))
    assert response.status_code == 200, response.text

    listed = (await client.get("/api/tokens", headers=AUTH)).json()["items"]
    assert [item["name"] for item in listed] == ["CRM integration"]
    assert "token" not in listed[0] and listed[0]["last_used_at"] is not None

    connection = await asyncpg.connect(database_url)
    try:
        stored = await connection.fetchrow("SELECT token_sha256, prefix FROM api_tokens")
        dump = str(await connection.fetch("SELECT * FROM api_tokens"))
    finally:
        await connection.close()
    assert stored["token_sha256"] == hashlib.sha256(secret.encode()).digest()
    assert secret not in dump


async def test_a_user_token_works_on_proposals_but_not_on_admin_routes(client: httpx.AsyncClient) -> None:
    user = bearer((await create_token(client, name="ana"))["token"])
    me = (await client.get("/api/me", headers=user)).json()
    assert (me["name"], me["admin"], me["role"], me["via"]) == ("token:ana", False, "manager", "token")
    me = (await client.get("/api/me", headers=AUTH)).json()
    assert (me["name"], me["admin"], me["role"], me["via"], me["user"]) == ("admin", True, "admin", "environment", None)
    problem(await client.get("/api/me"), 401)
    assert (await client.get("/api/proposals", headers=user)).status_code == 200
    assert (await client.get("/api/templates", headers=user)).status_code == 200  # to pick one for a proposal
    assert "administrators" in problem(await client.get("/api/tokens", headers=user), 403)["detail"]
    problem(await client.post("/api/tokens", json={"name": "mine"}, headers=user), 403)
    problem(await client.get("/api/backups", headers=user), 403)
    problem(await client.delete("/api/templates/default", headers=user), 403)


async def test_an_admin_token_manages_tokens_and_is_recorded_as_their_creator(client: httpx.AsyncClient) -> None:
    admin = bearer((await create_token(client, name="ops", admin=True))["token"])
    made = await create_token(client, headers=admin, name="reporting")
    assert made["created_by"] == "token:ops" and made["admin"] is False
    assert (await client.get("/api/backups", headers=admin)).status_code == 200


async def test_a_revoked_token_stops_working_at_once(client: httpx.AsyncClient) -> None:
    created = await create_token(client, name="leaked")
    assert (await client.delete(f"/api/tokens/{created['id']}", headers=AUTH)).status_code == 204
    detail = problem(await client.get("/api/proposals", headers=bearer(created["token"])), 401)["detail"]
    assert "revoked" in detail
    assert (await client.delete(f"/api/tokens/{created['id']}", headers=AUTH)).status_code == 204  # again: fine
    assert (await client.get("/api/tokens", headers=AUTH)).json()["items"] == []
    everything = (await client.get("/api/tokens", params={"include_revoked": "true"}, headers=AUTH)).json()["items"]
    assert [item["name"] for item in everything] == ["leaked"] and everything[0]["revoked_at"] is not None
    # The name is free again once its token is revoked.
    await create_token(client, name="leaked")


async def test_an_expired_token_is_refused(client: httpx.AsyncClient, database_url: str) -> None:
    created = await create_token(client, name="temp", expires_in_days=1)
    assert created["expires_at"] is not None
    assert (await client.get("/api/proposals", headers=bearer(created["token"]))).status_code == 200
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("UPDATE api_tokens SET expires_at = now() - interval '1 second'")
    finally:
        await connection.close()
    problem(await client.get("/api/proposals", headers=bearer(created["token"])), 401)


async def test_token_requests_are_checked(client: httpx.AsyncClient) -> None:
    await create_token(client, name="CRM")
    assert (
        "already exists" in problem(await client.post("/api/tokens", json={"name": "crm"}, headers=AUTH), 409)["detail"]
    )
    for body in ({}, {"name": ""}, {"name": "x" * 101}, {"name": "a", "expires_in_days": 0}, {"name": "a", "x": 1}):
        problem(await client.post("/api/tokens", json=body, headers=AUTH), 422)
    problem(await client.delete("/api/tokens/00000000-0000-0000-0000-000000000000", headers=AUTH), 404)
    problem(await client.delete("/api/tokens/not-a-uuid", headers=AUTH), 422)
    for wrong in ("p4l_made-up", "something-else", ""):
        problem(await client.get("/api/proposals", headers=bearer(wrong)), 401)
