"""PDFs on an S3-compatible store (moto's server mode): the renderer uploads, the gateway records and serves them.

Upload then record: while the store breaks every upload mid-body, the renderer holds the draft and publishes nothing,
so no PDF is recorded and the proposal is not ready; once the store is back, the same draft is rendered, uploaded
and recorded. Downloads stream from the bucket, or redirect to a pre-signed URL with STORAGE_PRESIGN.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from propos4l.renderer.app import serve
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.settings import RendererSettings
from propos4l.shared.delivery import Publisher
from propos4l.shared.envelope import decode
from propos4l.shared.events import ProposalDrafted, ProposalRendered, ProposalRequest
from propos4l.shared.sections import Language
from propos4l.shared.streams import Stream
from tests.support.gateway import AUTH, gateway_settings, running_gateway
from tests.support.s3 import FaultyProxy, s3_client
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

REQUEST = {"client_name": "ACME Indústria", "industry": "Retail", "requirements": "ERP"}


@pytest.fixture
async def gateway_client(
    database_url: str, redis_url: str, data_dir: Path, s3_endpoint: str, bucket: str
) -> AsyncIterator[httpx.AsyncClient]:
    settings = gateway_settings(
        database_url, redis_url, data_dir, storage_url=f"s3://{bucket}/prod", storage_endpoint_url=s3_endpoint
    )
    async with running_gateway(settings, headers=AUTH) as (_, client):
        yield client


async def _requested(client: httpx.AsyncClient) -> ProposalDrafted:
    """A proposal accepted by the gateway, and the draft of its version 1 as the generator would publish it."""
    created = (await client.post("/api/proposals", json=REQUEST)).json()
    sample = sample_drafted(Language.PT_BR)
    return sample.model_copy(
        update={
            "event_id": uuid.uuid4(),
            "proposal_id": uuid.UUID(created["id"]),
            "version": 1,
            "request": ProposalRequest.model_validate({**sample.request.model_dump(), **REQUEST}),
        }
    )


async def test_a_pdf_is_recorded_only_after_its_upload_completed_and_is_then_served_from_the_bucket(
    gateway_client: httpx.AsyncClient,
    redis: Redis,
    redis_url: str,
    data_dir: Path,
    proxy: FaultyProxy,
    s3_endpoint: str,
    bucket: str,
    database_url: str,
) -> None:
    drafted = await _requested(gateway_client)
    proxy.cut_after_bytes = 20_000  # every upload breaks mid-body (a PDF is larger), as a failing store does
    settings = RendererSettings(
        redis_url=redis_url,
        pdf_storage_dir=data_dir / "renderer-pdfs",
        templates_dir=data_dir / "templates",
        renderer_workers=1,
        storage_url=f"s3://{bucket}/prod",
        storage_endpoint_url=proxy.endpoint,
        delivery_shutdown_grace_seconds=1,
        delivery_outage_give_up_seconds=0,
    )
    stop = asyncio.Event()
    renderer = asyncio.create_task(serve(settings, stop))
    try:
        await Publisher(redis).publish(drafted)
        await wait_for(lambda: asyncio.sleep(0, proxy.cuts >= 2), timeout=60, message="no upload was tried twice")
        assert await redis.xlen(Stream.PROPOSAL_RENDERED.value) == 0  # nothing published for a failed upload
        listed = s3_client(s3_endpoint).list_objects_v2(Bucket=bucket, Prefix="prod/pdfs/")
        assert listed.get("KeyCount") == 0  # (the bucket's templates/ holds the template versions)
        status = (await gateway_client.get(f"/api/proposals/{drafted.proposal_id}")).json()
        assert status["status"] != "ready" and status["pdf_url"] is None
        assert (await gateway_client.get(f"/api/proposals/{drafted.proposal_id}/pdf")).status_code == 409

        proxy.cut_after_bytes = None  # the store is back: the held draft goes through

        async def ready() -> dict[str, Any] | None:
            body: dict[str, Any] = (await gateway_client.get(f"/api/proposals/{drafted.proposal_id}")).json()
            return body if body["status"] == "ready" else None

        await wait_for(ready, timeout=60, message="the PDF was not recorded once the store was back")
    finally:
        stop.set()
        await asyncio.wait_for(renderer, timeout=30)
    entries = await redis.xrange(Stream.PROPOSAL_RENDERED.value)
    assert len(entries) == 1
    rendered = decode(entries[0][1]).open(ProposalRendered)
    stored = s3_client(s3_endpoint).get_object(Bucket=bucket, Key=f"prod/pdfs/{drafted.proposal_id}/v1.pdf")
    content = stored["Body"].read()
    assert content.startswith(b"%PDF-") and hashlib.sha256(content).hexdigest() == rendered.pdf_sha256
    assert not (data_dir / "renderer-pdfs" / str(drafted.proposal_id)).exists()  # nothing went to the local folder

    download = await gateway_client.get(f"/api/proposals/{drafted.proposal_id}/pdf")
    assert download.status_code == 200 and download.content == content
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"] == 'attachment; filename="acme-industria-v1.pdf"'

    presigning = gateway_settings(
        database_url,
        redis_url,
        data_dir,
        storage_url=f"s3://{bucket}/prod",
        storage_endpoint_url=s3_endpoint,
        storage_presign=True,
        storage_presign_seconds=60,
    )
    async with running_gateway(presigning, headers=AUTH) as (_, client):
        redirect = await client.get(f"/api/proposals/{drafted.proposal_id}/pdf")
    assert redirect.status_code == 307 and redirect.headers["cache-control"] == "private, max-age=0"
    async with httpx.AsyncClient() as anonymous:  # no credentials: the signature is the permission
        signed = await anonymous.get(redirect.headers["location"])
    assert signed.status_code == 200 and signed.content == content
    assert 'filename="acme-industria-v1.pdf"' in signed.headers["content-disposition"]


async def _recorded_without_upload(client: httpx.AsyncClient, redis: Redis) -> uuid.UUID:
    """A proposal whose version 1 the gateway recorded as rendered, with no object behind it."""
    drafted = await _requested(client)
    publisher = Publisher(redis)
    await publisher.publish(drafted)
    await publisher.publish(
        ProposalRendered(
            proposal_id=drafted.proposal_id,
            version=1,
            pdf_path=f"{drafted.proposal_id}/v1.pdf",
            pdf_sha256="0" * 64,
            pdf_bytes=11,
            pages=1,
            render_ms=1,
        )
    )

    async def ready() -> bool:
        return bool((await client.get(f"/api/proposals/{drafted.proposal_id}")).json()["status"] == "ready")

    await wait_for(ready)
    return drafted.proposal_id


async def test_a_recorded_pdf_missing_from_the_bucket_is_a_409_and_a_store_that_does_not_answer_a_503(
    database_url: str, redis_url: str, redis: Redis, data_dir: Path, s3_endpoint: str, bucket: str
) -> None:
    settings = gateway_settings(
        database_url, redis_url, data_dir, storage_url=f"s3://{bucket}/prod", storage_endpoint_url=s3_endpoint
    )
    async with running_gateway(settings, headers=AUTH) as (_, client):
        proposal_id = await _recorded_without_upload(client, redis)
        missing = await client.get(f"/api/proposals/{proposal_id}/pdf")
    assert missing.status_code == 409 and missing.headers["content-type"] == "application/problem+json"
    assert "missing from the PDF storage" in missing.json()["detail"]

    unreachable = settings.model_copy(update={"storage_endpoint_url": "http://127.0.0.1:9"})
    async with running_gateway(unreachable, headers=AUTH) as (_, client):
        down = await client.get(f"/api/proposals/{proposal_id}/pdf")
    assert down.status_code == 503 and down.headers["retry-after"] == "5"
    assert down.json()["detail"] == "The file storage is not answering right now; try again in a few seconds."
