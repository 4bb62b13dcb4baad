"""Single sign-on end to end against a real OpenID Connect provider process (oidc-provider-mock from PyPI): the
browser goes to the provider, signs in there, comes back with a code; the gateway exchanges it and checks the ID
token. Refused: a wrong or old state, a code the provider no longer honours, an ID token for another client, an
e-mail domain that may not enter, a denial at the provider; each sends the browser back to the web app's sign-in page
with the reason's code (`WEB_APP_URL/?sso_error=<code>`), never to a problem+json page."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
import pytest

from propos4l.gateway.oidc import OidcClient, OidcRefused
from propos4l.gateway.problems import PROBLEM_JSON
from propos4l.gateway.settings import GatewaySettings
from propos4l.shared.localrun.servers import free_port
from tests.support.gateway import AUTH, RunningGateway, gateway_settings, running_gateway
from tests.support.recording_proxy import RecordingProxy

pytestmark = pytest.mark.integration

CLIENT_ID = "propos4l"
CALLBACK = "http://test/api/auth/oidc/callback"
WEB_APP = "http://localhost:3000"


@contextlib.contextmanager
def provider_process() -> Iterator[str]:
    """An oidc-provider-mock process on a free loopback port, while the block runs: its issuer URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    issuer = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                if httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"oidc-provider-mock did not start: {process.stderr.read() if process.stderr else ''}"
                )
            time.sleep(0.1)
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """The issuer URL of an oidc-provider-mock process, for the module."""
    with provider_process() as issuer:
        yield issuer


@pytest.fixture
async def gateway(database_url: str, redis_url: str, data_dir: Path, provider: str) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(
        database_url,
        redis_url,
        data_dir,
        oidc_issuer=provider,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret="a-client-secret-for-tests",
        oidc_allowed_email_domains="example.com, Example.org",
        oidc_redirect_uri=CALLBACK,
        web_app_url=WEB_APP + "/",
    )
    async with running_gateway(settings) as running:
        yield running


