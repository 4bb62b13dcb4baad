"""API tokens, for admins: create one (its secret is shown once), list them, revoke one."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from propos4l.gateway.deps import CurrentPrincipal
from propos4l.gateway.problems import Problem
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
        422: "Invalid request",
    }.items()
}


def _store(request: Request, principal: CurrentPrincipal) -> TokenStore:
    if not principal.is_admin:
        raise Problem(403, "Only administrators may manage API tokens.")
    store: TokenStore = request.app.state.tokens
    return store


Tokens = Annotated[TokenStore, Depends(_store)]


class TokenRequest(BaseModel):
    """A token to create."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        description="what the token is for, e.g. 'CRM integration' or a person's name"
    )
    admin: bool = Field(default=False, description="may manage templates, tokens and see backups")
    expires_in_days: Annotated[int, Field(ge=1, le=3650)] | None = Field(
        default=None, description="the token stops working this many days from now (unset: never)"
    )


class TokenView(BaseModel):
    """A token as listed: never its secret."""

    id: uuid.UUID
    name: str
    prefix: str = Field(description="the token's first characters, to tell it apart")
    admin: bool
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
            admin=token.is_admin,
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
    body: TokenRequest, response: Response, principal: CurrentPrincipal, store: Tokens
) -> CreatedToken:
    """Create a token; the response holds its secret, which is stored only as a digest and never shown again."""
    expires_in = timedelta(days=body.expires_in_days) if body.expires_in_days else None
    try:
        created = await store.create(body.name, is_admin=body.admin, created_by=principal.name, expires_in=expires_in)
    except TokenNameTaken as error:
        raise Problem(409, str(error)) from None
    response.headers["Location"] = f"/api/tokens/{created.token.id}"
    return CreatedToken(**TokenView.of(created.token).model_dump(), token=created.secret)


@router.get("", response_model=TokenList, responses=_PROBLEMS)
async def list_tokens(
    store: Tokens, include_revoked: Annotated[bool, Query(description="list revoked tokens too")] = False
) -> TokenList:
    """The tokens (not the admin token from the environment), newest first."""
    return TokenList(items=[TokenView.of(token) for token in await store.list(include_revoked=include_revoked)])


@router.delete("/{token_id}", status_code=204, responses=_PROBLEMS)
async def revoke_token(token_id: uuid.UUID, store: Tokens) -> Response:
    """Revoke a token: it stops working at once. Revoking it again changes nothing."""
    if await store.revoke(token_id) is None:
        raise Problem(404, f"There is no token with id {token_id}.")
    return Response(status_code=204)
