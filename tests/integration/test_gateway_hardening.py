"""What an attack pass found against the gateway: limits a template hits, names and cursors no route may choke on.

Every case gets a problem+json answer with a 4xx status, never a 500, and the connection is not cut.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from propos4l.gateway.problems import PROBLEM_JSON
from propos4l.gateway.settings import GatewaySettings
from tests.support.gateway import AUTH, RunningGateway, gateway_settings, running_gateway

pytestmark = pytest.mark.integration

REQUEST = {"client_name": "Acme Logística", "industry": "Logistics", "requirements": "Track the fleet."}


@pytest.fixture
def settings(database_url: str, redis_url: str, data_dir: Path) -> GatewaySettings:
    # CPU and wall-clock limits low enough for a looping template to hit them soon, high enough for the default
    # template's own check at start.
    return gateway_settings(
        database_url, redis_url, data_dir, render_timeout_seconds=20, render_cpu_seconds=6, render_max_memory_mb=512
    )


@pytest.fixture
async def gateway(settings: GatewaySettings) -> AsyncIterator[RunningGateway]:
    async with running_gateway(settings, headers=AUTH) as running:
        yield running


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    return body


async def upload_with_template_html(client: httpx.AsyncClient, name: str, html: str) -> httpx.Response:
    """PUT a copy of the default template whose template.html is `html`."""
    default = (await client.get("/api/templates/default")).json()
    files: dict[str, Any] = {}
    for file in default["files"]:
        if file["path"] == "manifest.json":
            continue
        files[file["path"]] = {"sha256": file["sha256"]}
    files["template.html"] = {"text": html}
    manifest = {key: value for key, value in default["manifest"].items() if key != "name"}
    return await client.put(f"/api/templates/{name}", json={"manifest": manifest, "files": files})


@pytest.mark.parametrize(
    ("html", "limits"),
    [
        ("{% for i in range(10**9) %}x{% endfor %}", {"range"}),  # the sandbox's range limit
        ("{% macro down() %}{{ down() }}{% endmacro %}{{ down() }}", {"recursion"}),
        (
            "{% for i in range(99999) %}{% for j in range(99999) %}{{ 'x' * 1000 }}{% endfor %}{% endfor %}",
            {"html_size"},
        ),
        # CPU time, or the wall clock first on a machine busy with other work
        ("{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}", {"cpu_time", "time"}),
        ("{% set big = [0] * 10**9 %}{{ big | length }}", {"memory"}),
    ],
    ids=["range", "recursion", "html-size", "cpu-time", "memory"],
)
async def test_a_template_that_hits_a_limit_is_refused_with_422_naming_the_limit(
    client: httpx.AsyncClient, html: str, limits: set[str]
) -> None:
    body = assert_problem(await upload_with_template_html(client, "heavy", html), 422)
    assert body["limit"] in limits, body
    assert (await client.get("/api/templates/heavy")).status_code == 404  # nothing was stored
    assert (await client.get("/api/health")).status_code == 200


async def test_an_unexpected_error_answers_500_problem_json_without_raising_past_the_reply(
    gateway: RunningGateway,
) -> None:
    app: FastAPI = gateway.app

    @app.get("/api/test-only-failure")
    async def failing() -> None:
        raise RuntimeError("a bug")

    # ASGITransport re-raises whatever the app lets escape, as a server would see it (and cut the connection).
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=AUTH) as client:
        body = assert_problem(await client.get("/api/test-only-failure"), 500)
    assert "a bug" not in body["detail"]


@pytest.mark.parametrize("method", ["GET", "DELETE"])
@pytest.mark.parametrize("name", ["a%00b", "default%00", "Default", "a%0A"])
async def test_a_template_name_with_a_nul_or_out_of_its_alphabet_is_refused_on_every_route(
    client: httpx.AsyncClient, method: str, name: str
) -> None:
    body = assert_problem(await client.request(method, f"/api/templates/{name}"), 422)
    assert "is not a valid template name" in body["detail"]


async def test_a_template_file_under_a_name_with_a_nul_is_refused(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/templates/a%00b/files/style.css"), 422)


async def test_an_event_cursor_past_a_64_bit_integer_is_refused_before_the_stream_opens(
    client: httpx.AsyncClient,
) -> None:
    proposal_id = (await client.post("/api/proposals", json=REQUEST)).json()["id"]
    too_far = str(2**63)
    url = f"/api/proposals/{proposal_id}/events"
    assert_problem(await client.get(url, headers={"Last-Event-ID": too_far}), 422)
    assert_problem(await client.get(url, params={"after": too_far}), 422)
    assert_problem(await client.get(f"/api/proposals/{uuid.uuid4()}/events"), 404)


class CountingBody:
    """An ASGI `receive` that hands out a large body in chunks and counts what the app took."""

    def __init__(self, size: int, chunk: int = 1024 * 1024) -> None:
        self.remaining, self.chunk, self.taken = size, chunk, 0

    async def __call__(self) -> dict[str, Any]:
        if self.remaining <= 0:
            return {"type": "http.disconnect"}
        part = min(self.chunk, self.remaining)
        self.remaining -= part
        self.taken += part
        return {"type": "http.request", "body": b"x" * part, "more_body": self.remaining > 0}


async def call_app(app: FastAPI, method: str, path: str, headers: dict[str, str], body: CountingBody) -> int:
    """Send one request straight to the ASGI app; the response's status."""
    statuses: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    size = body.remaining
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(size).encode())]
        + [(name.lower().encode(), value.encode()) for name, value in headers.items()],
        "client": ("192.0.2.7", 40000),
        "server": ("test", 80),
        "state": {},
    }
    await app(scope, body, send)
    return statuses[0]


