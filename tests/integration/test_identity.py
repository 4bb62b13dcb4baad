"""Accounts, password sign-in, web sessions, CSRF, throttling, tokens owned by users, ownership and the audit log,
through the gateway on real PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx
import pytest
from aiosmtpd.controller import Controller
from argon2 import PasswordHasher

from propos4l.gateway import passwords
from propos4l.gateway.cli import ensure_first_admin
from propos4l.gateway.lifecycle import publish_lifecycle
from propos4l.gateway.problems import PROBLEM_JSON
from propos4l.shared.cli import main
from propos4l.shared.localrun.servers import free_port
from propos4l.shared.streams import Stream
from tests.support.gateway import AUTH, RunningGateway, gateway_settings, running_gateway

pytestmark = pytest.mark.integration

PASSWORD = "a long enough passphrase 42"
PROPOSAL: dict[str, Any] = {
    "client_name": "Acme Logística",
    "industry": "Logistics",
    "requirements": "Rastrear frotas em tempo real e integrar com o ERP.",
    "language": "en",
    "template": "default",
}


@pytest.fixture
async def gateway(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(database_url, redis_url, data_dir, sign_in_failure_limit=3)
    async with running_gateway(settings) as running:
        yield running


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["detail"]
    return body


def browser(gateway: RunningGateway, address: str = "192.0.2.10") -> httpx.AsyncClient:
    """A client with its own cookie jar, as a browser at `address` would be."""
    transport = httpx.ASGITransport(app=gateway.app, client=(address, 50_000))
    return httpx.AsyncClient(transport=transport, base_url="http://test", headers={"User-Agent": "pytest-browser/1"})


async def create_user(client: httpx.AsyncClient, email: str, role: str, **fields: Any) -> dict[str, Any]:
    body = {"email": email, "display_name": email.split("@")[0].title(), "role": role, "password": PASSWORD, **fields}
    response = await client.post("/api/users", json=body, headers=AUTH)
    assert response.status_code == 201, response.text
    user: dict[str, Any] = response.json()
    return user


async def sign_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    response = await client.post("/api/auth/sign-in", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    me: dict[str, Any] = response.json()
    return me


async def audit(database_url: str, action: str) -> list[dict[str, Any]]:
    """The audit log's records of `action`, oldest first, as the database has them."""
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch("SELECT * FROM audit_log WHERE action = $1 ORDER BY id", action)
    finally:
        await connection.close()
    return [{**dict(row), "details": json.loads(row["details"])} for row in rows]


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with its lowest cost: these tests hash and verify dozens of passwords, each ~0.35 s at the real
    cost (tests/unit/test_passwords.py checks the real parameters)."""
    hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_HASHER", hasher)
    monkeypatch.setattr(passwords, "_DUMMY_HASH", hasher.hash("no such account"))


async def test_a_password_sign_in_opens_a_session_whose_changes_need_the_csrf_token(
    gateway: RunningGateway, database_url: str
) -> None:
    client = gateway.client
    user = await create_user(client, "Ana@Example.com", "editor")
    assert (user["email"], user["role"], user["has_password"]) == ("Ana@Example.com", "editor", True)
    assert problem(await client.post("/api/users", json={**user, "password": None}, headers=AUTH), 422)
    duplicate = {"email": "ana@EXAMPLE.com", "display_name": "Other", "role": "viewer"}
    assert problem(await client.post("/api/users", json=duplicate, headers=AUTH), 409)["code"] == "email_taken"
    weak = {"email": "bia@example.com", "display_name": "Bia", "password": "password1234"}
    assert problem(await client.post("/api/users", json=weak, headers=AUTH), 422)["code"] == "password_rejected"

    async with browser(gateway) as ana:
        wrong = await ana.post("/api/auth/sign-in", json={"email": "ana@example.com", "password": "not it at all!"})
        assert problem(wrong, 401)["code"] == "sign_in_failed"
        signed_in = await ana.post("/api/auth/sign-in", json={"email": "ANA@example.com", "password": PASSWORD})
        assert signed_in.status_code == 200, signed_in.text
        cookie = signed_in.headers["set-cookie"]
        assert cookie.startswith("propos4l_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "Secure" not in cookie  # served over http here; over https the cookie is Secure
        me = signed_in.json()
        assert (me["role"], me["via"], me["user"]["email"]) == ("editor", "session", "Ana@Example.com")
        csrf = me["csrf_token"]
        assert (await ana.get("/api/me")).json()["csrf_token"] == csrf
        assert (await ana.get("/api/proposals")).status_code == 200

        refused = await ana.patch("/api/me", json={"language": "en"})
        assert problem(refused, 403)["code"] == "csrf_token_missing"
        forged = await ana.patch("/api/me", json={"language": "en"}, headers={"X-CSRF-Token": "guess"})
        assert problem(forged, 403)["code"] == "csrf_token_missing"
        changed = await ana.patch("/api/me", json={"language": "en"}, headers={"X-CSRF-Token": csrf})
        assert changed.status_code == 200 and changed.json()["user"]["language"] == "en"
        # The session acts with its user's role: an editor may not manage users.
        problem(await ana.get("/api/users"), 403)

        out = await ana.post("/api/auth/sign-out", headers={"X-CSRF-Token": csrf})
        assert out.status_code == 204 and 'propos4l_session=""' in out.headers["set-cookie"]
        ana.cookies.clear()
        ana.cookies.set("propos4l_session", cookie.split(";")[0].split("=", 1)[1])  # the old cookie, replayed
        problem(await ana.get("/api/me"), 401)

    failures = await audit(database_url, "sign_in")
    assert [
        (row["outcome"], row["details"]["reason"] if row["outcome"] == "failure" else None) for row in failures
    ] == [
        ("failure", "wrong_password"),
        ("success", None),
    ]
    assert failures[1]["address"] == "192.0.2.10" and failures[1]["user_agent"] == "pytest-browser/1"
    assert failures[1]["actor_user_id"] == uuid.UUID(user["id"])
    assert len(await audit(database_url, "sign_out")) == 1
    assert [row["details"] for row in await audit(database_url, "user.preferences_changed")] == [{"language": "en"}]
    connection = await asyncpg.connect(database_url)
    try:
        stored = await connection.fetchval("SELECT password_hash FROM users WHERE lower(email) = 'ana@example.com'")
        everything = str(await connection.fetch("SELECT * FROM audit_log")) + str(
            await connection.fetch("SELECT * FROM user_sessions")
        )
    finally:
        await connection.close()
    assert stored.startswith("$argon2id$") and PASSWORD not in everything


async def test_sessions_end_when_idle_too_long_past_their_lifetime_or_revoked(
    gateway: RunningGateway, database_url: str
) -> None:
    user = await create_user(gateway.client, "rui@example.com", "manager")
    browsers = [browser(gateway, f"192.0.2.{20 + index}") for index in range(5)]
    try:
        for each in browsers:
            await sign_in(each, "rui@example.com")
        idle, old, mine, other, disabled = browsers
        connection = await asyncpg.connect(database_url)
        try:
            ids = [row["id"] for row in await connection.fetch("SELECT id FROM user_sessions ORDER BY created_at")]
            await connection.execute(
                "UPDATE user_sessions SET last_seen_at = now() - interval '121 minutes' WHERE id = $1", ids[0]
            )
            await connection.execute("UPDATE user_sessions SET expires_at = now() WHERE id = $1", ids[1])
        finally:
            await connection.close()
        problem(await idle.get("/api/me"), 401)
        problem(await old.get("/api/me"), 401)
        assert (await mine.get("/api/me")).status_code == 200

        # Sign out everywhere ends every session of the account, this one included.
        csrf = (await mine.get("/api/me")).json()["csrf_token"]
        assert (await mine.post("/api/auth/sign-out-everywhere", headers={"X-CSRF-Token": csrf})).status_code == 204
        problem(await other.get("/api/me"), 401)
        problem(await disabled.get("/api/me"), 401)

        # An admin ends a user's sessions; disabling a user ends them too and refuses a new sign-in.
        await sign_in(other, "rui@example.com")
        assert (await gateway.client.delete(f"/api/users/{user['id']}/sessions", headers=AUTH)).status_code == 204
        problem(await other.get("/api/me"), 401)
        await sign_in(disabled, "rui@example.com")
        patched = await gateway.client.patch(f"/api/users/{user['id']}", json={"active": False}, headers=AUTH)
        assert patched.status_code == 200 and patched.json()["active"] is False
        problem(await disabled.get("/api/me"), 401)
        problem(await disabled.post("/api/auth/sign-in", json={"email": "rui@example.com", "password": PASSWORD}), 401)
    finally:
        for each in browsers:
            await each.aclose()
    assert [
        row["details"]["reason"] for row in await audit(database_url, "sign_in") if row["outcome"] == "failure"
    ] == ["disabled"]
    assert [row["details"] for row in await audit(database_url, "user.changed")] == [
        {"active": {"from": "True", "to": "False"}}
    ]


async def test_failed_sign_ins_are_throttled_per_account_and_per_address(gateway: RunningGateway) -> None:
    await create_user(gateway.client, "eva@example.com", "viewer")
    wrong = {"email": "eva@example.com", "password": "wrong password here"}
    # Three addresses, one wrong guess each, for one account: the account waits, from any address.
    for index in range(3):
        async with browser(gateway, f"198.51.100.{index}") as guesser:
            problem(await guesser.post("/api/auth/sign-in", json=wrong), 401)
    async with browser(gateway, "198.51.100.99") as fresh:
        throttled = await fresh.post("/api/auth/sign-in", json={**wrong, "password": PASSWORD})
        assert problem(throttled, 429)["code"] == "sign_in_throttled"
        assert 1 <= int(throttled.headers["Retry-After"]) <= 300
    # One address guessing three accounts waits too, for every account.
    async with browser(gateway, "203.0.113.7") as guesser:
        for index in range(3):
            body = {"email": f"nobody{index}@example.com", "password": "wrong password here"}
            problem(await guesser.post("/api/auth/sign-in", json=body), 401)
        await create_user(gateway.client, "leo@example.com", "viewer")
        problem(await guesser.post("/api/auth/sign-in", json={"email": "leo@example.com", "password": PASSWORD}), 429)
    async with browser(gateway, "203.0.113.8") as elsewhere:
        await sign_in(elsewhere, "leo@example.com")


async def test_api_tokens_belong_to_a_user_and_never_exceed_its_role(
    gateway: RunningGateway, database_url: str
) -> None:
    client = gateway.client
    owner = await create_user(client, "ivo@example.com", "editor")
    too_high = {"name": "ci", "role": "admin", "owner_id": owner["id"]}
    assert (
        problem(await client.post("/api/tokens", json=too_high, headers=AUTH), 422)["code"] == "token_role_above_owner"
    )
    made = await client.post("/api/tokens", json={"name": "ci", "owner_id": owner["id"]}, headers=AUTH)
    assert made.status_code == 201, made.text
    token = made.json()
    assert (token["role"], token["owner_id"], token["admin"]) == ("editor", owner["id"], False)  # capped by default
    bearer = {"Authorization": f"Bearer {token['token']}"}
    assert (await client.post("/api/proposals", json=PROPOSAL, headers=bearer)).status_code == 202

    # The owner demoted to viewer: the token acts as a viewer from the next request on.
    await client.patch(f"/api/users/{owner['id']}", json={"role": "viewer"}, headers=AUTH)
    assert (await client.get("/api/me", headers=bearer)).json()["role"] == "viewer"
    assert problem(await client.post("/api/proposals", json=PROPOSAL, headers=bearer), 403)["code"] == "role_required"
    # The owner disabled: the token stops working.
    await client.patch(f"/api/users/{owner['id']}", json={"active": False}, headers=AUTH)
    problem(await client.get("/api/me", headers=bearer), 401)

    created = await audit(database_url, "token.created")
    assert [(row["actor_name"], row["via"], row["details"]["role"]) for row in created] == [
        ("admin", "environment", "editor")
    ]
    assert [row["actor_name"] for row in await audit(database_url, "proposal.created")] == ["token:ci"]
    assert [row["details"]["role"] for row in await audit(database_url, "user.role_changed")] == [
        {"from": "editor", "to": "viewer"}
    ]


async def test_the_last_active_admin_cannot_be_demoted_or_disabled(gateway: RunningGateway) -> None:
    client = gateway.client
    first = await create_user(client, "root@example.com", "admin")
    demote = await client.patch(f"/api/users/{first['id']}", json={"role": "manager"}, headers=AUTH)
    assert problem(demote, 409)["code"] == "last_admin"
    problem(await client.patch(f"/api/users/{first['id']}", json={"active": False}, headers=AUTH), 409)
    await create_user(client, "second@example.com", "admin")
    assert (await client.patch(f"/api/users/{first['id']}", json={"role": "manager"}, headers=AUTH)).status_code == 200


async def test_editors_change_only_their_own_proposals_and_those_they_collaborate_on(gateway: RunningGateway) -> None:
    client = gateway.client
    ana = await create_user(client, "ana@example.com", "editor")
    bia = await create_user(client, "bia@example.com", "editor")
    await create_user(client, "max@example.com", "manager")
    async with browser(gateway) as ana_browser, browser(gateway) as bia_browser, browser(gateway) as max_browser:
        ana_csrf = {"X-CSRF-Token": (await sign_in(ana_browser, "ana@example.com"))["csrf_token"]}
        bia_csrf = {"X-CSRF-Token": (await sign_in(bia_browser, "bia@example.com"))["csrf_token"]}
        max_csrf = {"X-CSRF-Token": (await sign_in(max_browser, "max@example.com"))["csrf_token"]}
        made = await ana_browser.post("/api/proposals", json=PROPOSAL, headers=ana_csrf)
        assert made.status_code == 202, made.text
        proposal = made.json()
        assert proposal["owner"] == {"id": ana["id"], "display_name": "Ana"}
        assert (await client.post("/api/proposals", json=PROPOSAL, headers=AUTH)).json()["owner"][
            "display_name"
        ] == "System"

        edit = {"content": "Novo texto."}
        url = f"/api/proposals/{proposal['id']}"
        refused = await bia_browser.put(f"{url}/sections/executive_summary", json=edit, headers=bia_csrf)
        assert problem(refused, 403)["code"] == "not_a_collaborator"
        chooser = await bia_browser.put(f"{url}/collaborators", json={"user_ids": [bia["id"]]}, headers=bia_csrf)
        problem(chooser, 403)
        added = await ana_browser.put(f"{url}/collaborators", json={"user_ids": [bia["id"]]}, headers=ana_csrf)
        assert added.status_code == 200 and added.json()["collaborators"] == [bia["id"]]
        # Now the ownership check passes; the proposal is still being drafted, which is what refuses the edit.
        assert (
            await bia_browser.put(f"{url}/sections/executive_summary", json=edit, headers=bia_csrf)
        ).status_code == 409
        assert (
            await max_browser.put(f"{url}/sections/executive_summary", json=edit, headers=max_csrf)
        ).status_code == 409

        mine = (await bia_browser.get("/api/proposals", params={"mine": "true"})).json()
        assert [item["id"] for item in mine["items"]] == [proposal["id"]]
        assert (await max_browser.get("/api/proposals", params={"mine": "true"})).json()["items"] == []
        assert (await max_browser.get("/api/proposals")).json()["total"] == 2


async def test_a_proposal_deleted_by_its_owner_or_a_manager_is_gone_from_every_read_but_kept_in_the_database(
    gateway: RunningGateway, database_url: str
) -> None:
    client = gateway.client
    await create_user(client, "ana@example.com", "editor")
    bia = await create_user(client, "bia@example.com", "editor")
    await create_user(client, "max@example.com", "manager")
    async with browser(gateway) as ana_browser, browser(gateway) as bia_browser, browser(gateway) as max_browser:
        ana_csrf = {"X-CSRF-Token": (await sign_in(ana_browser, "ana@example.com"))["csrf_token"]}
        bia_csrf = {"X-CSRF-Token": (await sign_in(bia_browser, "bia@example.com"))["csrf_token"]}
        max_csrf = {"X-CSRF-Token": (await sign_in(max_browser, "max@example.com"))["csrf_token"]}
        mine = (await ana_browser.post("/api/proposals", json=PROPOSAL, headers=ana_csrf)).json()
        other = (await ana_browser.post("/api/proposals", json=PROPOSAL, headers=ana_csrf)).json()
        url = f"/api/proposals/{mine['id']}"
        await ana_browser.put(f"{url}/collaborators", json={"user_ids": [bia["id"]]}, headers=ana_csrf)
        # A collaborator edits, but does not delete; nor does anyone without the CSRF token.
        assert problem(await bia_browser.delete(url, headers=bia_csrf), 403)["code"] == "not_the_owner"
        assert problem(await ana_browser.delete(url), 403)["code"] == "csrf_token_missing"
        deleted = await ana_browser.delete(url, headers=ana_csrf)
        assert deleted.status_code == 204, deleted.text
        for path in (
            url,
            f"{url}/pdf",
            f"{url}/versions",
            f"{url}/versions/1",
            f"{url}/events",
            f"{url}/export?format=html",
            f"{url}/documents",
            f"{url}/requirements",
        ):
            problem(await max_browser.get(path), 404)
        problem(await ana_browser.put(f"{url}/collaborators", json={"user_ids": []}, headers=ana_csrf), 404)
        problem(await ana_browser.delete(url, headers=ana_csrf), 404)  # once
        listed = (await max_browser.get("/api/proposals")).json()
        assert [item["id"] for item in listed["items"]] == [other["id"]] and listed["total"] == 1
        assert (await bia_browser.get("/api/proposals", params={"mine": "true"})).json()["items"] == []
        # A manager deletes anyone's.
        assert (await max_browser.delete(f"/api/proposals/{other['id']}", headers=max_csrf)).status_code == 204
    connection = await asyncpg.connect(database_url)
    try:
        kept = await connection.fetch("SELECT id, deleted_at FROM proposals ORDER BY created_at")
        versions = await connection.fetchval("SELECT count(*) FROM proposal_versions")
        # Drafting goes on for a proposal deleted while queued, but outside systems hear no more of it.
        lifecycle = "SELECT count(*) FROM outbox WHERE stream = $1"
        before = await connection.fetchval(lifecycle, Stream.PROPOSAL_LIFECYCLE.value)
        await publish_lifecycle(connection, uuid.UUID(mine["id"]), 1, "failed", {"stage": "drafting", "detail": "x"})
        assert await connection.fetchval(lifecycle, Stream.PROPOSAL_LIFECYCLE.value) == before
    finally:
        await connection.close()
    assert [row["id"] for row in kept] == [uuid.UUID(mine["id"]), uuid.UUID(other["id"])]
    assert all(row["deleted_at"] is not None for row in kept) and versions == 2
    records = await audit(database_url, "proposal.deleted")
    assert [(row["actor_name"], row["object_id"]) for row in records] == [
        ("ana@example.com", mine["id"]),
        ("max@example.com", other["id"]),
    ]
    assert records[0]["details"] == {"client_name": "Acme Logística", "status": "queued", "version": 1}


async def test_anyone_signed_in_finds_active_colleagues_by_name_or_e_mail_in_the_directory(
    gateway: RunningGateway,
) -> None:
    client = gateway.client
    joao = await create_user(client, "joao.silva@example.com", "editor", display_name="João Silva")
    await create_user(client, "maria@example.com", "manager", display_name="Maria Souza")
    gone = await create_user(client, "silvana@example.com", "editor", display_name="Silvana")
    await client.patch(f"/api/users/{gone['id']}", json={"active": False}, headers=AUTH)
    viewer = await create_user(client, "vera@example.com", "viewer", display_name="Vera")
    async with browser(gateway) as vera:
        await sign_in(vera, "vera@example.com")
        found = await vera.get("/api/users/directory", params={"q": "SILV"})
        assert found.status_code == 200, found.text
        # Names and e-mails only: no role, no active flag, nothing about sessions; disabled people are not listed.
        assert found.json() == {
            "items": [{"id": joao["id"], "email": "joao.silva@example.com", "display_name": "João Silva"}]
        }
        by_email = (await vera.get("/api/users/directory", params={"q": "maria@"})).json()["items"]
        assert [person["display_name"] for person in by_email] == ["Maria Souza"]
        everyone = (await vera.get("/api/users/directory")).json()["items"]
        assert [person["display_name"] for person in everyone] == ["João Silva", "Maria Souza", "Vera"]
        assert [p["id"] for p in (await vera.get("/api/users/directory", params={"limit": 1})).json()["items"]] == [
            joao["id"]
        ]
        named = await vera.get("/api/users/directory", params={"ids": [viewer["id"], gone["id"]]})
        assert [person["id"] for person in named.json()["items"]] == [viewer["id"]]
        assert problem(await vera.get("/api/users/directory", params={"q": "x" * 101}), 422)
        assert problem(await vera.get("/api/users/directory", params={"ids": "not-an-id"}), 422)
        # The admins' list stays theirs.
        assert problem(await vera.get("/api/users"), 403)["code"] == "role_required"
    async with browser(gateway) as stranger:
        problem(await stranger.get("/api/users/directory"), 401)


async def test_admins_read_the_audit_log_with_filters(gateway: RunningGateway) -> None:
    client = gateway.client
    user = await create_user(client, "zoe@example.com", "viewer")
    async with browser(gateway) as zoe:
        await sign_in(zoe, "zoe@example.com")
        problem(await zoe.get("/api/audit"), 403)
    everything = (await client.get("/api/audit", headers=AUTH)).json()
    assert [item["action"] for item in everything["items"]] == ["sign_in", "user.created"]
    by_action = (await client.get("/api/audit", params={"action": "user.created"}, headers=AUTH)).json()["items"]
    assert [(item["object_type"], item["object_id"]) for item in by_action] == [("user", user["id"])]
    by_actor = (await client.get("/api/audit", params={"actor": user["id"]}, headers=AUTH)).json()["items"]
    assert [item["action"] for item in by_actor] == ["sign_in"]
    first = (await client.get("/api/audit", params={"limit": 1}, headers=AUTH)).json()
    assert len(first["items"]) == 1 and first["next_before"] == first["items"][0]["id"]
    second = (await client.get("/api/audit", params={"limit": 1, "before": first["next_before"]}, headers=AUTH)).json()
    assert [item["action"] for item in second["items"]] == ["user.created"] and second["next_before"] is None
    problem(await client.get("/api/audit", params={"since": "yesterday"}, headers=AUTH), 422)


async def test_the_audit_log_refuses_update_delete_and_truncate(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    role = f"app_{uuid.uuid4().hex[:8]}"
    try:
        await connection.execute(
            "INSERT INTO audit_log (action, actor_name, via) VALUES ('test.appended', 'pytest', 'system')"
        )
        # Even the table's owner, a superuser here, is stopped by the trigger.
        for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await connection.execute(statement)
        # The role that ran the migrations kept INSERT and SELECT only: made the owner of the table, a role that
        # is no superuser is refused by the grants before any trigger.
        granted = await connection.fetch(
            """SELECT privilege_type FROM information_schema.role_table_grants
               WHERE table_name = 'audit_log' AND grantee = current_user ORDER BY 1"""
        )
        assert {row["privilege_type"] for row in granted} >= {"INSERT", "SELECT"}
        assert not {row["privilege_type"] for row in granted} & {"UPDATE", "DELETE", "TRUNCATE"}
        await connection.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'app-password-12345'")
        await connection.execute(f"ALTER TABLE audit_log OWNER TO {role}")
        assert not await connection.fetchval("SELECT has_table_privilege($1, 'audit_log', 'UPDATE')", role)
        assert not await connection.fetchval("SELECT has_table_privilege($1, 'audit_log', 'DELETE')", role)
        assert await connection.fetchval("SELECT has_table_privilege($1, 'audit_log', 'INSERT')", role)
        url = urlsplit(database_url)
        as_role = url._replace(netloc=f"{role}:app-password-12345@{url.hostname}:{url.port}").geturl()
        app = await asyncpg.connect(as_role)
        try:
            await app.execute("INSERT INTO audit_log (action, actor_name, via) VALUES ('test.app', 'app', 'system')")
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
                await app.execute("UPDATE audit_log SET action = 'x'")
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
                await app.execute("DELETE FROM audit_log")
        finally:
            await app.close()
        assert await connection.fetchval("SELECT count(*) FROM audit_log") == 2
    finally:
        await connection.execute(f"REASSIGN OWNED BY {role} TO current_user")
        await connection.execute(f"DROP OWNED BY {role}")
        await connection.execute(f"DROP ROLE IF EXISTS {role}")
        await connection.close()


async def test_library_changes_are_recorded_and_refused_ones_are_not(
    gateway: RunningGateway, database_url: str
) -> None:
    client = gateway.client
    created = await client.post("/api/library/services", json={"name": "Integração de ERP"}, headers=AUTH)
    assert created.status_code == 201, created.text
    entry_id = created.json()["id"]
    assert (await client.delete(f"/api/library/services/{entry_id}", headers=AUTH)).status_code == 204
    assert (await client.delete(f"/api/library/services/{entry_id}", headers=AUTH)).status_code == 404
    assert (await client.get("/api/library/services", headers=AUTH)).status_code == 200
    recorded = [
        *await audit(database_url, "library_entry.created"),
        *await audit(database_url, "library_entry.deleted"),
    ]
    assert [(row["action"], row["object_id"], row["actor_name"]) for row in recorded] == [
        ("library_entry.created", None, "admin"),
        ("library_entry.deleted", entry_id, "admin"),
    ]
    assert recorded[1]["details"] == {"path": f"/api/library/services/{entry_id}"}


async def test_operators_create_reset_and_disable_accounts_from_the_command_line(
    gateway: RunningGateway, database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert await asyncio.to_thread(main, ["users", "create", "Root@Example.com", "--name", "Root"]) == 0
    first = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
    async with browser(gateway) as root:
        me = await sign_in(root, "root@example.com", first)
        assert (me["role"], me["user"]["display_name"]) == ("admin", "Root")
        assert await asyncio.to_thread(main, ["users", "create", "root@example.com"]) == 1  # taken
        capsys.readouterr()
        assert await asyncio.to_thread(main, ["users", "reset-password", "root@example.com"]) == 0
        second = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
        assert second != first
        problem(await root.get("/api/me"), 401)  # the reset ended the session
        problem(await root.post("/api/auth/sign-in", json={"email": "root@example.com", "password": first}), 401)
        await sign_in(root, "root@example.com", second)
        assert await asyncio.to_thread(main, ["users", "disable", "root@example.com"]) == 0
        problem(await root.get("/api/me"), 401)
        assert await asyncio.to_thread(main, ["users", "disable", "nobody@example.com"]) == 1
    recorded = await audit(database_url, "user.created")
    assert [(row["actor_name"], row["via"]) for row in recorded] == [("command line", "system")]


async def test_the_local_run_makes_the_first_admin_once(gateway: RunningGateway, database_url: str) -> None:
    assert await ensure_first_admin(database_url, "the first admin password 1") is True
    assert await ensure_first_admin(database_url, "another password entirely") is False
    async with browser(gateway) as admin:
        me = await sign_in(admin, "admin@localhost", "the first admin password 1")
        assert me["role"] == "admin"


class _Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


async def test_an_invitation_is_e_mailed_and_works_once_until_it_expires(
    database_url: str, redis_url: str, data_dir: Path
) -> None:
    inbox = _Inbox()
    port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        settings = gateway_settings(
            database_url, redis_url, data_dir, smtp_url=f"smtp://127.0.0.1:{port}", web_app_url="https://app.example"
        )
        async with running_gateway(settings) as gateway:
            client = gateway.client
            made = await client.post(
                "/api/users/invitations",
                json={"email": "gil@example.com", "display_name": "Gil", "role": "manager"},
                headers=AUTH,
            )
            assert made.status_code == 201, made.text
            invitation = made.json()
            assert invitation["emailed"] is True and invitation["link"].startswith("https://app.example/invite#")
            secret = invitation["link"].split("#", 1)[1]
            assert len(inbox.messages) == 1 and inbox.messages[0]["To"] == "gil@example.com"
            assert invitation["link"] in inbox.messages[0].get_payload(decode=True).decode()

            async with browser(gateway) as gil:
                weak = await gil.post("/api/auth/invitations/accept", json={"token": secret, "password": "short"})
                assert problem(weak, 422)["code"] == "password_rejected"  # the invitation is still good after this
                accepted = await gil.post("/api/auth/invitations/accept", json={"token": secret, "password": PASSWORD})
                assert accepted.status_code == 200, accepted.text
                assert (accepted.json()["role"], accepted.json()["via"]) == ("manager", "session")
                assert (await gil.get("/api/me")).json()["user"]["display_name"] == "Gil"
                again = await gil.post("/api/auth/invitations/accept", json={"token": secret, "password": PASSWORD})
                assert problem(again, 410)["code"] == "invitation_invalid"
            taken = {"email": "GIL@example.com", "display_name": "Gil", "role": "viewer"}
            assert (
                problem(await client.post("/api/users/invitations", json=taken, headers=AUTH), 409)["code"]
                == "email_taken"
            )

            late = (
                await client.post(
                    "/api/users/invitations", json={"email": "hal@example.com", "display_name": "Hal"}, headers=AUTH
                )
            ).json()
            connection = await asyncpg.connect(database_url)
            try:
                await connection.execute("UPDATE invitations SET expires_at = now() WHERE email = 'hal@example.com'")
            finally:
                await connection.close()
            expired = await client.post(
                "/api/auth/invitations/accept", json={"token": late["link"].split("#", 1)[1], "password": PASSWORD}
            )
            assert problem(expired, 410)["code"] == "invitation_invalid"
    finally:
        smtp.stop()
    assert [row["details"]["emailed"] for row in await audit(database_url, "user.invited")] == [True, True]
    assert len(await audit(database_url, "invitation.accepted")) == 1
