"""The gateway's records in PostgreSQL: proposals, their versions, and the outbox of events to publish."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import asyncpg

from propos4l.gateway.effort_edit import reprice_effort
from propos4l.gateway.intake_records import create_intake_batch
from propos4l.gateway.progress_log import status_changed
from propos4l.gateway.proposal_listing import ListPosition, ProposalFilters, ProposalPage, read_page
from propos4l.gateway.proposal_rows import (
    INSERT_FIRST_VERSION,
    INSERT_INTAKE,
    INSERT_OUTBOX,
    INSERT_PROPOSAL,
    IntakeCreation,
    IntakeOrigin,
    first_version_arguments,
    intake_arguments,
    outbox_arguments,
    proposal_arguments,
    request_columns,
)
from propos4l.gateway.proposal_size import check_change_fits
from propos4l.gateway.review_transitions import reset_approval_after_new_version
from propos4l.gateway.schemas import ProposalStart
from propos4l.gateway.version_grounding import VersionGrounding
from propos4l.shared.compliance_annex import compliance_lines
from propos4l.shared.effort_pricing import ProposedEffort
from propos4l.shared.events import (
    Event,
    InvestmentItem,
    ProposalDrafted,
    ProposalRequest,
    ProposalRequested,
    Section,
    SectionRegenerationRequested,
)
from propos4l.shared.grounding import ContextRequirement, DraftingContext
from propos4l.shared.sections import SectionKey

__all__ = [
    "DuplicateIntake",
    "IntakeCreation",
    "IntakeOrigin",
    "NotAwaitingConfirmation",
    "ProposalBusy",
    "ProposalFilters",
    "ProposalNotFound",
    "ProposalRepository",
    "VersionChange",
    "add_to_outbox",
    "request_of",
]

_PROPOSAL_COLUMNS = """
    p.id, p.client_name, p.industry, p.requirements, p.scope, p.timeline, p.budget, p.language, p.template,
    p.discount_percent, p.status, p.current_version, p.error_stage, p.error_detail, p.created_at, p.updated_at,
    p.trace_id, p.owner_id, p.from_documents,
    (SELECT u.display_name FROM users u WHERE u.id = p.owner_id) AS owner_name,
    p.review_state, p.approved_version, p.sent_version,
    ARRAY(SELECT c.user_id FROM proposal_collaborators c WHERE c.proposal_id = p.id ORDER BY c.added_at)
        AS collaborator_ids,
    v.sections, v.provider, v.model, v.ai_generated, v.prompt_version, v.prompt_tokens, v.output_tokens,
    v.llm_duration_ms, v.drafted_at, v.pdf_path, v.pdf_bytes, v.pages, v.render_ms, v.rendered_at,
    v.investment_items, v.timeline_phases, v.assumptions, v.origin, v.section_key, v.instructions,
    v.drafting_context, v.grounding, v.version AS shown_version,
    (SELECT max(r.version) FROM proposal_versions r WHERE r.proposal_id = p.id AND r.pdf_path IS NOT NULL)
        AS latest_rendered_version
"""

# What the list shows of each proposal (views.proposal_summary): no version content, which can be large.
_SUMMARY_COLUMNS = """
    p.id, p.client_name, p.industry, p.language, p.template, p.status, p.current_version, p.error_stage,
    p.error_detail, p.created_at, p.updated_at, p.owner_id, p.review_state,
    (SELECT u.display_name FROM users u WHERE u.id = p.owner_id) AS owner_name,
    (SELECT max(r.version) FROM proposal_versions r WHERE r.proposal_id = p.id AND r.pdf_path IS NOT NULL)
        AS latest_rendered_version
