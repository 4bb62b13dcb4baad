"""What jobs work on and how: the sources, the options, and the store and off-site copy the settings describe."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from propos4l.backup.crypto import Cipher
from propos4l.backup.model import BackupError, Kind
from propos4l.backup.offsite import OffsiteCopy, OffsiteTarget
from propos4l.backup.retention import RetentionPolicy
from propos4l.backup.settings import StoreSettings
from propos4l.backup.store import BackupStore
from propos4l.shared.object_store import ObjectStore, S3Store, parse_s3_url
from propos4l.shared.settings import StorageSettings

__all__ = ["JobOptions", "Sources", "bucket_sources", "job_options", "open_store", "scratch_stores"]

_BUCKET_KINDS = (Kind.PDFS, Kind.TEMPLATES, Kind.LIBRARY)


@dataclass(frozen=True, slots=True)
class Sources:
    """What there is to back up (a command may have only some of it)."""

    database_url: str | None = None
    pdf_storage_dir: Path | None = None
    templates_dir: Path | None = None
    library_dir: Path | None = None
    buckets: Mapping[Kind, ObjectStore] = field(default_factory=dict)
    """The kinds kept in an object store (STORAGE_URL) rather than a folder: backed up from there."""
    scratch_store: Callable[[str], ObjectStore] | None = None
    """An empty store under a scratch folder of the same bucket (named by the argument): where drills of a bucket's
    kinds restore to."""

    def bucket(self, kind: Kind) -> ObjectStore | None:
        """The object store a kind is kept in, or None when it is a folder."""
        return self.buckets.get(kind)

    def describe(self, kind: Kind) -> str:
        """Where a file kind is backed up from, for the manifest and messages."""
        bucket = self.bucket(kind)
        return bucket.location if bucket is not None else str(self.folder(kind))

    def folder(self, kind: Kind) -> Path:
        """The folder a file kind backs up; BackupError naming the setting when it is not set."""
        folders = {
            Kind.PDFS: ("PDF_STORAGE_DIR", self.pdf_storage_dir),
            Kind.TEMPLATES: ("TEMPLATES_DIR", self.templates_dir),
            Kind.LIBRARY: ("LIBRARY_DIR", self.library_dir),
        }
        if kind not in folders:
            raise BackupError(f"{kind} is not a folder")
        setting, folder = folders[kind]
        if folder is None:
            raise BackupError(f"{setting} is not set")
        return folder

    def database(self) -> str:
        """The database URL; BackupError when it is not set."""
        if self.database_url is None:
            raise BackupError("DATABASE_URL is not set")
        return self.database_url


@dataclass(frozen=True, slots=True)
class JobOptions:
    """How jobs behave: retention, tools, time limits, where drills restore."""

    policy: RetentionPolicy = field(default_factory=RetentionPolicy)
    preferred_bindir: Path | None = None
    command_timeout: float = 6 * 3600.0
    lock_timeout: float = 6 * 3600.0
    drill_server_url: str | None = None


def open_store(settings: StoreSettings) -> tuple[BackupStore, OffsiteCopy | None]:
    """The store the settings describe (encrypting with the key, if set) and its off-site copy, if configured."""
    key = settings.encryption_key
    store = BackupStore(settings.backup_dir, Cipher(key, settings.previous_keys) if key is not None else None)
    offsite = None
    if settings.backup_s3_bucket is not None:
        access, secret = settings.backup_s3_access_key_id, settings.backup_s3_secret_access_key
        target = OffsiteTarget(
            bucket=settings.backup_s3_bucket,
            prefix=settings.backup_s3_prefix,
            endpoint_url=settings.backup_s3_endpoint_url,
            region=settings.backup_s3_region,
            access_key_id=access.get_secret_value() if access is not None else None,
            secret_access_key=secret.get_secret_value() if secret is not None else None,
        )
        offsite = OffsiteCopy(target, store)
    return store, offsite


def job_options(settings: StoreSettings, drill_server_url: str | None = None) -> JobOptions:
    """The job options the settings describe."""
    return JobOptions(
        policy=settings.retention,
        preferred_bindir=settings.backup_pg_bindir,
        command_timeout=settings.backup_command_timeout_seconds,
        lock_timeout=settings.backup_lock_timeout_seconds,
        drill_server_url=drill_server_url,
    )


def bucket_sources(storage: StorageSettings) -> dict[Kind, ObjectStore]:
    """With STORAGE_URL, PDFs, template versions and library files are backed up from the bucket's `<prefix>/<kind>/`
    (the folders the services write; docs/adr/0021-object-storage.md); without it, from the folders."""
    if storage.storage_url is None:
        return {}
    location = parse_s3_url(storage.storage_url)
    return {kind: S3Store(location.joined(kind.value), endpoint_url=storage.storage_endpoint) for kind in _BUCKET_KINDS}


def scratch_stores(storage: StorageSettings) -> Callable[[str], ObjectStore] | None:
    """With STORAGE_URL, drills restore a bucket's kinds into a scratch folder of the same bucket."""
    if storage.storage_url is None:
        return None
    location = parse_s3_url(storage.storage_url)
    return lambda folder: S3Store(location.joined(folder), endpoint_url=storage.storage_endpoint)
