"""Versions of a proposal: list them, and make a new one by editing or regenerating a section."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from propos4l.gateway.deps import CurrentPrincipal, Outbox, Proposals, RenderAllowance, Settings
from propos4l.gateway.problems import Problem
from propos4l.gateway.proposal_size import ProposalTooLarge
from propos4l.gateway.repository import ProposalBusy, ProposalNotFound, VersionChange
from propos4l.gateway.schemas import ProposalView, SectionEdit, SectionRegeneration, VersionList
from propos4l.gateway.template_pricing import TemplatePricing
from propos4l.gateway.views import proposal_view, version_view
from propos4l.shared.sections import SectionKey

__all__ = ["router"]

router = APIRouter(prefix="/api/proposals", tags=["versions"])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        401: "No or wrong API token",
        404: "No such proposal",
        409: "The current version is still being produced",
        422: "Invalid request (e.g. an unknown section key, or a proposal past PROPOSAL_MAX_CHARACTERS)",
        429: "Too many section edits and regenerations by this token in the last minute (see Retry-After)",
    }.items()
}


@router.get("/{proposal_id}/versions", response_model=VersionList, responses=_PROBLEMS)
async def list_versions(proposal_id: uuid.UUID, _: CurrentPrincipal, proposals: Proposals) -> VersionList:
    """Every version of the proposal, oldest first, each with how it was made and its PDF."""
    rows = await proposals.versions(proposal_id)
    if not rows and await proposals.get(proposal_id) is None:
        raise Problem(404, f"There is no proposal {proposal_id}.")
    return VersionList(items=[version_view(row) for row in rows])


@router.post(
    "/{proposal_id}/sections/{key}/regenerate", status_code=202, response_model=ProposalView, responses=_PROBLEMS
)
async def regenerate_section(
    proposal_id: uuid.UUID,
    key: SectionKey,
    response: Response,
    _: RenderAllowance,
    proposals: Proposals,
    outbox: Outbox,
    pricing: TemplatePricing,
    settings: Settings,
    body: SectionRegeneration | None = None,
) -> ProposalView:
    """Have the model write one section again (optionally following instructions), as a new version."""
    instructions = body.instructions if body is not None and body.instructions else None
    change = VersionChange(section=key, instructions=instructions)
    return await _new_version(proposal_id, change, response, proposals, outbox, pricing, settings)


@router.put("/{proposal_id}/sections/{key}", status_code=202, response_model=ProposalView, responses=_PROBLEMS)
async def edit_section(
    proposal_id: uuid.UUID,
    key: SectionKey,
    body: SectionEdit,
    response: Response,
    _: RenderAllowance,
    proposals: Proposals,
    outbox: Outbox,
    pricing: TemplatePricing,
    settings: Settings,
) -> ProposalView:
    """Replace one section's content with what a person wrote, as a new version, rendered again."""
    change = VersionChange(section=key, content=body.content)
    return await _new_version(proposal_id, change, response, proposals, outbox, pricing, settings)


async def _new_version(
    proposal_id: uuid.UUID,
    change: VersionChange,
    response: Response,
    proposals: Proposals,
    outbox: Outbox,
    pricing: TemplatePricing,
    settings: Settings,
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
    outbox.wake()
    response.headers["Location"] = f"/api/proposals/{proposal_id}"
    terms = await pricing.terms_of(row["template"]) if row["investment_items"] else None
    return proposal_view(row, terms, settings.tracing_ui_url)
