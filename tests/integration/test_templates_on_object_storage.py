"""Template versions in an object store (a local folder, and moto's S3 server): upload every file, then point at it.

A render uses one complete version (renderers cache versions by digest), a change is atomic (a store that fails
half-way through an upload leaves the previous version live and nothing half visible), the gateway publishes through
the store and writes back what PostgreSQL records, and the backup agent copies the versions from the store.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest

from propos4l.backup.jobs import BackupJobs
from propos4l.backup.model import BackupError, Kind, Trigger, TriggerReason
from propos4l.backup.options import JobOptions, Sources
from propos4l.backup.store import BackupStore
from propos4l.renderer.folders import read_folder, tree_digest
from propos4l.renderer.pdf import PdfRenderer
from propos4l.renderer.sample import sample_drafted
from propos4l.renderer.template_versions import (
    LiveVersion,
    StoredTemplates,
    live_version,
    point_live,
    upload_version,
)
from propos4l.renderer.templates import PACKAGED_DEFAULT_TEMPLATE
from propos4l.shared.object_store import LocalFolderStore, ObjectStore, S3Store, parse_s3_url
from propos4l.shared.outages import DependencyUnavailable
from propos4l.shared.sections import Language
from tests.integration.test_templates_api import get_template, pdf_text, text_of, upload_of
from tests.support.gateway import AUTH, gateway_settings, running_gateway
from tests.support.s3 import FaultyProxy, s3_client

pytestmark = pytest.mark.integration

MANUAL = Trigger(reason=TriggerReason.MANUAL, detail="test")


def packaged() -> dict[str, bytes]:
    return read_folder(PACKAGED_DEFAULT_TEMPLATE)


def marked(files: dict[str, bytes], marker: str) -> dict[str, bytes]:
    html = files["template.html"].decode()
    changed = html.replace("{{ labels.document_title }}</p>", f"{{{{ labels.document_title }}}} {marker}</p>", 1)
    assert changed != html
    return {**files, "template.html": changed.encode()}


@pytest.fixture(params=["local", "s3"])
def versions(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    if request.param == "local":
        return LocalFolderStore(tmp_path / "store" / "templates")
    request.getfixturevalue("aws_environment")
    bucket = request.getfixturevalue("bucket")
    endpoint = request.getfixturevalue("s3_endpoint")
    return S3Store(parse_s3_url(f"s3://{bucket}/prod").joined("templates"), endpoint_url=endpoint)


def publish(store: ObjectStore, files: dict[str, bytes], version: int) -> str:
    digest = upload_version(store, files)
    point_live(store, LiveVersion("default", version, digest))
    return digest


async def test_a_render_uses_the_one_complete_version_it_started_with_while_a_newer_one_goes_live(
    versions: ObjectStore, tmp_path: Path
) -> None:
    first, second = marked(packaged(), "MARKER-ONE"), marked(packaged(), "MARKER-TWO")
    publish(versions, first, 1)
    renderer = StoredTemplates(versions, tmp_path / "renderer-cache")
    folder = renderer.folder("default")  # what a render in progress holds
    assert read_folder(folder / "default") == first
    assert renderer.folder("default") == folder  # cached by digest: not downloaded again

    digest = publish(versions, second, 2)
    assert read_folder(folder / "default") == first  # the render in progress keeps its whole version
    newer = renderer.folder("default")
    assert newer != folder and newer.name == digest and read_folder(newer / "default") == second
    pdf_renderer = PdfRenderer(max_workers=1, timeout_seconds=60)
    try:
        rendered = await pdf_renderer.render(sample_drafted(Language.EN), newer)
    finally:
        pdf_renderer.close()
    assert "MARKER-TWO" in pdf_text(rendered.data) and rendered.template_sha256 == digest
    assert renderer.folder("nonexistent") != newer  # no such template: an empty folder, so the render says so
    assert not (renderer.folder("nonexistent") / "nonexistent").exists()


def test_a_damaged_version_in_the_store_is_never_rendered(versions: ObjectStore, tmp_path: Path) -> None:
    files = marked(packaged(), "MARKER-ONE")
    digest = tree_digest(files)
    css = hashlib.sha256(files["style.css"]).hexdigest()
    upload_version(versions, {path: content for path, content in files.items() if path != "style.css"})
    versions.put_once(f"blobs/{css}", b"body { color: red }")  # bytes that are not the recorded ones
    versions.put_once(f"trees/{digest}.json", ("{" + f'"files": {{"style.css": "{css}"}}' + "}").encode())
    point_live(versions, LiveVersion("default", 1, digest))
    with pytest.raises(DependencyUnavailable, match="missing or damaged"):
        StoredTemplates(versions, tmp_path / "cache").folder("default")
    assert list((tmp_path / "cache" / ".versions").glob("[0-9a-f]*")) == []  # nothing half cached


def test_a_store_that_fails_mid_upload_leaves_the_previous_version_live_and_no_half_version_visible(
    aws_environment: None, proxy: FaultyProxy, s3_endpoint: str, bucket: str, tmp_path: Path
) -> None:
    direct = S3Store(parse_s3_url(f"s3://{bucket}").joined("templates"), endpoint_url=s3_endpoint)
    first = marked(packaged(), "MARKER-ONE")
    first_digest = publish(direct, first, 1)
    flaky = S3Store(parse_s3_url(f"s3://{bucket}").joined("templates"), endpoint_url=proxy.endpoint, max_attempts=2)
    font = os.urandom(120_000)
    # A small file first (stored), then one the proxy cuts on every connection: the upload breaks half-way.
    second = {"template.html": marked(packaged(), "MARKER-TWO")["template.html"], "assets/fonts/New.otf": font}
    second = {**second, **{path: content for path, content in first.items() if path != "template.html"}}
    proxy.cut_after_bytes = 60_000
    with pytest.raises(DependencyUnavailable):
        upload_version(flaky, second)
    assert proxy.cuts >= 2
    keys = set(direct.keys())
    assert f"blobs/{hashlib.sha256(second['template.html']).hexdigest()}" in keys  # part of it did arrive...
    assert f"blobs/{hashlib.sha256(font).hexdigest()}" not in keys
    assert f"trees/{tree_digest(second)}.json" not in keys  # ...but no version names it
    assert live_version(direct, "default") == LiveVersion("default", 1, first_digest)
    assert read_folder(StoredTemplates(direct, tmp_path / "cache").folder("default") / "default") == first

    proxy.cut_after_bytes = None  # the retry of the change succeeds as a whole
    publish(flaky, second, 2)
    assert read_folder(StoredTemplates(direct, tmp_path / "cache").folder("default") / "default") == second


def bucket_keys(endpoint: str, bucket: str, prefix: str) -> set[str]:
    pages = s3_client(endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {item["Key"][len(prefix) :] for page in pages for item in page.get("Contents", [])}


async def test_the_gateway_publishes_versions_through_the_bucket_and_a_broken_upload_changes_nothing(
    database_url: str, redis_url: str, data_dir: Path, s3_endpoint: str, bucket: str
) -> None:
    with FaultyProxy(int(s3_endpoint.rsplit(":", 1)[1])) as proxy:
        settings = gateway_settings(
            database_url, redis_url, data_dir, storage_url=f"s3://{bucket}/prod", storage_endpoint_url=proxy.endpoint
        )
        direct = S3Store(parse_s3_url(f"s3://{bucket}/prod").joined("templates"), endpoint_url=s3_endpoint)
        async with running_gateway(settings) as (_, client):
            # At start the packaged default is recorded and published to the bucket, not to a live folder.
            detail = await get_template(client, "default")
            live = live_version(direct, "default")
            assert live == LiveVersion("default", 1, tree_digest(packaged()))
            assert not (data_dir / "templates" / "default").exists()

            html = text_of(detail, "template.html")
            upload = upload_of(detail, **{"template.html": html.replace("</p>", " MARKER-ONE</p>", 1)})
            upload["files"]["assets/fonts/Extra.otf"] = {"base64": base64.b64encode(os.urandom(120_000)).decode()}
            proxy.cut_after_bytes = 60_000
            refused = await client.put("/api/templates/default", json=upload, headers=AUTH)
            assert refused.status_code == 503, refused.text
            assert refused.headers["retry-after"] and "file storage" in refused.json()["detail"]
            assert (await get_template(client, "default"))["version"] == 1  # nothing recorded
            assert live_version(direct, "default") == live  # the bucket's live version did not move

            proxy.cut_after_bytes = None
            saved = await client.put("/api/templates/default", json=upload, headers=AUTH)
            assert saved.status_code == 200, saved.text
            now = live_version(direct, "default")
            assert now is not None and now.version == 2 and now != live
            preview = await client.post("/api/templates/default/preview?language=en", headers=AUTH)
            assert preview.status_code == 200 and "MARKER-ONE" in pdf_text(preview.content)

            assert (await client.put("/api/templates/brief", json=upload, headers=AUTH)).status_code == 201
            assert live_version(direct, "brief") is not None
            assert (await client.delete("/api/templates/brief", headers=AUTH)).status_code == 200
            assert live_version(direct, "brief") is None

        # A bucket that lost its templates (a new bucket, a restore of the database alone): written back at start.
        s3 = s3_client(s3_endpoint)
        for key in bucket_keys(s3_endpoint, bucket, "prod/templates/"):
            s3.delete_object(Bucket=bucket, Key=f"prod/templates/{key}")
        async with running_gateway(settings) as (_, client):
            assert live_version(direct, "default") == now
            assert (await get_template(client, "default"))["version"] == 2
        restored = StoredTemplates(direct, data_dir / "renderer").folder("default")
        assert b"MARKER-ONE" in (restored / "default" / "template.html").read_bytes()


async def test_the_backup_agent_copies_template_versions_from_the_bucket_and_restores_them_into_one(
    data_dir: Path, s3_endpoint: str, bucket: str
) -> None:
    templates = S3Store(parse_s3_url(f"s3://{bucket}/prod").joined("templates"), endpoint_url=s3_endpoint)
    publish(templates, packaged(), 1)
    digest = publish(templates, marked(packaged(), "MARKER-ONE"), 2)
    store = BackupStore(data_dir / "backups")
    sources = Sources(
        templates_dir=data_dir / "unused",
        buckets={Kind.TEMPLATES: templates},
        scratch_store=lambda folder: S3Store(
            parse_s3_url(f"s3://{bucket}/prod").joined(folder), endpoint_url=s3_endpoint
        ),
    )
    jobs = BackupJobs(store, sources, JobOptions())
    backup = await jobs.run(Kind.TEMPLATES, MANUAL)
    assert backup.manifest is not None and backup.manifest.source == f"s3://{bucket}/prod/templates"
    assert {entry.path for entry in backup.manifest.files} == set(templates.keys())

    # The drill restores into a scratch prefix of the same bucket, checks every object, and leaves nothing there.
    drill = await jobs.drill_files(Kind.TEMPLATES)
    assert drill is not None and drill.ok, drill
    assert (
        f"into s3://{bucket}/prod/.restore-drills/templates-" in drill.detail and "every hash matches" in drill.detail
    )
    assert bucket_keys(s3_endpoint, bucket, "prod/.restore-drills/") == set()

    target = S3Store(parse_s3_url(f"s3://{bucket}/restored").joined("templates"), endpoint_url=s3_endpoint)
    restored = await jobs.restore_files_to_store(backup.snapshot_id, target)
    assert restored.files == len(backup.manifest.files)
    assert live_version(target, "default") == LiveVersion("default", 2, digest)
    folder = StoredTemplates(target, data_dir / "renderer").folder("default")
    assert read_folder(folder / "default") == marked(packaged(), "MARKER-ONE")
    with pytest.raises(BackupError, match="holds objects"):  # never over what a prefix holds
        await jobs.restore_files_to_store(backup.snapshot_id, target)
