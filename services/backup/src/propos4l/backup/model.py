"""What a backup is: its kind and id, the manifest that describes it, and what verification and drills found."""

from __future__ import annotations

import posixpath
import re
import secrets
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from propos4l.backup.retention import Health

__all__ = [
    "Artifact",
    "BackupError",
    "DatabaseInfo",
    "Drill",
    "Encryption",
    "FileEntry",
    "Kind",
    "Manifest",
    "SnapshotStatus",
    "Trigger",
    "TriggerReason",
    "Verification",
    "kind_of",
    "new_snapshot_id",
    "time_of",
    "utc_now",
]

_SNAPSHOT_ID: Final = re.compile(r"^(db|pdfs|templates|library)-\d{8}T\d{6}Z-[0-9a-f]{6}$")
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class BackupError(Exception):
    """A backup could not be made, verified or restored; the message says why, for the operator."""


class Kind(StrEnum):
    """The four things the agent backs up."""

    DB = "db"
    PDFS = "pdfs"
    TEMPLATES = "templates"
    LIBRARY = "library"


def utc_now() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)


def new_snapshot_id(kind: Kind, at: datetime) -> str:
    """A new backup id: the kind, the UTC time, and a random suffix (`db-20260101T060000Z-3fa2c1`)."""
    return f"{kind.value}-{at.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def time_of(snapshot_id: str) -> datetime:
    """The UTC time a backup id carries."""
    kind_of(snapshot_id)
    return datetime.strptime(snapshot_id.split("-")[1], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def kind_of(snapshot_id: str) -> Kind:
    """The kind a backup id names; BackupError when it is not a backup id."""
    if not _SNAPSHOT_ID.fullmatch(snapshot_id):
        raise BackupError(f"{snapshot_id!r} is not a backup id (like db-20260101T060000Z-3fa2c1; see 'backup list')")
    return Kind(snapshot_id.split("-", 1)[0])


def _safe_relative_path(path: str) -> str:
    """Refuse paths that could escape the folder they are restored into."""
    normal = posixpath.normpath(path)
    if path != normal or normal.startswith(("/", "../")) or normal in (".", "..") or "\x00" in path:
        raise ValueError(f"{path!r} is not a plain relative path")
    return path


class TriggerReason(StrEnum):
    """Why a backup was made."""

    SCHEDULE = "schedule"
    EVENT = "event"
    RECONCILE = "reconcile"
    MANUAL = "manual"


class Trigger(BaseModel):
    """Why a backup was made, with a detail for people (the event that caused it, for example)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: TriggerReason
    detail: str = ""

    def describe(self) -> str:
        """One line: the reason and its detail."""
        return f"{self.reason.value}: {self.detail}" if self.detail else self.reason.value


class FileEntry(BaseModel):
    """One file of a PDF or template snapshot: where it was, what it held (by SHA-256), its mode and time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: Annotated[str, AfterValidator(_safe_relative_path)]
    size: Annotated[int, Field(ge=0)]
    sha256: Sha256
    mode: Annotated[int, Field(ge=0, le=0o7777)]
    mtime_ns: int


class Artifact(BaseModel):
    """A file of a database snapshot: its plaintext size and hash, and those of the bytes stored."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_.-]+$")]
    stored_name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_.-]+$")]
    size: Annotated[int, Field(ge=0)]
    sha256: Sha256
    stored_size: Annotated[int, Field(ge=0)]
    stored_sha256: Sha256


class DatabaseInfo(BaseModel):
    """What a database snapshot holds: the server, the tools, the schema version and every table's row count."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    database: str
    server_version: str
    tools_version: str
    schema_version: int | None
    tables: dict[str, int]
    role_passwords: bool


class Encryption(BaseModel):
    """How the snapshot's files are encrypted (the key itself is never stored)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    algorithm: Literal["AES-256-GCM"] = "AES-256-GCM"
    key_id: str


class Manifest(BaseModel):
    """The description of one backup, written last and atomically: its presence means the backup is complete."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal[1] = 1
    id: str
    kind: Kind
    created_at: datetime
    finished_at: datetime
    duration_ms: Annotated[int, Field(ge=0)]
    trigger: Trigger
    host: str
    source: str
    source_version: str
    encryption: Encryption | None
    artifacts: tuple[Artifact, ...] = ()
    files: tuple[FileEntry, ...] = ()
    database: DatabaseInfo | None = None
    added_objects: Annotated[int, Field(ge=0)] = 0
    added_bytes: Annotated[int, Field(ge=0)] = 0

    @property
    def size_bytes(self) -> int:
        """Bytes of what the backup covers (the files, or the database dump and globals), before encryption."""
        return sum(entry.size for entry in self.files) + sum(artifact.size for artifact in self.artifacts)

    @property
    def stored_bytes(self) -> int:
        """Bytes this backup added to BACKUP_DIR (unchanged files are stored once, by earlier backups)."""
        return self.added_bytes + sum(artifact.stored_size for artifact in self.artifacts)

    @property
    def file_count(self) -> int:
        """How many files or artifacts the backup holds."""
        return len(self.files) + len(self.artifacts)


class Verification(BaseModel):
    """The last verification of a backup: when, how deep, and the problems found (none: verified)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    checked_at: datetime
    level: Literal["hash", "full"]
    problems: tuple[str, ...] = ()

    @property
    def health(self) -> Health:
        """Verified when nothing was found."""
        return Health.CORRUPT if self.problems else Health.VERIFIED


class Drill(BaseModel):
    """A restore drill of a database backup into a scratch database: how long it took and whether it matched."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: datetime
    ok: bool
    duration_ms: Annotated[int, Field(ge=0)]
    detail: str
    backup_at_fault: bool = False


class SnapshotStatus(BaseModel):
    """What is known about a stored backup beyond its manifest (kept next to it, rewritten atomically)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    verification: Verification | None = None
    drill: Drill | None = None
    confirmed_at: datetime | None = Field(
        default=None, description="when the source was last found identical to this backup (templates reconcile)"
    )
    offsite_at: datetime | None = None

    @property
    def health(self) -> Health:
        """Unverified until checked; a drill that could not restore it makes it corrupt whatever the hashes say."""
        if self.drill is not None and not self.drill.ok and self.drill.backup_at_fault:
            return Health.CORRUPT
        if self.verification is None:
            return Health.UNVERIFIED
        return self.verification.health
