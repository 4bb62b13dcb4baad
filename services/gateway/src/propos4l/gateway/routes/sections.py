"""Versions of a proposal: list and read them, and make a new one by editing or regenerating a section or by
editing the effort hours."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from propos4l.gateway.client_documents import ClientDocuments
from propos4l.gateway.deps import (
    Audit,
    AuditTrail,
    ClientDocumentStore,
    ContextRetrieval,
    Outbox,
    Proposals,
    RenderAllowance,
    Settings,
    Viewer,
    ensure_may_change,
)
from propos4l.gateway.effort_edit import UnknownRoles
from propos4l.gateway.grounding_schemas import EffortEdit
from propos4l.gateway.problems import Problem
from propos4l.gateway.proposal_size import ProposalTooLarge
from propos4l.gateway.repository import ProposalBusy, ProposalNotFound, VersionChange, request_of
from propos4l.gateway.schemas import ProposalView, SectionEdit, SectionRegeneration, VersionList
from propos4l.gateway.template_pricing import TemplatePricing
from propos4l.gateway.views import proposal_view, version_view
from propos4l.shared.effort_pricing import ProposedEffort
from propos4l.shared.grounding import ContextRequirement
from propos4l.shared.sections import SectionKey

__all__ = ["router"]

router = APIRouter(prefix="/api/proposals", tags=["versions"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        401: "No or wrong API token",
        404: "No such proposal",
        409: "The current version is still being produced",
        422: "Invalid request (e.g. an unknown section key, a proposal past PROPOSAL_MAX_CHARACTERS, or effort for a "
        "role not on the rate card recorded with the current version)",
        429: "Too many section edits and regenerations by this token in the last minute (see Retry-After)",
    }.items()
}


@router.get("/{proposal_id}/versions", response_model=VersionList, responses=_PROBLEMS)
async def list_versions(proposal_id: uuid.UUID, _: Viewer, proposals: Proposals) -> VersionList:
    """Every version of the proposal, oldest first, each with how it was made and its PDF."""
    rows = await proposals.versions(proposal_id)
    if not rows and await proposals.get(proposal_id) is None:
        raise Problem(404, f"There is no proposal {proposal_id}.")
    return VersionList(items=[version_view(row) for row in rows])


@router.get("/{proposal_id}/versions/{version}", response_model=ProposalView, responses=_PROBLEMS)
async def get_version(
    proposal_id: uuid.UUID,
    version: Annotated[int, Path(ge=1, le=100_000)],
    _: Viewer,
    proposals: Proposals,
    pricing: TemplatePricing,
) -> ProposalView:
    """One version's content and what it stands on (sources, team, priced effort, budget comparison, flags), as
    `GET /api/proposals/{id}` shows the current one; `version` is the one shown, `status` the proposal's."""
    row = await proposals.get(proposal_id, version)
    if row is None:
        if await proposals.get(proposal_id) is None:
            raise Problem(404, f"There is no proposal {proposal_id}.")
        raise Problem(404, f"Proposal {proposal_id} has no version {version}.")
    terms = await pricing.terms_of(row["template"]) if row["investment_items"] else None
    view = proposal_view(row, terms)
    view.version = version
    return view


@router.post(
    "/{proposal_id}/sections/{key}/regenerate", status_code=202, response_model=ProposalView, responses=_PROBLEMS
)
async def regenerate_section(
    proposal_id: uuid.UUID,
    key: SectionKey,
    response: Response,
    principal: RenderAllowance,
    audit: Audit,
    proposals: Proposals,
    outbox: Outbox,
    pricing: TemplatePricing,
    settings: Settings,
    retriever: ContextRetrieval,
    documents: ClientDocumentStore,
    body: SectionRegeneration | None = None,
) -> ProposalView:
    """Have the model write one section again (optionally following instructions), as a new version; what the
    knowledge library gives is retrieved again, with the instructions added to the request's words."""
    await ensure_may_change(proposals, proposal_id, principal)
    instructions = body.instructions if body is not None and body.instructions else None
    proposal = await proposals.get(proposal_id)
    if proposal is None:
        raise Problem(404, f"There is no proposal {proposal_id}.")
    if proposal["status"] == "awaiting_confirmation":  # no request yet: nothing drafted to rewrite
        raise Problem(
            409,
            f"Proposal {proposal_id} awaits the confirmation of its request; confirm it first.",
            code="not_confirmed",
        )
    context = await retriever.retrieve(request_of(proposal), instructions)
    # The client's requirements, each with the sections it maps to (issue #16): the section's own are shown to the
    # model as data, and all of them make the new version's compliance annex.
    requirements = await documents.draft_requirements(proposal_id, proposal["current_version"])
    if requirements:
        context = context.model_copy(update={"requirements": requirements})
    change = VersionChange(section=key, instructions=instructions, context=context)
    return await _new_version(
        proposal_id, change, response, proposals, outbox, pricing, settings, audit, "proposal.section_regenerated"
    )


