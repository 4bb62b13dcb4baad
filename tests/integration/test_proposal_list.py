"""The proposal list at scale: pages by cursor, a search the full-text index serves, a count that stops at a limit."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from propos4l.gateway.proposal_listing import ListPosition, ProposalFilters, list_query
from tests.support.gateway import AUTH, RunningGateway, gateway_settings, running_gateway

pytestmark = pytest.mark.integration

EXAMPLE = ListPosition(datetime(2030, 1, 1, tzinfo=UTC), uuid.uuid4())  # after every proposal the tests make
NAMES = ["Acme Logística", "ACME Foods", "Banco Sol", "Solar Energia", "Padaria Pão Quente", "Zeta Saúde", "Acme Sol"]


@pytest.fixture
async def gateway(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[RunningGateway]:
    settings = gateway_settings(database_url, redis_url, data_dir, proposal_list_count_limit=4)
    async with running_gateway(settings, headers=AUTH) as running:
        for name in NAMES:
            request = {"client_name": name, "industry": "Retail", "requirements": "Loja online"}
            assert (await running.client.post("/api/proposals", json=request)).status_code == 202
        yield running


async def listing(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/proposals", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def names(body: dict[str, Any]) -> list[str]:
    return [item["client_name"] for item in body["items"]]


async def test_cursor_pages_walk_the_list_newest_first_without_gaps_or_repeats(client: httpx.AsyncClient) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(len(NAMES)):
        body = await listing(client, page_size=3, **({"cursor": cursor} if cursor else {}))
        seen += names(body)
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(NAMES))
    # A page number still works, and gives the cursor of the page after it.
    second = await listing(client, page=2, page_size=3)
    assert names(second) == list(reversed(NAMES))[3:6]
    assert names(await listing(client, page_size=3, cursor=second["next_cursor"])) == [NAMES[0]]


async def test_the_count_stops_at_its_limit_and_says_so(client: httpx.AsyncClient) -> None:
    everything = await listing(client, page_size=2)
    assert (everything["total"], everything["total_exact"]) == (4, False)
    acme = await listing(client, q="acme", page_size=2)
    assert (acme["total"], acme["total_exact"]) == (3, True)
    small = await listing(client, q="banco")
    assert (small["total"], small["total_exact"], small["next_cursor"]) == (1, True, None)


async def test_search_matches_words_beginning_with_each_word_typed(client: httpx.AsyncClient) -> None:
    assert names(await listing(client, q="acme")) == ["Acme Sol", "ACME Foods", "Acme Logística"]
    assert names(await listing(client, q="LOGÍST")) == ["Acme Logística"]
    assert names(await listing(client, q="sol")) == ["Acme Sol", "Solar Energia", "Banco Sol"]
    assert names(await listing(client, q="sol acme")) == ["Acme Sol"]
    assert names(await listing(client, q="pão")) == ["Padaria Pão Quente"]
    assert names(await listing(client, q="gist")) == []  # inside a word: not a match (docs/adr/0010)
    assert names(await listing(client, q="it's")) == []


@pytest.mark.parametrize(
    "params",
    [{"cursor": "not-a-cursor"}, {"cursor": "bm90fGE="}, {"cursor": EXAMPLE.cursor(), "page": 2}],
)
async def test_a_cursor_this_api_did_not_give_is_a_422(client: httpx.AsyncClient, params: dict[str, Any]) -> None:
    response = await client.get("/api/proposals", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("filters", "matches_first", "index"),
    [
        (ProposalFilters(search="acme"), True, "proposals_client_name_words_idx"),
        (ProposalFilters(status="ready"), False, "proposals_status_created_at_idx"),
        (ProposalFilters(industry="Retail"), False, "proposals_industry_created_at_idx"),
        (ProposalFilters(), False, "proposals_created_at_idx"),
    ],
)
async def test_every_list_query_can_be_served_by_an_index(
    app: FastAPI, filters: ProposalFilters, matches_first: bool, index: str
) -> None:
    # A search's matches come from the words' index (then ordered); the others walk an index in the list's order.
    after = None if matches_first else EXAMPLE
    sql, arguments = list_query("p.id", filters, limit=21, after=after, matches_first=matches_first)
    async with app.state.pool.acquire() as connection, connection.transaction():
        await connection.execute("SET LOCAL enable_seqscan = off")  # a table this small is cheaper to scan
        plan = "\n".join(row[0] for row in await connection.fetch(f"EXPLAIN {sql}", *arguments))
    assert index in plan, plan


def test_a_cursor_round_trips() -> None:
    assert ListPosition.from_cursor(EXAMPLE.cursor()) == EXAMPLE
