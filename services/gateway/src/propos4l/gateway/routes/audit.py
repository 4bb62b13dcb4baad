"""The audit log, for admins: newest first, filtered by action, actor, object and time."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from propos4l.gateway.audit import AuditFilters, AuditLog
from propos4l.gateway.deps import Admin

__all__ = ["router"]

router = APIRouter(prefix="/api/audit", tags=["audit"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {401: "Not signed in", 403: "Not an admin", 422: "Invalid filter"}.items()
}


class AuditView(BaseModel):
    """One record: who did what, when, from where, to which object."""

    id: int
    at: datetime
    action: str = Field(description="e.g. sign_in, user.role_changed, token.created, proposal.created")
    outcome: str = Field(description="success or failure")
    actor_user_id: uuid.UUID | None
    actor_name: str
    via: str = Field(description="session, token, environment, system or anonymous")
    token_id: uuid.UUID | None
    object_type: str | None
    object_id: str | None
    address: str | None
    user_agent: str | None
    details: dict[str, Any]


class AuditPage(BaseModel):
    """A page of records, and the `before` of the next one (None on the last)."""

    items: list[AuditView]
    next_before: int | None


@router.get("", response_model=AuditPage, responses=_PROBLEMS)
async def list_audit(
    request: Request,
    _: Admin,
    action: Annotated[str | None, Query(max_length=100)] = None,
    actor: Annotated[uuid.UUID | None, Query(description="the acting user's id")] = None,
    object_type: Annotated[str | None, Query(max_length=50)] = None,
    object_id: Annotated[str | None, Query(max_length=200)] = None,
    since: Annotated[datetime | None, Query(description="at or after this time")] = None,
    until: Annotated[datetime | None, Query(description="before this time")] = None,
    before: Annotated[int | None, Query(ge=1, description="records older than this id (paging)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """The audit log, newest first."""
    log: AuditLog = request.app.state.audit
    filters = AuditFilters(
        action=action,
        actor_user_id=actor,
        object_type=object_type,
        object_id=object_id,
        since=since,
        until=until,
        before_id=before,
    )
    records = await log.list(filters, limit=limit + 1)
    page = records[:limit]
    return AuditPage(
        items=[AuditView.model_validate(record, from_attributes=True) for record in page],
        next_before=page[-1].id if len(records) > limit else None,
    )
