"""Library files and clients' documents on an S3-compatible store (moto's server mode): the gateway uploads, the
library service indexes or reads them from the bucket.

The gateway stores an upload in the bucket before it records the document; a store that breaks the upload is a 503
with nothing recorded. The library service downloads a stored file to extract it, and a deleted document's file
leaves the bucket.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import asyncpg
import pytest

from propos4l.shared.streams import Stream
from tests.integration.test_library_documents import MARKDOWN, indexed, library_settings, running_library, upload
from tests.integration.test_proposal_documents import attach, create_proposal, edital_pdf, settled
from tests.support.gateway import AUTH, gateway_settings, running_gateway
from tests.support.s3 import FaultyProxy, s3_client

pytestmark = pytest.mark.integration


def bucket_keys(endpoint: str, bucket: str, prefix: str = "") -> set[str]:
    """The bucket's keys, but for the template versions the gateway publishes at start."""
    listed = s3_client(endpoint).list_objects_v2(Bucket=bucket, Prefix=prefix)
    return {item["Key"] for item in listed.get("Contents", []) if "/templates/" not in f"/{item['Key']}"}


async def test_an_upload_goes_to_the_bucket_is_indexed_from_it_and_leaves_it_when_deleted(
    database_url: str, redis_url: str, data_dir: Path, s3_endpoint: str, bucket: str
) -> None:
    storage = {"storage_url": f"s3://{bucket}/prod", "storage_endpoint_url": s3_endpoint}
    gateway = gateway_settings(database_url, redis_url, data_dir / "gateway", **storage)
    library = library_settings(database_url, redis_url, data_dir / "library-service", **storage)
    digest = hashlib.sha256(MARKDOWN).hexdigest()
    async with running_gateway(gateway, headers=AUTH) as (_, client), running_library(library):
        response = await upload(client, MARKDOWN, "caso.md")
        assert response.status_code == 201, response.text
        document = response.json()
        assert bucket_keys(s3_endpoint, bucket) == {f"prod/library/{digest[:2]}/{digest}"}
        stored = s3_client(s3_endpoint).get_object(Bucket=bucket, Key=f"prod/library/{digest[:2]}/{digest}")
        assert stored["Body"].read() == MARKDOWN
        # The gateway's LIBRARY_DIR only held the upload while it arrived; the library service's holds nothing.
        assert [path for path in (data_dir / "gateway" / "library").rglob("*") if path.is_file()] == []
        assert [path for path in (data_dir / "library-service").rglob("*") if path.is_file()] == []

        done = await indexed(client, document["id"])
        assert done["passage_count"] >= 1

        assert (await client.delete(f"/api/library/documents/{document['id']}")).status_code == 204
    assert bucket_keys(s3_endpoint, bucket) == set()


async def test_an_upload_the_store_breaks_is_a_503_and_records_nothing(
    database_url: str, redis_url: str, data_dir: Path, s3_endpoint: str, bucket: str
) -> None:
    with FaultyProxy(int(s3_endpoint.rsplit(":", 1)[1])) as proxy:
        proxy.cut_after_bytes = 100  # the request line and a few headers, then the connection drops
        settings = gateway_settings(
            database_url, redis_url, data_dir, storage_url=f"s3://{bucket}", storage_endpoint_url=proxy.endpoint
        )
        async with running_gateway(settings, headers=AUTH) as (_, client):
            response = await upload(client, MARKDOWN, "caso.md", tries=1)  # the one 503, not asked again
    assert response.status_code == 503 and response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The file storage is not answering right now; try again in a few seconds."
    assert proxy.cuts >= 1
    assert bucket_keys(s3_endpoint, bucket) == set()
    connection = await asyncpg.connect(database_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM library_documents") == 0
        uploaded = Stream.LIBRARY_DOCUMENT_UPLOADED.value
        assert await connection.fetchval("SELECT count(*) FROM outbox WHERE stream = $1", uploaded) == 0
    finally:
        await connection.close()
    assert [path for path in (data_dir / "library").rglob("*") if path.is_file()] == []  # no temp file left


async def test_a_client_document_goes_to_the_bucket_and_the_library_service_reads_it_from_there(
    database_url: str, redis_url: str, data_dir: Path, s3_endpoint: str, bucket: str
) -> None:
    storage = {"storage_url": f"s3://{bucket}/prod", "storage_endpoint_url": s3_endpoint}
    gateway = gateway_settings(database_url, redis_url, data_dir / "gateway", **storage)
    library = library_settings(database_url, redis_url, data_dir / "library-service", **storage)
    pdf = edital_pdf()
    digest = hashlib.sha256(pdf).hexdigest()
    async with running_gateway(gateway, headers=AUTH) as (_, client):
        proposal_id = await create_proposal(client)
        created = await attach(client, proposal_id, pdf, "edital.pdf")
        assert created.status_code == 201, created.text
        # In the library's part of the bucket (so its backups hold it), apart from the library's own files.
        assert bucket_keys(s3_endpoint, bucket) == {f"prod/library/client-documents/{digest[:2]}/{digest}"}
        async with running_library(library):
            [read] = await settled(client, proposal_id, 1)
        assert (read["status"], read["pages_total"], read["requirement_count"]) == ("read", 2, 3)
    # Neither service kept a copy: the gateway's folder only held the upload while it arrived.
    assert [path for path in data_dir.rglob("*") if path.is_file() and "client-documents" in str(path)] == []


async def test_a_client_document_the_store_breaks_is_a_503_and_records_nothing(
    database_url: str, redis_url: str, data_dir: Path, s3_endpoint: str, bucket: str
) -> None:
    with FaultyProxy(int(s3_endpoint.rsplit(":", 1)[1])) as proxy:
        settings = gateway_settings(
            database_url, redis_url, data_dir, storage_url=f"s3://{bucket}", storage_endpoint_url=proxy.endpoint
        )
        async with running_gateway(settings, headers=AUTH) as (_, client):
            proposal_id = await create_proposal(client)
            proxy.cut_after_bytes = 100  # from now on every request breaks after its first bytes
            response = await attach(client, proposal_id, edital_pdf(), "edital.pdf")
            assert response.status_code == 503, response.text
            assert response.json()["detail"].startswith("The file storage is not answering")
            assert (await client.get(f"/api/proposals/{proposal_id}/documents")).json()["items"] == []
    assert bucket_keys(s3_endpoint, bucket, "client-documents/") == set()
    connection = await asyncpg.connect(database_url)
    try:
        uploaded = Stream.PROPOSAL_DOCUMENT_UPLOADED.value
        assert await connection.fetchval("SELECT count(*) FROM outbox WHERE stream = $1", uploaded) == 0
    finally:
        await connection.close()
