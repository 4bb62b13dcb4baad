"""The template API against a real PostgreSQL and Redis: versions, checks with located errors, events, renders."""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from redis.asyncio import Redis

from propos4l.gateway.settings import GatewaySettings
from propos4l.renderer.pdf import PdfRenderer
from propos4l.renderer.sample import sample_drafted
from propos4l.shared.envelope import decode
from propos4l.shared.events import TemplateChanged
from propos4l.shared.sections import Language
from propos4l.shared.streams import Stream
from tests.support.gateway import AUTH, gateway_settings, running_gateway
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

PROBLEM_JSON = "application/problem+json"
REQUEST = {
    "client_name": "Acme Logística",
    "industry": "Logistics",
    "requirements": "Track the fleet.",
    "language": "en",
}


@pytest.fixture
def settings(database_url: str, redis_url: str, data_dir: Path) -> GatewaySettings:
    return gateway_settings(database_url, redis_url, data_dir, render_timeout_seconds=60, render_cpu_seconds=30)


@pytest.fixture
async def client(settings: GatewaySettings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_gateway(settings) as (_, http):
        yield http


@pytest.fixture
async def renderer() -> AsyncIterator[PdfRenderer]:
    """The renderer service's own rendering, to see what the next proposal would look like."""
    pdf_renderer = PdfRenderer(max_workers=1, timeout_seconds=60)
    yield pdf_renderer
    pdf_renderer.close()


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    return body


async def get_template(client: httpx.AsyncClient, name: str, **params: Any) -> dict[str, Any]:
    response = await client.get(f"/api/templates/{name}", params=params, headers=AUTH)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["etag"] == f'"{body["version"]}"'
    return body


def upload_of(detail: dict[str, Any], **texts: str) -> dict[str, Any]:
    """A PUT body from a GET: text files as text (some replaced), the others by their SHA-256."""
    files: dict[str, Any] = {}
    for file in detail["files"]:
        if file["path"] == "manifest.json":
            continue
        if file["path"] in texts:
            files[file["path"]] = {"text": texts[file["path"]]}
        elif file["text"] is not None:
            files[file["path"]] = {"text": file["text"]}
        else:
            files[file["path"]] = {"sha256": file["sha256"]}
    manifest = {key: value for key, value in detail["manifest"].items() if key != "name"}
    return json.loads(json.dumps({"manifest": manifest, "files": files}))  # a deep copy, safe to change


def text_of(detail: dict[str, Any], path: str) -> str:
    text: str = next(file["text"] for file in detail["files"] if file["path"] == path)
    return text


async def template_events(redis: Redis, count: int) -> list[TemplateChanged]:
    async def published() -> list[TemplateChanged] | None:
        entries = await redis.xrange(Stream.TEMPLATE_CHANGED.value)
        events = [decode(fields).open(TemplateChanged) for _, fields in entries]
        return events if len(events) >= count else None

    events: list[TemplateChanged] = await wait_for(published, timeout=10, message=f"{count} template events")
    return events


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


async def test_the_default_is_installed_recorded_and_announced_at_start(
    client: httpx.AsyncClient, data_dir: Path, redis: Redis
) -> None:
    listed = (await client.get("/api/templates", headers=AUTH)).json()["items"]
    assert [(item["name"], item["version"], item["is_default"]) for item in listed] == [("default", 1, True)]
    assert listed[0]["company_name"] == "Propos4l Consultoria"
    assert (data_dir / "templates" / "default" / "template.html").is_file()
    (event,) = await template_events(redis, 1)
    assert (event.template, event.template_version, event.action.value) == ("default", 1, "installed")

    detail = await get_template(client, "default")
    files = {file["path"]: file for file in detail["files"]}
    assert {"manifest.json", "template.html", "style.css", "assets/logo.svg", "assets/fonts/Inter-Bold.otf"} <= set(
        files
    )
    assert files["style.css"]["text"].startswith("/* Propos4l default")
    assert files["assets/fonts/Inter-Bold.otf"]["text"] is None
    font = await client.get(files["assets/fonts/Inter-Bold.otf"]["url"], headers=AUTH)
    assert font.status_code == 200 and font.headers["content-type"] == "font/otf"
    assert font.content == (data_dir / "templates" / "default" / "assets/fonts/Inter-Bold.otf").read_bytes()
    assert [(entry["version"], entry["action"]) for entry in detail["history"]] == [(1, "installed")]
    assert detail["manifest"]["pricing"] == {"currency": "BRL", "taxes": [{"label": "ISS", "rate": "5"}]}


async def test_an_edit_through_the_api_changes_the_next_render(
    client: httpx.AsyncClient, data_dir: Path, redis: Redis, renderer: PdfRenderer
) -> None:
    templates_dir = data_dir / "templates"
    before = await renderer.render(sample_drafted(Language.EN), templates_dir)
    assert "MARKER-ONE" not in pdf_text(before.data)

    detail = await get_template(client, "default")
    html = text_of(detail, "template.html")
    marked = html.replace("{{ labels.document_title }}</p>", "{{ labels.document_title }} MARKER-ONE</p>", 1)
    response = await client.put(
        "/api/templates/default", json=upload_of(detail, **{"template.html": marked}), headers=AUTH
    )
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 2 and response.headers["etag"] == '"2"'
    assert "MARKER-ONE" in pdf_text((await renderer.render(sample_drafted(Language.EN), templates_dir)).data)

    again = marked.replace("MARKER-ONE", "MARKER-TWO")
    response = await client.put(
        "/api/templates/default", json=upload_of(detail, **{"template.html": again}), headers=AUTH
    )
    assert response.json()["version"] == 3
    text = pdf_text((await renderer.render(sample_drafted(Language.EN), templates_dir)).data)
    assert "MARKER-TWO" in text and "MARKER-ONE" not in text

    events = await template_events(redis, 3)
    assert [(event.template_version, event.action.value) for event in events] == [
        (1, "installed"),
        (2, "updated"),
        (3, "updated"),
    ]
    old = await get_template(client, "default", version=2)  # every version's files stay
    assert "MARKER-ONE" in text_of(old, "template.html") and old["current_version"] == 3


async def test_an_invalid_template_is_refused_with_where_it_is_wrong(
    client: httpx.AsyncClient, data_dir: Path, redis: Redis
) -> None:
    detail = await get_template(client, "default")
    css = text_of(detail, "style.css").replace("  line-height: 1.55;\n", "  line-heigth: 1.55;\n", 1)
    line = next(number for number, text in enumerate(css.splitlines(), 1) if "line-heigth" in text)
    response = await client.put("/api/templates/default", json=upload_of(detail, **{"style.css": css}), headers=AUTH)
    problem = assert_problem(response, 422)
    assert problem["title"] == "Invalid template"
    assert problem["errors"][0] == {
        "file": "style.css",
        "line": line,
        "column": 3,
        "message": "Ignored `line-heigth: 1.55`, unknown property",
    }
    assert f"style.css:{line}:3" in problem["detail"]

    html = text_of(detail, "template.html").replace("{{ proposal.number }}</td>", "{% if %}</td>", 1)
    line = next(number for number, text in enumerate(html.splitlines(), 1) if "{% if %}" in text)
    response = await client.put(
        "/api/templates/default", json=upload_of(detail, **{"template.html": html}), headers=AUTH
    )
    (error,) = assert_problem(response, 422)["errors"]
    assert (error["file"], error["line"]) == ("template.html", line)

    html = text_of(detail, "template.html").replace("</body>", '<img src="http://127.0.0.1:9/x.png"></body>', 1)
    response = await client.put(
        "/api/templates/default", json=upload_of(detail, **{"template.html": html}), headers=AUTH
    )
    assert "never the network" in assert_problem(response, 422)["errors"][0]["message"]

    assert (await get_template(client, "default"))["version"] == 1  # nothing was stored ...
    assert text_of(detail, "style.css") == (data_dir / "templates" / "default" / "style.css").read_text()
    assert len(await template_events(redis, 1)) == 1  # ... or announced


async def test_a_new_template_can_be_chosen_by_requests_and_an_unknown_one_cannot(
    client: httpx.AsyncClient, data_dir: Path
) -> None:
    detail = await get_template(client, "default")
    upload = upload_of(detail)
    upload["manifest"]["brand"]["company_name"] = "Acme Consulting"
    upload["manifest"]["pricing"] = {"currency": "USD", "taxes": []}
    response = await client.put("/api/templates/acme", json=upload, headers=AUTH)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/api/templates/acme"
    assert json.loads((data_dir / "templates" / "acme" / "manifest.json").read_text())["name"] == "acme"
    names = [item["name"] for item in (await client.get("/api/templates", headers=AUTH)).json()["items"]]
    assert names == ["acme", "default"]

    accepted = await client.post("/api/proposals", json={**REQUEST, "template": "acme"}, headers=AUTH)
    assert accepted.status_code == 202, accepted.text
    refused = await client.post("/api/proposals", json={**REQUEST, "template": "corporate"}, headers=AUTH)
    assert "no template named 'corporate'" in assert_problem(refused, 422)["detail"]

    same = await client.put("/api/templates/acme", json=upload, headers=AUTH)  # the same again: no new version
    assert same.status_code == 200 and same.json()["version"] == 1


async def test_delete_keeps_history_never_touches_the_default_and_put_brings_it_back(
    client: httpx.AsyncClient, data_dir: Path, redis: Redis
) -> None:
    assert (
        "cannot be deleted"
        in assert_problem(await client.delete("/api/templates/default", headers=AUTH), 409)["detail"]
    )
    upload = upload_of(await get_template(client, "default"))
    assert (await client.put("/api/templates/brief", json=upload, headers=AUTH)).status_code == 201

    response = await client.delete("/api/templates/brief", headers=AUTH)
    assert response.status_code == 200 and response.json() == {"name": "brief", "version": 2, "deleted": True}
    assert not (data_dir / "templates" / "brief").exists()
    assert_problem(await client.get("/api/templates/brief", headers=AUTH), 404)
    assert (await get_template(client, "brief", version=1))["history"][0]["action"] == "deleted"
    assert_problem(await client.delete("/api/templates/brief", headers=AUTH), 404)
    refused = await client.post("/api/proposals", json={**REQUEST, "template": "brief"}, headers=AUTH)
    assert_problem(refused, 422)

    response = await client.put("/api/templates/brief", json=upload, headers=AUTH)
    assert response.status_code == 201 and response.json()["version"] == 3
    events = await template_events(redis, 4)
    assert [(e.template, e.template_version, e.action.value) for e in events[1:]] == [
        ("brief", 1, "installed"),
        ("brief", 2, "deleted"),
        ("brief", 3, "installed"),
    ]


async def test_if_match_refuses_a_change_to_a_template_changed_since_it_was_read(client: httpx.AsyncClient) -> None:
    detail = await get_template(client, "default")
    upload = upload_of(detail, **{"style.css": text_of(detail, "style.css") + "\n/* edited */\n"})
    stale = await client.put("/api/templates/default", json=upload, headers={**AUTH, "If-Match": '"7"'})
    assert "at version 1, not 7" in assert_problem(stale, 412)["detail"]
    fresh = await client.put("/api/templates/default", json=upload, headers={**AUTH, "If-Match": '"1"'})
    assert fresh.status_code == 200 and fresh.json()["version"] == 2


async def test_uploads_are_validated_before_anything_renders(client: httpx.AsyncClient) -> None:
    detail = await get_template(client, "default")
    upload = upload_of(detail)
    upload["manifest"]["brand"]["colors"]["primary"] = "blue"
    problem = assert_problem(await client.put("/api/templates/default", json=upload, headers=AUTH), 422)
    assert problem["errors"][0]["field"] == "manifest.brand.colors.primary"

    upload = upload_of(detail)
    upload["files"]["assets/fonts/Inter-Bold.otf"] = {"sha256": "0" * 64}
    upload["files"]["../evil.html"] = {"text": "x"}
    upload["files"]["manifest.json"] = {"text": "{}"}
    errors = assert_problem(await client.put("/api/templates/default", json=upload, headers=AUTH), 422)["errors"]
    by_file = {error["file"]: error["message"] for error in errors}
    assert "no stored file has the SHA-256" in by_file["assets/fonts/Inter-Bold.otf"]
    assert "not a valid file path" in by_file["../evil.html"]
    assert "as the `manifest` object" in by_file["manifest.json"]

    named = upload_of(detail)
    named["manifest"]["name"] = "other"
    assert_problem(await client.put("/api/templates/default", json=named, headers=AUTH), 422)
    assert_problem(await client.put("/api/templates/Bad.Name", json=upload_of(detail), headers=AUTH), 422)
    both = upload_of(detail)
    both["files"]["style.css"] = {"text": "a", "base64": "YQ=="}
    assert_problem(await client.put("/api/templates/default", json=both, headers=AUTH), 422)


async def test_preview_is_a_pdf_of_the_sample_from_the_stored_or_an_unsaved_template(
    client: httpx.AsyncClient, data_dir: Path
) -> None:
    response = await client.post("/api/templates/default/preview", params={"language": "en"}, headers=AUTH)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert "Northwind Logistics" in pdf_text(response.content)
    assert int(response.headers["x-pages"]) >= 4

    detail = await get_template(client, "default")
    html = text_of(detail, "template.html").replace(
        "{{ labels.contents }}</h2>", "{{ labels.contents }} DRAFT-LOOK</h2>"
    )
    response = await client.post(
        "/api/templates/default/preview", json=upload_of(detail, **{"template.html": html}), headers=AUTH
    )
    assert response.status_code == 200, response.text
    assert "Sumário DRAFT-LOOK" in pdf_text(response.content)  # pt-BR by default
    assert "DRAFT-LOOK" not in (data_dir / "templates" / "default" / "template.html").read_text()  # not saved

    broken = upload_of(detail, **{"template.html": "{{ proposal.nothing }}"})
    problem = assert_problem(await client.post("/api/templates/default/preview", json=broken, headers=AUTH), 422)
    assert problem["errors"][0]["file"] == "template.html" and problem["errors"][0]["line"] == 1
    assert_problem(await client.post("/api/templates/nope/preview", headers=AUTH), 404)


async def test_templates_need_a_token(client: httpx.AsyncClient) -> None:
    for method, url in (
        ("GET", "/api/templates"),
        ("GET", "/api/templates/default"),
        ("PUT", "/api/templates/default"),
        ("DELETE", "/api/templates/x"),
        ("POST", "/api/templates/default/preview"),
        ("GET", f"/api/proposals/{uuid.uuid4()}/export?format=md"),
    ):
        assert_problem(await client.request(method, url), 401)


async def test_folders_changed_or_lost_outside_the_api_are_reconciled_at_start(
    settings: GatewaySettings, data_dir: Path
) -> None:
    templates_dir = data_dir / "templates"
    async with running_gateway(settings):
        pass
    shutil.copytree(templates_dir / "default", templates_dir / "handmade")
    manifest = json.loads((templates_dir / "handmade" / "manifest.json").read_text())
    (templates_dir / "handmade" / "manifest.json").write_text(json.dumps({**manifest, "name": "handmade"}))
    (templates_dir / "default" / "style.css").write_text("/* edited by hand */\n")

    async with running_gateway(settings) as (_, client):
        default = await get_template(client, "default")
        assert default["version"] == 2 and default["history"][0]["created_by"].startswith("system")
        assert (await get_template(client, "handmade"))["version"] == 1
        shutil.rmtree(templates_dir / "handmade")

    async with running_gateway(settings):
        assert (templates_dir / "handmade" / "template.html").is_file()  # written back from its recorded version


async def test_template_uploads_may_be_larger_than_other_requests_up_to_their_own_limit(
    database_url: str, redis_url: str, data_dir: Path
) -> None:
    settings = gateway_settings(database_url, redis_url, data_dir, template_max_request_bytes=4 * 1024 * 1024)
    async with running_gateway(settings, headers=AUTH) as (_, client):
        upload = upload_of(await get_template(client, "default"))
        upload["files"]["assets/photo.png"] = {"base64": base64.b64encode(os.urandom(2 * 1024 * 1024)).decode()}
        saved = await client.put("/api/templates/with-photo", json=upload)  # about 2.7 MB of JSON
        assert saved.status_code == 201, saved.text
        stored = next(file for file in saved.json()["files"] if file["path"] == "assets/photo.png")
        assert stored["size"] == 2 * 1024 * 1024

        too_big = {**REQUEST, "requirements": "x" * (2 * 1024 * 1024)}
        assert "1048576" in assert_problem(await client.post("/api/proposals", json=too_big), 413)["detail"]
        upload["files"]["assets/photo.png"] = {"base64": base64.b64encode(os.urandom(4 * 1024 * 1024)).decode()}
        refused = assert_problem(await client.put("/api/templates/with-photo", json=upload), 413)
        assert str(4 * 1024 * 1024) in refused["detail"]
