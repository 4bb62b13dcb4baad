"""The database's record of backups: a mirror of BACKUP_DIR (plus failed attempts) that the API and metrics read."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import asyncpg

from propos4l.backup.model import Kind, Manifest, SnapshotStatus, Trigger, time_of
from propos4l.backup.retention import Health

__all__ = ["BackupRecords", "KindStatus", "SnapshotRow", "snapshot_row"]

logger = logging.getLogger(__name__)

_FAILED_RETENTION_DAYS: Final = 90
_COLUMNS: Final = (
    "id",
    "kind",
    "status",
    "trigger",
    "started_at",
    "finished_at",
    "duration_ms",
    "covered_at",
    "source_version",
    "file_count",
    "size_bytes",
    "stored_bytes",
    "manifest_sha256",
    "encrypted",
    "error",
    "verified_at",
    "verification_level",
    "drill_at",
    "drill_ok",
    "drill_duration_ms",
    "drill_detail",
    "offsite_at",
)


@dataclass(frozen=True, slots=True)
class SnapshotRow:
    """One backups row, as the agent writes it."""

    values: dict[str, Any]


def snapshot_row(
    snapshot_id: str,
    kind: Kind,
    manifest: Manifest | None,
    status: SnapshotStatus,
    *,
    problem: str | None = None,
    manifest_sha256: str | None = None,
) -> SnapshotRow:
    """The row describing a stored backup (its manifest may be unreadable: then `problem` says why)."""
    verification, drill = status.verification, status.drill
    health = Health.CORRUPT if problem is not None else status.health
    errors = [problem] if problem else []
    if verification is not None:
        errors.extend(verification.problems)
    if drill is not None and not drill.ok:
        errors.append(f"restore drill: {drill.detail}")
    started = manifest.created_at if manifest is not None else time_of(snapshot_id)
    values: dict[str, Any] = {
        "id": snapshot_id,
        "kind": kind.value,
        "status": health.value,
        "trigger": manifest.trigger.describe() if manifest is not None else "unknown",
        "started_at": started,
        "finished_at": manifest.finished_at if manifest is not None else started,
        "duration_ms": manifest.duration_ms if manifest is not None else 0,
        "covered_at": max(started, status.confirmed_at) if status.confirmed_at is not None else started,
        "source_version": manifest.source_version if manifest is not None else None,
        "file_count": manifest.file_count if manifest is not None else None,
        "size_bytes": manifest.size_bytes if manifest is not None else None,
        "stored_bytes": manifest.stored_bytes if manifest is not None else None,
        "manifest_sha256": manifest_sha256,
        "encrypted": manifest is not None and manifest.encryption is not None,
        "error": "; ".join(errors)[:4000] or None,
        "verified_at": verification.checked_at if verification is not None and not verification.problems else None,
        "verification_level": verification.level if verification is not None else None,
        "drill_at": drill.at if drill is not None else None,
        "drill_ok": drill.ok if drill is not None else None,
        "drill_duration_ms": drill.duration_ms if drill is not None else None,
        "drill_detail": drill.detail[:4000] if drill is not None else None,
        "offsite_at": status.offsite_at,
    }
    return SnapshotRow(values)


@dataclass(frozen=True, slots=True)
class KindStatus:
    """The metric values of one kind: the newest verified backup, its age, size and duration, failures, last drill."""

    kind: Kind
    last_verified_id: str | None
    last_verified_at: datetime | None
    covered_at: datetime | None
    age_seconds: float | None
    size_bytes: int | None
    stored_bytes: int | None
    duration_seconds: float | None
    consecutive_failures: int
    failures_last_24h: int
    last_run_status: str | None
    last_run_error: str | None
    last_drill_at: datetime | None
    last_drill_ok: bool | None
    last_drill_seconds: float | None

    @classmethod
    def from_row(cls, row: Any, now: datetime) -> KindStatus:
        """Read a backup_status row; the age counts from when the source was last known to match the backup."""
        covered = row["last_verified_covered_at"]
        duration = row["last_verified_duration_ms"]
        drill = row["last_drill_duration_ms"]
        return cls(
            kind=Kind(row["kind"]),
            last_verified_id=row["last_verified_id"],
            last_verified_at=row["last_verified_at"],
            covered_at=covered,
            age_seconds=(now - covered).total_seconds() if covered is not None else None,
            size_bytes=row["last_verified_size_bytes"],
            stored_bytes=row["last_verified_stored_bytes"],
            duration_seconds=duration / 1000 if duration is not None else None,
            consecutive_failures=int(row["consecutive_failures"]),
            failures_last_24h=int(row["failures_last_24h"]),
            last_run_status=row["last_run_status"],
            last_run_error=row["last_run_error"],
            last_drill_at=row["last_drill_at"],
            last_drill_ok=row["last_drill_ok"],
            last_drill_seconds=drill / 1000 if drill is not None else None,
        )


class BackupRecords:
    """Writes and reads the backups table; the store stays usable when the database is not."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def mirror(self, kind: Kind, rows: Sequence[SnapshotRow]) -> None:
        """Make the rows of `kind` match the store: upsert each backup, mark the ones gone as pruned."""
        placeholders = ", ".join(f"${index}" for index in range(1, len(_COLUMNS) + 1))
        updates = ", ".join(f"{column} = excluded.{column}" for column in _COLUMNS[1:])
        upsert = (
            f"INSERT INTO backups ({', '.join(_COLUMNS)}) VALUES ({placeholders}) "  # noqa: S608 - constant columns
            f"ON CONFLICT (id) DO UPDATE SET {updates}, updated_at = now()"
        )
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.executemany(upsert, [[row.values[column] for column in _COLUMNS] for row in rows])
            await connection.execute(
                """UPDATE backups SET status = 'pruned', pruned_at = now(), updated_at = now()
                   WHERE kind = $1 AND status IN ('unverified', 'verified', 'corrupt')
                     AND NOT (id = ANY($2::text[]))""",
                kind.value,
                [row.values["id"] for row in rows],
            )
            await connection.execute(
                """DELETE FROM backups WHERE kind = $1 AND status IN ('failed', 'pruned')
                   AND started_at < now() - make_interval(days => $2)""",
                kind.value,
                _FAILED_RETENTION_DAYS,
            )

    async def record_failure(
        self, snapshot_id: str, kind: Kind, trigger: Trigger, started: datetime, finished: datetime, error: str
    ) -> None:
        """Record an attempt that produced no backup, with the reason."""
        await self._pool.execute(
            """INSERT INTO backups (id, kind, status, trigger, started_at, finished_at, duration_ms, covered_at, error)
               VALUES ($1, $2, 'failed', $3, $4, $5, $6, $4, $7) ON CONFLICT (id) DO NOTHING""",
            snapshot_id,
            kind.value,
            trigger.describe(),
            started,
            finished,
            max(0, int((finished - started).total_seconds() * 1000)),
            error[:4000],
        )

    async def status(self, now: datetime) -> list[KindStatus]:
        """The metric values of every kind."""
        rows = await self._pool.fetch("SELECT * FROM backup_status ORDER BY kind")
        return [KindStatus.from_row(row, now) for row in rows]
