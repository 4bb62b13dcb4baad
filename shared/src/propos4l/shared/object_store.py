"""Where files live: a local folder (the default) or an S3-compatible bucket, behind one small blocking interface.

Every write is whole-or-nothing from a reader's point of view: a local file is written beside its name, made durable,
then linked into place; an S3 object exists only once its upload completed (S3 has no partial objects). Callers
record a file (publish an event, insert a row) only after `put_once` returned, so nothing is ever recorded for a
failed upload. The methods block: async callers run them with `asyncio.to_thread`. docs/adr/0021-object-storage.md
says why boto3 and why this shape.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol
from urllib.parse import quote, urlsplit

from propos4l.shared.files import durable_temp_file, fsync_directory
from propos4l.shared.outages import DependencyUnavailable

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = [
    "LocalFolderStore",
    "ObjectInfo",
    "ObjectStore",
    "ObjectStream",
    "S3Location",
    "S3Store",
    "StoredObject",
    "local_copy",
    "open_store",
    "parse_s3_url",
]

logger = logging.getLogger(__name__)

CHUNK_BYTES: Final = 256 * 1024
_SHA256_METADATA: Final = "sha256"
# Filesystems without hard links answer these; there the check for an existing file and the rename are two steps.
_NO_HARD_LINKS: Final = frozenset({errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK})


@dataclass(frozen=True, slots=True)
class StoredObject:
    """A stored object as it is in the store, and whether this call wrote it or found it there."""

    key: str
    sha256: str
    size: int
    written: bool


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """An object's size and, when the store knows it without reading the object, its SHA-256 (hex)."""

    size: int
    sha256: str | None


@dataclass(frozen=True, slots=True)
class ObjectStream:
    """An object being read: its size and its bytes in chunks (close it when done, read whole or not)."""

    size: int
    chunks: Iterator[bytes]
    close: Callable[[], object]


