"""Bearer-token authentication: the admin token from the environment (constant-time) and the stored API tokens,
checked before a request's body is read, with failed sign-ins throttled per client address."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Final

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.types import ASGIApp, Receive, Scope, Send

from propos4l.gateway.problems import UNAVAILABLE, Problem, problem_response, unavailable_response
from propos4l.gateway.sign_in_throttle import SignInThrottle
from propos4l.gateway.tokens import TokenStore, digest

__all__ = ["AuthenticateBeforeBody", "Principal", "TokenVerifier", "bearer_scheme", "principal_of"]

bearer_scheme = HTTPBearer(auto_error=False, description="Propos4l API token")

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="propos4l"'}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling."""

    name: str
    is_admin: bool


class TokenVerifier:
    """Checks bearer tokens: the admin token from the environment first, then the tokens admins created.

    An address with too many wrong tokens lately gets a 429 without its token being looked at (`throttle`).
    """

    def __init__(self, admin_token: str, throttle: SignInThrottle, store: TokenStore | None = None) -> None:
        self._admin_digest = digest(admin_token)
        self.throttle = throttle
        self.store = store

    async def verify(self, credentials: HTTPAuthorizationCredentials | None, address: str) -> Principal:
        """The caller at `address`, or a 401 problem (a 429 one while the address is throttled)."""
        wait = self.throttle.wait_seconds(address)
        if wait:
            raise Problem(
                429,
                f"Too many failed sign-ins from this address; try again in {wait} s.",
                headers={"Retry-After": str(wait)},
            )
        if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
            raise Problem(401, "Send an API token as 'Authorization: Bearer <token>'.", headers=_CHALLENGE)
        secret = credentials.credentials
        if hmac.compare_digest(digest(secret), self._admin_digest):
            return Principal(name="admin", is_admin=True)
        token = await self.store.authenticate(secret) if self.store is not None else None
        if token is not None:
            return Principal(name=f"token:{token.name}", is_admin=token.is_admin)
        self.throttle.failed(address)
        raise Problem(401, "The API token is not valid (unknown, revoked or expired).", headers=_CHALLENGE)


_PRINCIPAL: Final = "principal"  # where AuthenticateBeforeBody leaves the caller, in the request's state
_METHODS_WITH_BODIES: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class AuthenticateBeforeBody:
    """ASGI middleware: requests to the API that may carry a body are authenticated before it is read.

    Otherwise FastAPI reads and parses the body (up to the template routes' 32 MiB) before any dependency runs, for
    callers without a valid token too. Requests without a body are authenticated by the routes' dependency.
    """

    def __init__(self, app: ASGIApp, verifier: TokenVerifier) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse the request with its 401 or 429 problem, or pass it on with the caller in its state."""
        if scope["type"] != "http" or scope["method"] not in _METHODS_WITH_BODIES or not _is_api(scope["path"]):
            await self.app(scope, receive, send)
            return
        header = dict(scope.get("headers", [])).get(b"authorization", b"").decode("latin-1")
        scheme, secret = get_authorization_scheme_param(header)
        credentials = HTTPAuthorizationCredentials(scheme=scheme, credentials=secret) if header else None
        try:
            principal = await self.verifier.verify(credentials, _address(scope))
        except Problem as error:
            response = problem_response(
                error.status, error.detail, title=error.title, instance=scope["path"], headers=error.headers
            )
            await response(scope, receive, send)
            return
        except UNAVAILABLE as error:  # a stored token is looked up in PostgreSQL: outside the app's handlers here
            await unavailable_response(scope["path"], error)(scope, receive, send)
            return
        scope.setdefault("state", {})[_PRINCIPAL] = principal
        await self.app(scope, receive, send)


def _is_api(path: str) -> bool:
    return path.startswith("/api/") and path != "/api/health"


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def principal_of(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The caller: as AuthenticateBeforeBody found it, or checked now."""
    principal: Principal | None = getattr(request.state, _PRINCIPAL, None)
    if principal is not None:
        return principal
    return await verifier_of(request).verify(credentials, _address(request.scope))


def verifier_of(request: Request) -> TokenVerifier:
    """The app's token verifier."""
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier
