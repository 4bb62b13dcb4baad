"""The knowledge library's entries through the gateway: company profile, services, rate card, people, case studies,
their passages for search (written in the entry's own transaction), the stale list and the outbox events."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from propos4l.gateway.problems import PROBLEM_JSON
from propos4l.shared.library_import import import_folder
from propos4l.shared.streams import Stream
from tests.support.gateway import AUTH, gateway_settings, running_gateway

pytestmark = pytest.mark.integration

LIBRARY = "/api/library"


@pytest.fixture
async def client(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with running_gateway(gateway_settings(database_url, redis_url, data_dir), headers=AUTH) as gateway:
        yield gateway.client


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["detail"]
    return body


def ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


async def user_token(client: httpx.AsyncClient) -> dict[str, str]:
    created = ok(await client.post("/api/tokens", json={"name": "ana"}), 201)
    return {"Authorization": f"Bearer {created['token']}"}


async def create_role(client: httpx.AsyncClient, name: str = "Arquiteto de soluções sênior", **body: Any) -> str:
    role = ok(await client.post(f"{LIBRARY}/roles", json={"name": name, **body}), 201)
    return str(role["id"])


PERSON = {
    "name": "Joana Prado",
    "seniority": "senior",
    "bio": "Lidera projetos de migração para a nuvem.",
    "skills": ["Migração de dados", "Kubernetes", "AWS"],
    "certifications": ["AWS Solutions Architect Professional"],
    "languages": ["Português", "English"],
}


async def passages_of(database: asyncpg.Connection, entry_id: str) -> list[asyncpg.Record]:
    return await database.fetch(
        "SELECT * FROM library_passages WHERE entry_id = $1 ORDER BY ordinal", uuid.UUID(entry_id)
    )


async def found(database: asyncpg.Connection, query: str) -> list[uuid.UUID]:
    rows = await database.fetch(
        """SELECT entry_id FROM library_passages
           WHERE search_vector @@ websearch_to_tsquery('portuguese', $1) ORDER BY entry_id""",
        query,
    )
    return [row["entry_id"] for row in rows]


async def test_company_profile_is_one_per_language_and_split_into_passages(
    client: httpx.AsyncClient, database: asyncpg.Connection
) -> None:
    problem(await client.get(f"{LIBRARY}/company/pt-BR"), 404)
    body = {
        "description": "Consultoria de engenharia de dados.",
        "positioning": "Entregamos em semanas, não meses.",
        "certifications": ["ISO 27001"],
        "partnerships": ["AWS Advanced Partner"],
        "standard_terms": "Pagamento em 30 dias.",
        "review_by": "2030-01-01",
    }
    first = ok(await client.put(f"{LIBRARY}/company/pt-BR", json=body), 201)
    assert first["owner"] == "admin" and first["language"] == "pt-BR" and first["certifications"] == ["ISO 27001"]
    again = ok(await client.put(f"{LIBRARY}/company/pt-BR", json={**body, "owner": "Marta"}))
    assert again["id"] == first["id"] and again["owner"] == "Marta"
    assert ok(await client.get(f"{LIBRARY}/company/pt-BR"))["owner"] == "Marta"
    english = ok(await client.put(f"{LIBRARY}/company/en", json={"description": "A data consultancy."}), 201)
    assert english["id"] != first["id"]

    passages = await passages_of(database, first["id"])
    assert [row["heading_path"] for row in passages] == [
        ["Descrição"],
        ["Posicionamento"],
        ["Certificações e parcerias"],
        ["Condições comerciais"],
    ]
    assert {row["kind"] for row in passages} == {"company"}
    assert "AWS Advanced Partner" in passages[2]["body"]
    assert len(await passages_of(database, english["id"])) == 1
    problem(await client.put(f"{LIBRARY}/company/es", json=body), 422)


async def test_services_crud_filters_and_paging(client: httpx.AsyncClient, database: asyncpg.Connection) -> None:
    created = []
    for index in range(3):
        service = {
            "name": f"Serviço {index}",
            "description": "Modernização de plataformas de dados.",
            "deliverables": ["Arquitetura-alvo", "Plano de migração"],
            "typical_duration_weeks": 6 + index,
            "industries": ["Varejo"] if index else ["Saúde"],
            "technologies": ["Snowflake", "dbt"],
        }
        response = await client.post(f"{LIBRARY}/services", json=service)
        body = ok(response, 201)
        assert response.headers["location"] == f"{LIBRARY}/services/{body['id']}"
        created.append(body)
    assert created[0]["owner"] == "admin" and created[0]["language"] == "pt-BR"
    service_id = created[0]["id"]
    passages = await passages_of(database, service_id)
    assert len(passages) == 1
    assert passages[0]["industries"] == ["Saúde"] and passages[0]["technologies"] == ["Snowflake", "dbt"]

    retail = ok(await client.get(f"{LIBRARY}/services", params={"industry": "varejo"}))["items"]
    assert {item["name"] for item in retail} == {"Serviço 1", "Serviço 2"}
    assert ok(await client.get(f"{LIBRARY}/services", params={"technology": "DBT"}))["items"]
    assert not ok(await client.get(f"{LIBRARY}/services", params={"technology": "Oracle"}))["items"]

    first = ok(await client.get(f"{LIBRARY}/services", params={"limit": 2}))
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = ok(await client.get(f"{LIBRARY}/services", params={"limit": 2, "after": first["next_cursor"]}))
    assert second["next_cursor"] is None
    names = [item["name"] for item in first["items"] + second["items"]]
    assert names == ["Serviço 2", "Serviço 1", "Serviço 0"]  # last updated first
    problem(await client.get(f"{LIBRARY}/services", params={"after": "nonsense"}), 422)

    updated = ok(
        await client.put(f"{LIBRARY}/services/{service_id}", json={"name": "Diagnóstico", "industries": ["Energia"]})
    )
    assert updated["name"] == "Diagnóstico" and updated["deliverables"] == [] and updated["owner"] == "admin"
    assert (await passages_of(database, service_id))[0]["industries"] == ["Energia"]
    assert ok(await client.get(f"{LIBRARY}/services/{service_id}"))["name"] == "Diagnóstico"

    assert (await client.delete(f"{LIBRARY}/services/{service_id}")).status_code == 204
    assert await passages_of(database, service_id) == []
    problem(await client.get(f"{LIBRARY}/services/{service_id}"), 404)
    problem(await client.delete(f"{LIBRARY}/services/{service_id}"), 404)
    problem(await client.put(f"{LIBRARY}/services/{uuid.uuid4()}", json={"name": "x"}), 404)
    # A person's id is not a service's.
    person = ok(await client.post(f"{LIBRARY}/people", json={"name": "Rui"}), 201)
    problem(await client.get(f"{LIBRARY}/services/{person['id']}"), 404)


async def test_invalid_entries_are_refused_with_field_errors(client: httpx.AsyncClient) -> None:
    body = problem(
        await client.post(
            f"{LIBRARY}/services",
            json={"name": "", "typical_duration_weeks": 0, "technologies": ["x" * 101], "colour": "red"},
        ),
        422,
    )
    fields = {error["field"]: error for error in body["errors"]}
    assert {"name", "typical_duration_weeks", "technologies.0", "colour"} <= set(fields)
    assert fields["name"]["limits"] == {"min_length": 1}
    assert fields["typical_duration_weeks"]["type"] == "greater_than_equal"
    body = problem(await client.post(f"{LIBRARY}/people", json={"name": "Ana", "seniority": "guru"}), 422)
    assert body["errors"][0]["field"] == "seniority"
    body = problem(await client.post(f"{LIBRARY}/case-studies", json={"client": "Acme"}), 422)
    assert body["errors"][0]["field"] == "industry"
    unknown_role = problem(
        await client.post(f"{LIBRARY}/people", json={"name": "Ana", "role_id": str(uuid.uuid4())}), 422
    )
    assert "no role" in unknown_role["detail"]
    assert problem(await client.post(f"{LIBRARY}/people", json={"name": "Ana\x00"}), 422)["errors"]


async def test_rates_are_decimal_to_the_cent_with_history_and_a_current_rate(client: httpx.AsyncClient) -> None:
    role_id = await create_role(client)
    role = ok(await client.get(f"{LIBRARY}/roles/{role_id}"))
    assert role["current_rate"] is None and role["rates"] == []

    today = date.today()
    old = ok(
        await client.post(
            f"{LIBRARY}/roles/{role_id}/rates",
            json={"hourly_rate": "300.10", "currency": "BRL", "valid_from": str(today - timedelta(days=400))},
        ),
        201,
    )
    assert old["hourly_rate"] == "300.10"
    for rate, valid_from in (("350.05", today - timedelta(days=10)), ("999999999999.99", today + timedelta(days=30))):
        ok(
            await client.post(
                f"{LIBRARY}/roles/{role_id}/rates", json={"hourly_rate": rate, "valid_from": str(valid_from)}
            ),
            201,
        )
    role = ok(await client.get(f"{LIBRARY}/roles/{role_id}"))
    assert role["current_rate"]["hourly_rate"] == "350.05" and role["current_rate"]["currency"] == "BRL"
    assert role["current_rate"]["valid_from"] == str(today - timedelta(days=10))
    assert role["next_rate"]["hourly_rate"] == "999999999999.99"
    assert [rate["hourly_rate"] for rate in role["rates"]] == ["999999999999.99", "350.05", "300.10"]
    listed = ok(await client.get(f"{LIBRARY}/roles"))["items"]
    assert listed[0]["current_rate"]["hourly_rate"] == "350.05"

    # The same rate again changes nothing; a different one from the same date is refused.
    same = {"hourly_rate": "350.05", "valid_from": str(today - timedelta(days=10))}
    assert ok(await client.post(f"{LIBRARY}/roles/{role_id}/rates", json=same))["id"]
    conflict = problem(await client.post(f"{LIBRARY}/roles/{role_id}/rates", json={**same, "hourly_rate": "351"}), 409)
    assert "350.05 BRL" in conflict["detail"]

    for invalid in ({"hourly_rate": "10.001"}, {"hourly_rate": "0"}, {"hourly_rate": "1", "currency": "real"}):
        problem(
            await client.post(f"{LIBRARY}/roles/{role_id}/rates", json={"valid_from": "2026-01-01", **invalid}), 422
        )
    problem(await client.post(f"{LIBRARY}/roles/{uuid.uuid4()}/rates", json=same), 404)


async def test_only_admins_change_the_rate_card_and_role_names_are_unique(client: httpx.AsyncClient) -> None:
    user = await user_token(client)
    problem(await client.post(f"{LIBRARY}/roles", json={"name": "Analista"}, headers=user), 403)
    role_id = await create_role(client, "Analista")
    assert ok(await client.get(f"{LIBRARY}/roles/{role_id}", headers=user))["name"] == "Analista"
    assert ok(await client.get(f"{LIBRARY}/roles", headers=user))["items"]
    problem(await client.put(f"{LIBRARY}/roles/{role_id}", json={"name": "Outro"}, headers=user), 403)
    problem(await client.delete(f"{LIBRARY}/roles/{role_id}", headers=user), 403)
    rate = {"hourly_rate": "100.00", "valid_from": "2026-01-01"}
    problem(await client.post(f"{LIBRARY}/roles/{role_id}/rates", json=rate, headers=user), 403)
    # Anyone with a token writes entries.
    ok(await client.post(f"{LIBRARY}/people", json={"name": "Bia"}, headers=user), 201)

    assert "already exists" in problem(await client.post(f"{LIBRARY}/roles", json={"name": "ANALISTA"}), 409)["detail"]
    other = await create_role(client, "Gerente de projetos")
    problem(await client.put(f"{LIBRARY}/roles/{other}", json={"name": "analista"}), 409)
    problem(await client.get(f"{LIBRARY}/roles/{uuid.uuid4()}"), 404)


async def test_a_role_people_hold_cannot_be_deleted_and_a_rename_reaches_their_passages(
    client: httpx.AsyncClient, database: asyncpg.Connection
) -> None:
    role_id = await create_role(client, "Cientista de dados")
    person = ok(await client.post(f"{LIBRARY}/people", json={**PERSON, "role_id": role_id}), 201)
    assert person["role_name"] == "Cientista de dados"
    refused = problem(await client.delete(f"{LIBRARY}/roles/{role_id}"), 409)
    assert "Joana Prado" in refused["detail"]

    ok(await client.put(f"{LIBRARY}/roles/{role_id}", json={"name": "Engenheira de aprendizado de máquina"}))
    assert "Engenheira de aprendizado" in (await passages_of(database, person["id"]))[0]["body"]
    assert ok(await client.get(f"{LIBRARY}/people/{person['id']}"))["role_name"].startswith("Engenheira")

    assert (await client.delete(f"{LIBRARY}/people/{person['id']}")).status_code == 204
    assert (await client.delete(f"{LIBRARY}/roles/{role_id}")).status_code == 204
    problem(await client.get(f"{LIBRARY}/roles/{role_id}"), 404)


async def test_a_person_is_found_by_a_skill_with_and_without_accents_and_gone_at_once_when_deleted(
    client: httpx.AsyncClient, database: asyncpg.Connection
) -> None:
    role_id = await create_role(client)
    person = ok(await client.post(f"{LIBRARY}/people", json={**PERSON, "role_id": role_id}), 201)
    other = ok(await client.post(f"{LIBRARY}/people", json={"name": "Caio", "skills": ["Power BI"]}), 201)
    person_id = uuid.UUID(person["id"])
    assert person["skills"] == PERSON["skills"] and person["active"] is True and person["seniority"] == "senior"

    passage = (await passages_of(database, person["id"]))[0]
    assert passage["kind"] == "person" and passage["title"] == "Joana Prado"
    for expected in ("Arquiteto de soluções sênior", "senior", "migração", "Kubernetes", "AWS Solutions", "English"):
        assert expected in passage["body"], expected
    assert await found(database, "migração") == [person_id]
    assert await found(database, "migracao") == [person_id]
    assert await found(database, "Kubernetes") == [person_id]
    assert await found(database, "arquiteto senior") == [person_id]

    inactive = ok(await client.put(f"{LIBRARY}/people/{person['id']}", json={**PERSON, "active": False}))
    assert inactive["active"] is False and inactive["role_id"] is None
    assert await found(database, "migracao") == [person_id]  # kept: search filters inactive people itself
    assert [p["name"] for p in ok(await client.get(f"{LIBRARY}/people", params={"active": "false"}))["items"]] == [
        "Joana Prado"
    ]
    assert ok(await client.get(f"{LIBRARY}/people", params={"role_id": role_id}))["items"] == []

    await database.execute(
        """INSERT INTO library_documents (id, title, filename, media_type, sha256, size_bytes, category, person_id,
                                          owner, uploaded_by)
           VALUES ($1, 'CV', 'cv.pdf', 'application/pdf', $2, 10, 'cv', $3, 'admin', 'admin')""",
        uuid.uuid4(),
        bytes(32),
        person_id,
    )
    assert (await client.delete(f"{LIBRARY}/people/{person['id']}")).status_code == 204
    assert await database.fetchval("SELECT count(*) FROM library_passages WHERE entry_id = $1", person_id) == 0
    assert await database.fetchval("SELECT count(*) FROM library_documents WHERE person_id = $1", person_id) == 0
    assert await found(database, "migracao") == []
    assert len(await passages_of(database, other["id"])) == 1
    problem(await client.get(f"{LIBRARY}/people/{person['id']}"), 404)


async def test_an_anonymised_case_study_keeps_its_client_out_of_search(
    client: httpx.AsyncClient, database: asyncpg.Connection
) -> None:
    case = {
        "client": "Banco Zeta",
        "industry": "Financeiro",
        "problem": "Relatórios regulatórios lentos.",
        "solution": "Lakehouse com dbt.",
        "results": "Fechamento 3 dias mais cedo.",
        "year": 2025,
        "technologies": ["dbt", "Databricks"],
    }
    hidden = ok(await client.post(f"{LIBRARY}/case-studies", json={**case, "may_be_named": False}), 201)
    assert hidden["client"] == "Banco Zeta" and hidden["title"] == "cliente anonimizado · Financeiro (2025)"
    anonymised = ok(
        await client.post(
            f"{LIBRARY}/case-studies", json={**case, "anonymised": True, "may_be_named": True, "language": "en"}
        ),
        201,
    )
    assert anonymised["title"].startswith("anonymised client")
    named = ok(
        await client.post(f"{LIBRARY}/case-studies", json={**case, "client": "Loja Alfa", "may_be_named": True}), 201
    )
    for entry in (hidden, anonymised):
        [passage] = await passages_of(database, entry["id"])
        assert "Zeta" not in passage["search_text"] and "Zeta" not in passage["title"]
    [passage] = await passages_of(database, hidden["id"])
    assert "cliente anonimizado" in passage["body"] and passage["industries"] == ["Financeiro"]
    assert await found(database, "Zeta") == []
    assert await found(database, "Alfa") == [uuid.UUID(named["id"])]
    assert await found(database, "regulatorios") != []

    listed = ok(await client.get(f"{LIBRARY}/case-studies", params={"industry": "financeiro"}))["items"]
    assert len(listed) == 3
    assert ok(await client.get(f"{LIBRARY}/case-studies", params={"industry": "Saúde"}))["items"] == []
    assert len(ok(await client.get(f"{LIBRARY}/case-studies", params={"language": "en"}))["items"]) == 1

    shown = ok(await client.put(f"{LIBRARY}/case-studies/{hidden['id']}", json={**case, "may_be_named": True}))
    assert shown["title"] == "Banco Zeta · Financeiro (2025)"
    assert await found(database, "Zeta") == [uuid.UUID(hidden["id"])]
    assert (await client.delete(f"{LIBRARY}/case-studies/{hidden['id']}")).status_code == 204
    assert await found(database, "Zeta") == []


async def test_an_import_key_makes_a_post_update_the_same_entry(
    client: httpx.AsyncClient, database: asyncpg.Connection
) -> None:
    first = await client.post(f"{LIBRARY}/people", json={**PERSON, "import_key": "joana"})
    assert first.status_code == 201
    again = await client.post(f"{LIBRARY}/people", json={**PERSON, "bio": "Nova bio.", "import_key": "joana"})
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert again.json()["import_key"] == "joana" and again.json()["bio"] == "Nova bio."
    assert await database.fetchval("SELECT count(*) FROM library_entries") == 1
    assert await database.fetchval("SELECT count(*) FROM library_passages") == 1
    # The same key on another kind is another entry.
    assert (await client.post(f"{LIBRARY}/services", json={"name": "S", "import_key": "joana"})).status_code == 201
    role = await client.post(f"{LIBRARY}/roles", json={"name": "Analista", "import_key": "analista"})
    role_again = await client.post(f"{LIBRARY}/roles", json={"name": "Analista sênior", "import_key": "analista"})
    assert (role.status_code, role_again.status_code) == (201, 200)
    assert role_again.json()["id"] == role.json()["id"] and role_again.json()["name"] == "Analista sênior"


async def test_the_stale_list_holds_entries_roles_and_documents_past_review_oldest_first(
    client: httpx.AsyncClient, database: asyncpg.Connection
) -> None:
    today = date.today()
    service = ok(
        await client.post(
            f"{LIBRARY}/services", json={"name": "Velho", "owner": "Rita", "review_by": str(today - timedelta(days=3))}
        ),
        201,
    )
    ok(await client.post(f"{LIBRARY}/services", json={"name": "Em dia", "review_by": str(today)}), 201)
    ok(await client.post(f"{LIBRARY}/services", json={"name": "Sem data"}), 201)
    role_id = await create_role(client, "Antigo", review_by=str(today - timedelta(days=30)))
    document_id = uuid.uuid4()
    await database.execute(
        """INSERT INTO library_documents (id, title, filename, media_type, sha256, size_bytes, category, owner,
                                          uploaded_by, review_by)
           VALUES ($1, 'Metodologia', 'm.md', 'text/markdown', $2, 10, 'methodology', 'Leo', 'admin', $3)""",
        document_id,
        bytes(32),
        today - timedelta(days=10),
    )
    items = ok(await client.get(f"{LIBRARY}/stale"))["items"]
    assert [(item["kind"], item["id"], item["title"], item["owner"]) for item in items] == [
        ("role", role_id, "Antigo", "admin"),
        ("document", str(document_id), "Metodologia", "Leo"),
        ("service", service["id"], "Velho", "Rita"),
    ]
    assert items[0]["review_by"] == str(today - timedelta(days=30))


async def test_every_save_and_delete_adds_a_library_entry_changed_event_to_the_outbox(
    client: httpx.AsyncClient, database: asyncpg.Connection
) -> None:
    person = ok(await client.post(f"{LIBRARY}/people", json={"name": "Davi"}), 201)
    ok(await client.put(f"{LIBRARY}/people/{person['id']}", json={"name": "Davi Lima"}))
    assert (await client.delete(f"{LIBRARY}/people/{person['id']}")).status_code == 204
    rows = await database.fetch(
        "SELECT fields FROM outbox WHERE stream = $1 ORDER BY created_at, event_id", Stream.LIBRARY_ENTRY_CHANGED.value
    )
    events = [json.loads(json.loads(row["fields"])["payload"]) for row in rows]
    assert [(event["entry_id"], event["kind"], event["deleted"]) for event in events] == [
        (person["id"], "person", False),
        (person["id"], "person", False),
        (person["id"], "person", True),
    ]
    assert [json.loads(row["fields"])["event_type"] for row in rows] == ["library.entry-changed"] * 3


EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "library"


async def library_rows(database: asyncpg.Connection) -> dict[str, list[tuple[Any, ...]]]:
    queries = {
        "entries": """SELECT id, kind, language, title, fields::text, role_id, active, owner, review_by, import_key
                      FROM library_entries ORDER BY kind, import_key""",
        "roles": "SELECT id, name, owner, review_by, import_key FROM library_roles ORDER BY name",
        "rates": "SELECT id, role_id, hourly_rate, currency, valid_from FROM library_rates ORDER BY id",
        "passages": "SELECT id, entry_id, ordinal, search_text FROM library_passages ORDER BY id",
        "documents": "SELECT id, sha256, title FROM library_documents ORDER BY id",
    }
    return {name: [tuple(row) for row in await database.fetch(sql)] for name, sql in queries.items()}


async def test_importing_the_example_folder_twice_gives_the_same_rows(
    client: httpx.AsyncClient, database: asyncpg.Connection
) -> None:
    # Uploads are another change's (POST /api/library/documents); until it is in, the document fails, alone.
    documents_route = (await client.post(f"{LIBRARY}/documents")).status_code != 404
    progress = io.StringIO()
    first = await import_folder(client, EXAMPLE, progress)
    expected_failures = [] if documents_route else ["documents metodologia.md"]
    assert [failure.split(":")[0] for failure in first.failures] == expected_failures, first.failures
    assert first.created == {"company": 2, "services": 3, "roles": 3, "people": 3, "case_studies": 2} | (
        {"documents": 1} if documents_route else {}
    )
    assert "people 3/3" in progress.getvalue()
    rows = await library_rows(database)
    assert (len(rows["entries"]), len(rows["roles"]), len(rows["rates"])) == (10, 3, 4)

    second = await import_folder(client, EXAMPLE, io.StringIO())
    assert [failure.split(":")[0] for failure in second.failures] == expected_failures
    assert second.created == {}
    assert second.updated["people"] == 3 and second.updated["roles"] == 3
    assert await library_rows(database) == rows

    joana = ok(await client.get(f"{LIBRARY}/people", params={"limit": 10}))["items"]
    by_name = {person["name"]: person for person in joana}
    assert by_name["Joana Prado"]["role_name"] == "Arquiteto de soluções sênior"
    assert by_name["Rafael Lima"]["active"] is True and by_name["Rafael Lima"]["skills"] == [
        "Databricks",
        "dbt",
        "Python",
    ]
    roles = {role["name"]: role for role in ok(await client.get(f"{LIBRARY}/roles"))["items"]}
    assert roles["Arquiteto de soluções sênior"]["current_rate"]["hourly_rate"] == "350.00"
    assert roles["Engenheiro de dados pleno"]["current_rate"]["hourly_rate"] == "210.50"
    assert await found(database, "Zeta") == []
    assert len(await found(database, "migracao")) >= 2
