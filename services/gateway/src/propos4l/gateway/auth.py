"""Bearer-token authentication: the admin token from the environment (constant-time) and the stored API tokens."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from propos4l.gateway.problems import Problem
from propos4l.gateway.tokens import TokenStore, digest

__all__ = ["Principal", "TokenVerifier", "bearer_scheme"]

bearer_scheme = HTTPBearer(auto_error=False, description="Propos4l API token")

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="propos4l"'}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling."""

    name: str
    is_admin: bool


class TokenVerifier:
    """Checks bearer tokens: the admin token from the environment first, then the tokens admins created."""

    def __init__(self, admin_token: str, store: TokenStore | None = None) -> None:
        self._admin_digest = digest(admin_token)
        self.store = store

    async def verify(self, credentials: HTTPAuthorizationCredentials | None) -> Principal:
        """The caller, or a 401 problem."""
        if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
            raise Problem(401, "Send an API token as 'Authorization: Bearer <token>'.", headers=_CHALLENGE)
        secret = credentials.credentials
        if hmac.compare_digest(digest(secret), self._admin_digest):
            return Principal(name="admin", is_admin=True)
        token = await self.store.authenticate(secret) if self.store is not None else None
        if token is not None:
            return Principal(name=f"token:{token.name}", is_admin=token.is_admin)
        raise Problem(401, "The API token is not valid (unknown, revoked or expired).", headers=_CHALLENGE)


def verifier_of(request: Request) -> TokenVerifier:
    """The app's token verifier."""
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier
