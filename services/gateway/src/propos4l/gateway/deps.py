"""Dependencies the routes import: the caller with the role a route needs, the audit trail, the repository, the
app's settings."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any, Final

import asyncpg
from fastapi import Depends, Request

from propos4l.gateway.access import RoleRequired
from propos4l.gateway.approval_rules import ApprovalRuleStore
from propos4l.gateway.audit import AuditLog
from propos4l.gateway.auth import Principal, origin_of
from propos4l.gateway.client_documents import ClientDocuments
from propos4l.gateway.drafting_context import ContextRetriever
from propos4l.gateway.invitations import InvitationStore
from propos4l.gateway.library_documents import LibraryDocuments
from propos4l.gateway.library_entries import LibraryEntries
from propos4l.gateway.outbox import OutboxRelay
from propos4l.gateway.problems import Problem
from propos4l.gateway.rate_card import RateCard
from propos4l.gateway.rate_limit import RateLimiter
from propos4l.gateway.repository import ProposalRepository
from propos4l.gateway.review_comments import CommentStore
from propos4l.gateway.roles import Role
from propos4l.gateway.settings import GatewaySettings
from propos4l.gateway.users import UserStore
from propos4l.gateway.web_sessions import SessionStore
from propos4l.shared.object_store import ObjectStore

__all__ = [
    "Admin",
    "ApprovalRules",
    "Audit",
    "AuditTrail",
    "ClientDocumentStore",
    "Comments",
    "ContextRetrieval",
    "CurrentPrincipal",
    "Database",
    "Documents",
    "Editor",
    "Invitations",
    "Library",
    "Manager",
    "Outbox",
    "PdfStorage",
    "Proposals",
    "Rates",
    "RenderAllowance",
    "Sessions",
    "Settings",
    "Users",
    "Viewer",
    "audited",
    "ensure_may_change",
]


Viewer = Annotated[Principal, Depends(RoleRequired(Role.VIEWER))]
"""The caller of a route any signed-in user may call."""
Editor = Annotated[Principal, Depends(RoleRequired(Role.EDITOR))]
"""The caller of a route that creates or edits proposals or the library."""
Manager = Annotated[Principal, Depends(RoleRequired(Role.MANAGER))]
"""The caller of a route that acts on every proposal, whoever owns it."""
Admin = Annotated[Principal, Depends(RoleRequired(Role.ADMIN))]
"""The caller of a route that manages users, tokens, templates, the rate card or backups."""
CurrentPrincipal = Viewer


async def _render_allowance(request: Request, principal: Editor) -> Principal:
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


async def ensure_may_change(proposals: ProposalRepository, proposal_id: uuid.UUID, principal: Principal) -> None:
    """A 404 problem if there is no such proposal; a 403 one if the caller is an editor who neither owns it nor
    collaborates on it (managers and admins change every proposal)."""
    members = await proposals.members(proposal_id)
    if members is None:
        raise Problem(404, f"There is no proposal {proposal_id}.")
    owner, collaborators = members
    if principal.role.includes(Role.MANAGER) or principal.user_id == owner or principal.user_id in collaborators:
        return
    raise Problem(
        403,
        "Editors change only the proposals they own or collaborate on; ask its owner or a manager to add you.",
        code="not_a_collaborator",
    )


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


def _client_documents(request: Request) -> ClientDocuments:
    documents: ClientDocuments = request.app.state.client_documents
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


@dataclass(frozen=True, slots=True)
class AuditTrail:
    """The audit log, for one request: records name its caller and where it came from."""

    log: AuditLog
    request: Request
    principal: Principal

    async def record(
        self,
        action: str,
        *,
        object_type: str | None = None,
        object_id: object = None,
        details: dict[str, Any] | None = None,
        connection: asyncpg.Connection | None = None,
    ) -> None:
        """Append a successful `action` by the caller."""
        await self.log.record(
            action,
            self.principal.actor,
            origin_of(self.request),
            object_type=object_type,
            object_id=object_id,
            details=details,
            connection=connection,
        )


def _audit(request: Request, principal: Viewer) -> AuditTrail:
    log: AuditLog = request.app.state.audit
    return AuditTrail(log, request, principal)


def _users(request: Request) -> UserStore:
    users: UserStore = request.app.state.users
    return users


def _sessions(request: Request) -> SessionStore:
    sessions: SessionStore = request.app.state.sessions
    return sessions


_VERBS: Final = {"POST": "created", "PUT": "saved", "PATCH": "changed", "DELETE": "deleted"}


def audited(object_type: str, *, reads: frozenset[str] = frozenset()) -> Any:
    """A router dependency that records each successful change its routes make (POST, PUT, PATCH, DELETE; the route
    names in `reads` change nothing) as `<object_type>.<created|saved|changed|deleted>`, the object named by the
    route's path parameters."""

    async def record(request: Request, audit: Annotated[AuditTrail, Depends(_audit)]) -> AsyncIterator[None]:
        yield  # a refused or failed change raises here, and is not recorded
        route = request.scope.get("route")
        if request.method not in _VERBS or getattr(route, "name", None) in reads:
            return
        await audit.record(
            f"{object_type}.{_VERBS[request.method]}",
            object_type=object_type,
            object_id="/".join(str(value) for value in request.path_params.values()) or None,
            details={"path": request.url.path},
        )

    return Depends(record)


def _invitations(request: Request) -> InvitationStore:
    invitations: InvitationStore = request.app.state.invitations
    return invitations


Invitations = Annotated[InvitationStore, Depends(_invitations)]
Audit = Annotated[AuditTrail, Depends(_audit)]
"""The audit trail of this request (its caller must be signed in)."""
Users = Annotated[UserStore, Depends(_users)]
Sessions = Annotated[SessionStore, Depends(_sessions)]
Proposals = Annotated[ProposalRepository, Depends(_repository)]
Settings = Annotated[GatewaySettings, Depends(_settings)]
Outbox = Annotated[OutboxRelay, Depends(_outbox)]
RenderAllowance = Annotated[Principal, Depends(_render_allowance)]
"""The caller of a route that makes a new version to render, counted against its rate limit."""
Documents = Annotated[LibraryDocuments, Depends(_documents)]
ClientDocumentStore = Annotated[ClientDocuments, Depends(_client_documents)]
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


def _comments(request: Request) -> CommentStore:
    store: CommentStore = request.app.state.review_comments
    return store


def _approval_rules(request: Request) -> ApprovalRuleStore:
    store: ApprovalRuleStore = request.app.state.approval_rules
    return store


Comments = Annotated[CommentStore, Depends(_comments)]
"""Proposals' comment threads."""
ApprovalRules = Annotated[ApprovalRuleStore, Depends(_approval_rules)]
"""The approval rules (admins change them)."""
