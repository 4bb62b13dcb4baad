"""Single sign-on with OpenID Connect: the authorization code flow with PKCE (S256), state and nonce, through
Authlib's OAuth 2 client; the ID token checked with joserfc against the provider's published keys (issuer, audience,
expiry, nonce).

Who may enter: an active account with the same e-mail, or anyone whose verified e-mail is in one of the allowed
domains (a new account with the default role).
"""

from __future__ import annotations

import secrets
import time
import warnings
from dataclasses import dataclass
from typing import Any, Final

import asyncpg
import httpx
from authlib.common.security import generate_token
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

with warnings.catch_warnings():
    # Authlib 1.9 announces a move of this integration to the httpx2 package; the httpx one works as before.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

__all__ = ["Identity", "OidcClient", "OidcConfig", "OidcRefused", "SignInStart", "email_domain"]

STATE_LIFETIME_SECONDS: Final = 600
_DISCOVERY_TTL_SECONDS: Final = 3600
_SCOPE: Final = "openid email profile"
_REQUIRED_METADATA: Final = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")


class OidcRefused(Exception):
    """The sign-in cannot go on; `code` names why (a stable word the web app translates)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class OidcConfig:
    """The provider and this client's registration with it."""

    issuer: str
    client_id: str
    client_secret: str | None


@dataclass(frozen=True, slots=True)
class SignInStart:
    """Where to send the browser, and the state the callback must bring back."""

    url: str
    state: str


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the provider says signed in."""

    subject: str
    email: str
    name: str | None
    return_to: str | None


class OidcClient:
    """One provider: its discovery document and keys (cached), sign-in starts and callbacks."""

    def __init__(self, config: OidcConfig, pool: asyncpg.Pool, http: httpx.AsyncClient) -> None:
        self.config = config
        self._pool = pool
        self._http = http
        self._metadata: dict[str, Any] | None = None
        self._fetched_at = 0.0

    async def _discovery(self) -> dict[str, Any]:
        if self._metadata is None or time.monotonic() - self._fetched_at > _DISCOVERY_TTL_SECONDS:
            url = self.config.issuer.rstrip("/") + "/.well-known/openid-configuration"
            try:
                response = await self._http.get(url)
            except httpx.HTTPError as error:
                raise OidcRefused("oidc_unavailable", f"The identity provider does not answer ({error}).") from None
            if response.status_code >= 500:
                raise OidcRefused("oidc_unavailable", f"The identity provider answered {response.status_code}.")
            try:
                response.raise_for_status()
                metadata: dict[str, Any] = response.json()
            except (httpx.HTTPStatusError, ValueError) as error:
                raise OidcRefused(
                    "oidc_misconfigured", f"The provider's discovery document at {url} cannot be read ({error})."
                ) from None
            if not isinstance(metadata, dict) or not all(
                isinstance(metadata.get(name), str) for name in _REQUIRED_METADATA
            ):
                raise OidcRefused(
                    "oidc_misconfigured",
                    f"The provider's discovery document at {url} lacks one of {', '.join(_REQUIRED_METADATA)}.",
                )
            if metadata["issuer"].rstrip("/") != self.config.issuer.rstrip("/"):
                raise OidcRefused("oidc_misconfigured", f"The provider at {url} names another issuer.")
            self._metadata, self._fetched_at = metadata, time.monotonic()
        return self._metadata

    async def start(self, redirect_uri: str, return_to: str | None) -> SignInStart:
        """A new sign-in: its state, nonce and PKCE verifier stored (used once, for STATE_LIFETIME_SECONDS)."""
        metadata = await self._discovery()
        state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), generate_token(64)
        await self._pool.execute(
            "INSERT INTO oidc_sign_ins (state, nonce, code_verifier, return_to) VALUES ($1, $2, $3, $4)",
            state,
            nonce,
            verifier,
            return_to,
        )
        async with self._oauth(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                metadata["authorization_endpoint"],
                state=state,
                nonce=nonce,
                code_challenge=create_s256_code_challenge(verifier),
                code_challenge_method="S256",
            )
        return SignInStart(url=url, state=state)

    async def finish(self, code: str, state: str, cookie_state: str | None, redirect_uri: str) -> Identity:
        """The identity of a callback; raise OidcRefused (wrong or old state, a code the provider refuses, an ID
        token that is not for us)."""
        if not cookie_state or not secrets.compare_digest(cookie_state, state):
            raise OidcRefused("oidc_state_invalid", "This sign-in was not started in this browser; start again.")
        row = await self._pool.fetchrow(
            """DELETE FROM oidc_sign_ins WHERE state = $1
               RETURNING nonce, code_verifier, return_to, created_at > now() - $2 * interval '1 second' AS fresh""",
            state,
            STATE_LIFETIME_SECONDS,
        )
        if row is None or not row["fresh"]:
            raise OidcRefused("oidc_state_invalid", "This sign-in is unknown, used or too old; start again.")
        metadata = await self._discovery()
        async with self._oauth(redirect_uri) as client:
            try:
                token = await client.fetch_token(
                    metadata["token_endpoint"], code=code, code_verifier=row["code_verifier"]
                )
            except Exception as error:
                raise OidcRefused(
                    "oidc_code_rejected", f"The identity provider refused the sign-in code ({error})."
                ) from None
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcRefused("oidc_code_rejected", "The identity provider sent no ID token.")
        claims = await self.verify_id_token(id_token, nonce=row["nonce"])
        email = claims.get("email")
        if not isinstance(email, str) or "@" not in email or claims.get("email_verified") is False:
            raise OidcRefused("oidc_email_missing", "The identity provider did not send a verified e-mail address.")
        name = claims.get("name")
        return Identity(str(claims["sub"]), email, name if isinstance(name, str) else None, row["return_to"])

    async def verify_id_token(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """The claims of an ID token signed by the provider's keys, for this client, unexpired, with `nonce`."""
        metadata = await self._discovery()
        response = await self._http.get(metadata["jwks_uri"])
        response.raise_for_status()
        keys = KeySet.import_key_set(response.json())
        try:
            decoded = jwt.decode(id_token, keys)
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": metadata["issuer"]},
                aud={"essential": True, "value": self.config.client_id},
                sub={"essential": True},
                exp={"essential": True},
                nonce={"essential": True, "value": nonce},
            ).validate(decoded.claims)
        except (JoseError, ValueError) as error:
            raise OidcRefused("oidc_token_invalid", f"The ID token is not valid for this sign-in ({error}).") from None
        claims: dict[str, Any] = decoded.claims
        return claims

    def _oauth(self, redirect_uri: str) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.config.client_id,
            client_secret=self.config.client_secret,
            scope=_SCOPE,
            redirect_uri=redirect_uri,
            token_endpoint_auth_method="client_secret_basic" if self.config.client_secret else "none",
            timeout=10.0,
        )


def email_domain(email: str) -> str:
    """The domain of an e-mail address, lower-cased."""
    return email.rsplit("@", 1)[-1].strip().lower()
