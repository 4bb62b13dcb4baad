"""Password sign-in to a web session, sign-out, and sign-out everywhere.

The session lives in PostgreSQL; the browser holds its random secret in an HttpOnly, SameSite=Lax cookie (Secure
when the request came over https). Failed sign-ins are throttled per address and per account (429 with Retry-After)
and recorded in the audit log.
"""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from propos4l.gateway.audit import Actor, AuditLog
from propos4l.gateway.auth import SESSION_COOKIE, origin_of, verifier_of
from propos4l.gateway.deps import Audit, Invitations, Sessions, Users, Viewer
from propos4l.gateway.passwords import (
    MAX_PASSWORD_LENGTH,
    PasswordRejected,
    check_new_password,
    hash_password,
    verify_password,
)
from propos4l.gateway.problems import Problem
from propos4l.gateway.routes.session import Me, me_of
from propos4l.gateway.sign_in_throttle import SharedSignInThrottle
from propos4l.gateway.users import EmailTaken

__all__ = ["router"]

router = APIRouter(prefix="/api/auth", tags=["session"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        401: "Wrong e-mail or password (or the account is disabled)",
        422: "Invalid request",
        429: "Too many failed sign-ins from this address or for this account; see Retry-After",
    }.items()
}


class SignIn(BaseModel):
    """An e-mail and a password."""

    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD_LENGTH)] = Field(repr=False)


async def _throttled(request: Request, email: str) -> int:
    by_address = await verifier_of(request).throttle.wait_seconds(origin_of(request).address or "unknown")
    accounts: SharedSignInThrottle = request.app.state.account_throttle
    return max(by_address, await accounts.wait_seconds(email.lower()))


@router.post("/sign-in", response_model=Me, responses=_PROBLEMS)
async def sign_in(body: SignIn, request: Request, response: Response, users: Users, sessions: Sessions) -> Me:
    """Open a web session: sets the session cookie; the response's `csrf_token` goes in the X-CSRF-Token header of
    every change made with that cookie."""
    origin = origin_of(request)
    audit: AuditLog = request.app.state.audit
    wait = await _throttled(request, body.email)
    if wait:
        raise Problem(
            429,
            f"Too many failed sign-ins; try again in {wait} s.",
            headers={"Retry-After": str(wait)},
            code="sign_in_throttled",
        )
    found = await users.credentials(body.email)
    user, password_hash = found if found is not None else (None, None)
    matches = await verify_password(password_hash, body.password)  # also when there is no such account: same time
    if user is None or not matches or not user.active or user.is_system:
        await verifier_of(request).throttle.failed(origin.address or "unknown")
        accounts: SharedSignInThrottle = request.app.state.account_throttle
        await accounts.failed(body.email.lower())
        reason = "unknown_email" if user is None else "disabled" if matches and not user.active else "wrong_password"
        await audit.record(
            "sign_in",
            Actor(name=body.email.lower(), via="anonymous", user_id=user.id if user else None),
            origin,
            outcome="failure",
            object_type="user",
            object_id=user.id if user else None,
            details={"reason": reason, "method": "password"},
        )
        raise Problem(401, "The e-mail or the password is wrong.", code="sign_in_failed")
    opened = await sessions.open(user, address=origin.address, user_agent=origin.user_agent)
    response.set_cookie(
        SESSION_COOKIE,
        opened.secret,
        max_age=int(sessions.absolute.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    await audit.record(
        "sign_in",
        Actor(name=user.email, via="session", user_id=user.id),
        origin,
        object_type="user",
        object_id=user.id,
        details={"method": "password", "session_id": str(opened.session.id)},
    )
    return me_of(user.email, user.role, via="session", user=user, csrf_token=opened.session.csrf_token)


@router.post("/sign-out", status_code=204)
async def sign_out(principal: Viewer, sessions: Sessions, audit: Audit) -> Response:
    """End this web session and clear its cookie (with an API token: nothing to end)."""
    response = Response(status_code=204)
    if principal.session_id is not None:
        await sessions.revoke(principal.session_id)
        await audit.record("sign_out", object_type="user", object_id=principal.user_id)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.post("/sign-out-everywhere", status_code=204)
async def sign_out_everywhere(principal: Viewer, sessions: Sessions, audit: Audit) -> Response:
    """End every web session of the caller's account, this one included."""
    ended = await sessions.revoke_all(principal.user_id)
    await audit.record("sign_out_everywhere", object_type="user", object_id=principal.user_id, details={"ended": ended})
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


class Acceptance(BaseModel):
    """An invitation's secret (after '#' in its link) and the password the person chose."""

    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, StringConstraints(min_length=20, max_length=200)] = Field(repr=False)
    password: Annotated[str, StringConstraints(min_length=1, max_length=MAX_PASSWORD_LENGTH)] = Field(repr=False)


@router.post("/invitations/accept", response_model=Me, responses={**_PROBLEMS, 410: {"description": "Used or expired"}})
async def accept_invitation(
    body: Acceptance, request: Request, response: Response, users: Users, sessions: Sessions, invitations: Invitations
) -> Me:
    """Accept an invitation: the account is made with this password and signed in (a web session, as sign-in)."""
    origin = origin_of(request)
    audit: AuditLog = request.app.state.audit
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection, connection.transaction():
        invitation = await invitations.take(body.token, connection)
        if invitation is None:
            raise Problem(
                410, "This invitation is unknown, used or expired; ask an admin for another.", code="invitation_invalid"
            )
        try:
            check_new_password(body.password, email=invitation.email)
        except PasswordRejected as error:  # the transaction is rolled back: the invitation stays usable
            raise Problem(422, str(error), code="password_rejected") from None
        try:
            user = await users.create(
                invitation.email,
                invitation.display_name,
                invitation.role,
                password_hash=hash_password(body.password),
                connection=connection,
            )
        except EmailTaken as error:
            raise Problem(409, str(error), code="email_taken") from None
        await connection.execute("UPDATE invitations SET user_id = $2 WHERE id = $1", invitation.id, user.id)
        await audit.record(
            "invitation.accepted",
            Actor(name=user.email, via="session", user_id=user.id),
            origin,
            object_type="invitation",
            object_id=invitation.id,
            details={"role": user.role},
            connection=connection,
        )
    opened = await sessions.open(user, address=origin.address, user_agent=origin.user_agent)
    response.set_cookie(
        SESSION_COOKIE,
        opened.secret,
        max_age=int(sessions.absolute.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return me_of(user.email, user.role, via="session", user=user, csrf_token=opened.session.csrf_token)
