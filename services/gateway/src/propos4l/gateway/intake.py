"""The public intake: proposals requested by producers over Redis Streams, created as POST /api/proposals creates
them (same validation, same records and outbox); a refused message is answered on `propos4l.intake.rejected`."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Final

import asyncpg

from propos4l.gateway.drafting_context import ContextRetriever
from propos4l.gateway.outbox import OutboxRelay
from propos4l.gateway.repository import IntakeCreation, IntakeOrigin, ProposalRepository
from propos4l.shared.delivery import DeadLetter, Delivery, Handler, Publisher
from propos4l.shared.events import FieldError, IntakeRejected, ProposalRequested, derived_event_id
from propos4l.shared.grouped_calls import GroupedCalls
from propos4l.shared.intake import IntakeMessage, IntakeRefusal, intake_envelope, read_intake
from propos4l.shared.streams import intake_producer, producer_streams
from propos4l.shared.telemetry import current_trace_id

__all__ = ["IntakeHandler", "IntakeWriter", "intake_proposal_id"]

logger = logging.getLogger(__name__)

_PROPOSALS: Final = uuid.UUID("0b6a3f4e-8d0c-4f3a-a4c5-6f1f2c9e7d21")


def intake_proposal_id(source: str, idempotency_key: str) -> uuid.UUID:
    """The proposal a producer's request makes: derived from (source, key), so two replicas racing on one request
    make the same row, and one of them loses on its primary key."""
    return uuid.uuid5(_PROPOSALS, f"{source}\n{idempotency_key}")


class IntakeWriter:
    """Creates intake proposals, those that arrive while a commit is under way together in the next one (a group
    commit): a commit per message is what limits intake, not the work of each. Each waits for its own outcome."""

    def __init__(self, proposals: ProposalRepository) -> None:
        self._calls = GroupedCalls(proposals.create_from_intake)

    async def create(self, creation: IntakeCreation) -> bool:
        """Create it with whatever else waits; True when created, False when its source and key already had one."""
        return await self._calls.call(creation)


class IntakeHandler:
    """Turns intake messages into proposals, or into rejections the producer can read.

    A message read from a producer's own stream (`producer_streams`) is that producer's, whatever its `source` field
    says, and its rejection goes to that producer's rejections stream; one from the deprecated shared stream keeps
    the `source` it claims, and is answered on the shared rejections stream.
    """

    def __init__(
        self,
        pool: asyncpg.Pool,
        proposals: ProposalRepository,
        retriever: ContextRetriever,
        outbox: OutboxRelay,
        publisher: Publisher,
    ) -> None:
        self._pool = pool
        self._proposals = proposals
        self._writer = IntakeWriter(proposals)
        self._checks: GroupedCalls[IntakeMessage, tuple[bool, bool]] = GroupedCalls(
            lambda messages: _intake_checks(pool, messages)
        )
        self._retriever = retriever
        self._outbox = outbox
        self._publisher = publisher

    def handler_for(self, producer: str) -> Handler:
        """The handler of producer `producer`'s intake stream."""

        async def on_requested(delivery: Delivery) -> None:
            await self._on_message(delivery, producer)

        return on_requested

    async def on_requested(self, delivery: Delivery) -> None:
        """A message of the deprecated shared stream: create the proposal it asks for (once per source and key), or
        publish why it is refused."""
        await self._on_message(delivery, None)

    async def _on_message(self, delivery: Delivery, producer: str | None) -> None:
        read = read_intake(delivery.envelope.payload, producer)
        if isinstance(read, IntakeRefusal):
            await self._reject(delivery, read, producer)
            return
        # One round trip for both checks, and for every message checked at the same time: a request seen before is not
        # retrieved for again.
        accepted, template_found = await self._checks.call(read)
        if accepted:
            logger.info("intake request already accepted", extra=_log_fields(read, delivery))
            return
        if not template_found:
            error = FieldError(
                field="request.template",
                message=f"there is no template named {read.request.template!r}",
                type="template_unknown",
            )
            refusal = IntakeRefusal(
                f"There is no template named {read.request.template!r}; GET /api/templates lists them.",
                (error,),
                read.source,
                read.idempotency_key,
                read.correlation_id,
            )
            await self._reject(delivery, refusal, producer)
            return
        await self._create(read, delivery)

    async def on_dead_letter(self, dead: DeadLetter) -> None:
        """A message the gateway gave up on (its handler kept failing): its producer is told, not left waiting."""
        producer = intake_producer(dead.stream)
        envelope = dead.envelope or intake_envelope(dead.fields)
        read = read_intake(envelope.payload, producer)
        who = read if isinstance(read, IntakeRefusal) else None
        refusal = IntakeRefusal(
            f"The intake message could not be accepted: {dead.reason}",
            (),
            who.source if who else getattr(read, "source", None),
            who.idempotency_key if who else getattr(read, "idempotency_key", None),
            who.correlation_id if who else getattr(read, "correlation_id", None),
        )
        await self._reject(Delivery(dead.message_id, envelope, dead.deliveries), refusal, producer)

    async def _create(self, message: IntakeMessage, delivery: Delivery) -> None:
        proposal_id = intake_proposal_id(message.source, message.idempotency_key)
        context = await self._retriever.retrieve(message.request)
        event = ProposalRequested(proposal_id=proposal_id, version=1, request=message.request, context=context)
        origin = IntakeOrigin(
            source=message.source,
            idempotency_key=message.idempotency_key,
            correlation_id=message.correlation_id,
            callback=message.callback,
            message_id=delivery.message_id,
        )
        if not await self._writer.create(IntakeCreation(message.request, event, current_trace_id(), origin)):
            logger.info("intake request already accepted", extra=_log_fields(message, delivery))
            return
        self._outbox.wake()
        logger.info(
            "intake request accepted", extra={**_log_fields(message, delivery), "proposal_id": str(proposal_id)}
        )

    async def _reject(self, delivery: Delivery, refusal: IntakeRefusal, producer: str | None) -> None:
        await self._publisher.publish(
            IntakeRejected(
                event_id=derived_event_id(delivery.envelope.event_id, f"rejected:{delivery.message_id}"),
                intake_message_id=delivery.message_id,
                source=refusal.source,
                idempotency_key=refusal.idempotency_key,
                correlation_id=refusal.correlation_id,
                detail=refusal.detail[:4_000],
                errors=refusal.errors,
            ),
            to=producer_streams(producer).rejected if producer is not None else None,
        )
        logger.warning(
            "intake message rejected",
            extra={"message_id": delivery.message_id, "source": refusal.source, "detail": refusal.detail[:500]},
        )


async def _intake_checks(pool: asyncpg.Pool, messages: Sequence[IntakeMessage]) -> list[tuple[bool, bool]]:
    """For each message, whether its source and key already made a proposal, and whether its template exists now."""
    rows = await pool.fetch(
        """SELECT EXISTS (SELECT 1 FROM intake_requests r WHERE r.source = m.source AND r.idempotency_key = m.key)
                      AS accepted,
                  coalesce((SELECT NOT deleted FROM templates WHERE name = m.template), false) AS template_found
           FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS m(source, key, template, position)
           ORDER BY m.position""",
        [message.source for message in messages],
        [message.idempotency_key for message in messages],
        [message.request.template for message in messages],
    )
    return [(bool(row["accepted"]), bool(row["template_found"])) for row in rows]


def _log_fields(message: IntakeMessage, delivery: Delivery) -> dict[str, str | None]:
    return {
        "message_id": delivery.message_id,
        "source": message.source,
        "idempotency_key": message.idempotency_key,
        "correlation_id": message.correlation_id,
    }
