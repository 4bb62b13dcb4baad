"""Who is calling: a bearer token (the admin token from the environment, checked in constant time, or a stored API
token) or a web session's cookie; checked before a request's body is read, with failed token sign-ins throttled per
client address. Changes made with a session cookie must carry the session's CSRF token in a header.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from typing import Final

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.types import ASGIApp, Receive, Scope, Send

from propos4l.gateway.audit import Actor, Origin
from propos4l.gateway.problems import UNAVAILABLE, Problem, problem_response, unavailable_response
from propos4l.gateway.roles import Role
from propos4l.gateway.sign_in_throttle import SharedSignInThrottle
from propos4l.gateway.tokens import TokenStore, digest
from propos4l.gateway.users import SYSTEM_USER_ID
from propos4l.gateway.web_sessions import SessionStore

__all__ = [
    "CSRF_HEADER",
    "PUBLIC_PATHS",
    "PUBLIC_PREFIXES",
    "SESSION_COOKIE",
    "AuthenticateBeforeBody",
    "Principal",
    "TokenVerifier",
    "bearer_scheme",
    "is_public_path",
    "origin_of",
    "principal_of",
]

bearer_scheme = HTTPBearer(auto_error=False, description="Propos4l API token")

SESSION_COOKIE: Final = "propos4l_session"
CSRF_HEADER: Final = "X-CSRF-Token"
PUBLIC_PATHS: Final = frozenset(
    {
        "/api/health",
        "/api/auth/sign-in",
        "/api/auth/methods",
        "/api/auth/oidc/login",
        "/api/auth/oidc/callback",
        "/api/auth/invitations/accept",
    }
)
"""API paths anyone may call: no token, no session."""
PUBLIC_PREFIXES: Final = ("/api/public/",)
"""API path prefixes anyone may call (the client's share page); each such route has its own rate limits."""


def is_public_path(path: str) -> bool:
    """Whether anyone may call `path` without signing in."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="propos4l"'}
_SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, with the role it acts with now."""

    name: str
    role: Role
    user_id: uuid.UUID = SYSTEM_USER_ID
    via: str = "token"  # token | session | environment
    token_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    csrf_token: str | None = None

    @property
    def is_admin(self) -> bool:
        """May manage users, tokens, templates, the rate card and backups."""
        return self.role is Role.ADMIN

    @property
    def actor(self) -> Actor:
        """The caller as the audit log names it."""
        return Actor(name=self.name, via=self.via, user_id=self.user_id, token_id=self.token_id)


class TokenVerifier:
    """Checks bearer tokens (the admin token from the environment first, then the stored ones) and session cookies.

    An address with too many wrong tokens lately gets a 429 without its token being looked at (`throttle`).
    """

    def __init__(
        self,
        admin_token: str,
        throttle: SharedSignInThrottle,
        store: TokenStore | None = None,
        sessions: SessionStore | None = None,
    ) -> None:
        self._admin_digest = digest(admin_token)
        self.throttle = throttle
        self.store = store
        self.sessions = sessions

    async def verify(
        self,
        credentials: HTTPAuthorizationCredentials | None,
        address: str,
        *,
        session_secret: str | None = None,
        method: str = "GET",
        csrf_token: str | None = None,
    ) -> Principal:
        """The caller at `address`, or a 401 problem (a 429 one while the address is throttled, a 403 one for a
        change made with a session cookie without its CSRF token)."""
        if credentials is None and session_secret:
            return await self._verify_session(session_secret, method, csrf_token)
        wait = await self.throttle.wait_seconds(address)
        if wait:
            raise Problem(
                429,
                f"Too many failed sign-ins from this address; try again in {wait} s.",
                headers={"Retry-After": str(wait)},
            )
        if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
            raise Problem(401, "Sign in, or send an API token as 'Authorization: Bearer <token>'.", headers=_CHALLENGE)
        secret = credentials.credentials
        if hmac.compare_digest(digest(secret), self._admin_digest):
            return Principal(name="admin", role=Role.ADMIN, via="environment")
        found = await self.store.authenticate(secret) if self.store is not None else None
        if found is not None:
            token, owner_role = found
            return Principal(
                name=f"token:{token.name}",
                role=token.role.capped_at(owner_role),
                user_id=token.owner_id,
                token_id=token.id,
            )
        await self.throttle.failed(address)
        raise Problem(
            401,
            "The API token is not valid (unknown, revoked or expired, or its owner is disabled).",
            headers=_CHALLENGE,
        )

    async def _verify_session(self, secret: str, method: str, csrf_token: str | None) -> Principal:
        session = await self.sessions.authenticate(secret) if self.sessions is not None else None
        if session is None:
            raise Problem(401, "The session has ended (signed out, expired or revoked); sign in again.")
        if method not in _SAFE_METHODS and not (
            csrf_token and hmac.compare_digest(csrf_token.encode(), session.csrf_token.encode())
        ):
            raise Problem(
                403,
                f"A change made with a session cookie must carry the session's CSRF token in the {CSRF_HEADER} "
                "header (given at sign-in and by GET /api/me).",
                code="csrf_token_missing",
            )
        return Principal(
            name=session.user.email,
            role=session.user.role,
            user_id=session.user.id,
            via="session",
            session_id=session.id,
            csrf_token=session.csrf_token,
        )


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
        """Refuse the request with its 401, 403 or 429 problem, or pass it on with the caller in its state."""
        if scope["type"] != "http" or scope["method"] not in _METHODS_WITH_BODIES or not _is_api(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        header = headers.get(b"authorization", b"").decode("latin-1")
        scheme, secret = get_authorization_scheme_param(header)
        credentials = HTTPAuthorizationCredentials(scheme=scheme, credentials=secret) if header else None
        csrf = headers.get(CSRF_HEADER.lower().encode(), b"").decode("latin-1") or None
        try:
            principal = await self.verifier.verify(
                credentials,
                _address(scope),
                session_secret=_cookie(headers.get(b"cookie", b"").decode("latin-1"), SESSION_COOKIE),
                method=scope["method"],
                csrf_token=csrf,
            )
        except Problem as error:
            response = problem_response(
                error.status,
                error.detail,
                title=error.title,
                instance=scope["path"],
                headers=error.headers,
                **error.extensions,
            )
            await response(scope, receive, send)
            return
        except UNAVAILABLE as error:  # a stored token is looked up in PostgreSQL: outside the app's handlers here
            await unavailable_response(scope["path"], error)(scope, receive, send)
            return
        scope.setdefault("state", {})[_PRINCIPAL] = principal
        await self.app(scope, receive, send)


def _is_api(path: str) -> bool:
    return path.startswith("/api/") and not is_public_path(path)


def _cookie(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def origin_of(request: Request) -> Origin:
    """Where `request` came from, for the audit log."""
    return Origin(address=_address(request.scope), user_agent=request.headers.get("user-agent"))


async def principal_of(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The caller: as AuthenticateBeforeBody found it, or checked now."""
    principal: Principal | None = getattr(request.state, _PRINCIPAL, None)
    if principal is not None:
        return principal
    principal = await verifier_of(request).verify(
        credentials,
        _address(request.scope),
        session_secret=request.cookies.get(SESSION_COOKIE),
        method=request.method,
        csrf_token=request.headers.get(CSRF_HEADER),
    )
    request.state.principal = principal
    return principal


def verifier_of(request: Request) -> TokenVerifier:
    """The app's token verifier."""
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier
