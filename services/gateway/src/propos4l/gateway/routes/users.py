"""Accounts, for admins: create, list, change (role, active, name, language), set a password, end sessions; and the
directory of active colleagues (ids, names, e-mails) that anyone signed in may search, to pick collaborators.

The last active admin can be neither demoted nor disabled (docs/operations.md says how to recover if it happens
another way).
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from propos4l.gateway.deps import Admin, Audit, Invitations, Sessions, Settings, Users, Viewer
from propos4l.gateway.invitations import send_invitation
from propos4l.gateway.passwords import PasswordRejected, check_new_password, hash_password
from propos4l.gateway.problems import Problem
from propos4l.gateway.roles import Role
from propos4l.gateway.routes.session import Language, UserView
from propos4l.gateway.users import EmailTaken, User, UserChange, UserStore

__all__ = ["router"]

router = APIRouter(prefix="/api/users", tags=["users"])
logger = logging.getLogger(__name__)

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        401: "Not signed in",
        403: "Not an admin",
        404: "No such user",
        409: "The e-mail is taken, or the change would leave no active admin",
        422: "Invalid request (a password that breaks the rules, among others)",
    }.items()
}

_DIRECTORY_PROBLEMS: dict[int | str, dict[str, object]] = {code: _PROBLEMS[code] for code in (401, 422)}

Email = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
]


class NewUser(BaseModel):
    """An account to create."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    role: Role = Role.EDITOR
    language: Language = "pt-BR"
    password: str | None = Field(
        default=None, repr=False, description="unset: the account cannot sign in with a password until one is set"
    )


class UserPatch(BaseModel):
    """What to change of an account (unset: unchanged)."""

    model_config = ConfigDict(extra="forbid")

    display_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    role: Role | None = None
    active: bool | None = None
    language: Language | None = None


class NewPassword(BaseModel):
    """A password an admin sets for a user."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field(repr=False)


class UserList(BaseModel):
    """Accounts, by e-mail."""

    items: list[UserView]


def _checked_hash(password: str, email: str) -> str:
    try:
        check_new_password(password, email=email)
    except PasswordRejected as error:
        raise Problem(422, str(error), code="password_rejected") from None
    return hash_password(password)


async def _user(users: UserStore, user_id: uuid.UUID) -> User:
    user = await users.get(user_id)
    if user is None or user.is_system:
        raise Problem(404, f"There is no user with id {user_id}.")
    return user


class NewInvitation(BaseModel):
    """Someone to invite."""

    model_config = ConfigDict(extra="forbid")

    email: Email
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    role: Role = Role.EDITOR


class InvitationView(BaseModel):
    """An invitation just made: its link is shown only here (and e-mailed when SMTP_URL is set)."""

    id: uuid.UUID
    email: str
    role: Role
    expires_at: datetime
    link: str = Field(description="works once, until expires_at; the secret is after '#', never sent to a server log")
    emailed: bool = Field(description="the link was e-mailed (SMTP_URL set and the server took it)")


@router.post("/invitations", status_code=201, response_model=InvitationView, responses=_PROBLEMS)
async def invite_user(
    body: NewInvitation, principal: Admin, users: Users, invitations: Invitations, audit: Audit, settings: Settings
) -> InvitationView:
    """Invite someone: a single-use link, valid INVITATION_VALID_DAYS, where they choose their password."""
    if await users.credentials(body.email) is not None:
        raise Problem(409, f"An account with the e-mail {body.email!r} already exists.", code="email_taken")
    invitation, secret = await invitations.create(
        body.email,
        body.display_name,
        body.role,
        invited_by=principal.name,
        lifetime=timedelta(days=settings.invitation_valid_days),
    )
    link = f"{settings.web_app_url.rstrip('/')}/invite#{secret}"
    emailed = False
    if settings.smtp_url is not None:
        try:
            await send_invitation(settings.smtp_url.get_secret_value(), settings.smtp_from, invitation, link)
            emailed = True
        except (OSError, smtplib.SMTPException) as error:
            logger.warning("the invitation e-mail was not sent", extra={"error": str(error)[:300]})
    await audit.record(
        "user.invited",
        object_type="invitation",
        object_id=invitation.id,
        details={"email": invitation.email, "role": invitation.role, "emailed": emailed},
    )
    return InvitationView(
        id=invitation.id,
        email=invitation.email,
        role=invitation.role,
        expires_at=invitation.expires_at,
        link=link,
        emailed=emailed,
    )


@router.post("", status_code=201, response_model=UserView, responses=_PROBLEMS)
async def create_user(body: NewUser, response: Response, _: Admin, users: Users, audit: Audit) -> UserView:
    """Create an account."""
    password_hash = _checked_hash(body.password, body.email) if body.password is not None else None
    try:
        user = await users.create(
            body.email, body.display_name, body.role, password_hash=password_hash, language=body.language
        )
    except EmailTaken as error:
        raise Problem(409, str(error), code="email_taken") from None
    await audit.record(
        "user.created", object_type="user", object_id=user.id, details={"email": user.email, "role": user.role}
    )
    response.headers["Location"] = f"/api/users/{user.id}"
    return UserView.of(user)


@router.get("", response_model=UserList, responses=_PROBLEMS)
async def list_users(_: Admin, users: Users) -> UserList:
    """Every account."""
    return UserList(items=[UserView.of(user) for user in await users.list()])


class DirectoryPerson(BaseModel):
    """A colleague, as anyone signed in may see them (no role, no sessions)."""

    id: uuid.UUID
    email: str
    display_name: str


class Directory(BaseModel):
    """Active colleagues matching a search, by name."""

    items: list[DirectoryPerson]


@router.get("/directory", response_model=Directory, responses=_DIRECTORY_PROBLEMS)
async def user_directory(
    _: Viewer,
    users: Users,
    q: Annotated[
        str | None,
        Query(max_length=100, pattern=r"^[^\x00]*$", description="part of a name or an e-mail, any case"),
    ] = None,
    ids: Annotated[list[uuid.UUID] | None, Query(max_length=50, description="these users (to name them)")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> Directory:
    """Active colleagues by name or e-mail, to pick a proposal's collaborators: ids, names and e-mails only."""
    found = await users.directory(q.strip() if q else None, ids=ids or (), limit=limit)
    return Directory(
        items=[DirectoryPerson(id=person.id, email=person.email, display_name=person.display_name) for person in found]
    )


@router.get("/{user_id}", response_model=UserView, responses=_PROBLEMS)
async def get_user(user_id: uuid.UUID, _: Admin, users: Users) -> UserView:
    """One account."""
    return UserView.of(await _user(users, user_id))


@router.patch("/{user_id}", response_model=UserView, responses=_PROBLEMS)
async def change_user(
    user_id: uuid.UUID, body: UserPatch, _: Admin, users: Users, sessions: Sessions, audit: Audit
) -> UserView:
    """Change an account; disabling it ends its sessions and stops its tokens."""
    before = await _user(users, user_id)
    loses_admin = (
        before.role is Role.ADMIN
        and before.active
        and ((body.role is not None and body.role is not Role.ADMIN) or body.active is False)
    )
    if loses_admin and await users.active_admins() <= 1:
        raise Problem(409, "This is the last active admin: make another admin first.", code="last_admin")
    user = await users.change(
        user_id, UserChange(display_name=body.display_name, role=body.role, active=body.active, language=body.language)
    )
    if user is None:
        raise Problem(404, f"There is no user with id {user_id}.")
    if body.active is False:
        await sessions.revoke_all(user_id)
    changes = {
        name: {"from": str(getattr(before, name)), "to": str(getattr(user, name))}
        for name in ("display_name", "role", "active", "language")
        if getattr(before, name) != getattr(user, name)
    }
    if changes:
        action = "user.role_changed" if "role" in changes else "user.changed"
        await audit.record(action, object_type="user", object_id=user.id, details=changes)
    return UserView.of(user)


@router.put("/{user_id}/password", status_code=204, responses=_PROBLEMS)
async def set_password(
    user_id: uuid.UUID, body: NewPassword, _: Admin, users: Users, sessions: Sessions, audit: Audit
) -> Response:
    """Set an account's password; its web sessions end."""
    user = await _user(users, user_id)
    await users.set_password(user.id, _checked_hash(body.password, user.email))
    await sessions.revoke_all(user.id)
    await audit.record("user.password_set", object_type="user", object_id=user.id)
    return Response(status_code=204)


@router.delete("/{user_id}/sessions", status_code=204, responses=_PROBLEMS)
async def end_sessions(user_id: uuid.UUID, _: Admin, users: Users, sessions: Sessions, audit: Audit) -> Response:
    """End every web session of an account (its API tokens stay: revoke those under /api/tokens)."""
    user = await _user(users, user_id)
    ended = await sessions.revoke_all(user.id)
    await audit.record("user.sessions_ended", object_type="user", object_id=user.id, details={"ended": ended})
    return Response(status_code=204)
