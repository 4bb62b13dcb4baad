"""API tokens, for admins: create one (its secret is shown once), list them, revoke one.

A token belongs to a user (its creator unless `owner_id` says another) and has a role no higher than its owner's.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from propos4l.gateway.deps import Admin, Audit, Users
from propos4l.gateway.problems import Problem
from propos4l.gateway.roles import Role
from propos4l.gateway.tokens import StoredToken, TokenNameTaken, TokenStore

__all__ = ["router"]

router = APIRouter(prefix="/api/tokens", tags=["tokens"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        401: "No or wrong API token",
        403: "Not an admin",
        404: "No such token",
        409: "A token in force already has this name",
        422: "Invalid request (a role above the owner's, an unknown or disabled owner)",
    }.items()
}


def _store(request: Request) -> TokenStore:
    store: TokenStore = request.app.state.tokens
    return store


Tokens = Annotated[TokenStore, Depends(_store)]


class TokenRequest(BaseModel):
    """A token to create."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        description="what the token is for, e.g. 'CRM integration' or a person's name"
    )
    admin: bool = Field(default=False, description="same as role 'admin' (kept for clients made before roles)")
    role: Role | None = Field(
        default=None,
        description="what the token may do, at most its owner's role (unset: admin when `admin`, else the lower of "
        "manager and the owner's role)",
    )
    owner_id: uuid.UUID | None = Field(default=None, description="the user the token acts for (unset: the caller)")
    expires_in_days: Annotated[int, Field(ge=1, le=3650)] | None = Field(
        default=None, description="the token stops working this many days from now (unset: never)"
    )


class TokenView(BaseModel):
    """A token as listed: never its secret."""

    id: uuid.UUID
    name: str
    prefix: str = Field(description="the token's first characters, to tell it apart")
    admin: bool
    role: Role
    owner_id: uuid.UUID
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(description="to the minute")
    revoked_at: datetime | None

    @classmethod
    def of(cls, token: StoredToken) -> TokenView:
        """The view of a stored token."""
        return cls(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            admin=token.role is Role.ADMIN,
            role=token.role,
            owner_id=token.owner_id,
            created_by=token.created_by,
            created_at=token.created_at,
            expires_at=token.expires_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
        )


class CreatedToken(TokenView):
    """A token just created, with its secret: store it now, it is not shown again."""

    token: str = Field(description="send as 'Authorization: Bearer <token>'; shown only in this response")


class TokenList(BaseModel):
    """Tokens, newest first."""

    items: list[TokenView]


@router.post("", status_code=201, response_model=CreatedToken, responses=_PROBLEMS)
async def create_token(
    body: TokenRequest, response: Response, principal: Admin, store: Tokens, users: Users, audit: Audit
) -> CreatedToken:
    """Create a token; the response holds its secret, which is stored only as a digest and never shown again."""
    expires_in = timedelta(days=body.expires_in_days) if body.expires_in_days else None
    owner = await users.get(body.owner_id or principal.user_id)
    if owner is None or not owner.active:
        raise Problem(422, f"There is no active user with id {body.owner_id}.", code="token_owner_unknown")
    role = body.role or (Role.ADMIN if body.admin else Role.MANAGER.capped_at(owner.role))
    if not owner.role.includes(role):
        raise Problem(
            422,
            f"A token's role may not be above its owner's: {owner.email} is {owner.role.value}, not {role.value}.",
            code="token_role_above_owner",
        )
    try:
        created = await store.create(
            body.name, role=role, owner_id=owner.id, created_by=principal.name, expires_in=expires_in
        )
    except TokenNameTaken as error:
        raise Problem(409, str(error)) from None
    await audit.record(
        "token.created",
        object_type="token",
        object_id=created.token.id,
        details={"name": created.token.name, "role": role, "owner_id": str(owner.id)},
    )
    response.headers["Location"] = f"/api/tokens/{created.token.id}"
    return CreatedToken(**TokenView.of(created.token).model_dump(), token=created.secret)


@router.get("", response_model=TokenList, responses=_PROBLEMS)
async def list_tokens(
    _: Admin, store: Tokens, include_revoked: Annotated[bool, Query(description="list revoked tokens too")] = False
) -> TokenList:
    """The tokens (not the admin token from the environment), newest first."""
    return TokenList(items=[TokenView.of(token) for token in await store.list(include_revoked=include_revoked)])


@router.delete("/{token_id}", status_code=204, responses=_PROBLEMS)
async def revoke_token(token_id: uuid.UUID, _: Admin, store: Tokens, audit: Audit) -> Response:
    """Revoke a token: it stops working at once. Revoking it again changes nothing."""
    revoked = await store.revoke(token_id)
    if revoked is None:
        raise Problem(404, f"There is no token with id {token_id}.")
    await audit.record("token.revoked", object_type="token", object_id=token_id, details={"name": revoked.name})
    return Response(status_code=204)
