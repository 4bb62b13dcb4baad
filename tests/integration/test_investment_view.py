"""GET /api/proposals/{id}: the investment priced by the PDF's own `quote`, in the template's currency and taxes."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from propos4l.gateway import template_pricing
from propos4l.renderer.pricing import TaxRate, quote
from propos4l.renderer.sample import sample_drafted
from propos4l.shared.delivery import Publisher
from propos4l.shared.events import InvestmentItem, ProposalRequest
from tests.support.gateway import AUTH, gateway_settings, running_gateway
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

ITEMS = (
    InvestmentItem(description="Sprint de desenvolvimento", quantity=Decimal(3), unit_price=Decimal("1500.00")),
    InvestmentItem(description="Licença anual do painel", quantity=Decimal(1), unit_price=Decimal("999.99")),
)
LINES = [
    {"description": "Sprint de desenvolvimento", "quantity": "3", "unit_price": "1500.00", "amount": "4500.00"},
    {"description": "Licença anual do painel", "quantity": "1", "unit_price": "999.99", "amount": "999.99"},
]


@pytest.fixture
async def client(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = gateway_settings(database_url, redis_url, data_dir, render_timeout_seconds=60, render_cpu_seconds=30)
    async with running_gateway(settings) as (_, http):
        yield http


async def put_template(client: httpx.AsyncClient, name: str, pricing: dict[str, Any]) -> None:
    """Save `name` as a copy of the default template with other pricing (checked by the gateway, as admins do)."""
    detail = (await client.get("/api/templates/default", headers=AUTH)).json()
    files = {
        file["path"]: {"text": file["text"]} if file["text"] is not None else {"sha256": file["sha256"]}
        for file in detail["files"]
        if file["path"] != "manifest.json"
    }
    manifest = {key: value for key, value in detail["manifest"].items() if key != "name"}
    manifest["pricing"] = pricing
    response = await client.put(f"/api/templates/{name}", json={"manifest": manifest, "files": files}, headers=AUTH)
    assert response.status_code in (200, 201), response.text


async def drafted_proposal(
    client: httpx.AsyncClient, redis: Redis, *, template: str, discount_percent: str | None
) -> uuid.UUID:
    """A proposal asked for through the API, then drafted with `ITEMS` (as the generator publishes it) and recorded."""
    request: dict[str, Any] = {
        "client_name": "Padaria Pão Quente",
        "industry": "Varejo",
        "requirements": "Loja online integrada ao ERP.",
        "template": template,
    }
    if discount_percent is not None:
        request["discount_percent"] = discount_percent
    response = await client.post("/api/proposals", json=request, headers=AUTH)
    assert response.status_code == 202, response.text
    assert response.json()["investment"] is None  # nothing drafted yet
    proposal_id = uuid.UUID(response.json()["id"])
    drafted = sample_drafted().model_copy(
        update={
            "event_id": uuid.uuid4(),
            "proposal_id": proposal_id,
            "request": ProposalRequest.model_validate(request),
            "investment_items": ITEMS,
        }
    )
    await Publisher(redis).publish(drafted)

    async def recorded() -> bool:
        body = (await client.get(f"/api/proposals/{proposal_id}", headers=AUTH)).json()
        return bool(body["status"] == "rendering")

    await wait_for(recorded, timeout=10, message="the draft was never recorded")
    return proposal_id


async def investment_of(client: httpx.AsyncClient, proposal_id: uuid.UUID) -> dict[str, Any]:
    response = await client.get(f"/api/proposals/{proposal_id}", headers=AUTH)
    assert response.status_code == 200, response.text
    investment: dict[str, Any] = response.json()["investment"]
    return investment


def quoted(discount_percent: Decimal | None, taxes: Sequence[TaxRate]) -> dict[str, Any]:
    """What the PDF's `quote` gives for `ITEMS`, written as the API writes it."""
    priced = quote(ITEMS, discount_percent=discount_percent, taxes=taxes)
    return {
        "subtotal": f"{priced.subtotal:f}",
        "discount": f"{priced.discount:f}",
        "net": f"{priced.net:f}",
        "taxes": [{"label": t.label, "rate": f"{t.rate:f}", "amount": f"{t.amount:f}"} for t in priced.taxes],
        "total": f"{priced.total:f}",
    }


