"""The off-site copy (the "1" of 3-2-1): verified backups mirrored to an S3-compatible bucket, in the store's layout.

A snapshot's manifest is uploaded last, so a manifest in the bucket means its files are there. Objects already in
the bucket are not sent again. `aws s3 sync s3://<bucket>/<prefix> <folder>` gives back a store `propos4l backup`
can verify and restore from.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from propos4l.backup.blocking import Cancellation
from propos4l.backup.model import BackupError, Manifest
from propos4l.backup.store import MANIFEST_FILE, MANIFEST_SUM_FILE, BackupStore, StoredSnapshot

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["OffsiteCopy", "OffsiteTarget"]

logger = logging.getLogger(__name__)

_DELETE_BATCH: Final = 1000


@dataclass(frozen=True, slots=True)
class OffsiteTarget:
    """Where the off-site copy goes; keys unset means boto3's usual sources (environment, instance role)."""

    bucket: str
    prefix: str = "propos4l"
    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key_id: str | None = None
    secret_access_key: str | None = None

    def describe(self) -> str:
        """s3://bucket/prefix, for messages."""
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"


class OffsiteCopy:
    """Uploads verified snapshots and mirrors prunes to one bucket."""

    def __init__(self, target: OffsiteTarget, store: BackupStore) -> None:
        self.target = target
        self._store = store
        self._client: S3Client | None = None

    def upload(self, snapshots: Iterable[tuple[StoredSnapshot, Manifest]], cancellation: Cancellation) -> list[str]:
        """Copy the snapshots the bucket lacks (their objects first, the manifest last); return their ids."""
        try:
            return self._upload(list(snapshots), cancellation)
        except BackupError:
            raise
        except Exception as error:  # botocore raises many types; the operator needs the message
            raise BackupError(f"off-site copy to {self.target.describe()} failed: {error}") from error

    def remove(self, paths: Iterable[str]) -> None:
        """Delete from the bucket what was pruned here: snapshot folders and objects, as paths relative to the store.

        Only what this store pruned is deleted, never "whatever is missing here": an empty or lost BACKUP_DIR must
        not empty the off-site copy too.
        """
        try:
            client = self._connect()
            keys: set[str] = set()
            for path in paths:
                key = self._prefixed(path)
                if path.startswith("snapshots/"):
                    keys.update(self._list(key + "/"))
                else:
                    keys.add(key)
            unique = sorted(keys)
            for start in range(0, len(unique), _DELETE_BATCH):
                batch = unique[start : start + _DELETE_BATCH]
                client.delete_objects(
                    Bucket=self.target.bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
                )
        except Exception as error:
            raise BackupError(f"pruning the off-site copy at {self.target.describe()} failed: {error}") from error

    def _upload(self, snapshots: list[tuple[StoredSnapshot, Manifest]], cancellation: Cancellation) -> list[str]:
        if not snapshots:
            return []
        remote = set(self._list(self._key(self._store.snapshots) + "/"))
        pending = [
            (snapshot, manifest)
            for snapshot, manifest in snapshots
            if self._key(snapshot.path / MANIFEST_FILE) not in remote
        ]
        remote_objects: set[str] | None = None
        uploaded = []
        for snapshot, manifest in pending:
            if manifest.files and remote_objects is None:
                remote_objects = set(self._list(self._key(self._store.objects) + "/"))
            for entry in manifest.files:
                cancellation.check()
                path = self._store.object_path(entry.sha256)
                if path is None:
                    raise BackupError(f"{snapshot.id}: {self._store.describe_object(entry.sha256)} is missing")
                key = self._key(path)
                if remote_objects is not None and key not in remote_objects:
                    self._put(path, key)
                    remote_objects.add(key)
            for artifact in manifest.artifacts:
                cancellation.check()
                self._put(snapshot.path / artifact.stored_name, self._key(snapshot.path / artifact.stored_name))
            self._put(snapshot.path / MANIFEST_SUM_FILE, self._key(snapshot.path / MANIFEST_SUM_FILE))
            self._put(snapshot.path / MANIFEST_FILE, self._key(snapshot.path / MANIFEST_FILE))
            uploaded.append(snapshot.id)
            logger.info("backup copied off-site", extra={"backup_id": snapshot.id, "target": self.target.describe()})
        return uploaded

    def _key(self, path: Path) -> str:
        return self._prefixed(path.relative_to(self._store.root).as_posix())

    def _prefixed(self, relative: str) -> str:
        return f"{self.target.prefix}/{relative}" if self.target.prefix else relative

    def _put(self, path: Path, key: str) -> None:
        self._connect().upload_file(str(path), self.target.bucket, key)

    def _list(self, prefix: str) -> Iterator[str]:
        paginator = self._connect().get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.target.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"]

    def _connect(self) -> S3Client:
        if self._client is None:
            import boto3
            from botocore.config import Config

            options: dict[str, Any] = {
                "region_name": self.target.region,
                "config": Config(
                    retries={"max_attempts": 5, "mode": "standard"},
                    connect_timeout=10,
                    read_timeout=120,
                    s3={"addressing_style": "path"} if self.target.endpoint_url else {},
                ),
            }
            if self.target.endpoint_url:
                options["endpoint_url"] = self.target.endpoint_url
            if self.target.access_key_id and self.target.secret_access_key:
                options["aws_access_key_id"] = self.target.access_key_id
                options["aws_secret_access_key"] = self.target.secret_access_key
            self._client = boto3.client("s3", **options)
        return self._client