"""


class ProposalNotFound(LookupError):
    """No proposal has that id."""


class NotAwaitingConfirmation(Exception):
    """The proposal is not waiting for its request to be confirmed (it was confirmed already, or never waited)."""


class ProposalBusy(Exception):
    """The proposal cannot take that change now; the message says why and when it can."""


@dataclass(frozen=True, slots=True)
class VersionChange:
    """A change to one section: new content typed by a person, a regeneration with optional instructions (and the
    library's context retrieved again for it), or new effort hours (the investment section, priced again)."""

    section: SectionKey
    content: str | None = None
    instructions: str | None = None
    context: DraftingContext | None = None
    effort: tuple[ProposedEffort, ...] | None = None
    requirements: tuple[ContextRequirement, ...] = ()
    """For an edit by hand: the client's requirements with a person's statuses as they are now, for the new
    version's compliance annex (a regeneration's are in its `context`)."""


class DuplicateIntake(Exception):
    """A producer's (source, idempotency key) already has its proposal."""


async def _record_intake(connection: asyncpg.Connection, proposal_id: uuid.UUID, intake: IntakeOrigin) -> None:
    recorded = await connection.fetchval(
        INSERT_INTAKE + " ON CONFLICT (source, idempotency_key) DO NOTHING RETURNING true",
        *intake_arguments(proposal_id, intake),
    )
    if not recorded:
        raise DuplicateIntake(f"{intake.source}/{intake.idempotency_key}")


async def _insert_proposal(
    connection: asyncpg.Connection,
    request: ProposalRequest,
    event: ProposalRequested,
    trace_id: str | None,
    intake: IntakeOrigin | None,
    owner_id: uuid.UUID | None = None,
) -> None:
    """The rows of a new proposal, inside the caller's transaction; without `owner_id` (an intake message, say) the
    system user owns it."""
    await connection.execute(INSERT_PROPOSAL, *proposal_arguments(request, event, trace_id, owner_id))
    # The version exists from the request on, with the context its draft will stand on (as regenerations do).
    await connection.execute(INSERT_FIRST_VERSION, *first_version_arguments(event))
    if intake is not None:  # before the status change: its lifecycle event carries the correlation id
        await _record_intake(connection, event.proposal_id, intake)
    await add_to_outbox(connection, event)
    await status_changed(connection, event.proposal_id, event.version, "queued")


class ProposalRepository:
    """Reads and writes the proposal tables through a pool."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def create(
        self,
        request: ProposalRequest,
        event: ProposalRequested,
        trace_id: str | None = None,
        intake: IntakeOrigin | None = None,
        owner_id: uuid.UUID | None = None,
    ) -> asyncpg.Record:
        """Store a new proposal (with the trace of the request that made it) and, in the same transaction, the event
        announcing it; with `intake`, the producer's request it answers (raises DuplicateIntake if one already did)."""
        async with self.pool.acquire() as connection, connection.transaction():
            await _insert_proposal(connection, request, event, trace_id, intake, owner_id)
            row = await _fetch_proposal(connection, event.proposal_id)
        assert row is not None
        return row

    async def start_from_documents(
        self, proposal_id: uuid.UUID, start: ProposalStart, trace_id: str | None, owner_id: uuid.UUID | None
    ) -> asyncpg.Record:
        """Store a proposal that waits for its client's documents and a person's confirmation of the request
        (`awaiting_confirmation`): its version 1 exists, no drafting event is queued yet."""
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                """INSERT INTO proposals (id, client_name, industry, requirements, scope, timeline, budget, language,
                                          template, status, current_version, trace_id, owner_id, from_documents)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'awaiting_confirmation', 1, $10,
                           coalesce($11, '00000000-0000-0000-0000-000000000001'::uuid), true)""",
                proposal_id,
                start.client_name,
                start.industry,
                start.requirements,
                start.scope,
                start.timeline,
                start.budget,
                start.language.value,
                start.template,
                trace_id,
                owner_id,
            )
            await connection.execute(
                "INSERT INTO proposal_versions (proposal_id, version, origin) VALUES ($1, 1, 'draft')", proposal_id
            )
            await status_changed(connection, proposal_id, 1, "awaiting_confirmation")
            row = await _fetch_proposal(connection, proposal_id)
        assert row is not None
        return row

    async def confirm(self, request: ProposalRequest, event: ProposalRequested) -> asyncpg.Record:
        """Turn a proposal awaiting confirmation into a request: the confirmed fields, the context its draft stands
        on and its ProposalRequested event, in one transaction; raise NotAwaitingConfirmation if it no longer waits
        (a second confirmation loses)."""
        async with self.pool.acquire() as connection, connection.transaction():
            changed = await connection.fetchval(
                """UPDATE proposals
                   SET client_name = $2, industry = $3, requirements = $4, scope = $5, timeline = $6, budget = $7,
                       language = $8, template = $9, discount_percent = $10, status = 'queued', updated_at = now()
                   WHERE id = $1 AND status = 'awaiting_confirmation' RETURNING true""",
                event.proposal_id,
                *request_columns(request),
                request.discount_percent,
            )
            if not changed:
                raise NotAwaitingConfirmation(str(event.proposal_id))
            await connection.execute(
                "UPDATE proposal_versions SET drafting_context = $2 WHERE proposal_id = $1 AND version = 1",
                event.proposal_id,
                event.context.model_dump(mode="json") if event.context is not None else None,
            )
            await add_to_outbox(connection, event)
            await status_changed(connection, event.proposal_id, event.version, "queued")
            row = await _fetch_proposal(connection, event.proposal_id)
        assert row is not None
        return row

    async def create_from_intake(self, creations: Sequence[IntakeCreation]) -> list[bool]:
        """Create several intake proposals in one transaction (one commit: the cost that limits intake), with one
        statement per table for all of them (`create_intake_batch`); for each, whether it was created (False: its
        source and key already have one). Should another replica create one of them meanwhile, the batch is written
        again with a savepoint per proposal."""
        async with self.pool.acquire() as connection:
            try:
                async with connection.transaction():
                    return await create_intake_batch(connection, creations)
            except asyncpg.UniqueViolationError:
                pass  # another replica created one of them meanwhile: again, one savepoint each
        created: list[bool] = []
        async with self.pool.acquire() as connection, connection.transaction():
            for creation in creations:
                try:
                    async with connection.transaction():
                        await _insert_proposal(
                            connection, creation.request, creation.event, creation.trace_id, creation.intake
                        )
                    created.append(True)
                except (DuplicateIntake, asyncpg.UniqueViolationError):
                    created.append(False)
        return created

    async def versions(self, proposal_id: uuid.UUID) -> Sequence[asyncpg.Record]:
        """Every version of a proposal, oldest first."""
        async with self.pool.acquire() as connection:
            rows: Sequence[asyncpg.Record] = await connection.fetch(
                f"SELECT * FROM proposal_versions WHERE proposal_id = $1 AND {_NOT_DELETED} ORDER BY version",  # noqa: S608
                proposal_id,
            )
        return rows

    async def events_after(self, proposal_id: uuid.UUID, after: int, limit: int = 200) -> Sequence[asyncpg.Record]:
        """The proposal's progress log after entry `after`, oldest first."""
        async with self.pool.acquire() as connection:
            rows: Sequence[asyncpg.Record] = await connection.fetch(
                """SELECT id, kind, data FROM proposal_events WHERE proposal_id = $1 AND id > $2
                   ORDER BY id LIMIT $3""",
                proposal_id,
                after,
                limit,
            )
        return rows

    async def open_version(
        self, proposal_id: uuid.UUID, change: VersionChange, *, max_characters: int | None = None
    ) -> asyncpg.Record:
        """Make version N+1 from the current one, with `change` to one section; queue its drafting or rendering.

        Raises ProposalNotFound, ProposalBusy while the current version is still being produced, ProposalTooLarge
        when the change would not fit in `max_characters` (see `proposal_size`), or `effort_edit.UnknownRoles` when
        new effort names a role the current version's rate card did not have.
        """
        async with self.pool.acquire() as connection, connection.transaction():
            current = await connection.fetchrow(
                """SELECT p.*, v.sections, v.provider, v.model, v.ai_generated, v.prompt_version,
                          v.investment_items, v.timeline_phases, v.assumptions, v.drafting_context, v.grounding
                   FROM proposals p
                   LEFT JOIN proposal_versions v ON v.proposal_id = p.id AND v.version = p.current_version
                   WHERE p.id = $1 AND p.deleted_at IS NULL FOR UPDATE OF p""",
                proposal_id,
            )
            if current is None:
                raise ProposalNotFound(proposal_id)
            if current["status"] not in ("ready", "failed"):
                raise ProposalBusy(
                    f"version {current['current_version']} is still {current['status']}; "
                    "change a section once it is ready or has failed"
                )
            if not current["sections"]:
                raise ProposalBusy("the proposal has no drafted sections to change yet; retry the proposal instead")
            version = current["current_version"] + 1
            base = tuple(Section.model_validate(section) for section in current["sections"])
            if max_characters is not None and change.effort is None:  # new hours change no text
                check_change_fits(base, change.section, change.content, max_characters)
            request = request_of(current)
            base_context = (
                DraftingContext.model_validate(current["drafting_context"]) if current["drafting_context"] else None
            )
            grounding = VersionGrounding.from_column(current["grounding"])
            context = base_context
            items = tuple(InvestmentItem.model_validate(item) for item in current["investment_items"] or ())
            if change.effort is not None:
                edited = reprice_effort(
                    change.effort, request=request, context=base_context, grounding=grounding, items=items
                )
                grounding, items = edited.grounding, edited.investment_items
            elif change.content is not None and grounding is not None:
                grounding = grounding.without_section(change.section)
            structured = {
                "investment_items": items,
                "timeline_phases": tuple(current["timeline_phases"] or ()),
                "assumptions": tuple(current["assumptions"] or ()),
            }
            event: ProposalDrafted | SectionRegenerationRequested
            if change.content is not None or change.effort is not None:  # an edit by hand: straight to rendering
                sections = tuple(
                    section.model_copy(update={"content": change.content})
                    if section.key == change.section and change.content is not None
                    else section
                    for section in base
                )
                event = ProposalDrafted(
                    proposal_id=proposal_id,
                    version=version,
                    request=request,
                    sections=sections,
                    provider=current["provider"] or "edit",
                    model=current["model"] or "none",
                    ai_generated=bool(current["ai_generated"]),
                    prompt_version=current["prompt_version"] or "edit",
                    origin="edit",
                    edited_section=change.section,
                    compliance=compliance_lines(change.requirements, sections),
                    **structured,
                    **(grounding.drafted_fields() if grounding is not None else {}),
                )
                status, origin, drafted = "rendering", "edit", True
            else:
                sections = base
                event = SectionRegenerationRequested(
                    proposal_id=proposal_id,
                    version=version,
                    request=request,
                    section=change.section,
                    instructions=change.instructions,
                    base_sections=base,
                    ai_generated=bool(current["ai_generated"]),
                    context=change.context,
                    base_sources=grounding.sources if grounding else (),
                    team=grounding.team if grounding else (),
                    effort=grounding.effort if grounding else (),
                    base_flags=grounding.flags if grounding else (),
                    **structured,
                )
                status, origin, drafted = "queued", "regenerate", False
                context, grounding = change.context, None  # the draft's grounding comes with ProposalDrafted
            await connection.execute(
                """INSERT INTO proposal_versions (proposal_id, version, sections, provider, model, ai_generated,
                                                  prompt_version, investment_items, timeline_phases, assumptions,
                                                  origin, section_key, instructions, drafted_at, drafting_context,
                                                  grounding)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
                           CASE WHEN $14 THEN now() END, $15, $16)""",
                proposal_id,
                version,
                [section.model_dump(mode="json") for section in sections],
                current["provider"],
                current["model"],
                current["ai_generated"],
                current["prompt_version"],
                [item.model_dump(mode="json") for item in items]
                if current["investment_items"] is not None or change.effort is not None
                else None,
                current["timeline_phases"],
                current["assumptions"],
                origin,
                change.section.value,
                change.instructions,
                drafted,
                context.model_dump(mode="json") if context is not None else None,
                grounding.to_column() if grounding is not None else None,
            )
            await connection.execute(
                """UPDATE proposals SET current_version = $2, status = $3, error_stage = NULL, error_detail = NULL,
                                        updated_at = now()
                   WHERE id = $1""",
                proposal_id,
                version,
                status,
            )
            await add_to_outbox(connection, event)
            await status_changed(connection, proposal_id, version, status)
            await reset_approval_after_new_version(connection, proposal_id, version)
            row = await _fetch_proposal(connection, proposal_id)
        assert row is not None
        return row

    async def get(self, proposal_id: uuid.UUID, version: int | None = None) -> asyncpg.Record | None:
        """A proposal with its current version (or `version`: None when it has no such version), or None."""
        async with self.pool.acquire() as connection:
            row = await _fetch_proposal(connection, proposal_id, version)
        if row is not None and version is not None and row["shown_version"] is None:
            return None
        return row

    async def members(self, proposal_id: uuid.UUID) -> tuple[uuid.UUID, frozenset[uuid.UUID]] | None:
        """A proposal's owner and collaborators, or None if there is no such proposal."""
        async with self.pool.acquire() as connection:
            row = await connection.fetchrow(
                """SELECT p.owner_id, ARRAY(SELECT c.user_id FROM proposal_collaborators c
                                            WHERE c.proposal_id = p.id) AS collaborator_ids
                   FROM proposals p WHERE p.id = $1 AND p.deleted_at IS NULL""",
                proposal_id,
            )
        return (row["owner_id"], frozenset(row["collaborator_ids"])) if row is not None else None

    async def set_collaborators(self, proposal_id: uuid.UUID, user_ids: Sequence[uuid.UUID]) -> None:
        """Make `user_ids` the proposal's collaborators (in that order), replacing the ones it had."""
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute("DELETE FROM proposal_collaborators WHERE proposal_id = $1", proposal_id)
            await connection.executemany(
                """INSERT INTO proposal_collaborators (proposal_id, user_id, added_at)
                   VALUES ($1, $2, now() + $3 * interval '1 microsecond')""",
                [(proposal_id, user_id, position) for position, user_id in enumerate(user_ids)],
            )

    async def delete(self, proposal_id: uuid.UUID) -> bool:
        """Hide a proposal from every read and list (its rows and PDFs stay); False if there is none to delete."""
        async with self.pool.acquire() as connection:
            result: str = await connection.execute(
                "UPDATE proposals SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL",
                proposal_id,
            )
        return result.endswith(" 1")

    async def version(self, proposal_id: uuid.UUID, version: int) -> asyncpg.Record | None:
        """One version of a proposal, or None."""
        async with self.pool.acquire() as connection:
            return await connection.fetchrow(
                f"SELECT * FROM proposal_versions WHERE proposal_id = $1 AND version = $2 AND {_NOT_DELETED}",  # noqa: S608
                proposal_id,
                version,
            )

    async def latest_rendered(self, proposal_id: uuid.UUID) -> asyncpg.Record | None:
        """The newest version that has a PDF, or None."""
        async with self.pool.acquire() as connection:
            return await connection.fetchrow(
                f"""SELECT * FROM proposal_versions WHERE proposal_id = $1 AND pdf_path IS NOT NULL AND {_NOT_DELETED}
                   ORDER BY version DESC LIMIT 1""",  # noqa: S608
                proposal_id,
            )

    async def list(
        self,
        filters: ProposalFilters,
        *,
        limit: int,
        offset: int = 0,
        after: ListPosition | None = None,
        count_limit: int = 1000,
    ) -> ProposalPage:
        """A page of proposals, newest first (after `offset` rows or after the position `after`), and how many match
        (counted up to `count_limit`)."""
        async with self.pool.acquire() as connection:
            return await read_page(
                connection,
                _SUMMARY_COLUMNS,
                filters,
                limit=limit,
                offset=offset,
                after=after,
                count_limit=count_limit,
            )


