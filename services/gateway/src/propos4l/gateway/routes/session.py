"""Who the caller is: lets a client (the web app) show only what the caller's token may do."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from propos4l.gateway.deps import CurrentPrincipal

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["session"])


class Me(BaseModel):
    """The caller, as its token says."""

    name: str = Field(description="'admin' for PROPOS4L_ADMIN_TOKEN, 'token:<name>' for a token made through the API")
    admin: bool = Field(description="may change templates, manage tokens and see backups")


@router.get(
    "/me",
    response_model=Me,
    responses={401: {"content": {"application/problem+json": {}}, "description": "No or wrong API token"}},
)
async def me(principal: CurrentPrincipal) -> Me:
    """The caller's name and whether it is an admin."""
    return Me(name=principal.name, admin=principal.is_admin)
