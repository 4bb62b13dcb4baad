"""Who the caller is (lets the web app show only what the caller may do), and the caller's own preferences."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from propos4l.gateway.deps import Audit, Users, Viewer
from propos4l.gateway.problems import Problem
from propos4l.gateway.roles import Role
from propos4l.gateway.users import SYSTEM_USER_ID, User, UserChange

__all__ = ["Me", "UserView", "me_of", "router"]

router = APIRouter(prefix="/api", tags=["session"])

Language = Literal["pt-BR", "en"]


class UserView(BaseModel):
    """An account (never its password)."""

    id: uuid.UUID
    email: str
    display_name: str
    role: Role
    active: bool
    language: str
    has_password: bool = Field(description="may sign in with a password")

    @classmethod
    def of(cls, user: User) -> UserView:
        """The view of a user."""
        return cls(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            role=user.role,
            active=user.active,
            language=user.language,
            has_password=user.has_password,
        )


class Me(BaseModel):
    """The caller."""

    name: str = Field(
        description="the account's e-mail for a web session, 'admin' for PROPOS4L_ADMIN_TOKEN, 'token:<name>' for a "
        "token made through the API"
    )
    admin: bool = Field(description="may manage users, tokens, templates, the rate card and backups")
    role: Role = Field(description="what the caller may do now (a token: the lower of its role and its owner's)")
    via: Literal["session", "token", "environment"]
    user: UserView | None = Field(description="the caller's account (None for PROPOS4L_ADMIN_TOKEN)")
    csrf_token: str | None = Field(
        default=None, description="web sessions: send as X-CSRF-Token with every change (POST, PUT, PATCH, DELETE)"
    )


def me_of(name: str, role: Role, *, via: str, user: User | None, csrf_token: str | None = None) -> Me:
    """The caller's view."""
    shown = user if user is not None and not user.is_system else None
    return Me(
        name=name,
        admin=role is Role.ADMIN,
        role=role,
        via=via,
        user=UserView.of(shown) if shown is not None else None,
        csrf_token=csrf_token,
    )


_UNAUTHENTICATED: dict[int | str, dict[str, object]] = {
    401: {"content": {"application/problem+json": {}}, "description": "Not signed in"}
}


@router.get("/me", response_model=Me, responses=_UNAUTHENTICATED)
async def me(principal: Viewer, users: Users) -> Me:
    """The caller: name, role, account and (web sessions) the CSRF token."""
    user = await users.get(principal.user_id)
    return me_of(principal.name, principal.role, via=principal.via, user=user, csrf_token=principal.csrf_token)


class Preferences(BaseModel):
    """What a user may change of their own account."""

    model_config = ConfigDict(extra="forbid")

    language: Language | None = None
    display_name: str | None = Field(default=None, min_length=1, max_length=200)


@router.patch("/me", response_model=Me, responses=_UNAUTHENTICATED)
async def change_me(body: Preferences, principal: Viewer, users: Users, audit: Audit) -> Me:
    """Change the caller's language or display name."""
    if principal.user_id == SYSTEM_USER_ID:
        raise Problem(409, "PROPOS4L_ADMIN_TOKEN has no account to change.", code="no_account")
    user = await users.change(principal.user_id, UserChange(display_name=body.display_name, language=body.language))
    if user is None:
        raise Problem(404, "The caller's account no longer exists.")
    await audit.record(
        "user.preferences_changed", object_type="user", object_id=user.id, details=body.model_dump(exclude_none=True)
    )
    return me_of(principal.name, principal.role, via=principal.via, user=user, csrf_token=principal.csrf_token)
