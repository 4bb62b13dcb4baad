"""A proposal remembers the trace of the request that created it, and links to it in the tracing UI when one is set."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from tests.support.gateway import AUTH, RunningGateway, gateway_settings, running_gateway

pytestmark = pytest.mark.integration

TEMPLATE = "http://127.0.0.1:6006/redirects/traces/{trace_id}"
TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
REQUEST = {"client_name": "Acme Logística", "industry": "Logistics", "requirements": "Rastrear frotas."}


@pytest.fixture
async def gateway(database_url: str, redis_url: str, data_dir: Path) -> AsyncIterator[RunningGateway]:
    async with running_gateway(gateway_settings(database_url, redis_url, data_dir, tracing_ui_url=TEMPLATE)) as running:
        yield running


async def _create(client: httpx.AsyncClient, *, sampled: bool = True) -> dict[str, Any]:
    """Create a proposal inside a request span of trace TRACE_ID (what the FastAPI instrumentation starts)."""
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    context = SpanContext(trace_id=TRACE_ID, span_id=0x00F067AA0BA902B7, is_remote=False, trace_flags=flags)
    with trace.use_span(NonRecordingSpan(context)):
        response = await client.post("/api/proposals", json=REQUEST, headers=AUTH)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_proposal_keeps_its_requests_trace_and_links_to_it(client: httpx.AsyncClient) -> None:
    created = await _create(client)
    expected_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    assert created["trace_id"] == expected_id

    body = (await client.get(f"/api/proposals/{created['id']}", headers=AUTH)).json()
    assert body["trace_id"] == expected_id
    assert body["trace_url"] == f"http://127.0.0.1:6006/redirects/traces/{expected_id}"


async def test_an_untraced_or_unsampled_request_has_no_trace_to_link(client: httpx.AsyncClient) -> None:
    untraced = (await client.post("/api/proposals", json=REQUEST, headers=AUTH)).json()
    unsampled = await _create(client, sampled=False)
    for created in (untraced, unsampled):
        body = (await client.get(f"/api/proposals/{created['id']}", headers=AUTH)).json()
        assert (body["trace_id"], body["trace_url"]) == (None, None)


async def test_without_a_tracing_ui_the_trace_id_is_kept_but_not_linked(
    database_url: str, redis_url: str, data_dir: Path
) -> None:
    async with running_gateway(gateway_settings(database_url, redis_url, data_dir)) as running:
        created = await _create(running.client)
        body = (await running.client.get(f"/api/proposals/{created['id']}", headers=AUTH)).json()
    assert body["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736" and body["trace_url"] is None


def test_a_tracing_ui_url_without_the_trace_id_is_refused(database_url: str, redis_url: str, data_dir: Path) -> None:
    with pytest.raises(ValueError, match="tracing_ui_url"):
        gateway_settings(database_url, redis_url, data_dir, tracing_ui_url="http://127.0.0.1:6006/traces")