@router.put("/{proposal_id}/sections/{key}", status_code=202, response_model=ProposalView, responses=_PROBLEMS)
async def edit_section(
    proposal_id: uuid.UUID,
    key: SectionKey,
    body: SectionEdit,
    response: Response,
    principal: RenderAllowance,
    audit: Audit,
    proposals: Proposals,
    outbox: Outbox,
    pricing: TemplatePricing,
    settings: Settings,
    documents: ClientDocumentStore,
) -> ProposalView:
    """Replace one section's content with what a person wrote, as a new version, rendered again (its compliance
    annex with the requirements' statuses as they are now)."""
    await ensure_may_change(proposals, proposal_id, principal)
    change = VersionChange(
        section=key, content=body.content, requirements=await _requirements_now(proposals, documents, proposal_id)
    )
    return await _new_version(
        proposal_id, change, response, proposals, outbox, pricing, settings, audit, "proposal.section_edited"
    )


@router.patch("/{proposal_id}/effort", status_code=202, response_model=ProposalView, responses=_PROBLEMS)
async def edit_effort(
    proposal_id: uuid.UUID,
    body: EffortEdit,
    response: Response,
    principal: RenderAllowance,
    audit: Audit,
    proposals: Proposals,
    outbox: Outbox,
    pricing: TemplatePricing,
    settings: Settings,
    documents: ClientDocumentStore,
) -> ProposalView:
    """Replace the effort (hours per phase and role) as a new version, rendered again.

    Every line is priced by the gateway with the rates recorded for the current version (the rate card of its
    context and the rates its effort used), not today's; the investment items that came from the effort and the
    budget comparison are computed again. Amounts and totals are never taken from the request.
    """
    await ensure_may_change(proposals, proposal_id, principal)
    effort = tuple(ProposedEffort(phase=line.phase, role_id=line.role_id, hours=line.hours) for line in body.lines)
    change = VersionChange(
        section=SectionKey.INVESTMENT,
        effort=effort,
        requirements=await _requirements_now(proposals, documents, proposal_id),
    )
    return await _new_version(
        proposal_id, change, response, proposals, outbox, pricing, settings, audit, "proposal.effort_edited"
    )


async def _requirements_now(
    proposals: Proposals, documents: ClientDocuments, proposal_id: uuid.UUID
) -> tuple[ContextRequirement, ...]:
    """The client's requirements with their statuses at the current version, for an edited version's annex."""
    proposal = await proposals.get(proposal_id)
    if proposal is None:
        return ()  # the change itself answers 404
    return await documents.draft_requirements(proposal_id, proposal["current_version"])


async def _new_version(
    proposal_id: uuid.UUID,
    change: VersionChange,
    response: Response,
    proposals: Proposals,
    outbox: Outbox,
    pricing: TemplatePricing,
    settings: Settings,
    audit: AuditTrail,
    action: str,
) -> ProposalView:
    try:
        row = await proposals.open_version(proposal_id, change, max_characters=settings.proposal_max_characters)
    except ProposalNotFound:
        raise Problem(404, f"There is no proposal {proposal_id}.") from None
    except ProposalBusy as error:
        raise Problem(409, f"{error}.") from None
    except ProposalTooLarge as error:
        detail = str(error)
        raise Problem(422, f"{detail[:1].upper()}{detail[1:]}.") from None
    except UnknownRoles as error:
        raise Problem(
            422,
            f"These roles are not on the rate card recorded with this proposal's current version: {error}. "
            "Effort can use only the roles that version was priced with (see its effort and the rate card of its "
            "draft); a new role needs a new draft.",
        ) from None
    outbox.wake()
    await audit.record(
        action,
        object_type="proposal",
        object_id=proposal_id,
        details={"version": row["current_version"], "section": change.section},
    )
    response.headers["Location"] = f"/api/proposals/{proposal_id}"
    terms = await pricing.terms_of(row["template"]) if row["investment_items"] else None
    return proposal_view(row, terms, settings.tracing_ui_url)
