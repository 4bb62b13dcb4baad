"""Recording what the pipeline reports: each event applied once, in a transaction, in a status order that only
moves forward (queued -> generating -> rendering -> ready), whatever order the events arrive in."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Callable

import asyncpg

from propos4l.gateway.client_documents import check_coverage
from propos4l.gateway.progress_log import ProgressWriter, status_changed
from propos4l.gateway.version_grounding import VersionGrounding
from propos4l.shared.db import mark_processed
from propos4l.shared.delivery import DeadLetter, Delivery, PermanentFailure, dead_letter_failure
from propos4l.shared.events import (
    FailureStage,
    GenerationStarted,
    ProposalDrafted,
    ProposalFailed,
    ProposalProgressed,
    ProposalRendered,
)
from propos4l.shared.grounding import DraftingContext
from propos4l.shared.object_store import ObjectStore
from propos4l.shared.outages import DependencyUnavailable
from propos4l.shared.streams import ConsumerGroup

__all__ = ["EventRecorder"]

logger = logging.getLogger(__name__)

_GROUP = ConsumerGroup.GATEWAY.value


class EventRecorder:
    """Applies result events to the proposal tables."""

    def __init__(
        self, pool: asyncpg.Pool, pdf_storage: ObjectStore, wake_outbox: Callable[[], None] | None = None
    ) -> None:
        self._pool = pool
        # Status changes queue lifecycle events in the outbox: the relay is told at once, not at its next poll.
        self._wake_outbox = wake_outbox or (lambda: None)
        self._progress = ProgressWriter(pool)  # progress comes in bursts: written in batches
        self._pdf_storage = pdf_storage

    async def on_generation_started(self, delivery: Delivery) -> None:
        """A generator began drafting: the proposal is `generating`."""
        event = delivery.envelope.open(GenerationStarted)
        async with self._transaction() as connection:
            if not await self._first_time(connection, event.event_id, event.proposal_id, event.version):
                return
            changed = await connection.execute(
                """UPDATE proposals SET status = 'generating', updated_at = now()
                   WHERE id = $1 AND current_version = $2 AND status = 'queued'""",
                event.proposal_id,
                event.version,
            )
            if changed == "UPDATE 1":
                await status_changed(connection, event.proposal_id, event.version, "generating")

    async def on_drafted(self, delivery: Delivery) -> None:
        """The sections are written: store them and what they stand on (sources, team, priced effort, flags, budget
        comparison, rates used); the proposal is `rendering`, or `ready` if its PDF came first."""
        event = delivery.envelope.open(ProposalDrafted)
        sections = [section.model_dump(mode="json") for section in event.sections]
        async with self._transaction() as connection:
            if not await self._first_time(connection, event.event_id, event.proposal_id, event.version):
                return
            grounding = await _grounding_of(connection, event)
            await connection.execute(
                """INSERT INTO proposal_versions (proposal_id, version, sections, provider, model, ai_generated,
                                                  prompt_version, prompt_tokens, output_tokens, llm_duration_ms,
                                                  drafted_at, investment_items, timeline_phases, assumptions,
                                                  origin, section_key, grounding)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
                   ON CONFLICT (proposal_id, version) DO UPDATE SET
                       sections = EXCLUDED.sections, provider = EXCLUDED.provider, model = EXCLUDED.model,
                       ai_generated = EXCLUDED.ai_generated, prompt_version = EXCLUDED.prompt_version,
                       prompt_tokens = EXCLUDED.prompt_tokens, output_tokens = EXCLUDED.output_tokens,
                       llm_duration_ms = EXCLUDED.llm_duration_ms, drafted_at = EXCLUDED.drafted_at,
                       investment_items = EXCLUDED.investment_items, timeline_phases = EXCLUDED.timeline_phases,
                       assumptions = EXCLUDED.assumptions, grounding = EXCLUDED.grounding
                   WHERE proposal_versions.drafted_at IS NULL""",
                event.proposal_id,
                event.version,
                sections,
                event.provider,
                event.model,
                event.ai_generated,
                event.prompt_version,
                event.usage.prompt_tokens,
                event.usage.output_tokens,
                event.usage.duration_ms,
                event.occurred_at,
                [item.model_dump(mode="json") for item in event.investment_items],
                [phase.model_dump(mode="json") for phase in event.timeline_phases],
                list(event.assumptions),
                event.origin,
                event.edited_section.value if event.edited_section else None,
                grounding.to_column() if grounding is not None else None,
            )
            # `ready` only once both the sections and the PDF are recorded: when the PDF came first, this is it.
            status = await connection.fetchval(
                """UPDATE proposals p
                   SET status = CASE WHEN v.pdf_path IS NULL THEN 'rendering' ELSE 'ready' END,
                       error_stage = NULL, error_detail = NULL, updated_at = now()
                   FROM proposal_versions v
                   WHERE p.id = $1 AND p.current_version = $2 AND v.proposal_id = p.id AND v.version = $2
                     AND (p.status IN ('queued', 'generating') OR (v.pdf_path IS NOT NULL AND p.status <> 'ready'))
                   RETURNING p.status""",
                event.proposal_id,
                event.version,
            )
            if status is not None:
                await status_changed(connection, event.proposal_id, event.version, status)
            # The client's requirements (issue #16): what this version's text still leaves unanswered.
            await check_coverage(
                connection,
                event.proposal_id,
                event.version,
                {section.key.value: section.content for section in event.sections},
            )
        self._wake_outbox()

    async def on_rendered(self, delivery: Delivery) -> None:
        """The PDF is stored: the version is downloadable, and the proposal `ready` once its sections are too."""
        event = delivery.envelope.open(ProposalRendered)
        try:
            await self._record_rendered(event)
        except PermanentFailure:
            # A valid event about a version the gateway never asked for (forged, or from a wiped database): the
            # renderer wrote its PDF, and nothing will ever point to it.
            await asyncio.to_thread(self._remove_unrecorded_pdf, event.proposal_id, event.version)
            raise

    def _remove_unrecorded_pdf(self, proposal_id: uuid.UUID, version: int) -> None:
        """Remove the file the renderer writes for (proposal, version): derived from the ids, never from the event's
        `pdf_path`, which would let a forged event name another version's PDF."""
        key = f"{proposal_id}/v{version}.pdf"
        self._pdf_storage.delete(key)
        logger.warning(
            "removed the PDF of an unrecorded version", extra={"pdf_path": key, "storage": self._pdf_storage.location}
        )

    async def _record_rendered(self, event: ProposalRendered) -> None:
        async with self._transaction() as connection:
            if not await self._first_time(connection, event.event_id, event.proposal_id, event.version):
                return
            await connection.execute(
                """INSERT INTO proposal_versions (proposal_id, version, pdf_path, pdf_sha256, pdf_bytes, pages,
                                                  render_ms, rendered_at, template_sha256)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                   ON CONFLICT (proposal_id, version) DO UPDATE SET
                       pdf_path = EXCLUDED.pdf_path, pdf_sha256 = EXCLUDED.pdf_sha256,
                       pdf_bytes = EXCLUDED.pdf_bytes, pages = EXCLUDED.pages, render_ms = EXCLUDED.render_ms,
                       rendered_at = EXCLUDED.rendered_at, template_sha256 = EXCLUDED.template_sha256""",
                event.proposal_id,
                event.version,
                event.pdf_path,
                event.pdf_sha256,
                event.pdf_bytes,
                event.pages,
                event.render_ms,
                event.occurred_at,
                event.template_sha256,
            )
            # `ready` only once the sections are recorded too (they travel on another stream); else on_drafted does it.
            changed = await connection.execute(
                """UPDATE proposals p SET status = 'ready', error_stage = NULL, error_detail = NULL, updated_at = now()
                   FROM proposal_versions v
                   WHERE p.id = $1 AND p.current_version = $2 AND p.status <> 'ready'
                     AND v.proposal_id = p.id AND v.version = $2 AND v.drafted_at IS NOT NULL""",
                event.proposal_id,
                event.version,
            )
            if changed == "UPDATE 1":
                await status_changed(connection, event.proposal_id, event.version, "ready")
        self._wake_outbox()

    async def on_failed(self, delivery: Delivery) -> None:
        """A stage gave up: the proposal is `failed`, with the stage and the reason."""
        await self.record_failure(delivery.envelope.open(ProposalFailed))

    async def record_failure(self, event: ProposalFailed) -> None:
        """Mark the proposal failed unless its version is already ready (a PDF beats a late failure)."""
        async with self._transaction() as connection:
            known = await connection.fetchval("SELECT true FROM proposals WHERE id = $1", event.proposal_id)
            if not known:
                logger.warning("failure of an unknown proposal ignored", extra={"proposal_id": str(event.proposal_id)})
                return
            if not await mark_processed(connection, _GROUP, event.event_id):
                return
            changed = await connection.execute(
                """UPDATE proposals SET status = 'failed', error_stage = $3, error_detail = $4, updated_at = now()
                   WHERE id = $1 AND current_version = $2 AND status NOT IN ('ready', 'failed')""",
                event.proposal_id,
                event.version,
                event.stage.value,
                event.detail,
            )
            if changed == "UPDATE 1":
                error = {"stage": event.stage.value, "detail": event.detail}
                await status_changed(connection, event.proposal_id, event.version, "failed", error)
        self._wake_outbox()
        logger.warning(
            "proposal failed",
            extra={"proposal_id": str(event.proposal_id), "stage": event.stage.value, "reason": event.detail},
        )

    async def on_progressed(self, delivery: Delivery) -> None:
        """Drafting progress: logged for the live stream while the version is still being drafted."""
        await self._progress.write(delivery.envelope.open(ProposalProgressed), delivery.message_id)

    async def on_dead_letter(self, dead: DeadLetter) -> None:
        """An event the gateway could not record: the proposal fails with the reason (the gateway owns it)."""
        failure = dead_letter_failure(dead, FailureStage.RECORDING, "gateway")
        if failure is not None:
            await self.record_failure(failure)

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection in a transaction. PostgreSQL refusing, unresolvable or not answering in time is an outage
        (the consumer holds the event and retries it without counting a delivery), never the event's fault."""
        try:
            async with self._pool.acquire() as connection, connection.transaction():
                yield connection
        except (ConnectionError, socket.gaierror, TimeoutError) as error:
            raise DependencyUnavailable("postgresql", f"PostgreSQL is not answering: {error}") from error

    @staticmethod
    async def _first_time(
        connection: asyncpg.Connection, event_id: uuid.UUID, proposal_id: uuid.UUID, version: int
    ) -> bool:
        """True when the event is new; refuses events about proposals, or versions, the gateway never asked for (it
        raises a proposal's current version in the transaction that asks for the new one)."""
        current = await connection.fetchval("SELECT current_version FROM proposals WHERE id = $1", proposal_id)
        if current is None:
            raise PermanentFailure(f"proposal {proposal_id} is not known to the gateway")
        if version > current:
            raise PermanentFailure(f"proposal {proposal_id} has no version {version}")
        return await mark_processed(connection, _GROUP, event_id)


async def _grounding_of(connection: asyncpg.Connection, event: ProposalDrafted) -> VersionGrounding | None:
    """What the draft says of its sources, team and effort, its citations resolved against the version's recorded
    context and, for sections a regeneration kept, the latest earlier version's citations."""
    context = await connection.fetchval(
        "SELECT drafting_context FROM proposal_versions WHERE proposal_id = $1 AND version = $2",
        event.proposal_id,
        event.version,
    )
    earlier = await connection.fetchval(
        """SELECT grounding FROM proposal_versions
           WHERE proposal_id = $1 AND version < $2 AND grounding IS NOT NULL ORDER BY version DESC LIMIT 1""",
        event.proposal_id,
        event.version,
    )
    return VersionGrounding.of_draft(
        event,
        DraftingContext.model_validate(context) if context else None,
        VersionGrounding.from_column(earlier),
    )
