"""The storage interface against both of its stores: a local folder and a real S3 API server (moto's server mode).

The S3 store is reached through a proxy that can cut an upload mid-body or slow it down: a broken upload leaves no
object and raises an outage (so nothing gets recorded), and a reader never sees part of an object being uploaded.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from pathlib import Path

import httpx
import pytest

from propos4l.shared.object_store import LocalFolderStore, ObjectStore, S3Store, parse_s3_url
from propos4l.shared.outages import DependencyUnavailable
from propos4l.shared.settings import StorageSettings
from tests.support.s3 import FaultyProxy, s3_client

pytestmark = pytest.mark.integration

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 1200  # ~300 KB: several pieces through the proxy


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return LocalFolderStore(tmp_path / "pdfs")
    request.getfixturevalue("aws_environment")
    bucket = request.getfixturevalue("bucket")
    endpoint = request.getfixturevalue("s3_endpoint")
    return S3Store(parse_s3_url(f"s3://{bucket}/deployment").joined("pdfs"), endpoint_url=endpoint)


def test_the_first_write_is_kept_and_a_later_one_reports_it(store: ObjectStore) -> None:
    key = f"{uuid.uuid4()}/v1.pdf"
    first = store.put_once(key, PDF, "application/pdf")
    again = store.put_once(key, b"%PDF- a different render", "application/pdf")
    assert first.written and not again.written
    assert (again.sha256, again.size) == (hashlib.sha256(PDF).hexdigest(), len(PDF)) == (first.sha256, first.size)
    assert store.read(key) == PDF


def test_objects_are_read_streamed_listed_and_deleted(store: ObjectStore) -> None:
    proposal = uuid.uuid4()
    keys = {f"{proposal}/v1.pdf", f"{proposal}/v2.pdf"}
    for key in keys:
        store.put_once(key, PDF)
    stream = store.open(f"{proposal}/v2.pdf")
    assert stream is not None
    try:
        assert stream.size == len(PDF) and b"".join(stream.chunks) == PDF
    finally:
        stream.close()
    assert set(store.keys(str(proposal))) == keys
    store.delete(f"{proposal}/v1.pdf")
    store.delete(f"{proposal}/v9.pdf")  # absent: nothing to do
    assert set(store.keys()) == {f"{proposal}/v2.pdf"}
    assert store.read(f"{proposal}/v1.pdf") is None and store.open(f"{proposal}/v1.pdf") is None
    assert store.problem() is None


def test_keys_that_would_leave_the_store_are_refused(store: ObjectStore) -> None:
    for key in ("../outside.pdf", "/absolute.pdf", "a//b.pdf", ""):
        with pytest.raises(ValueError, match="not a storage key"):
            store.put_once(key, PDF)


def test_the_s3_store_keeps_its_objects_under_the_url_prefix(
    aws_environment: None, s3_endpoint: str, bucket: str
) -> None:
    store = S3Store(parse_s3_url(f"s3://{bucket}/deployment/").joined("pdfs"), endpoint_url=s3_endpoint)
    store.put_once("p/v1.pdf", PDF, "application/pdf")
    head = s3_client(s3_endpoint).head_object(Bucket=bucket, Key="deployment/pdfs/p/v1.pdf")
    assert head["ContentType"] == "application/pdf"
    assert head["Metadata"] == {"sha256": hashlib.sha256(PDF).hexdigest()}


def test_a_pre_signed_url_downloads_the_object_without_credentials(
    aws_environment: None, s3_endpoint: str, bucket: str
) -> None:
    store = S3Store(parse_s3_url(f"s3://{bucket}").joined("pdfs"), endpoint_url=s3_endpoint)
    store.put_once("p/v1.pdf", PDF, "application/pdf")
    url = store.presigned_url("p/v1.pdf", 60, "acme-v1.pdf", "application/pdf")
    assert url is not None and "X-Amz-Expires=60" in url
    answer = httpx.get(url)
    assert answer.status_code == 200 and answer.content == PDF
    assert answer.headers["content-type"] == "application/pdf"
    assert 'filename="acme-v1.pdf"' in answer.headers["content-disposition"]
    assert LocalFolderStore(Path("unused")).presigned_url("p/v1.pdf", 60, "x.pdf", "application/pdf") is None


def test_an_upload_cut_mid_body_leaves_no_object_and_is_an_outage(
    aws_environment: None, proxy: FaultyProxy, s3_endpoint: str, bucket: str
) -> None:
    store = S3Store(parse_s3_url(f"s3://{bucket}").joined("pdfs"), endpoint_url=proxy.endpoint, max_attempts=2)
    proxy.cut_after_bytes = len(PDF) // 3
    with pytest.raises(DependencyUnavailable) as raised:
        store.put_once("p/v1.pdf", PDF, "application/pdf")
    assert raised.value.dependency == "object_storage"
    assert raised.value.location == f"s3://{bucket}/pdfs"
    assert proxy.cuts >= 2  # boto3 tried again, and that upload broke too
    listed = s3_client(s3_endpoint).list_objects_v2(Bucket=bucket)
    assert listed.get("Contents", []) == []  # no partial object
    proxy.cut_after_bytes = None
    assert store.put_once("p/v1.pdf", PDF, "application/pdf").written  # the retry of the message succeeds
    assert store.read("p/v1.pdf") == PDF


def test_a_reader_never_sees_part_of_an_object_a_slow_store_is_still_receiving(
    aws_environment: None, proxy: FaultyProxy, s3_endpoint: str, bucket: str
) -> None:
    slow = S3Store(parse_s3_url(f"s3://{bucket}").joined("pdfs"), endpoint_url=proxy.endpoint)
    reader = S3Store(parse_s3_url(f"s3://{bucket}").joined("pdfs"), endpoint_url=s3_endpoint)
    proxy.delay_seconds = 0.05  # ~20 pieces of 16 KiB: about a second for the upload
    done = threading.Event()
    upload = threading.Thread(target=lambda: (slow.put_once("p/v1.pdf", PDF), done.set()))
    upload.start()
    seen_absent = 0
    while not done.is_set():
        content = reader.read("p/v1.pdf")
        assert content is None or content == PDF  # absent, or whole; never a part
        seen_absent += content is None
    upload.join()
    assert seen_absent > 0  # the reader did look while the upload was under way
    assert reader.read("p/v1.pdf") == PDF


def test_a_store_that_does_not_answer_makes_the_service_not_ready(aws_environment: None) -> None:
    store = S3Store(parse_s3_url("s3://nowhere").joined("pdfs"), endpoint_url="http://127.0.0.1:9", max_attempts=1)
    problem = store.problem()
    assert problem is not None and problem.startswith("the object store s3://nowhere/pdfs does not answer")


def test_storage_settings_take_an_s3_url_or_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_URL", "")
    assert StorageSettings().storage_url is None
    monkeypatch.setenv("STORAGE_URL", "s3://bucket/some/prefix")
    monkeypatch.setenv("STORAGE_ENDPOINT_URL", "http://minio:9000/")
    settings = StorageSettings()
    assert parse_s3_url(settings.storage_url or "").joined("pdfs").key("a/v1.pdf") == "some/prefix/pdfs/a/v1.pdf"
    assert settings.storage_endpoint == "http://minio:9000"
    for wrong in ("/var/pdfs", "https://bucket/prefix", "s3://", "s3://bucket/../x"):
        monkeypatch.setenv("STORAGE_URL", wrong)
        with pytest.raises(ValueError, match="s3://bucket/prefix|relative part"):
            StorageSettings()
