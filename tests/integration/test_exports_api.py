"""GET /api/proposals/{id}/export: the same version as HTML that needs nothing else, as Markdown, or as DOCX."""

from __future__ import annotations

import base64
import io
import json
import re
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx
import httpx
import pytest
from pypdf import PdfReader
from redis.asyncio import Redis

from propos4l.renderer.archive import ATTACHMENT_NAME
from propos4l.renderer.sample import sample_drafted
from propos4l.shared.delivery import Publisher
from propos4l.shared.events import ProposalDrafted, ProposalRendered, ProposalRequest, Section
from propos4l.shared.sections import Language, SectionKey
from tests.support.gateway import AUTH, gateway_settings, running_gateway
from tests.support.pdfa import pdfa_identification, qpdf, qpdf_check, unembedded_fonts
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
async def client(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = gateway_settings(database_url, redis_url, data_dir, delivery_visibility_timeout_seconds=1)
    async with running_gateway(settings) as (_, http):
        yield http


async def drafted_proposal(
    client: httpx.AsyncClient,
    redis: Redis,
    language: Language = Language.PT_BR,
    *,
    marker: str = "",
    contents: dict[SectionKey, str] | None = None,
) -> tuple[uuid.UUID, ProposalDrafted]:
    """A proposal asked for through the API, then drafted (as the generator would publish it) and recorded; with
    `marker` after the solution's content, and the sections of `contents` holding that content instead."""
    sample = sample_drafted(language)
    request = sample.request.model_dump(mode="json", exclude_none=True)
    response = await client.post("/api/proposals", json=request, headers=AUTH)
    assert response.status_code == 202, response.text
    proposal_id = uuid.UUID(response.json()["id"])
    sections = tuple(
        Section(key=s.key, title=s.title, content=s.content + marker) if s.key is SectionKey.SOLUTION else s
        for s in sample.sections
    )
    sections = tuple(
        Section(key=s.key, title=s.title, content=(contents or {}).get(s.key, s.content)) for s in sections
    )
    drafted = sample.model_copy(
        update={
            "event_id": uuid.uuid4(),
            "proposal_id": proposal_id,
            "request": ProposalRequest.model_validate(request),
            "sections": sections,
        }
    )
    await Publisher(redis).publish(drafted)

    async def recorded() -> bool:
        body = (await client.get(f"/api/proposals/{proposal_id}", headers=AUTH)).json()
        return body["status"] == "rendering"

    await wait_for(recorded, timeout=10, message="the draft was never recorded")
    return proposal_id, drafted


async def export(client: httpx.AsyncClient, proposal_id: uuid.UUID, **params: Any) -> httpx.Response:
    return await client.get(f"/api/proposals/{proposal_id}/export", params=params, headers=AUTH)


async def test_markdown_export_has_the_version_content_and_computed_totals(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    proposal_id, drafted = await drafted_proposal(client, redis, marker="\n\nMARCA-DA-VERSAO")
    response = await export(client, proposal_id, format="md")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert (
        response.headers["content-disposition"] == 'attachment; filename="cooperativa-agroindustrial-vale-verde-v1.md"'
    )
    markdown = response.text
    for number, section in enumerate(drafted.sections, start=1):
        assert f"## {number:02d} {section.title}" in markdown
    assert "MARCA-DA-VERSAO" in markdown
    for amount in (
        "**R$ 331.500,00**",
        "**Desconto (8%)**",
        "**−R$ 26.520,00**",
        "**R$ 15.249,00**",
        "**R$ 320.229,00**",
    ):
        assert amount in markdown  # the discount of the request, the tax of the template, computed by code


async def test_html_export_is_self_contained_and_served_as_a_download(client: httpx.AsyncClient, redis: Redis) -> None:
    proposal_id, drafted = await drafted_proposal(client, redis, Language.EN)
    response = await export(client, proposal_id, format="html")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="northwind-logistics-v1.html"'
    assert response.headers["content-security-policy"].startswith("sandbox; default-src 'none'")
    document = response.text
    assert '<html lang="en">' in document and drafted.request.client_name in document
    assert "R$257,088.83" in document
    urls = re.findall(r"""(?:src|href)="([^"]*)"|url\("([^"]*)"\)""", document)
    assert urls and all(any(u.startswith(("data:", "#", "mailto:")) for u in pair if u) for pair in urls), urls


async def test_docx_export_is_a_word_document_of_the_version_with_the_computed_totals(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    proposal_id, drafted = await drafted_proposal(client, redis, marker="\n\n- MARCA-DA-VERSAO")
    response = await export(client, proposal_id, format="docx", version=1)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert (
        response.headers["content-disposition"]
        == 'attachment; filename="cooperativa-agroindustrial-vale-verde-v1.docx"'
    )
    document = docx.Document(io.BytesIO(response.content))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[: len(drafted.sections)] == [section.title for section in drafted.sections]
    marker = next(p for p in document.paragraphs if p.text == "MARCA-DA-VERSAO")
    assert marker._p.pPr.numPr is not None  # a real Word list item, not pasted text
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    for amount in ("R$ 331.500,00", "Desconto (8%)", "−R$ 26.520,00", "R$ 15.249,00", "R$ 320.229,00"):
        assert amount in cells
    assert document.core_properties.language == "pt-BR"
    assert len(document.inline_shapes) == 1  # the template's logo, drawn from its SVG


LONG_LIST = "\n".join(f"- {number:04d}" for number in range(5_000))
LONG_TABLE = "| row | amount |\n|---|---:|\n" + "\n".join(f"| row {number} | {number},00 |" for number in range(200))
MIXED_SCRIPTS = "Launch 🚀 **now**\n\nمرحبا بالعالم — שלום\n\nbell\x07 and form\x0cfeed"
HARD_CONTENTS = {
    SectionKey.SCOPE: LONG_LIST,
    SectionKey.SOLUTION: LONG_TABLE,
    SectionKey.EXECUTIVE_SUMMARY: MIXED_SCRIPTS,
}


async def test_a_docx_of_5000_list_items_a_200_row_table_emoji_and_rtl_text_is_exported_within_the_limits(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    proposal_id, _ = await drafted_proposal(client, redis, Language.EN, contents=HARD_CONTENTS)
    # Its speed is bench/bench_exports.py's to measure, not a timed assertion's: past RENDER_TIMEOUT_SECONDS the
    # gateway's worker stops it and this answer would be a problem instead of the document.
    response = await export(client, proposal_id, format="docx")
    assert response.status_code == 200, response.text
    document = docx.Document(io.BytesIO(response.content))
    items = [p for p in document.paragraphs if len(p.text) == 4 and p.text.isdigit()]
    assert len(items) == 5_000 and len({p._p.pPr.numPr.numId.val for p in items}) == 1  # one Word list
    table = max(document.tables, key=lambda t: len(t.rows))
    assert len(table.rows) == 201 and table.rows[200].cells[1].text == "199,00"
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Launch 🚀 now" in text and "مرحبا بالعالم — שלום" in text and "bell and formfeed" in text


async def test_a_docx_export_past_the_time_limit_is_refused_naming_the_limit(
    database_url: str, redis_url: str, data_dir: Path, redis: Redis
) -> None:
    settings = gateway_settings(database_url, redis_url, data_dir, render_timeout_seconds=0.2)
    async with running_gateway(settings) as (_, client):
        proposal_id, _ = await drafted_proposal(client, redis, Language.EN, contents=HARD_CONTENTS)
        response = await export(client, proposal_id, format="docx")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["limit"] == "time" and problem["title"] == "Export exceeds a render limit"
    assert problem["detail"].startswith("The DOCX export exceeds a render limit")


async def test_an_archival_pdf_export_is_pdf_a_3b_with_the_proposal_data_attached(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    proposal_id, drafted = await drafted_proposal(client, redis, Language.EN)
    response = await export(client, proposal_id, format="pdf", variant="pdf/a-3b")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="northwind-logistics-v1-pdfa.pdf"'
    reader = PdfReader(io.BytesIO(response.content))
    identification = pdfa_identification(reader)
    assert (identification.get("part"), identification.get("conformance")) == ("3", "B")
    assert unembedded_fonts(reader) == []
    data = json.loads(reader.attachments[ATTACHMENT_NAME][0])
    assert (data["proposal_id"], data["version"]) == (str(proposal_id), 1)
    assert Decimal(data["investment"]["total"]) == Decimal("257088.83")  # the total the HTML export prints
    assert [section["title"] for section in data["sections"]] == [section.title for section in drafted.sections]
    program = qpdf()
    if program is not None:  # `make test` installs it; the checks above stand without it
        checked = qpdf_check(response.content, program)
        assert checked.returncode == 0, checked.stdout + checked.stderr

    stored = await client.get(f"/api/proposals/{proposal_id}/pdf", headers=AUTH)
    assert stored.status_code == 409  # an export is never stored as the version's PDF


async def test_an_archival_export_needs_format_pdf_and_a_known_variant(client: httpx.AsyncClient, redis: Redis) -> None:
    proposal_id, _ = await drafted_proposal(client, redis)
    plain = await export(client, proposal_id, format="pdf")
    assert plain.status_code == 422 and "variant=pdf/a-3b" in plain.json()["detail"]
    word = await export(client, proposal_id, format="docx", variant="pdf/a-3b")
    assert word.status_code == 422 and "format=pdf only" in word.json()["detail"]
    unknown = await export(client, proposal_id, format="pdf", variant="pdf/x-4")
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "query.variant"


async def test_an_archival_export_past_the_page_limit_is_refused_naming_the_limit(
    database_url: str, redis_url: str, data_dir: Path, redis: Redis
) -> None:
    settings = gateway_settings(database_url, redis_url, data_dir, render_max_pages=2)
    async with running_gateway(settings) as (_, client):
        proposal_id, _ = await drafted_proposal(client, redis)
        response = await export(client, proposal_id, format="pdf", variant="pdf/a-3b")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["limit"] == "pages" and problem["title"] == "Export exceeds a render limit"
    assert "more than 2 pages" in problem["detail"]


async def test_exports_of_versions_that_do_not_exist_or_are_not_drafted(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    proposal_id, _ = await drafted_proposal(client, redis)
    assert (await export(client, proposal_id, format="md", version=1)).status_code == 200
    assert (await export(client, proposal_id, format="md", version=2)).status_code == 404
    assert (await export(client, proposal_id, format="pdf")).status_code == 422
    assert (await export(client, proposal_id)).status_code == 422
    assert (await export(client, uuid.uuid4(), format="md")).status_code == 404

    queued = await client.post(
        "/api/proposals", json={"client_name": "X", "industry": "Y", "requirements": "Z"}, headers=AUTH
    )
    response = await export(client, uuid.UUID(queued.json()["id"]), format="html")
    assert response.status_code == 409 and "no drafted content yet" in response.json()["detail"]


async def test_the_discount_is_stored_with_the_request(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/proposals",
        json={"client_name": "X", "industry": "Y", "requirements": "Z", "discount_percent": "12.5"},
        headers=AUTH,
    )
    assert response.status_code == 202, response.text
    assert response.json()["discount_percent"] == "12.50"
    refused = await client.post(
        "/api/proposals",
        json={"client_name": "X", "industry": "Y", "requirements": "Z", "discount_percent": 120},
        headers=AUTH,
    )
    assert refused.status_code == 422 and "discount_percent" in refused.json()["detail"]


async def _template(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    response = await client.get(f"/api/templates/{name}", headers=AUTH)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _upload(detail: dict[str, Any], css_marker: str, tax_label: str, reference: bytes | None = None) -> dict[str, Any]:
    """A PUT body copying the template of `detail`, with a marker in its stylesheet, its tax renamed, and
    `reference` as its reference.docx when given."""
    files: dict[str, Any] = {}
    for file in detail["files"]:
        if file["path"] == "manifest.json":
            continue
        if file["path"] == "style.css":
            files["style.css"] = {"text": file["text"] + f"\n/* {css_marker} */\n"}
        else:
            files[file["path"]] = {"text": file["text"]} if file["text"] is not None else {"sha256": file["sha256"]}
    if reference is not None:
        files["reference.docx"] = {"base64": base64.b64encode(reference).decode()}
    manifest = {key: value for key, value in detail["manifest"].items() if key != "name"}
    manifest["pricing"] = {**manifest["pricing"], "taxes": [{"label": tax_label, "rate": "5"}]}
    return {"manifest": manifest, "files": files}


async def test_exports_use_the_template_version_that_made_the_pdf(client: httpx.AsyncClient, redis: Redis) -> None:
    default = await _template(client, "default")
    georgia = docx.Document()
    georgia.styles["Heading 1"].font.name = "Georgia"
    reference = io.BytesIO()
    georgia.save(reference)
    put = await client.put(
        "/api/templates/marca",
        json=_upload(default, "ESTILO-A", "Imposto A", reference.getvalue()),
        headers=AUTH,
    )
    assert put.status_code == 201, put.text
    first = await _template(client, "marca")

    sample = sample_drafted(Language.PT_BR, template="marca")
    request = sample.request.model_dump(mode="json", exclude_none=True)
    proposal_id = uuid.UUID((await client.post("/api/proposals", json=request, headers=AUTH)).json()["id"])
    drafted = sample.model_copy(update={"event_id": uuid.uuid4(), "proposal_id": proposal_id})
    await Publisher(redis).publish(drafted)
    await Publisher(redis).publish(  # as the renderer reports a PDF made with the template's first version
        ProposalRendered(
            proposal_id=proposal_id,
            version=1,
            pdf_path=f"{proposal_id}/v1.pdf",
            pdf_sha256="0" * 64,
            pdf_bytes=1,
            pages=1,
            render_ms=1,
            template_sha256=first["history"][0]["tree_sha256"],
        )
    )

    async def ready() -> bool:
        return (await client.get(f"/api/proposals/{proposal_id}", headers=AUTH)).json()["status"] == "ready"

    await wait_for(ready, timeout=10, message="the proposal was never ready")
    changed = await client.put("/api/templates/marca", json=_upload(default, "ESTILO-B", "Imposto B"), headers=AUTH)
    assert changed.status_code == 200 and changed.json()["version"] == 2, changed.text

    html = (await export(client, proposal_id, format="html")).text
    assert "ESTILO-A" in html and "ESTILO-B" not in html
    markdown = (await export(client, proposal_id, format="md")).text
    assert "Imposto A" in markdown and "Imposto B" not in markdown

    deleted = await client.delete("/api/templates/marca", headers=AUTH)
    assert deleted.status_code == 200, deleted.text
    after = await export(client, proposal_id, format="html")  # the recorded version still exports it
    assert after.status_code == 200 and "ESTILO-A" in after.text
    word = await export(client, proposal_id, format="docx")  # with the recorded version's logo and styles too
    assert word.status_code == 200, word.text
    document = docx.Document(io.BytesIO(word.content))
    assert len(document.inline_shapes) == 1
    assert document.styles["Heading 1"].font.name == "Georgia"  # the first version's own reference.docx
    assert "Imposto A (5%)" in [cell.text for table in document.tables for row in table.rows for cell in row.cells]


ACTIVE_CONTENT = (
    '<meta http-equiv="refresh" content="5;url=https://evil.example/">'
    '<iframe srcdoc="&lt;script&gt;parent.alert(1)&lt;/script&gt;"></iframe>'
    '<a href="javascript:alert(1)">open</a>'
    '<form action="javascript:alert(2)"><button>send</button></form>'
    '<svg width="10" height="10"><a href="#cover"><animate attributeName="href" values="javascript:alert(3)"/>'
    '<rect width="10" height="10"/></a></svg>'
)


async def test_html_export_drops_active_content_a_template_carries(client: httpx.AsyncClient, redis: Redis) -> None:
    default = (await client.get("/api/templates/default", headers=AUTH)).json()
    files: dict[str, Any] = {
        file["path"]: {"text": file["text"]} if file["text"] is not None else {"sha256": file["sha256"]}
        for file in default["files"]
        if file["path"] != "manifest.json"
    }
    files["template.html"]["text"] = files["template.html"]["text"].replace("<body>", "<body>" + ACTIVE_CONTENT, 1)
    manifest = {key: value for key, value in default["manifest"].items() if key != "name"}
    saved = await client.put("/api/templates/default", json={"manifest": manifest, "files": files}, headers=AUTH)
    assert saved.status_code == 200, saved.text
    proposal_id, _ = await drafted_proposal(client, redis)
    response = await export(client, proposal_id, format="html")
    assert response.status_code == 200, response.text
    document = response.text.lower()
    for active in ("<iframe", "srcdoc", "javascript:", "<form", "http-equiv", "<animate", "evil.example"):
        assert active not in document, active
    assert "<style>" in document and "<table" in document and 'src="data:image/svg+xml;base64,' in document


def docx_text(content: bytes) -> str:
    """Every paragraph of a Word document, its headers' too, through python-docx."""
    document = docx.Document(io.BytesIO(content))
    headers = [paragraph.text for section in document.sections for paragraph in section.header.paragraphs]
    return "\n".join([*headers, *(paragraph.text for paragraph in document.paragraphs)])


async def every_export(client: httpx.AsyncClient, proposal_id: uuid.UUID) -> dict[str, httpx.Response]:
    """The proposal's current version in each format of the export, each answer checked to be a success."""
    answers = {
        "html": await export(client, proposal_id, format="html"),
        "md": await export(client, proposal_id, format="md"),
        "docx": await export(client, proposal_id, format="docx"),
        "pdfa": await export(client, proposal_id, format="pdf", variant="pdf/a-3b"),
    }
    for name, answer in answers.items():
        assert answer.status_code == 200, f"{name}: {answer.text}"
    return answers


@pytest.mark.parametrize(
    ("language", "words"), [(Language.PT_BR, "RASCUNHO - NÃO APROVADO"), (Language.EN, "DRAFT - NOT APPROVED")]
)
async def test_every_export_of_a_version_needing_approval_is_watermarked_until_it_is_approved(
    client: httpx.AsyncClient, redis: Redis, language: Language, words: str
) -> None:
    rule = {"name": "Every default proposal", "kind": "template", "value": "default"}
    assert (await client.post("/api/approval-rules", json=rule, headers=AUTH)).status_code == 201
    proposal_id, _ = await drafted_proposal(client, redis, language)
    view = (await client.get(f"/api/proposals/{proposal_id}", headers=AUTH)).json()
    assert view["watermark"] == words  # the web app's view of the version says it too

    marked = await every_export(client, proposal_id)
    assert all(answer.headers["x-propos4l-watermark"] == "not-approved" for answer in marked.values())
    assert words in docx_text(marked["docx"].content)
    pages = PdfReader(io.BytesIO(marked["pdfa"].content)).pages
    assert len(pages) > 1 and all(words in page.extract_text() for page in pages)  # on every page
    assert f'class="propos4l-watermark" role="note">{words}</p>' in marked["html"].text  # kept by the sanitizer
    assert marked["md"].text.startswith(f"> **{words}**\n")
    archival = PdfReader(io.BytesIO(marked["pdfa"].content))
    assert (pdfa_identification(archival).get("part"), unembedded_fonts(archival)) == ("3", [])  # still PDF/A-3b
    program = qpdf()
    if program is not None:
        checked = qpdf_check(marked["pdfa"].content, program)
        assert checked.returncode == 0, checked.stdout + checked.stderr

    transitions = f"/api/proposals/{proposal_id}/transitions"
    for to in ("in_review", "approved"):
        moved = await client.post(transitions, json={"to": to}, headers=AUTH)
        assert moved.status_code == 200, moved.text
    assert (await client.get(f"/api/proposals/{proposal_id}", headers=AUTH)).json()["watermark"] is None
    clean = await every_export(client, proposal_id)
    assert all("x-propos4l-watermark" not in answer.headers for answer in clean.values())
    assert words not in docx_text(clean["docx"].content)
    assert not any(words in page.extract_text() for page in PdfReader(io.BytesIO(clean["pdfa"].content)).pages)
    assert "propos4l-watermark" not in clean["html"].text and words not in clean["html"].text
    assert words not in clean["md"].text
