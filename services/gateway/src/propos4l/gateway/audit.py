"""The audit log: who did what, when, from where and to which object; append-only in PostgreSQL (migration 0017)
and sent to the logs as a structured record (logger `propos4l.audit`).

Routes record through `Audit` (deps.py), which knows the caller and the request; the sign-in routes record failed
attempts with no caller.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import asyncpg

__all__ = ["Actor", "AuditFilters", "AuditLog", "AuditRecord", "Origin", "append_audit"]

logger = logging.getLogger("propos4l.audit")

_COLUMNS: Final = (
    "id, at, action, outcome, actor_user_id, actor_name, via, token_id, object_type, object_id, address, "
    "user_agent, details"
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted: a user (through a session or a token), the environment's admin token, or nobody known."""

    name: str
    via: str  # session | token | environment | system | anonymous
    user_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a request came from."""

    address: str | None
    user_agent: str | None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One row of the audit log."""

    id: int
    at: datetime
    action: str
    outcome: str
    actor_user_id: uuid.UUID | None
    actor_name: str
    via: str
    token_id: uuid.UUID | None
    object_type: str | None
    object_id: str | None
    address: str | None
    user_agent: str | None
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> AuditRecord:
        """The record of a row of audit_log."""
        return cls(**{name: row[name] for name in _COLUMNS.split(", ")})


@dataclass(frozen=True, slots=True)
class AuditFilters:
    """Filters of the audit list; all optional."""

    action: str | None = None
    actor_user_id: uuid.UUID | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    before_id: int | None = None


class AuditLog:
    """Writes and reads of audit_log."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def record(
        self,
        action: str,
        actor: Actor,
        origin: Origin,
        *,
        object_type: str | None = None,
        object_id: object = None,
        outcome: str = "success",
        details: dict[str, Any] | None = None,
        connection: asyncpg.Connection | None = None,
    ) -> None:
        """Append one record (inside `connection`'s transaction when given) and log it."""
        await append_audit(
            connection or self._pool,
            action,
            actor,
            origin,
            object_type=object_type,
            object_id=object_id,
            outcome=outcome,
            details=details,
        )

    async def list(self, filters: AuditFilters, *, limit: int) -> list[AuditRecord]:
        """Records matching `filters`, newest first, at most `limit`."""
        conditions: list[str] = []
        arguments: list[Any] = []
        for column, value in (
            ("action = ", filters.action),
            ("actor_user_id = ", filters.actor_user_id),
            ("object_type = ", filters.object_type),
            ("object_id = ", filters.object_id),
            ("at >= ", filters.since),
            ("at < ", filters.until),
            ("id < ", filters.before_id),
        ):
            if value is not None:
                arguments.append(value)
                conditions.append(f"{column}${len(arguments)}")
        arguments.append(limit)
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        rows = await self._pool.fetch(
            f"SELECT {_COLUMNS} FROM audit_log {where} ORDER BY id DESC LIMIT ${len(arguments)}",  # noqa: S608
            *arguments,
        )
        return [AuditRecord.from_row(row) for row in rows]


async def append_audit(
    executor: asyncpg.Connection | asyncpg.Pool,
    action: str,
    actor: Actor,
    origin: Origin,
    *,
    object_type: str | None = None,
    object_id: object = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
) -> None:
    """Append one record through `executor` (a connection: inside its transaction) and log it."""
    details = details or {}
    target = str(object_id) if object_id is not None else None
    await executor.execute(
        """INSERT INTO audit_log (action, outcome, actor_user_id, actor_name, via, token_id, object_type,
                                  object_id, address, user_agent, details)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        action,
        outcome,
        actor.user_id,
        actor.name,
        actor.via,
        actor.token_id,
        object_type,
        target,
        origin.address,
        (origin.user_agent or "")[:500] or None,
        details,
    )
    logger.info(
        "audit %s %s",
        action,
        outcome,
        extra={
            "audit_action": action,
            "audit_outcome": outcome,
            "actor": actor.name,
            "actor_user_id": str(actor.user_id) if actor.user_id else None,
            "via": actor.via,
            "object_type": object_type,
            "object_id": target,
            "client_address": origin.address,
            "user_agent": origin.user_agent,
            **{f"detail_{key}": value for key, value in details.items()},
        },
    )
