"""The gateway's HTTP contract, against a real PostgreSQL and Redis: auth, validation, problems, listing, readiness."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from propos4l.shared.envelope import decode
from propos4l.shared.events import ProposalRequested
from propos4l.shared.localrun.servers import free_port
from propos4l.shared.streams import Stream
from tests.support.gateway import AUTH, TOKEN, RunningGateway, gateway_settings, running_gateway
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

PROBLEM_JSON = "application/problem+json"

VALID_REQUEST: dict[str, Any] = {
    "client_name": "Acme Logística",
    "industry": "Logistics",
    "requirements": "Rastrear frotas em tempo real e integrar com o ERP.",
    "scope": "Web app and mobile app",
    "timeline": "3 months",
    "budget": "R$ 200.000",
    "language": "en",
    "template": "default",
}


@pytest.fixture
async def gateway(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(database_url, redis_url, data_dir, delivery_visibility_timeout_seconds=1)
    async with running_gateway(settings) as running:
        yield running


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    for member in ("type", "title", "detail"):
        assert isinstance(body[member], str) and body[member], body
    return body


async def create(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/proposals", json={**VALID_REQUEST, **fields}, headers=AUTH)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


# --- authentication -------------------------------------------------------------------------------------------------


async def test_health_answers_without_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_every_route_but_health_refuses_requests_without_a_token(client: httpx.AsyncClient) -> None:
    some_id = uuid.uuid4()
    requests = [
        ("POST", "/api/proposals", VALID_REQUEST),
        ("GET", "/api/proposals", None),
        ("GET", f"/api/proposals/{some_id}", None),
        ("GET", f"/api/proposals/{some_id}/pdf", None),
        ("GET", "/api/ready", None),
    ]
    for method, url, body in requests:
        response = await client.request(method, url, json=body)
        problem = assert_problem(response, 401)
        assert response.headers["www-authenticate"].lower().startswith("bearer"), (method, url)
        assert "Bearer" in problem["detail"]
    listed = await client.get("/api/proposals", headers=AUTH)
    assert listed.json()["total"] == 0, "an unauthenticated POST must not have stored anything"


async def test_a_wrong_or_malformed_token_is_refused(client: httpx.AsyncClient) -> None:
    for header in (f"Bearer {TOKEN}x", "Bearer wrong-token-but-long-enough", f"Basic {TOKEN}", TOKEN, "Bearer "):
        response = await client.get("/api/proposals", headers={"Authorization": header})
        assert_problem(response, 401)
        assert "www-authenticate" in response.headers


# --- creating and reading -------------------------------------------------------------------------------------------


async def test_a_valid_request_is_accepted_stored_and_published_once(
    client: httpx.AsyncClient, app: FastAPI, redis: Redis
) -> None:
    response = await client.post("/api/proposals", json=VALID_REQUEST, headers=AUTH)
    assert response.status_code == 202, response.text
    created = response.json()
    proposal_id = created["id"]
    assert uuid.UUID(proposal_id)
    assert created["status"] == "queued"
    assert created["version"] == 1
    assert created["sections"] == []
    assert created["pdf_url"] is None
    assert created["error"] is None
    assert response.headers["location"] == f"/api/proposals/{proposal_id}"

    fetched = await client.get(response.headers["location"], headers=AUTH)
    assert fetched.status_code == 200
    view = fetched.json()
    assert view["id"] == proposal_id
    assert view["status"] == "queued"
    for field in ("client_name", "industry", "requirements", "scope", "timeline", "budget", "language", "template"):
        assert view[field] == VALID_REQUEST[field], field

    async def published() -> list[Any]:
        entries: list[Any] = list(await redis.xrange(Stream.PROPOSAL_REQUESTED.value) or [])
        return entries

    entries = await wait_for(published, timeout=10, message="the request never reached the stream")
    # Published means marked published too; only then can a duplicate be ruled out.
    await wait_for(_outbox_empty(app), timeout=5)
    entries = await published()
    assert len(entries) == 1
    _entry_id, fields = entries[0]
    event = decode(fields).open(ProposalRequested)
    assert str(event.proposal_id) == proposal_id
    assert event.version == 1
    request = event.request
    assert request.client_name == VALID_REQUEST["client_name"]
    assert request.industry == VALID_REQUEST["industry"]
    assert request.requirements == VALID_REQUEST["requirements"]
    assert request.scope == VALID_REQUEST["scope"]
    assert request.timeline == VALID_REQUEST["timeline"]
    assert request.budget == VALID_REQUEST["budget"]
    assert request.language.value == "en"
    assert request.template == "default"


def _outbox_empty(app: FastAPI) -> Any:
    """A condition: the outbox has nothing left to publish (its rows all have published_at)."""

    async def idle() -> bool:
        async with app.state.pool.acquire() as connection:
            waiting = await connection.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        return bool(waiting == 0)

    return idle


async def test_optional_fields_default_to_portuguese_and_the_default_template(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/proposals",
        json={"client_name": "Padaria Pão Quente", "industry": "Varejo", "requirements": "Um site."},
        headers=AUTH,
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["language"] == "pt-BR"
    assert body["template"] == "default"
    assert body["scope"] is None and body["timeline"] is None and body["budget"] is None


async def test_missing_fields_are_a_422_naming_them(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/proposals", json={"client_name": "Acme"}, headers=AUTH)
    problem = assert_problem(response, 422)
    assert "industry" in problem["detail"]
    assert "requirements" in problem["detail"]
    fields = {item["field"] for item in problem["errors"]}
    assert fields == {"industry", "requirements"}

    empty = await client.post("/api/proposals", json={}, headers=AUTH)
    problem = assert_problem(empty, 422)
    assert {item["field"] for item in problem["errors"]} == {"client_name", "industry", "requirements"}
    assert {item["type"] for item in problem["errors"]} == {"missing"}


async def test_field_errors_carry_their_type_and_limits_for_clients_to_word_them(client: httpx.AsyncClient) -> None:
    body = {**VALID_REQUEST, "client_name": "x" * 201, "discount_percent": 150}
    problem = assert_problem(await client.post("/api/proposals", json=body, headers=AUTH), 422)
    by_field = {item["field"]: item for item in problem["errors"]}
    assert by_field["client_name"]["type"] == "string_too_long"
    assert by_field["client_name"]["limits"] == {"max_length": 200}
    assert by_field["discount_percent"]["type"] == "less_than_equal"
    assert by_field["discount_percent"]["limits"] == {"le": "100"}
    assert all(item["message"] for item in problem["errors"])  # the English wording stays for other clients


INVALID_CHANGES: list[dict[str, Any]] = [
    {"client_name": 42},
    {"client_name": ["Acme"]},
    {"client_name": {"name": "Acme"}},
    {"client_name": None},
    {"industry": True},
    {"requirements": ""},
    {"requirements": "   "},
    {"language": "fr"},
    {"language": "PT-br"},
    {"language": 1},
    {"template": "../../etc/passwd"},
    {"template": "Default Template"},
    {"template": ""},
    {"requirements": "x" * 20_001},
    {"budget": 1000},
    {"scope": ["a", "b"]},
]


async def test_wrong_types_unknown_languages_and_bad_template_names_are_a_422(client: httpx.AsyncClient) -> None:
    for changes in INVALID_CHANGES:
        response = await client.post("/api/proposals", json={**VALID_REQUEST, **changes}, headers=AUTH)
        problem = assert_problem(response, 422)
        named = {item["field"] for item in problem["errors"]}
        assert named == set(changes), (named, changes)
        assert next(iter(changes)) in problem["detail"]
    assert (await client.get("/api/proposals", headers=AUTH)).json()["total"] == 0


async def test_a_300_character_client_name_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/proposals", json={**VALID_REQUEST, "client_name": "A" * 300}, headers=AUTH)
    problem = assert_problem(response, 422)
    assert "client_name" in problem["detail"]
    assert (await client.get("/api/proposals", headers=AUTH)).json()["total"] == 0


async def test_unknown_extra_fields_are_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/proposals", json={**VALID_REQUEST, "priority": "high"}, headers=AUTH)
    problem = assert_problem(response, 422)
    assert "priority" in problem["detail"]


async def test_malformed_json_is_a_400(client: httpx.AsyncClient) -> None:
    for body in (b'{"client_name": "Acme", ', b"not json at all", b'{"a": 1}}'):
        response = await client.post(
            "/api/proposals", content=body, headers={**AUTH, "Content-Type": "application/json"}
        )
        assert_problem(response, 400)


async def test_a_body_over_the_limit_is_a_413(client: httpx.AsyncClient) -> None:
    huge = {**VALID_REQUEST, "requirements": "x" * (2 * 1024 * 1024)}
    response = await client.post("/api/proposals", json=huge, headers=AUTH)
    problem = assert_problem(response, 413)
    assert "1048576" in problem["detail"]


async def test_a_chunked_body_over_the_limit_without_content_length_is_a_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"client_name": "Acme", "industry": "Tech", "requirements": "'
        for _ in range(32):
            yield b"x" * (64 * 1024)
        yield b'"}'

    response = await client.post(
        "/api/proposals", content=chunks(), headers={**AUTH, "Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)
    assert (await client.get("/api/proposals", headers=AUTH)).json()["total"] == 0


async def test_a_chunked_body_under_the_limit_is_accepted(client: httpx.AsyncClient) -> None:
    payload = json.dumps(VALID_REQUEST).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(payload), 16):
            yield payload[start : start + 16]

    response = await client.post(
        "/api/proposals", content=chunks(), headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 202, response.text


# --- unknown things -------------------------------------------------------------------------------------------------


async def test_an_unknown_proposal_is_a_404(client: httpx.AsyncClient) -> None:
    unknown = uuid.uuid4()
    problem = assert_problem(await client.get(f"/api/proposals/{unknown}", headers=AUTH), 404)
    assert str(unknown) in problem["detail"]
    assert_problem(await client.get(f"/api/proposals/{unknown}/pdf", headers=AUTH), 404)


async def test_a_non_uuid_id_is_a_422_problem(client: httpx.AsyncClient) -> None:
    for bad in ("not-a-uuid", "123", "%27%20OR%201=1", "0" * 300):
        problem = assert_problem(await client.get(f"/api/proposals/{bad}", headers=AUTH), 422)
        assert problem["errors"][0]["field"] == "path.proposal_id"
        assert_problem(await client.get(f"/api/proposals/{bad}/pdf", headers=AUTH), 422)


async def test_an_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    for url in ("/nope", "/api/nope", "/api/proposals/x/y/z"):
        assert_problem(await client.get(url, headers=AUTH), 404)
    assert_problem(await client.get("/api/nope"), 404)


async def test_a_wrong_method_is_a_405_problem(client: httpx.AsyncClient) -> None:
    response = await client.delete("/api/health")
    assert_problem(response, 405)


async def test_the_pdf_of_a_queued_proposal_is_a_409(client: httpx.AsyncClient) -> None:
    created = await create(client)
    problem = assert_problem(await client.get(f"/api/proposals/{created['id']}/pdf", headers=AUTH), 409)
    assert "queued" in problem["detail"]


async def test_the_pdf_of_a_version_that_does_not_exist_is_a_404(client: httpx.AsyncClient) -> None:
    created = await create(client)
    response = await client.get(f"/api/proposals/{created['id']}/pdf", params={"version": 7}, headers=AUTH)
    problem = assert_problem(response, 404)
    assert "7" in problem["detail"]
    for bad in ("0", "-1", "abc"):
        response = await client.get(f"/api/proposals/{created['id']}/pdf", params={"version": bad}, headers=AUTH)
        assert_problem(response, 422)


# --- listing --------------------------------------------------------------------------------------------------------


async def test_the_list_paginates_searches_and_filters(client: httpx.AsyncClient, app: FastAPI) -> None:
    clients = [
        ("Acme Logística", "Logistics"),
        ("ACME Foods", "Retail"),
        ("Banco Sol", "Finance"),
        ("100% Digital", "Finance"),
        ("Under_Score Ltda", "Retail"),
        ("Underscore Ltda", "retail"),
        ("Zeta Saúde", "Health"),
    ]
    ids = {}
    for name, industry in clients:
        ids[name] = (await create(client, client_name=name, industry=industry))["id"]

    async def listing(**params: Any) -> dict[str, Any]:
        response = await client.get("/api/proposals", params=params, headers=AUTH)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    everything = await listing()
    assert everything["total"] == 7
    assert everything["page"] == 1 and everything["page_size"] == 20
    assert [item["client_name"] for item in everything["items"]] == [name for name, _ in reversed(clients)]
    item = everything["items"][0]
    assert item["status"] == "queued" and item["version"] == 1 and item["id"] == ids["Zeta Saúde"]

    pages = [await listing(page=page, page_size=3) for page in (1, 2, 3, 4)]
    assert [len(page["items"]) for page in pages] == [3, 3, 1, 0]
    assert all(page["total"] == 7 for page in pages)
    paged_ids = [item["id"] for page in pages for item in page["items"]]
    assert paged_ids == [item["id"] for item in everything["items"]]
    assert len(set(paged_ids)) == 7

    def names(body: dict[str, Any]) -> set[str]:
        return {item["client_name"] for item in body["items"]}

    acme = await listing(q="acme")
    assert acme["total"] == 2 and names(acme) == {"Acme Logística", "ACME Foods"}
    assert names(await listing(q="LOGíST")) == {"Acme Logística"}
    assert names(await listing(q="LOGÍSTICA")) == {"Acme Logística"}  # accents fold too (UTF-8 locale)
    assert names(await listing(q="%")) == {"100% Digital"}
    assert names(await listing(q="_")) == {"Under_Score Ltda"}
    assert names(await listing(q="r_c")) == set(), "_ must not match any character"
    assert names(await listing(q="\\")) == set()
    assert (await listing(q="nobody"))["total"] == 0

    retail = await listing(industry="RETAIL")
    assert retail["total"] == 3
    assert names(retail) == {"ACME Foods", "Under_Score Ltda", "Underscore Ltda"}
    assert names(await listing(industry="finance", q="sol")) == {"Banco Sol"}

    assert (await listing(status="queued"))["total"] == 7
    async with app.state.pool.acquire() as connection:
        await connection.execute("UPDATE proposals SET status = 'ready' WHERE id = $1", uuid.UUID(ids["Banco Sol"]))
    ready = await listing(status="ready")
    assert ready["total"] == 1 and names(ready) == {"Banco Sol"}
    assert (await listing(status="failed"))["total"] == 0
    assert (await listing(status="queued", industry="finance"))["total"] == 1


async def test_invalid_list_parameters_are_a_422(client: httpx.AsyncClient) -> None:
    invalid: list[dict[str, Any]] = [
        {"status": "done"},
        {"status": "READY"},
        {"page_size": 0},
        {"page_size": 1000},
        {"page_size": -5},
        {"page": 0},
        {"page": "first"},
        {"q": "x" * 201},
        {"industry": "y" * 201},
    ]
    for params in invalid:
        problem = assert_problem(await client.get("/api/proposals", params=params, headers=AUTH), 422)
        assert {item["field"] for item in problem["errors"]} == {f"query.{key}" for key in params}, params


# --- readiness ------------------------------------------------------------------------------------------------------


async def test_ready_is_200_when_postgres_and_redis_answer(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/ready", headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "checks": {"postgres": "ok", "redis": "ok"}}


async def test_ready_is_a_503_naming_redis_when_redis_is_down_and_the_app_still_stops(
    database_url: str, data_dir: Path
) -> None:
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    settings = gateway_settings(database_url, dead_redis, data_dir, delivery_visibility_timeout_seconds=1)
    started = time.monotonic()
    async with running_gateway(settings) as (_, http):
        asked = time.monotonic()
        response = await http.get("/api/ready", headers=AUTH)
        assert time.monotonic() - asked < 5, "readiness must answer within a few seconds"
        problem = assert_problem(response, 503)
        assert "redis" in problem["detail"]
        assert "postgres" not in problem["detail"]
        assert problem["checks"]["postgres"] == "ok"
        assert problem["checks"]["redis"] != "ok"
        # The API still serves what needs only PostgreSQL.
        created = await http.post("/api/proposals", json=VALID_REQUEST, headers=AUTH)
        assert created.status_code == 202, created.text
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 10, "the app must stop promptly although Redis never answered"
    assert time.monotonic() - started < 20


# --- OpenAPI and hostile input --------------------------------------------------------------------------------------


async def test_the_openapi_document_lists_the_routes(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"post", "get"} <= set(paths["/api/proposals"])
    for path in ("/api/proposals/{proposal_id}", "/api/proposals/{proposal_id}/pdf", "/api/health", "/api/ready"):
        assert "get" in paths[path], path
    assert "application/problem+json" in paths["/api/proposals"]["post"]["responses"]["422"]["content"]


HOSTILE_BODIES: list[Any] = [
    [],
    [VALID_REQUEST],
    "just a string",
    12345,
    None,
    True,
    {"client_name": {"a": {"b": {"c": {"d": [[[[[]]]]]}}}}, "industry": "x", "requirements": "y"},
    {**VALID_REQUEST, "client_name": [[[]]] * 50},
    {**VALID_REQUEST, "budget": 10**300},
    {**VALID_REQUEST, "budget": -1e308},
    {**VALID_REQUEST, "client_name": "Acme\u0000Corp"},
    {**VALID_REQUEST, "requirements": "nulls \x00\x00 inside"},
    {**VALID_REQUEST, "client_name": "\ud800 lone surrogate"},
    {**VALID_REQUEST, "client_name": "🚀 Ação — 株式会社 \u202e عربى"},
    {**VALID_REQUEST, "language": {"$ne": None}},
    {**VALID_REQUEST, "template": "default\u0000"},
    {"__proto__": {"admin": True}, **VALID_REQUEST},
]

HOSTILE_RAW_BODIES: list[bytes] = [
    b"",
    b"{}" * 1000,
    b"[" * 5000 + b"]" * 5000,
    b'{"client_name": ' + b"9" * 5000 + b', "industry": "x", "requirements": "y"}',
    b'{"client_name": NaN, "industry": Infinity, "requirements": -Infinity}',
    b"\xff\xfe\x00\x00garbage",
    b'{"client_name": "\\ud800", "industry": "x", "requirements": "y"}',
    b'{"client_name": "a", "client_name": "b", "industry": "x", "requirements": "y"}',
]


async def test_hostile_bodies_never_cause_a_500(client: httpx.AsyncClient) -> None:
    statuses = []
    for body in HOSTILE_BODIES:
        response = await client.post(
            "/api/proposals", content=json.dumps(body), headers={**AUTH, "Content-Type": "application/json"}
        )
        assert response.status_code < 500, (body, response.text)
        if response.status_code != 202:
            assert_problem(response, response.status_code)
        statuses.append(response.status_code)
    for raw in HOSTILE_RAW_BODIES:
        response = await client.post(
            "/api/proposals", content=raw, headers={**AUTH, "Content-Type": "application/json"}
        )
        assert response.status_code < 500, (raw[:40], response.text)
        if response.status_code != 202:
            assert_problem(response, response.status_code)
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        response = await client.post(
            "/api/proposals", content=json.dumps(VALID_REQUEST), headers={**AUTH, "Content-Type": content_type}
        )
        assert response.status_code < 500, (content_type, response.text)
    assert 422 in statuses


async def test_hostile_query_strings_never_cause_a_500(client: httpx.AsyncClient) -> None:
    await create(client)
    hostile = ["\x00", "a\x00b", "' OR 1=1 --", "\\", "%%__", "🚀", "é" * 200]
    for value in hostile:
        for name in ("q", "industry"):
            response = await client.get("/api/proposals", params={name: value}, headers=AUTH)
            assert response.status_code < 500, (name, value, response.text)
            if response.status_code != 200:
                assert_problem(response, response.status_code)
    raw = await client.get("/api/proposals?page=99999999999999999999&page_size=1e3", headers=AUTH)
    assert_problem(raw, 422)


# --- browsers on another origin (the web app) ----------------------------------------------------------------------


async def test_the_web_app_origin_may_send_what_the_app_sends_and_read_what_it_reads(client: httpx.AsyncClient) -> None:
    preflight = await client.options(
        "/api/templates/acme",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, content-type, if-match, last-event-id",
        },
    )
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
    allowed = {name.strip().lower() for name in preflight.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "if-match", "last-event-id"} <= allowed
    response = await client.get("/api/templates/default", headers={**AUTH, "Origin": "http://localhost:3000"})
    exposed = {name.strip().lower() for name in response.headers["access-control-expose-headers"].split(",")}
    assert {"etag", "location"} <= exposed

    elsewhere = await client.options(
        "/api/proposals",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in elsewhere.headers