async def test_the_investment_has_exact_amounts_with_the_discount_and_the_templates_currency_and_tax(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    await put_template(client, "acme", {"currency": "USD", "taxes": [{"label": "ISS", "rate": "5"}]})
    proposal_id = await drafted_proposal(client, redis, template="acme", discount_percent="10")

    response = await client.get(f"/api/proposals/{proposal_id}", headers=AUTH)
    assert response.status_code == 200, response.text
    assert '"total":"5197.49"' in response.text  # a JSON string, never a number a client would read as a float
    investment = response.json()["investment"]
    assert investment == {
        "currency": "USD",
        "lines": LINES,
        "subtotal": "5499.99",
        "discount_percent": "10.00",
        "discount": "550.00",  # 549.999 rounded half up
        "net": "4949.99",
        "taxes": [{"label": "ISS", "rate": "5", "amount": "247.50"}],  # 247.4995 rounded half up
        "total": "5197.49",
        "pricing_source": "template",
        "note": None,
    }
    assert {key: investment[key] for key in ("subtotal", "discount", "net", "taxes", "total")} == quoted(
        Decimal("10"), [TaxRate("ISS", Decimal(5))]
    )


async def test_without_a_discount_the_discount_is_zero_and_without_items_there_is_no_investment(
    client: httpx.AsyncClient, redis: Redis
) -> None:
    proposal_id = await drafted_proposal(client, redis, template="default", discount_percent=None)
    investment = await investment_of(client, proposal_id)
    assert (investment["currency"], investment["discount_percent"], investment["discount"]) == ("BRL", None, "0.00")
    assert investment["total"] == "5774.99" == quoted(None, [TaxRate("ISS", Decimal(5))])["total"]

    queued = await client.post(
        "/api/proposals", json={"client_name": "X", "industry": "Y", "requirements": "Z"}, headers=AUTH
    )
    body = (await client.get(f"/api/proposals/{queued.json()['id']}", headers=AUTH)).json()
    assert (body["investment_items"], body["investment"]) == ([], None)


async def test_a_manifest_is_read_once_until_the_template_changes(
    client: httpx.AsyncClient, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    await put_template(client, "acme", {"currency": "USD", "taxes": [{"label": "ISS", "rate": "5"}]})
    proposal_id = await drafted_proposal(client, redis, template="acme", discount_percent="10")
    loads: list[str] = []
    load_template = template_pricing.load_template

    def counting_load(templates_dir: Path, name: str) -> Any:
        loads.append(name)
        return load_template(templates_dir, name)

    monkeypatch.setattr(template_pricing, "load_template", counting_load)
    for _ in range(3):
        assert (await investment_of(client, proposal_id))["total"] == "5197.49"
    assert loads == []  # read while waiting for the draft, cached since

    await put_template(
        client, "acme", {"currency": "EUR", "taxes": [{"label": "PIS", "rate": "0.65"}, {"label": "ISS", "rate": "2"}]}
    )
    investment = await investment_of(client, proposal_id)
    await investment_of(client, proposal_id)
    assert loads == ["acme"]
    assert investment["currency"] == "EUR"
    assert investment["taxes"] == [
        {"label": "PIS", "rate": "0.65", "amount": "32.17"},  # 32.174935
        {"label": "ISS", "rate": "2", "amount": "99.00"},  # 98.9998
    ]
    assert investment["total"] == "5081.16"
    expected = quoted(Decimal(10), [TaxRate("PIS", Decimal("0.65")), TaxRate("ISS", Decimal(2))])
    assert (investment["taxes"], investment["total"]) == (expected["taxes"], expected["total"])


async def test_a_deleted_template_falls_back_to_the_defaults_pricing_and_says_so(
    client: httpx.AsyncClient, redis: Redis, data_dir: Path
) -> None:
    await put_template(client, "acme", {"currency": "USD", "taxes": [{"label": "VAT", "rate": "20"}]})
    proposal_id = await drafted_proposal(client, redis, template="acme", discount_percent="10")
    assert (await investment_of(client, proposal_id))["total"] == "5939.99"  # 4949.99 + 20%

    assert (await client.delete("/api/templates/acme", headers=AUTH)).status_code == 200
    assert not (data_dir / "templates" / "acme").exists()
    investment = await investment_of(client, proposal_id)
    assert investment["pricing_source"] == "default_template"
    assert "'acme'" in investment["note"] and "default template" in investment["note"]
    assert investment["currency"] == "BRL"  # the default template's manifest: BRL with ISS 5%
    assert investment["taxes"] == [{"label": "ISS", "rate": "5", "amount": "247.50"}]
    assert investment["total"] == "5197.49"

    shutil.rmtree(data_dir / "templates" / "default")  # not even the default can be read: still an answer
    investment = await investment_of(client, proposal_id)
    assert (investment["pricing_source"], investment["currency"], investment["taxes"]) == ("built_in", "BRL", [])
    assert investment["total"] == investment["net"] == "4949.99"
    assert investment["note"]


async def test_the_openapi_document_describes_the_investment_as_decimal_strings(client: httpx.AsyncClient) -> None:
    schemas = (await client.get("/openapi.json")).json()["components"]["schemas"]
    investment = schemas["InvestmentView"]["properties"]
    for name in ("subtotal", "discount", "net", "total"):
        assert investment[name]["type"] == "string" and investment[name]["description"], name
    assert "investment" in schemas["ProposalView"]["properties"]
    assert "pricing_source" in json.dumps(investment)