class ObjectStore(Protocol):
    """A place that keeps objects under keys like `<proposal id>/v3.pdf`, each written once."""

    @property
    def location(self) -> str:
        """Where the objects are (a folder, s3://bucket/prefix), for logs and operators, never for clients."""
        ...

    def put_once(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> StoredObject:
        """Store `data` at `key` unless an object is there already; describe what is there afterwards."""
        ...

    def put_file_once(
        self, key: str, source: Path, content_type: str = "application/octet-stream", *, sha256: str | None = None
    ) -> bool:
        """Store the file `source` (complete, on disk) at `key` unless an object is there already; True when this
        call stored it. For content-addressed keys, where the same key is the same content. `source` may be moved.
        `sha256` is the file's hash when the caller knows it (else it is computed where the store keeps it)."""
        ...

    def replace(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Store `data` at `key` over any object there, in one step for readers (they see the old bytes or the new,
        never a mix): for small pointers such as a template's live version, never for write-once files."""
        ...

    def read(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is none."""
        ...

    def open(self, key: str) -> ObjectStream | None:
        """The object as a stream of chunks, or None when there is none."""
        ...

    def info(self, key: str) -> ObjectInfo | None:
        """The object's size and known hash, or None when there is no such object."""
        ...

    def local_path(self, key: str) -> Path | None:
        """The object's file when the store is a local folder and it exists (served with range requests)."""
        ...

    def presigned_url(self, key: str, seconds: int, filename: str, content_type: str) -> str | None:
        """A URL that fetches the object for `seconds` without credentials; None when the store has none."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object if it is there."""
        ...

    def keys(self, prefix: str = "") -> Iterator[str]:
        """Every key under `prefix`, in no promised order."""
        ...

    def problem(self) -> str | None:
        """None when objects can be written here now, else why not (readiness)."""
        ...


def _checked_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class LocalFolderStore:
    """Objects as files under one folder (PDF_STORAGE_DIR and friends): today's behaviour and guarantees."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def location(self) -> str:
        return str(self.root)

    def _path(self, key: str) -> Path:
        return self.root / _checked_key(key)

    def put_once(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> StoredObject:
        """The first complete file wins: a temp file, made durable, then hard-linked into place (which fails when the
        name exists). A second writer therefore reports the stored file's hash and size."""
        path = self._path(key)
        temp = durable_temp_file(path, data)  # 0644 under the usual umask, owner-only in the local run
        try:
            written = _link_if_absent(temp, path)
        finally:
            temp.unlink(missing_ok=True)
        if written:
            fsync_directory(path.parent)
            return StoredObject(key, hashlib.sha256(data).hexdigest(), len(data), written=True)
        stored = path.read_bytes()
        _warn_if_different(key, stored, data)
        return StoredObject(key, hashlib.sha256(stored).hexdigest(), len(stored), written=False)

    def put_file_once(
        self, key: str, source: Path, content_type: str = "application/octet-stream", *, sha256: str | None = None
    ) -> bool:
        """Link `source` into place (it must be in the same filesystem, e.g. a temp folder inside the root)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        written = _link_if_absent(source, path)
        if written:
            fsync_directory(path.parent)
        return written

    def replace(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """A temp file, made durable, then renamed over the name (one step for readers)."""
        path = self._path(key)
        temp = durable_temp_file(path, data)
        try:
            os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
        fsync_directory(path.parent)

    def read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def open(self, key: str) -> ObjectStream | None:
        path = self.local_path(key)
        if path is None:
            return None
        handle = path.open("rb")
        size = os.fstat(handle.fileno()).st_size
        return ObjectStream(size, iter(lambda: handle.read(CHUNK_BYTES), b""), handle.close)

    def info(self, key: str) -> ObjectInfo | None:
        path = self.local_path(key)
        return ObjectInfo(path.stat().st_size, None) if path is not None else None

    def local_path(self, key: str) -> Path | None:
        root = self.root.resolve()
        path = (root / _checked_key(key)).resolve()
        return path if path.is_relative_to(root) and path.is_file() else None

    def presigned_url(self, key: str, seconds: int, filename: str, content_type: str) -> str | None:
        return None

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        try:  # a folder left empty goes too; one that still holds other objects stays
            path.parent.rmdir()
        except OSError:
            pass

    def keys(self, prefix: str = "") -> Iterator[str]:
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            relative = path.relative_to(self.root)
            # Hidden names are work in progress (temp files, an .incoming folder), not objects.
            if path.is_file() and not any(part.startswith(".") for part in relative.parts):
                key = relative.as_posix()
                if key.startswith(prefix):
                    yield key

    def problem(self) -> str | None:
        if not os.access(self.root, os.W_OK | os.X_OK):
            return f"{self.root} is not writable by this process"
        return None


def _link_if_absent(source: Path, target: Path) -> bool:
    """Give `source` the name `target` unless that name exists; True when it did."""
    try:
        os.link(source, target)
    except FileExistsError:
        return False
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        if target.exists():
            return False
        os.replace(source, target)
    return True


def _warn_if_different(key: str, stored: bytes, data: bytes) -> None:
    if stored != data:
        logger.warning(
            "a stored object was kept over a write with different bytes",
            extra={"key": key, "stored_bytes": len(stored), "written_bytes": len(data)},
        )


@dataclass(frozen=True, slots=True)
class S3Location:
    """A bucket and a key prefix, from `s3://bucket/prefix`."""

    bucket: str
    prefix: str = ""

    def key(self, key: str) -> str:
        """The bucket's key of a store key."""
        return f"{self.prefix}/{key}" if self.prefix else key

    def joined(self, folder: str) -> S3Location:
        """The same bucket, one folder deeper (`pdfs`, `templates`...)."""
        return S3Location(self.bucket, self.key(folder))

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"


def parse_s3_url(url: str) -> S3Location:
    """`s3://bucket/prefix` as a location; ValueError for anything else."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"expected s3://bucket/prefix, got {url!r}")
    prefix = parts.path.strip("/")
    if prefix and any(part in ("", ".", "..") for part in prefix.split("/")):
        raise ValueError(f"the prefix of {url!r} has an empty or relative part")
    return S3Location(parts.netloc, prefix)


class S3Store:
    """Objects in an S3-compatible bucket (AWS S3, MinIO, R2, Ceph), through boto3 (blocking; callers use a thread).

    Credentials and region come from boto3's usual sources (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
    a profile, an instance or pod role); `endpoint_url` points at a store other than AWS. A write is a single PUT
    with `If-None-Match: *`, so the first complete upload wins and an interrupted one leaves nothing. Every error of
    the store is raised as `DependencyUnavailable("object_storage", ...)`: the consumer holds the message and retries.
    """

    def __init__(
        self,
        location: S3Location,
        *,
        endpoint_url: str | None = None,
        client: S3Client | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        max_attempts: int = 3,
    ) -> None:
        self._where = location
        self._endpoint_url = endpoint_url
        self._timeouts = (connect_timeout, read_timeout, max_attempts)
        self._client = client

    @property
    def location(self) -> str:
        return self._where.describe()

    @property
    def client(self) -> S3Client:
        """The boto3 client, made on first use (never at import or construction)."""
        if self._client is None:
            import boto3
            from botocore.config import Config

            connect, read, attempts = self._timeouts
            self._client = boto3.client(
                "s3",
                endpoint_url=self._endpoint_url,
                config=Config(
                    connect_timeout=connect,
                    read_timeout=read,
                    retries={"max_attempts": attempts, "mode": "standard"},
                    # Path-style addressing works with every S3-compatible server; AWS still accepts it.
                    s3={"addressing_style": "path"},
                    signature_version="s3v4",
                ),
            )
        return self._client

    def put_once(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> StoredObject:
        from botocore.exceptions import ClientError

        bucket_key = self._where.key(_checked_key(key))
        sha256 = hashlib.sha256(data).hexdigest()
        try:
            self.client.put_object(
                Bucket=self._where.bucket,
                Key=bucket_key,
                Body=data,
                ContentType=content_type,
                Metadata={_SHA256_METADATA: sha256},
                IfNoneMatch="*",
            )
            return StoredObject(key, sha256, len(data), written=True)
        except ClientError as error:
            if _status(error) not in (409, 412):  # 409: a concurrent conditional write of the same key is under way
                raise self._unavailable("write", error) from error
        except Exception as error:
            raise self._unavailable("write", error) from error
        stored = self.read(key)
        if stored is None:  # the concurrent write failed after all; the message is retried
            raise DependencyUnavailable(
                "object_storage", "a concurrent write of the same object did not complete", location=self.location
            )
        _warn_if_different(key, stored, data)
        return StoredObject(key, hashlib.sha256(stored).hexdigest(), len(stored), written=False)

    def put_file_once(
        self, key: str, source: Path, content_type: str = "application/octet-stream", *, sha256: str | None = None
    ) -> bool:
        """One conditional PUT of the file, with its SHA-256 as metadata (as `put_once` writes it), so backups and
        restores know an object's hash without downloading it."""
        from botocore.exceptions import ClientError

        try:
            digest = sha256 if sha256 is not None else _file_sha256(source)
            with source.open("rb") as body:
                self.client.put_object(
                    Bucket=self._where.bucket,
                    Key=self._where.key(_checked_key(key)),
                    Body=body,
                    ContentType=content_type,
                    Metadata={_SHA256_METADATA: digest},
                    IfNoneMatch="*",
                )
            return True
        except ClientError as error:
            if _status(error) in (409, 412):
                return False
            raise self._unavailable("write", error) from error
        except OSError:
            raise  # the source file, not the store
        except Exception as error:
            raise self._unavailable("write", error) from error

    def replace(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """One unconditional PUT: S3 readers see the previous object until it completed, then the new one."""
        try:
            self.client.put_object(
                Bucket=self._where.bucket,
                Key=self._where.key(_checked_key(key)),
                Body=data,
                ContentType=content_type,
                Metadata={_SHA256_METADATA: hashlib.sha256(data).hexdigest()},
            )
        except Exception as error:
            raise self._unavailable("write", error) from error

    def read(self, key: str) -> bytes | None:
        stream = self.open(key)
        if stream is None:
            return None
        try:
            return b"".join(stream.chunks)
        except Exception as error:
            raise self._unavailable("read", error) from error
        finally:
            stream.close()

    def open(self, key: str) -> ObjectStream | None:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self._where.bucket, Key=self._where.key(_checked_key(key)))
        except ClientError as error:
            if _status(error) == 404:
                return None
            raise self._unavailable("read", error) from error
        except Exception as error:
            raise self._unavailable("read", error) from error
        body = answer["Body"]
        return ObjectStream(int(answer["ContentLength"]), body.iter_chunks(CHUNK_BYTES), body.close)

    def info(self, key: str) -> ObjectInfo | None:
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self._where.bucket, Key=self._where.key(_checked_key(key)))
        except ClientError as error:
            if _status(error) == 404:
                return None
            raise self._unavailable("read", error) from error
        except Exception as error:
            raise self._unavailable("read", error) from error
        return ObjectInfo(int(head["ContentLength"]), head.get("Metadata", {}).get(_SHA256_METADATA))

    def local_path(self, key: str) -> Path | None:
        return None

    def presigned_url(self, key: str, seconds: int, filename: str, content_type: str) -> str | None:
        disposition = f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(filename)}"
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self._where.bucket,
                "Key": self._where.key(_checked_key(key)),
                "ResponseContentDisposition": disposition,
                "ResponseContentType": content_type,
            },
            ExpiresIn=seconds,
        )

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self._where.bucket, Key=self._where.key(_checked_key(key)))
        except Exception as error:
            raise self._unavailable("delete", error) from error

    def keys(self, prefix: str = "") -> Iterator[str]:
        start = self._where.prefix + "/" if self._where.prefix else ""
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self._where.bucket, Prefix=start + prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"][len(start) :]
        except Exception as error:
            raise self._unavailable("list", error) from error

    def problem(self) -> str | None:
        try:
            self.client.head_bucket(Bucket=self._where.bucket)
        except Exception as error:
            return f"the object store {self.location} does not answer: {error}"
        return None

    def _unavailable(self, action: str, error: BaseException) -> DependencyUnavailable:
        return DependencyUnavailable(
            "object_storage", f"the object store failed to {action}: {error}", location=self.location
        )


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _status(error: Any) -> int | None:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status is not None else None