_NOT_DELETED: Final = "EXISTS (SELECT 1 FROM proposals p WHERE p.id = $1 AND p.deleted_at IS NULL)"
"""A condition on a query whose $1 is a proposal id: the proposal is not deleted."""


async def add_to_outbox(connection: asyncpg.Connection, event: Event) -> None:
    """Queue `event` for publication, inside the caller's transaction."""
    await connection.execute(INSERT_OUTBOX, *outbox_arguments(event))


async def _fetch_proposal(
    connection: asyncpg.Connection, proposal_id: uuid.UUID, version: int | None = None
) -> asyncpg.Record | None:
    return await connection.fetchrow(
        f"""SELECT {_PROPOSAL_COLUMNS}
            FROM proposals p
            LEFT JOIN proposal_versions v ON v.proposal_id = p.id AND v.version = coalesce($2, p.current_version)
            WHERE p.id = $1 AND p.deleted_at IS NULL""",  # noqa: S608 - the column list is a constant
        proposal_id,
        version,
    )


def request_of(row: asyncpg.Record) -> ProposalRequest:
    """The request a proposal was made from, as stored."""
    return ProposalRequest(
        client_name=row["client_name"],
        industry=row["industry"],
        requirements=row["requirements"],
        scope=row["scope"],
        timeline=row["timeline"],
        budget=row["budget"],
        language=row["language"],
        template=row["template"],
        discount_percent=row["discount_percent"],
    )