@pytest.mark.parametrize(
    ("method", "path"), [("PUT", "/api/templates/big"), ("POST", "/api/templates/default/preview")]
)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token-we-know-123"}], ids=["none", "wrong"])
async def test_an_unauthenticated_upload_is_refused_with_401_before_its_body_is_read(
    gateway: RunningGateway, method: str, path: str, headers: dict[str, str]
) -> None:
    body = CountingBody(29 * 1024 * 1024)
    assert await call_app(gateway.app, method, path, headers, body) == 401
    assert body.taken == 0


async def test_an_authenticated_upload_is_still_read(gateway: RunningGateway) -> None:
    body = CountingBody(2 * 1024 * 1024)  # not JSON: read, then refused as such
    assert await call_app(gateway.app, "PUT", "/api/templates/big", AUTH, body) == 400
    assert body.taken == 2 * 1024 * 1024


async def test_failed_sign_ins_from_one_address_are_throttled_with_429_and_retry_after(
    database_url: str, redis_url: str, data_dir: Path
) -> None:
    settings = gateway_settings(
        database_url, redis_url, data_dir, sign_in_failure_limit=3, sign_in_failure_window_seconds=60
    )
    async with running_gateway(settings) as (app, _):

        def client_at(address: str) -> httpx.AsyncClient:
            transport = httpx.ASGITransport(app=app, client=(address, 5000))
            return httpx.AsyncClient(transport=transport, base_url="http://test")

        wrong = {"Authorization": "Bearer a-guess-that-is-wrong-1"}
        async with client_at("192.0.2.1") as guesser, client_at("192.0.2.2") as other:
            for _ in range(3):
                assert_problem(await guesser.get("/api/me", headers=wrong), 401)
            for headers in (wrong, AUTH):  # even the right token waits: the address is not trusted for a while
                body = assert_problem(await guesser.get("/api/me", headers=headers), 429)
                assert "failed sign-ins" in body["detail"]
            refused = await guesser.put("/api/templates/x", headers=wrong, json={})
            assert_problem(refused, 429)
            assert 0 < int(refused.headers["retry-after"]) <= 60
            assert (await other.get("/api/me", headers=AUTH)).status_code == 200
            assert_problem(await other.get("/api/me"), 401)  # no token at all is not a guess
