"""Single sign-on (OpenID Connect): which sign-in methods there are, the start of an SSO sign-in (a redirect to the
identity provider) and its callback (a web session, then a redirect back to the web app). When either fails, a browser
is sent to the web app's sign-in page with the problem's code, `WEB_APP_URL/?sso_error=<code>`; a client that asks
for JSON gets the problem."""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel

from propos4l.gateway.audit import Actor, AuditLog
from propos4l.gateway.auth import SESSION_COOKIE, origin_of
from propos4l.gateway.deps import Sessions, Settings, Users
from propos4l.gateway.oidc import STATE_LIFETIME_SECONDS, OidcClient, OidcRefused, email_domain
from propos4l.gateway.problems import Problem
from propos4l.gateway.roles import Role
from propos4l.gateway.settings import GatewaySettings
from propos4l.gateway.users import EmailTaken

__all__ = ["router"]

router = APIRouter(prefix="/api/auth", tags=["session"])
logger = logging.getLogger(__name__)

_STATE_COOKIE = "propos4l_oidc_state"
_STATE_PATH = "/api/auth/oidc"
_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        404: "Single sign-on is not configured",
        502: "The identity provider does not answer",
    }.items()
}


class SignInMethods(BaseModel):
    """How people may sign in here."""

    password: bool
    sso: bool


@router.get("/methods", response_model=SignInMethods)
async def sign_in_methods(request: Request) -> SignInMethods:
    """Which sign-in methods the sign-in page offers."""
    return SignInMethods(password=True, sso=request.app.state.oidc is not None)


def _wants_json(request: Request) -> bool:
    """Whether the caller asked for JSON rather than a page: a program, not a browser that navigated here (browsers
    send text/html first, and */* alone is no preference)."""
    accept = request.headers.get("accept", "").lower()
    return "json" in accept and "text/html" not in accept


def _redirect_uri(request: Request, settings: GatewaySettings) -> str:
    return settings.oidc_redirect_uri or str(request.url_for("oidc_callback"))


def _safe_return(settings: GatewaySettings, return_to: str | None) -> str | None:
    """`return_to` when it is a page of the web app (one of its origins, or a path here), else None."""
    if not return_to:
        return None
    if return_to.startswith("/") and not return_to.startswith("//"):
        return return_to
    for origin in settings.cors_allowed_origins:
        if origin != "*" and (return_to == origin or return_to.startswith(origin + "/")):
            return return_to
    return None


