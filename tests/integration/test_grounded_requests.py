"""Grounded drafting at the gateway (issue #15): each request and regeneration carries what the knowledge library
gives for it (passages, the active roster, the rate card in force), each version records it with what its draft
made of it, the API shows sources, team, priced effort, budget comparison and flags, and an edit of the hours is
priced again with the rates the version recorded."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis

from propos4l.library.embedding import embed_pending
from propos4l.shared.delivery import Publisher
from propos4l.shared.effort_pricing import investment_items
from propos4l.shared.embeddings import EmbeddingClient
from propos4l.shared.envelope import decode
from propos4l.shared.events import (
    Event,
    InvestmentItem,
    ProposalDrafted,
    ProposalRendered,
    ProposalRequest,
    ProposalRequested,
    Section,
    SectionRegenerationRequested,
)
from propos4l.shared.grounding import (
    BudgetComparison,
    ClaimFlag,
    ContextPassage,
    DraftingContext,
    EffortLine,
    SectionSources,
    TeamMember,
)
from propos4l.shared.sections import SECTION_KEYS, Language, SectionKey, section_title
from propos4l.shared.streams import Stream
from tests.support.fake_embeddings import FakeEmbeddingServer
from tests.support.gateway import AUTH, RunningGateway, gateway_settings, running_gateway
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

REQUEST = {
    "client_name": "Loja Azul",
    "industry": "Varejo",
    "requirements": "Migração da plataforma de e-commerce para Kubernetes na AWS, com Kubernetes gerenciado.",
    "budget": "R$ 20.000,00",
}
TODAY = date.today()


@pytest.fixture
async def gateway(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(database_url, redis_url, data_dir, embedding_provider="none")
    async with running_gateway(settings, headers=AUTH) as running:
        yield running


# --- the library, through its API ---------------------------------------------------------------------------------


async def _post(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


async def _role(client: httpx.AsyncClient, name: str, *rates: tuple[str, date]) -> str:
    role_id = str((await _post(client, "/api/library/roles", {"name": name}))["id"])
    for rate, valid_from in rates:
        await _post(
            client,
            f"/api/library/roles/{role_id}/rates",
            {"hourly_rate": rate, "currency": "BRL", "valid_from": valid_from.isoformat()},
        )
    return role_id


async def _person(client: httpx.AsyncClient, name: str, role_id: str, **fields: Any) -> str:
    body = {"name": name, "role_id": role_id, "bio": f"{name} trabalha conosco há anos.", **fields}
    return str((await _post(client, "/api/library/people", body))["id"])


async def _library(client: httpx.AsyncClient) -> dict[str, str]:
    """A small consultancy: three roles (one without a rate), people active and not, a service, a case study, a
    company profile, and a service only the word "LGPD" finds."""
    architect = await _role(
        client,
        "Arquiteto de soluções",
        ("300.00", TODAY - timedelta(days=400)),
        ("187.35", TODAY - timedelta(days=10)),
        ("999.00", TODAY + timedelta(days=30)),  # not in force yet
    )
    analyst = await _role(client, "Analista")  # no rate
    manager = await _role(client, "Gerente de projeto", ("200.00", TODAY - timedelta(days=1)))
    ids = {"architect": architect, "analyst": analyst, "manager": manager}
    ids["ana"] = await _person(client, "Ana Lima", architect, seniority="senior", skills=["Kubernetes", "AWS"])
    ids["carla"] = await _person(client, "Carla Reis", manager, skills=["SAP"], certifications=["PMP"])
    ids["bruno"] = await _person(client, "Bruno Dias", architect, skills=["Kubernetes"], active=False)
    ids["davi"] = await _person(client, "Davi Melo", analyst, skills=["Kubernetes", "AWS"])
    ids["service"] = str(
        (
            await _post(
                client,
                "/api/library/services",
                {"name": "Migração para Kubernetes", "description": "Levamos aplicações a clusters Kubernetes."},
            )
        )["id"]
    )
    ids["case"] = str(
        (
            await _post(
                client,
                "/api/library/case-studies",
                {"industry": "Varejo", "problem": "Plataforma de e-commerce lenta", "solution": "Kubernetes na AWS"},
            )
        )["id"]
    )
    ids["privacy"] = str(
        (
            await _post(
                client,
                "/api/library/services",
                {"name": "Auditoria LGPD", "description": "Revisão de consentimentos e de bases legais."},
            )
        )["id"]
    )
    company = await client.put(
        "/api/library/company/pt-BR", json={"description": "Somos uma consultoria de engenharia de software."}
    )
    assert company.status_code in (200, 201), company.text
    ids["company"] = str(company.json()["id"])
    return ids


# --- helpers ------------------------------------------------------------------------------------------------------


async def _outbox(app: FastAPI, stream: Stream) -> list[dict[str, Any]]:
    async with app.state.pool.acquire() as connection:
        rows = await connection.fetch("SELECT fields FROM outbox WHERE stream = $1 ORDER BY created_at", stream.value)
    return [row["fields"] for row in rows]


async def _requested(app: FastAPI, proposal_id: str) -> ProposalRequested:
    for fields in await _outbox(app, Stream.PROPOSAL_REQUESTED):
        event = decode(fields).open(ProposalRequested)
        if str(event.proposal_id) == proposal_id:
            return event
    raise AssertionError(f"no ProposalRequested for {proposal_id}")


def _sections(marker: str = "v1") -> tuple[Section, ...]:
    return tuple(
        Section(key=key, title=section_title(key, Language.PT_BR), content=f"{marker} {key.value}")
        for key in SECTION_KEYS
    )


def _grounded_draft(
    proposal_id: str, context: DraftingContext, cite: ContextPassage | None = None, **overrides: Any
) -> ProposalDrafted:
    """A draft as the generator makes it: sources from the context (`cite`, else its first passage), the team from
    its roster, effort priced by its rate card (and a licence line of another origin), a flag, a budget comparison."""
    passage = cite or context.passages[0]
    person = context.roster[0]
    priced = next(line for line in context.rate_card if line.hourly_rate is not None)
    assert priced.hourly_rate is not None
    effort = EffortLine(
        phase="Descoberta",
        role_id=priced.role_id,
        role_name=priced.role_name,
        hours=Decimal("10.00"),
        hourly_rate=priced.hourly_rate,
        currency=priced.currency,
        rate_id=priced.rate_id,
        amount=(Decimal("10.00") * priced.hourly_rate).quantize(Decimal("0.01")),
    )
    values: dict[str, Any] = {
        "proposal_id": uuid.UUID(proposal_id),
        "version": 1,
        "request": ProposalRequest.model_validate(REQUEST),
        "sections": _sections(),
        "provider": "ollama",
        "model": "qwen2.5:7b",
        "ai_generated": True,
        "prompt_version": "grounded-test",
        "investment_items": (
            *investment_items([effort]),
            InvestmentItem(description="Licenças", quantity=Decimal(1), unit_price=Decimal("1000.00")),
        ),
        "sources": (SectionSources(section=SectionKey.SOLUTION, passage_ids=(passage.id,)),),
        "team": (
            TeamMember(
                person_id=person.id,
                name=person.name,
                role_id=person.role_id,
                role_name=person.role_name,
                bio=person.bio,
                project_role="lidera a arquitetura",
            ),
        ),
        "effort": (effort,),
        "flags": (ClaimFlag(section=SectionKey.DIFFERENTIALS, text="Somos líderes.", reason="no_source"),),
        "budget_comparison": BudgetComparison(
            budget=Decimal("20000.00"),
            total=effort.amount or Decimal(0),
            currency="BRL",
            verdict="under",
            difference_percent=Decimal("-90.63"),
        ),
    }
    return ProposalDrafted(**{**values, **overrides})


async def _publish_ready(
    client: httpx.AsyncClient, redis: Redis, data_dir: Path, drafted: ProposalDrafted
) -> dict[str, Any]:
    """`drafted` and its PDF recorded, as the generator and the renderer would report them."""
    publisher = Publisher(redis)
    await publisher.publish(drafted)
    proposal_id = drafted.proposal_id
    pdf = data_dir / "pdfs" / str(proposal_id) / f"v{drafted.version}.pdf"
    pdf.parent.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(b"%PDF-1.7 test")
    rendered: Event = ProposalRendered(
        proposal_id=proposal_id,
        version=drafted.version,
        pdf_path=f"{proposal_id}/v{drafted.version}.pdf",
        pdf_sha256="0" * 64,
        pdf_bytes=13,
        pages=1,
        render_ms=1,
    )
    await publisher.publish(rendered)

    async def ready() -> dict[str, Any] | None:
        body: dict[str, Any] = (await client.get(f"/api/proposals/{proposal_id}")).json()
        return body if body["status"] == "ready" and body["sections"] else None

    return await wait_for(ready)


# --- the context of a request -------------------------------------------------------------------------------------


async def test_a_request_carries_the_library_passages_the_active_roster_and_the_rate_card_in_force(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    ids = await _library(client)
    deleted = await client.delete(f"/api/library/people/{ids['davi']}")
    assert deleted.status_code == 204
    created = await client.post("/api/proposals", json=REQUEST)
    assert created.status_code == 202, created.text
    context = (await _requested(app, created.json()["id"])).context
    assert context is not None and context.search_mode == "full_text" and context.retrieved_at is not None

    by_entry = {str(passage.entry_id): passage for passage in context.passages}
    assert {ids["service"], ids["case"], ids["company"]} <= set(by_entry), "services, case studies, company profile"
    assert ids["privacy"] not in by_entry, "a passage none of the request's words finds is not given"
    assert by_entry[ids["service"]].kind == "service" and "clusters Kubernetes" in by_entry[ids["service"]].text
    assert not any(passage.kind == "person" for passage in context.passages), "people come with the roster"

    assert [person.name for person in context.roster] == ["Ana Lima", "Carla Reis"], "skill matches first"
    ana = context.roster[0]
    assert (str(ana.role_id), ana.role_name, ana.seniority) == (ids["architect"], "Arquiteto de soluções", "senior")
    assert ana.skills == ("Kubernetes", "AWS") and ana.bio == "Ana Lima trabalha conosco há anos."
    assert context.roster[1].certifications == ("PMP",)
    names = {person.name for person in context.roster}
    assert "Bruno Dias" not in names, "an inactive person is never offered"
    assert "Davi Melo" not in names, "a deleted person is never offered"

    rates = {str(line.role_id): line for line in context.rate_card}
    assert set(rates) == {ids["architect"], ids["analyst"], ids["manager"]}
    assert (rates[ids["architect"]].hourly_rate, rates[ids["architect"]].currency) == (Decimal("187.35"), "BRL")
    assert rates[ids["architect"]].valid_from == TODAY - timedelta(days=10), "the rate in force, not the next one"
    assert rates[ids["analyst"]].hourly_rate is None and rates[ids["analyst"]].rate_id is None
    assert rates[ids["manager"]].hourly_rate == Decimal("200.00")

    async with app.state.pool.acquire() as connection:
        recorded = await connection.fetchval(
            "SELECT drafting_context FROM proposal_versions WHERE proposal_id = $1 AND version = 1",
            uuid.UUID(created.json()["id"]),
        )
    assert DraftingContext.model_validate(recorded) == context, "the version records the context it was given"


async def test_an_empty_library_gives_an_empty_context_and_requests_work_as_before(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    created = await client.post("/api/proposals", json=REQUEST)
    assert created.status_code == 202, created.text
    body = created.json()
    assert (body["status"], body["version"], body["sections"]) == ("queued", 1, [])
    assert (body["sources"], body["team"], body["effort"], body["budget_comparison"], body["flags"]) == (
        [],
        [],
        None,
        None,
        [],
    )
    assert body["search_mode"] == "none"
    context = (await _requested(app, body["id"])).context
    assert context is not None
    assert (context.passages, context.roster, context.rate_card, context.search_mode) == ((), (), (), "none")


# --- recording and showing a grounded draft -----------------------------------------------------------------------


async def test_a_grounded_draft_is_recorded_and_shown_with_sources_team_effort_budget_and_flags(
    app: FastAPI, client: httpx.AsyncClient, redis: Redis, data_dir: Path
) -> None:
    await _library(client)
    proposal_id = (await client.post("/api/proposals", json=REQUEST)).json()["id"]
    context = (await _requested(app, proposal_id)).context
    assert context is not None
    drafted = _grounded_draft(proposal_id, context)
    body = await _publish_ready(client, redis, data_dir, drafted)

    cited = context.passages[0]
    assert body["search_mode"] == "full_text"
    (sources,) = body["sources"]
    assert sources["section"] == "solution"
    (source,) = sources["sources"]
    assert source["passage_id"] == str(cited.id) and source["kind"] == cited.kind and source["title"] == cited.title
    assert source["entry_id"] == str(cited.entry_id) and source["document_id"] is None
    assert source["snippet"] and cited.text.startswith(source["snippet"].rstrip("…")[:50])
    (member,) = body["team"]
    assert member["name"] == context.roster[0].name and member["project_role"] == "lidera a arquitetura"
    effort = body["effort"]
    assert effort["lines"][0]["hours"] == "10.00" and effort["lines"][0]["hourly_rate"] == "187.35"
    assert effort["lines"][0]["amount"] == "1873.50" and effort["total"] == "1873.50"
    assert (effort["currency"], effort["unpriced_lines"]) == ("BRL", 0)
    assert body["investment"]["subtotal"] == "2873.50", "the effort's item and the licence, priced as the PDF prices"
    assert body["budget_comparison"] == {
        "budget": "20000.00",
        "total": "1873.50",
        "currency": "BRL",
        "verdict": "under",
        "difference_percent": "-90.63",
    }
    assert body["flags"] == [{"section": "differentials", "text": "Somos líderes.", "reason": "no_source"}]

    async with app.state.pool.acquire() as connection:
        grounding = await connection.fetchval(
            "SELECT grounding FROM proposal_versions WHERE proposal_id = $1 AND version = 1", uuid.UUID(proposal_id)
        )
    assert grounding["rates_used"] == [
        {
            "role_id": str(drafted.effort[0].role_id),
            "role_name": "Arquiteto de soluções",
            "rate_id": str(drafted.effort[0].rate_id),
            "hourly_rate": "187.35",
            "currency": "BRL",
        }
    ]
    version = await client.get(f"/api/proposals/{proposal_id}/versions/1")
    assert version.status_code == 200
    assert {key: version.json()[key] for key in ("sources", "team", "effort", "flags", "version")} == {
        key: body[key] for key in ("sources", "team", "effort", "flags", "version")
    }
    assert (await client.get(f"/api/proposals/{proposal_id}/versions/9")).status_code == 404
    assert (await client.get(f"/api/proposals/{uuid.uuid4()}/versions/1")).status_code == 404


async def test_a_regeneration_retrieves_again_with_the_instructions_and_carries_the_base_grounding(
    app: FastAPI, client: httpx.AsyncClient, redis: Redis, data_dir: Path
) -> None:
    ids = await _library(client)
    proposal_id = (await client.post("/api/proposals", json=REQUEST)).json()["id"]
    first = (await _requested(app, proposal_id)).context
    assert first is not None and ids["privacy"] not in {str(p.entry_id) for p in first.passages}
    case = next(p for p in first.passages if str(p.entry_id) == ids["case"])
    drafted = _grounded_draft(proposal_id, first, cite=case)
    await _publish_ready(client, redis, data_dir, drafted)
    # The case study leaves the library: the new context lacks it, the kept citation shows it as it was.
    assert (await client.delete(f"/api/library/case-studies/{ids['case']}")).status_code == 204

    response = await client.post(
        f"/api/proposals/{proposal_id}/sections/scope/regenerate", json={"instructions": "inclua a auditoria LGPD"}
    )
    assert response.status_code == 202, response.text
    outbox = await _outbox(app, Stream.SECTION_REGENERATION_REQUESTED)
    event = decode(outbox[-1]).open(SectionRegenerationRequested)
    assert event.version == 2 and event.context is not None
    retrieved = {str(p.entry_id) for p in event.context.passages}
    assert ids["privacy"] in retrieved, "only the instructions find it"
    assert ids["case"] not in retrieved
    assert event.base_sources == drafted.sources and event.team == drafted.team and event.effort == drafted.effort

    # The regenerated draft cites the new passage; the kept sections' citations still resolve (from version 1).
    privacy = next(p for p in event.context.passages if str(p.entry_id) == ids["privacy"])
    second = _grounded_draft(
        proposal_id,
        first,
        cite=case,
        version=2,
        origin="regenerate",
        edited_section=SectionKey.SCOPE,
        sources=(*drafted.sources, SectionSources(section=SectionKey.SCOPE, passage_ids=(privacy.id,))),
    )
    body = await _publish_ready(client, redis, data_dir, second)
    assert body["version"] == 2
    shown = {entry["section"]: [source["title"] for source in entry["sources"]] for entry in body["sources"]}
    assert shown["scope"] == [privacy.title] and shown["solution"] == [case.title]


# --- editing the effort -------------------------------------------------------------------------------------------


async def test_editing_the_hours_prices_them_again_with_the_recorded_rates_as_a_new_version(
    app: FastAPI, client: httpx.AsyncClient, redis: Redis, data_dir: Path
) -> None:
    ids = await _library(client)
    proposal_id = (await client.post("/api/proposals", json=REQUEST)).json()["id"]
    context = (await _requested(app, proposal_id)).context
    assert context is not None
    await _publish_ready(client, redis, data_dir, _grounded_draft(proposal_id, context))
    # Today's rate card changes; the proposal keeps the rates it was made with.
    await _post(
        client,
        f"/api/library/roles/{ids['architect']}/rates",
        {"hourly_rate": "500.00", "currency": "BRL", "valid_from": TODAY.isoformat()},
    )

    lines = [
        {"phase": "Descoberta", "role_id": ids["architect"], "hours": "3.33"},
        {"phase": "Construção", "role_id": ids["manager"], "hours": "12.5"},
        {"phase": "Construção", "role_id": ids["analyst"], "hours": "8"},
        {"phase": "Total", "role_id": ids["architect"], "hours": "1", "amount": "1"},
    ]
    extra = await client.patch(f"/api/proposals/{proposal_id}/effort", json={"lines": lines})
    assert extra.status_code == 422, "amounts never come from the browser"
    response = await client.patch(f"/api/proposals/{proposal_id}/effort", json={"lines": lines[:3]})
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["version"], body["status"]) == (2, "rendering")
    effort = body["effort"]
    assert [(line["hours"], line["hourly_rate"], line["amount"]) for line in effort["lines"]] == [
        ("3.33", "187.35", "623.88"),  # 3.33 x 187.35 = 623.8755, half up to the cent; not today's 500.00
        ("12.50", "200.00", "2500.00"),
        ("8.00", None, None),  # a role without a rate stays unpriced
    ]
    assert (effort["total"], effort["currency"], effort["unpriced_lines"]) == ("3123.88", "BRL", 1)
    assert body["budget_comparison"]["total"] == "3123.88" and body["budget_comparison"]["verdict"] == "under"
    assert [(item["description"], item["unit_price"]) for item in body["investment_items"]] == [
        ("Descoberta — Arquiteto de soluções", "187.35"),
        ("Construção — Gerente de projeto", "200.00"),
        ("Licenças", "1000.00"),
    ], "the effort's items computed again, the others kept"
    assert body["team"] and body["sources"] and body["flags"], "the rest of the grounding is kept"

    versions = (await client.get(f"/api/proposals/{proposal_id}/versions")).json()["items"]
    assert [(v["version"], v["origin"], v["section_key"]) for v in versions][-1] == (2, "edit", "investment")

    async def drafted_v2() -> list[ProposalDrafted]:
        entries = await redis.xrange(Stream.PROPOSAL_DRAFTED.value)
        events = [decode(fields).open(ProposalDrafted) for _, fields in entries]
        return [event for event in events if event.version == 2 and str(event.proposal_id) == proposal_id]

    (event,) = await wait_for(drafted_v2)
    assert event.origin == "edit" and event.edited_section == SectionKey.INVESTMENT
    assert [line.amount for line in event.effort] == [Decimal("623.88"), Decimal("2500.00"), None]
    assert len(event.investment_items) == 3 and event.team and event.budget_comparison is not None


async def test_editing_the_hours_refuses_a_role_not_on_the_recorded_rate_card(
    app: FastAPI, client: httpx.AsyncClient, redis: Redis, data_dir: Path
) -> None:
    ids = await _library(client)
    proposal_id = (await client.post("/api/proposals", json=REQUEST)).json()["id"]
    context = (await _requested(app, proposal_id)).context
    assert context is not None
    await _publish_ready(client, redis, data_dir, _grounded_draft(proposal_id, context))
    newer = await _role(client, "Cientista de dados", ("250.00", TODAY))
    stranger = str(uuid.uuid4())
    response = await client.patch(
        f"/api/proposals/{proposal_id}/effort",
        json={
            "lines": [
                {"phase": "Descoberta", "role_id": ids["architect"], "hours": "4"},
                {"phase": "Dados", "role_id": newer, "hours": "4"},
                {"phase": "Dados", "role_id": stranger, "hours": "4"},
            ]
        },
    )
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
    detail = response.json()["detail"]
    assert newer in detail and stranger in detail and ids["architect"] not in detail
    assert "rate card recorded" in detail
    assert (await client.get(f"/api/proposals/{proposal_id}")).json()["version"] == 1, "no new version"
    bad_hours = await client.patch(
        f"/api/proposals/{proposal_id}/effort",
        json={"lines": [{"phase": "Descoberta", "role_id": ids["architect"], "hours": "0"}]},
    )
    assert bad_hours.status_code == 422
    assert (await client.patch(f"/api/proposals/{proposal_id}/effort", json={"lines": []})).status_code == 422


# --- hybrid retrieval, on a PostgreSQL with pgvector --------------------------------------------------------------


async def test_with_vectors_the_context_is_hybrid_and_falls_back_to_full_text_when_the_embedding_server_is_down(
    pgvector_database_url: str, redis_url: str, data_dir: Path
) -> None:
    with FakeEmbeddingServer() as fake:
        settings = gateway_settings(
            pgvector_database_url,
            redis_url,
            data_dir,
            embedding_provider="ollama",
            embedding_url=fake.url,
            embedding_model="fake-small",
            embedding_query_timeout_seconds=0.5,
        )
        async with running_gateway(settings, headers=AUTH) as (app, client):
            paraphrase = await _post(
                client,
                "/api/library/case-studies",
                {"industry": "Bancos", "problem": "Mainframe COBOL", "solution": "Moved to a hyperscaler"},
            )
            pool = app.state.pool
            async with EmbeddingClient("ollama", fake.url, model="fake-small") as embedder:
                assert await embed_pending(pool, embedder, "fake-small", batch_size=16) >= 1
            request = {**REQUEST, "requirements": "Migração de sistemas legados para a nuvem"}
            hybrid = (await client.post("/api/proposals", json=request)).json()["id"]
            context = (await _requested(app, hybrid)).context
            assert context is not None and context.search_mode == "hybrid"
            assert paraphrase["id"] in {str(p.entry_id) for p in context.passages}, "found by meaning, no shared word"
            with fake.down():
                down = (await client.post("/api/proposals", json=request)).json()["id"]
            fallback = (await _requested(app, down)).context
            assert fallback is not None and fallback.search_mode == "full_text"
