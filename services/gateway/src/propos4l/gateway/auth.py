"""Bearer-token authentication: the admin token from the environment, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from propos4l.gateway.problems import Problem

__all__ = ["Principal", "TokenVerifier", "bearer_scheme"]

bearer_scheme = HTTPBearer(auto_error=False, description="Propos4l API token")

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="propos4l"'}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling."""

    name: str
    is_admin: bool


class TokenVerifier:
    """Checks bearer tokens against the admin token's digest."""

    def __init__(self, admin_token: str) -> None:
        self._admin_digest = hashlib.sha256(admin_token.encode()).digest()

    def verify(self, credentials: HTTPAuthorizationCredentials | None) -> Principal:
        """The caller, or a 401 problem."""
        if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
            raise Problem(401, "Send an API token as 'Authorization: Bearer <token>'.", headers=_CHALLENGE)
        digest = hashlib.sha256(credentials.credentials.encode()).digest()
        if hmac.compare_digest(digest, self._admin_digest):
            return Principal(name="admin", is_admin=True)
        raise Problem(401, "The API token is not valid.", headers=_CHALLENGE)


def verifier_of(request: Request) -> TokenVerifier:
    """The app's token verifier."""
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier
