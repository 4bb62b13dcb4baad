"""Dependencies the routes import: the caller, the repository, the app's settings."""

from __future__ import annotations

from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from propos4l.gateway.auth import Principal, bearer_scheme, principal_of
from propos4l.gateway.drafting_context import ContextRetriever
from propos4l.gateway.library_documents import LibraryDocuments
from propos4l.gateway.library_entries import LibraryEntries
from propos4l.gateway.outbox import OutboxRelay
from propos4l.gateway.problems import Problem
from propos4l.gateway.rate_card import RateCard
from propos4l.gateway.rate_limit import RateLimiter
from propos4l.gateway.repository import ProposalRepository
from propos4l.gateway.settings import GatewaySettings
from propos4l.shared.object_store import ObjectStore

__all__ = [
    "ContextRetrieval",
    "CurrentPrincipal",
    "Database",
    "Documents",
    "Library",
    "Outbox",
    "PdfStorage",
    "Proposals",
    "Rates",
    "RenderAllowance",
    "Settings",
]


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


def _documents(request: Request) -> LibraryDocuments:
    documents: LibraryDocuments = request.app.state.library_documents
    return documents


def _library(request: Request) -> LibraryEntries:
    entries: LibraryEntries = request.app.state.library_entries
    return entries


def _rate_card(request: Request) -> RateCard:
    rate_card: RateCard = request.app.state.rate_card
    return rate_card


def _context_retriever(request: Request) -> ContextRetriever:
    retriever: ContextRetriever = request.app.state.context_retriever
    return retriever


def _pdf_storage(request: Request) -> ObjectStore:
    store: ObjectStore = request.app.state.pdf_storage
    return store


def _database(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


CurrentPrincipal = Annotated[Principal, Depends(_principal)]
Proposals = Annotated[ProposalRepository, Depends(_repository)]
Settings = Annotated[GatewaySettings, Depends(_settings)]
Outbox = Annotated[OutboxRelay, Depends(_outbox)]
RenderAllowance = Annotated[Principal, Depends(_render_allowance)]
"""The caller of a route that makes a new version to render, counted against its rate limit."""
Documents = Annotated[LibraryDocuments, Depends(_documents)]
"""The library's documents (rows and their files under LIBRARY_DIR)."""
Library = Annotated[LibraryEntries, Depends(_library)]
"""The library's entries (company profile, services, people, case studies)."""
Rates = Annotated[RateCard, Depends(_rate_card)]
"""The rate card (roles and rates); routes that change it check for an admin themselves."""
Database = Annotated[asyncpg.Pool, Depends(_database)]
"""The gateway's connection pool, for reads that belong to no repository."""
ContextRetrieval = Annotated[ContextRetriever, Depends(_context_retriever)]
"""What a draft may stand on, taken from the knowledge library (passages, roster, rate card)."""
PdfStorage = Annotated[ObjectStore, Depends(_pdf_storage)]
"""Where the renderer stores the PDFs: PDF_STORAGE_DIR or the bucket of STORAGE_URL."""