@router.get(
    "/oidc/login",
    status_code=302,
    response_class=RedirectResponse,
    responses={
        303: {
            "description": "SSO cannot start (not configured, the provider does not answer, its discovery document is "
            "broken), asked by a browser: to WEB_APP_URL/?sso_error=<code>, one of sso_not_configured, "
            "oidc_unavailable, oidc_misconfigured. A client that accepts JSON and not HTML gets the problem instead."
        },
        **_PROBLEMS,
    },
)
async def oidc_login(
    request: Request,
    settings: Settings,
    return_to: Annotated[str | None, Query(max_length=2000, description="the web app's page to come back to")] = None,
) -> RedirectResponse:
    """Start an SSO sign-in: redirects the browser to the identity provider."""
    client: OidcClient | None = request.app.state.oidc
    try:
        if client is None:
            raise OidcRefused("sso_not_configured", "Single sign-on is not configured (OIDC_ISSUER).")
        started = await client.start(_redirect_uri(request, settings), _safe_return(settings, return_to))
    except OidcRefused as refused:
        if refused.code != "sso_not_configured":
            logger.warning("an SSO sign-in could not start", extra={"code": refused.code, "detail": refused.detail})
        if _wants_json(request):
            raise Problem(404 if client is None else 502, refused.detail, code=refused.code) from None
        return RedirectResponse(sign_in_page_with_error(settings, refused.code), status_code=303)
    response = RedirectResponse(started.url, status_code=302)
    response.set_cookie(
        _STATE_COOKIE,
        started.state,
        max_age=STATE_LIFETIME_SECONDS,
        path=_STATE_PATH,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


def sign_in_page_with_error(settings: GatewaySettings, problem_code: str) -> str:
    """The web app's sign-in page, told why single sign-on failed (it words the code)."""
    return f"{settings.web_app_url.rstrip('/')}/?{urlencode({'sso_error': problem_code})}"


@router.get(
    "/oidc/callback",
    status_code=303,
    response_class=RedirectResponse,
    responses={
        303: {
            "description": "Signed in: to the page the sign-in started from. Refused (a wrong or old state, a refused "
            "code, an ID token not for this app, an e-mail domain that may not enter, a disabled account): to "
            "WEB_APP_URL/?sso_error=<code>, e.g. oidc_state_invalid, oidc_code_rejected, oidc_token_invalid, "
            "oidc_email_missing, oidc_domain_not_allowed, oidc_account_disabled, oidc_denied; sso_not_configured when "
            "single sign-on is off (a client that asks for JSON gets that as a 404 problem)."
        },
        404: _PROBLEMS[404],
    },
)
async def oidc_callback(
    request: Request,
    settings: Settings,
    users: Users,
    sessions: Sessions,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    state: Annotated[str | None, Query(max_length=200)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> RedirectResponse:
    """Finish an SSO sign-in: opens a web session and redirects to the web app (to its sign-in page, with the reason's
    code in `sso_error`, when the sign-in is refused)."""
    client: OidcClient | None = request.app.state.oidc
    if client is None:  # SSO was turned off while someone was at the provider
        if _wants_json(request):
            raise Problem(404, "Single sign-on is not configured (OIDC_ISSUER).", code="sso_not_configured")
        return RedirectResponse(sign_in_page_with_error(settings, "sso_not_configured"), status_code=303)
    audit: AuditLog = request.app.state.audit
    origin = origin_of(request)

    async def refuse(problem_code: str, detail: str, email: str | None = None) -> RedirectResponse:
        await audit.record(
            "sign_in",
            Actor(name=(email or "unknown").lower(), via="anonymous"),
            origin,
            outcome="failure",
            details={"reason": problem_code, "method": "sso", "detail": detail[:300]},
        )
        response = RedirectResponse(sign_in_page_with_error(settings, problem_code), status_code=303)
        response.delete_cookie(_STATE_COOKIE, path=_STATE_PATH)
        return response

    if error or not code or not state:
        return await refuse("oidc_denied", f"The identity provider did not sign you in ({error or 'no code'}).")
    try:
        identity = await client.finish(
            code, state, request.cookies.get(_STATE_COOKIE), _redirect_uri(request, settings)
        )
    except OidcRefused as refused:
        return await refuse(refused.code, refused.detail)
    found = await users.credentials(identity.email)
    user = found[0] if found is not None else None
    if user is None:
        if email_domain(identity.email) not in settings.oidc_allowed_email_domains:
            detail = f"People of {email_domain(identity.email)} need an account made by an admin before they sign in."
            return await refuse("oidc_domain_not_allowed", detail, identity.email)
        try:
            user = await users.create(
                identity.email, identity.name or identity.email.split("@")[0], Role(settings.oidc_default_role)
            )
        except EmailTaken:  # made by a concurrent first sign-in of the same person
            found = await users.credentials(identity.email)
            assert found is not None
            user = found[0]
        await audit.record(
            "user.created",
            Actor(name=user.email, via="session", user_id=user.id),
            origin,
            object_type="user",
            object_id=user.id,
            details={"email": user.email, "role": user.role, "method": "sso"},
        )
    if not user.active or user.is_system:
        return await refuse("oidc_account_disabled", "This account is disabled.", identity.email)
    opened = await sessions.open(user, address=origin.address, user_agent=origin.user_agent)
    await audit.record(
        "sign_in",
        Actor(name=user.email, via="session", user_id=user.id),
        origin,
        object_type="user",
        object_id=user.id,
        details={"method": "sso", "subject": identity.subject, "session_id": str(opened.session.id)},
    )
    response = RedirectResponse(identity.return_to or "/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        opened.secret,
        max_age=int(sessions.absolute.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.delete_cookie(_STATE_COOKIE, path=_STATE_PATH)
    return response
