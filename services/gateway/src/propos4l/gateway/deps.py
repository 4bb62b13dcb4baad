"""Dependencies the routes import: the caller, the repository, the app's settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from propos4l.gateway.auth import Principal, bearer_scheme, principal_of
from propos4l.gateway.outbox import OutboxRelay
from propos4l.gateway.problems import Problem
from propos4l.gateway.rate_limit import RateLimiter
from propos4l.gateway.repository import ProposalRepository
from propos4l.gateway.settings import GatewaySettings

__all__ = ["CurrentPrincipal", "Outbox", "Proposals", "RenderAllowance", "Settings"]


async def _principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
) -> Principal:
    return await principal_of(request, credentials)


async def _render_allowance(request: Request, principal: Annotated[Principal, Depends(_principal)]) -> Principal:
    """The caller, once one more section edit or regeneration fits in its rate limit; else a 429 problem."""
    limiter: RateLimiter = request.app.state.render_rate_limiter
    wait = await limiter.try_acquire(principal.name)
    if wait is not None:
        raise Problem(
            429,
            f"This token may ask for {limiter.limit} section edits or regenerations a minute, and has; "
            f"try again in {wait} s.",
            headers={"Retry-After": str(wait)},
        )
    return principal


def _repository(request: Request) -> ProposalRepository:
    repository: ProposalRepository = request.app.state.proposals
    return repository


def _settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


def _outbox(request: Request) -> OutboxRelay:
    relay: OutboxRelay = request.app.state.outbox
    return relay


CurrentPrincipal = Annotated[Principal, Depends(_principal)]
Proposals = Annotated[ProposalRepository, Depends(_repository)]
Settings = Annotated[GatewaySettings, Depends(_settings)]
Outbox = Annotated[OutboxRelay, Depends(_outbox)]
RenderAllowance = Annotated[Principal, Depends(_render_allowance)]
"""The caller of a route that makes a new version to render, counted against its rate limit."""
