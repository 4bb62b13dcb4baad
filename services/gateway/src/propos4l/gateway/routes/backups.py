"""Backups, for admins: the last result of each kind and the list, as the backup agent recorded them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict

from propos4l.gateway.deps import Admin

__all__ = ["router"]

router = APIRouter(prefix="/api/backups", tags=["backups"])

BackupKind = Literal["db", "pdfs", "templates", "library"]
BackupState = Literal["failed", "unverified", "verified", "corrupt", "pruned"]

_PROBLEM_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {401: "No or wrong API token", 403: "Not an admin", 422: "Invalid query"}.items()
}


class KindSummary(BaseModel):
    """The state of one kind of backup: the newest verified one, failures since, and the last restore drill."""

    model_config = ConfigDict(frozen=True)

    kind: BackupKind
    last_verified_id: str | None
    last_verified_at: datetime | None
    age_seconds: float | None
    size_bytes: int | None
    stored_bytes: int | None
    duration_ms: int | None
    last_run_id: str | None
    last_run_status: BackupState | None
    last_run_at: datetime | None
    last_run_error: str | None
    consecutive_failures: int
    failures_last_24h: int
    last_drill_backup_id: str | None
    last_drill_at: datetime | None
    last_drill_ok: bool | None
    last_drill_duration_ms: int | None
    last_drill_detail: str | None


class BackupRecord(BaseModel):
    """One backup, or one failed attempt."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: BackupKind
    status: BackupState
    trigger: str
    started_at: datetime
    finished_at: datetime
    duration_ms: int
    source_version: str | None
    file_count: int | None
    size_bytes: int | None
    stored_bytes: int | None
    encrypted: bool
    error: str | None
    verified_at: datetime | None
    verification_level: str | None
    drill_at: datetime | None
    drill_ok: bool | None
    drill_duration_ms: int | None
    offsite_at: datetime | None
    pruned_at: datetime | None


class BackupOverview(BaseModel):
    """The last result of each kind, then the backups (newest first, a page at a time)."""

    model_config = ConfigDict(frozen=True)

    kinds: list[KindSummary]
    items: list[BackupRecord]
    total: int
    page: int
    page_size: int


_RECORD_COLUMNS = ", ".join(BackupRecord.model_fields)


@router.get("", response_model=BackupOverview, responses=_PROBLEM_RESPONSES)
async def list_backups(
    request: Request,
    _: Admin,
    kind: BackupKind | None = None,
    status: BackupState | None = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> BackupOverview:
    """The backup agent's record: every kind's last result, and the backups filtered by kind and status."""
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection:
        summaries = await connection.fetch(
            """SELECT *, extract(epoch FROM now() - last_verified_covered_at)::float8 AS age_seconds
               FROM backup_status ORDER BY kind"""
        )
        filters = "WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR status = $2)"
        total = await connection.fetchval(f"SELECT count(*) FROM backups {filters}", kind, status)  # noqa: S608
        rows = await connection.fetch(
            f"SELECT {_RECORD_COLUMNS} FROM backups {filters} "  # noqa: S608 - constant columns and filters
            "ORDER BY started_at DESC, id DESC LIMIT $3 OFFSET $4",
            kind,
            status,
            page_size,
            (page - 1) * page_size,
        )
    return BackupOverview(
        kinds=[_summary(row) for row in summaries],
        items=[BackupRecord.model_validate(dict(row)) for row in rows],
        total=int(total),
        page=page,
        page_size=page_size,
    )


def _summary(row: Any) -> KindSummary:
    return KindSummary(
        kind=row["kind"],
        last_verified_id=row["last_verified_id"],
        last_verified_at=row["last_verified_at"],
        age_seconds=row["age_seconds"],
        size_bytes=row["last_verified_size_bytes"],
        stored_bytes=row["last_verified_stored_bytes"],
        duration_ms=row["last_verified_duration_ms"],
        last_run_id=row["last_run_id"],
        last_run_status=row["last_run_status"],
        last_run_at=row["last_run_at"],
        last_run_error=row["last_run_error"],
        consecutive_failures=row["consecutive_failures"],
        failures_last_24h=row["failures_last_24h"],
        last_drill_backup_id=row["last_drill_backup_id"],
        last_drill_at=row["last_drill_at"],
        last_drill_ok=row["last_drill_ok"],
        last_drill_duration_ms=row["last_drill_duration_ms"],
        last_drill_detail=row["last_drill_detail"],
    )