def browser(gateway: RunningGateway) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=gateway.app, client=("192.0.2.50", 50_000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    return body


def refused(response: httpx.Response) -> str:
    """The code of a refused SSO sign-in: the browser is sent to the web app's sign-in page with it, and no session."""
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{WEB_APP}/"
    assert "propos4l_session" not in response.cookies
    codes = parse_qs(location.query)["sso_error"]
    assert len(codes) == 1
    return codes[0]


async def sign_in_at_provider(client: httpx.AsyncClient, gateway_browser: httpx.AsyncClient, email: str) -> str:
    """Start at the gateway, sign in as `email` at the provider; the callback URL the provider sends back to."""
    started = await gateway_browser.get("/api/auth/oidc/login", params={"return_to": f"{WEB_APP}/proposals"})
    assert started.status_code == 302, started.text
    authorize = started.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and query["client_id"] == [CLIENT_ID]
    assert query["nonce"] and query["state"] and query["redirect_uri"] == [CALLBACK]
    answered = await client.post(authorize, data={"sub": email})
    assert answered.status_code == 302, answered.text
    callback = answered.headers["location"]
    assert callback.startswith(CALLBACK)
    return callback


async def test_a_person_signs_in_through_the_provider_and_gets_a_web_session(
    gateway: RunningGateway, database_url: str
) -> None:
    assert (await gateway.client.get("/api/auth/methods")).json() == {"password": True, "sso": True}
    async with httpx.AsyncClient() as client, browser(gateway) as person:
        callback = await sign_in_at_provider(client, person, "Nina@Example.com")
        back = await person.get(callback)
        assert back.status_code == 303, back.text
        assert back.headers["location"] == f"{WEB_APP}/proposals"
        me = (await person.get("/api/me")).json()
        assert (me["via"], me["role"], me["user"]["email"]) == ("session", "viewer", "Nina@Example.com")
        # The same person again: the same account, whatever the case of the e-mail.
        callback = await sign_in_at_provider(client, person, "nina@example.com")
        assert (await person.get(callback)).status_code == 303
    connection = await asyncpg.connect(database_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM users WHERE lower(email) = 'nina@example.com'") == 1
        methods = await connection.fetch("SELECT details FROM audit_log WHERE action = 'sign_in' ORDER BY id")
    finally:
        await connection.close()
    assert [json.loads(row["details"])["method"] for row in methods] == ["sso", "sso"]


async def test_the_sign_in_uses_pkce_s256_whose_verifier_only_the_token_request_carries(
    database_url: str, redis_url: str, data_dir: Path, provider: str
) -> None:
    # oidc-provider-mock does not check PKCE, so what the gateway sends is checked here, on the wire: the provider is
    # reached through a recording proxy (discovery, the browser's authorization request, the token request, keys).
    with RecordingProxy(int(urlsplit(provider).port or 0)) as proxy:
        settings = gateway_settings(
            database_url,
            redis_url,
            data_dir,
            oidc_issuer=proxy.url,
            oidc_client_id=CLIENT_ID,
            oidc_client_secret="a-client-secret-for-tests",
            oidc_allowed_email_domains="example.com",
            oidc_redirect_uri=CALLBACK,
            web_app_url=WEB_APP,
        )
        async with running_gateway(settings) as running, httpx.AsyncClient() as client, browser(running) as person:
            callback = await sign_in_at_provider(client, person, "pia@example.com")
            assert (await person.get(callback)).status_code == 303
            assert (await person.get("/api/me")).json()["user"]["email"] == "pia@example.com"
    assert [request.method for request in proxy.to("/.well-known/openid-configuration")] == ["GET"]
    authorizations = [request for request in proxy.requests if "code_challenge" in request.query]
    assert len(authorizations) == 1
    authorization = authorizations[0].query
    assert authorization["code_challenge_method"] == ["S256"] and authorization["response_type"] == ["code"]
    assert "code_verifier" not in authorization
    challenge = authorization["code_challenge"][0]
    tokens = [request for request in proxy.requests if request.form.get("grant_type") == ["authorization_code"]]
    assert len(tokens) == 1 and tokens[0].method == "POST"
    verifier = tokens[0].form["code_verifier"][0]
    assert 43 <= len(verifier) <= 128  # RFC 7636 4.1
    assert (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode() == challenge
    )
    assert verifier not in json.dumps([request.query for request in proxy.requests])  # never in a URL
    assert tokens[0].headers.get("Authorization", "").startswith("Basic ")  # client_secret_basic


async def test_a_domain_that_may_not_enter_is_refused_unless_an_admin_made_the_account(gateway: RunningGateway) -> None:
    async with httpx.AsyncClient() as client, browser(gateway) as person:
        callback = await sign_in_at_provider(client, person, "eve@elsewhere.test")
        assert refused(await person.get(callback)) == "oidc_domain_not_allowed"
        problem(await person.get("/api/me"), 401)
        made = {"email": "eve@elsewhere.test", "display_name": "Eve", "role": "editor"}
        assert (await gateway.client.post("/api/users", json=made, headers=AUTH)).status_code == 201
        callback = await sign_in_at_provider(client, person, "eve@elsewhere.test")
        assert (await person.get(callback)).status_code == 303
        assert (await person.get("/api/me")).json()["role"] == "editor"


async def test_a_callback_with_a_wrong_or_old_state_is_refused(gateway: RunningGateway, database_url: str) -> None:
    async with httpx.AsyncClient() as client, browser(gateway) as person, browser(gateway) as stranger:
        callback = await sign_in_at_provider(client, person, "ana@example.com")
        wrong = callback.replace("state=", "state=x")
        assert refused(await person.get(wrong)) == "oidc_state_invalid"
        # Another browser (login CSRF: an attacker's code in a victim's browser) has no state cookie.
        assert refused(await stranger.get(callback)) == "oidc_state_invalid"
        # Too old: started more than ten minutes ago.
        callback = await sign_in_at_provider(client, person, "ana@example.com")
        connection = await asyncpg.connect(database_url)
        try:
            await connection.execute("UPDATE oidc_sign_ins SET created_at = now() - interval '11 minutes'")
        finally:
            await connection.close()
        assert refused(await person.get(callback)) == "oidc_state_invalid"
        problem(await person.get("/api/me"), 401)


async def test_a_code_the_provider_no_longer_honours_is_refused(gateway: RunningGateway, provider: str) -> None:
    async with httpx.AsyncClient() as client, browser(gateway) as person:
        callback = await sign_in_at_provider(client, person, "ana@example.com")
        code = parse_qs(urlsplit(callback).query)["code"][0]
        # Someone redeems the code first: it is used up, as an expired one is.
        used = await client.post(
            f"{provider}/oauth2/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK},
            auth=(CLIENT_ID, "a-client-secret-for-tests"),
        )
        assert used.status_code == 200, used.text
        assert refused(await person.get(callback)) == "oidc_code_rejected"
        problem(await person.get("/api/me"), 401)


async def test_a_denial_at_the_provider_is_worded_by_the_sign_in_page(
    gateway: RunningGateway, database_url: str
) -> None:
    async with browser(gateway) as person:
        denied = await person.get("/api/auth/oidc/callback", params={"error": "access_denied", "state": "s"})
        assert refused(denied) == "oidc_denied"
    connection = await asyncpg.connect(database_url)
    try:
        row = await connection.fetchrow("SELECT outcome, details FROM audit_log WHERE action = 'sign_in'")
    finally:
        await connection.close()
    assert row is not None and row["outcome"] == "failure"
    assert json.loads(row["details"])["reason"] == "oidc_denied"


async def test_an_id_token_issued_to_another_client_is_refused(gateway: RunningGateway, provider: str) -> None:
    async with httpx.AsyncClient() as client:
        discovery = (await client.get(f"{provider}/.well-known/openid-configuration")).json()
        query = {
            "client_id": "another-app",
            "redirect_uri": "http://another.test/callback",
            "response_type": "code",
            "scope": "openid email",
            "state": "s",
            "nonce": "the-nonce",
        }
        answered = await client.post(discovery["authorization_endpoint"], params=query, data={"sub": "ana@example.com"})
        code = parse_qs(urlsplit(answered.headers["location"]).query)["code"][0]
        token = await client.post(
            discovery["token_endpoint"],
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": "http://another.test/callback"},
            auth=("another-app", "its-secret"),
        )
        id_token = token.json()["id_token"]
    oidc: OidcClient = gateway.app.state.oidc
    with pytest.raises(OidcRefused, match="aud") as refused:
        await oidc.verify_id_token(id_token, nonce="the-nonce")
    assert refused.value.code == "oidc_token_invalid"
    with pytest.raises(OidcRefused):
        await oidc.verify_id_token(id_token[:-4] + "AAAA", nonce="the-nonce")  # a forged signature


BROWSER_ACCEPT = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
JSON_ACCEPT = {"Accept": "application/json"}


async def test_sso_is_off_without_an_issuer(database_url: str, redis_url: str, data_dir: Path) -> None:
    async with running_gateway(gateway_settings(database_url, redis_url, data_dir, web_app_url=WEB_APP)) as plain:
        assert (await plain.client.get("/api/auth/methods")).json() == {"password": True, "sso": False}
        # A browser that followed an old "Sign in with SSO" link lands on the sign-in page, which words the reason.
        assert refused(await plain.client.get("/api/auth/oidc/login", headers=BROWSER_ACCEPT)) == "sso_not_configured"
        assert refused(await plain.client.get("/api/auth/oidc/login")) == "sso_not_configured"  # */*: no preference
        asked = await plain.client.get("/api/auth/oidc/login", headers=JSON_ACCEPT)
        assert problem(asked, 404)["code"] == "sso_not_configured"
        late = {"code": "c", "state": "s"}  # back from a provider after SSO was turned off
        assert refused(await plain.client.get("/api/auth/oidc/callback", params=late)) == "sso_not_configured"
        asked = await plain.client.get("/api/auth/oidc/callback", params=late, headers=JSON_ACCEPT)
        assert problem(asked, 404)["code"] == "sso_not_configured"


def settings_with_issuer(database_url: str, redis_url: str, data_dir: Path, issuer: str) -> GatewaySettings:
    return gateway_settings(
        database_url,
        redis_url,
        data_dir,
        oidc_issuer=issuer,
        oidc_client_id=CLIENT_ID,
        oidc_redirect_uri=CALLBACK,
        web_app_url=WEB_APP,
    )


async def test_a_login_while_the_provider_is_stopped_sends_a_browser_to_the_sign_in_page(
    database_url: str, redis_url: str, data_dir: Path
) -> None:
    with provider_process() as issuer:
        pass  # started, then stopped: nothing listens at the issuer any more
    await check_refused_login(settings_with_issuer(database_url, redis_url, data_dir, issuer), "oidc_unavailable")


async def test_a_login_with_a_wrong_issuer_sends_a_browser_to_the_sign_in_page(
    database_url: str, redis_url: str, data_dir: Path, provider: str
) -> None:
    # The real provider answers 404 for a discovery document under a path it does not serve.
    settings = settings_with_issuer(database_url, redis_url, data_dir, f"{provider}/not-the-issuer")
    await check_refused_login(settings, "oidc_misconfigured")


async def check_refused_login(settings: GatewaySettings, expected: str) -> None:
    """A browser is sent to the sign-in page with `expected`; a client asking for JSON gets it in a 502 problem."""
    async with running_gateway(settings) as running, browser(running) as person:
        assert refused(await person.get("/api/auth/oidc/login", headers=BROWSER_ACCEPT)) == expected
        assert problem(await person.get("/api/auth/oidc/login", headers=JSON_ACCEPT), 502)["code"] == expected
        connection = await asyncpg.connect(str(settings.database_url))
        try:
            assert await connection.fetchval("SELECT count(*) FROM oidc_sign_ins") == 0  # nothing was started
        finally:
            await connection.close()
