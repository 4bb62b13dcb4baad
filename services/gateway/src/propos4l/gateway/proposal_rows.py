"""The rows a new proposal is written as: each statement once, with the function that makes its arguments, for the
one-at-a-time path (`ProposalRepository.create`) and the batched one (`intake_records.create_intake_batch`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from propos4l.shared.envelope import encode
from propos4l.shared.events import Event, ProposalRequest, ProposalRequested
from propos4l.shared.telemetry import trace_headers

__all__ = [
    "INSERT_FIRST_VERSION",
    "INSERT_INTAKE",
    "INSERT_OUTBOX",
    "INSERT_PROPOSAL",
    "IntakeCreation",
    "IntakeOrigin",
    "first_version_arguments",
    "intake_arguments",
    "outbox_arguments",
    "proposal_arguments",
    "request_columns",
]


@dataclass(frozen=True, slots=True)
class IntakeOrigin:
    """The intake message a proposal answers: who sent it, under which key, and what they want echoed."""

    source: str
    idempotency_key: str
    correlation_id: str | None
    callback: dict[str, str] | None
    message_id: str


@dataclass(frozen=True, slots=True)
class IntakeCreation:
    """One proposal to create for an intake message."""

    request: ProposalRequest
    event: ProposalRequested
    trace_id: str | None
    intake: IntakeOrigin


INSERT_PROPOSAL = """INSERT INTO proposals (id, client_name, industry, requirements, scope, timeline, budget,
                                  language, template, discount_percent, status, current_version, trace_id,
                                  owner_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $11, 'queued', $10, $12,
                   coalesce($13, '00000000-0000-0000-0000-000000000001'::uuid))"""
"""A new proposal's row; its arguments are `proposal_arguments`. (Also written in batches: `intake_records`.)"""

INSERT_FIRST_VERSION = """INSERT INTO proposal_versions (proposal_id, version, origin, drafting_context)
           VALUES ($1, $2, 'draft', $3)"""
"""The version a proposal is requested with; arguments: `first_version_arguments`."""

INSERT_INTAKE = """INSERT INTO intake_requests (source, idempotency_key, proposal_id, correlation_id, callback,
                                              message_id)
           VALUES ($1, $2, $3, $4, $5, $6)"""
"""The producer's request a proposal answers; arguments: `intake_arguments`."""

INSERT_OUTBOX = "INSERT INTO outbox (event_id, stream, fields) VALUES ($1, $2, $3)"
"""An event to publish; arguments: `outbox_arguments`."""


def request_columns(request: ProposalRequest) -> tuple[object, ...]:
    """The request's fields client_name .. template, in the order INSERT_PROPOSAL and the confirmation's UPDATE take
    them (right after the proposal's id)."""
    return (
        request.client_name,
        request.industry,
        request.requirements,
        request.scope,
        request.timeline,
        request.budget,
        request.language.value,
        request.template,
    )


def proposal_arguments(
    request: ProposalRequest, event: ProposalRequested, trace_id: str | None, owner_id: uuid.UUID | None
) -> tuple[object, ...]:
    """The arguments of INSERT_PROPOSAL."""
    return (
        event.proposal_id,
        *request_columns(request),
        event.version,
        request.discount_percent,
        trace_id,
        owner_id,
    )


def first_version_arguments(event: ProposalRequested) -> tuple[object, ...]:
    """The arguments of INSERT_FIRST_VERSION: the version, with the context its draft will stand on."""
    context = event.context.model_dump(mode="json") if event.context is not None else None
    return (event.proposal_id, event.version, context)


def intake_arguments(proposal_id: uuid.UUID, intake: IntakeOrigin) -> tuple[object, ...]:
    """The arguments of INSERT_INTAKE."""
    return (
        intake.source,
        intake.idempotency_key,
        proposal_id,
        intake.correlation_id,
        intake.callback,
        intake.message_id,
    )


def outbox_arguments(event: Event) -> tuple[object, ...]:
    """The arguments of INSERT_OUTBOX; the relay publishes it later, in the trace of the request that made it."""
    return (event.event_id, event.stream.value, encode(event, trace_headers()))
