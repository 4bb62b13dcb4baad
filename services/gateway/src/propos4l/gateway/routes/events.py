"""Live progress of a proposal as Server-Sent Events, resumable with Last-Event-ID."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from propos4l.gateway.deps import Proposals, Viewer
from propos4l.gateway.problems import Problem
from propos4l.gateway.progress_log import ProgressNotifier

__all__ = ["router"]

router = APIRouter(prefix="/api/proposals", tags=["events"])

_WAIT_SECONDS = 15.0
_LARGEST_EVENT_ID = 2**63 - 1  # the progress log's ids are bigint: a larger cursor is refused before the stream opens


@router.get(
    "/{proposal_id}/events",
    response_class=EventSourceResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "`status` events ({status, version, error}) and `progress` events ({version, section, "
            "title, text, completed, characters}); each has an `id` to resume from with Last-Event-ID.",
        },
        401: {"content": {"application/problem+json": {}}},
        404: {"content": {"application/problem+json": {}}},
    },
)
async def proposal_events(
    proposal_id: uuid.UUID,
    request: Request,
    _: Viewer,
    proposals: Proposals,
    last_event_id: Annotated[int | None, Header(alias="Last-Event-ID", ge=0, le=_LARGEST_EVENT_ID)] = None,
    after: Annotated[
        int | None, Query(ge=0, le=_LARGEST_EVENT_ID, description="like Last-Event-ID, for clients that cannot set it")
    ] = None,
) -> EventSourceResponse:
    """Status changes and the draft's text as the model writes it, from the beginning or after an event id."""
    if await proposals.get(proposal_id) is None:
        raise Problem(404, f"There is no proposal {proposal_id}.")
    notifier: ProgressNotifier = request.app.state.notifier
    cursor = last_event_id if last_event_id is not None else (after or 0)

    async def stream() -> AsyncIterator[ServerSentEvent]:
        nonlocal cursor
        while True:
            rows = await proposals.events_after(proposal_id, cursor)
            for row in rows:
                cursor = row["id"]
                yield ServerSentEvent(id=str(row["id"]), event=row["kind"], data=json.dumps(row["data"]))
            if not rows:
                await notifier.wait(proposal_id, _WAIT_SECONDS)

    return EventSourceResponse(stream(), ping=15, headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