def open_store(storage_url: str | None, endpoint_url: str | None, folder: str, local_root: Path) -> ObjectStore:
    """The store of one kind of file (`pdfs`, `templates`...): `local_root` without STORAGE_URL, else the bucket's
    `<prefix>/<folder>/`."""
    if not storage_url:
        return LocalFolderStore(local_root)
    return S3Store(parse_s3_url(storage_url).joined(folder), endpoint_url=endpoint_url)


@contextmanager
def local_copy(store: ObjectStore, key: str, scratch: Path) -> Iterator[Path | None]:
    """The object as a local file for as long as the block runs (None when there is no such object): the file itself
    for a local folder, else a copy downloaded into `scratch`, removed afterwards."""
    path = store.local_path(key)
    if path is not None:
        yield path
        return
    stream = store.open(key)
    if stream is None:
        yield None
        return
    scratch.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix="object-", suffix=".tmp", dir=scratch)
    copy = Path(name)
    try:
        try:
            with os.fdopen(descriptor, "wb") as handle:
                for chunk in stream.chunks:
                    handle.write(chunk)
        except OSError:
            raise
        except Exception as error:
            raise DependencyUnavailable(
                "object_storage", f"the object store failed to read: {error}", location=store.location
            ) from error
        finally:
            stream.close()
        yield copy
    finally:
        copy.unlink(missing_ok=True)
