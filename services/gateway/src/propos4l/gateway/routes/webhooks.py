"""Webhook endpoints, for admins: register one (its secret is shown once), change, rotate its secret, delete it,
read its delivery log and send a delivery again."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from propos4l.gateway.deps import Admin, audited
from propos4l.gateway.problems import Problem
from propos4l.gateway.webhook_sender import WebhookSender
from propos4l.gateway.webhook_store import WebhookStore

__all__ = ["router"]

router = APIRouter(prefix="/api/webhooks", tags=["webhooks"], dependencies=[audited("webhook")])

_PROBLEMS: dict[int | str, dict[str, object]] = {
    code: {"content": {"application/problem+json": {}}, "description": description}
    for code, description in {
        401: "No or wrong API token",
        403: "Not an admin",
        404: "No such endpoint or delivery",
        422: "Invalid request",
    }.items()
}

EventType = Literal[
    "proposal.accepted",
    "proposal.drafted",
    "proposal.ready",
    "proposal.failed",
    "proposal.review.draft",
    "proposal.review.in_review",
    "proposal.review.approved",
    "proposal.review.sent",
    "proposal.review.viewed",
    "proposal.review.accepted",
    "proposal.review.declined",
    "proposal.review.expired",
    "proposal.review.withdrawn",
]


def _store(request: Request, _: Admin) -> WebhookStore:
    store: WebhookStore = request.app.state.webhooks
    return store


Webhooks = Annotated[WebhookStore, Depends(_store)]


def _endpoint_url(url: str) -> str:
    """An absolute http(s) URL without credentials; where it may point is checked at each delivery (DNS changes)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL")
    _ = parts.port  # raises ValueError for a port that is not a number from 0 to 65535
    if parts.username or parts.password:
        raise ValueError("must not carry a user name or password")
    if parts.fragment:
        raise ValueError("must not have a #fragment")
    return url


EndpointUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000), AfterValidator(_endpoint_url)
]
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=4)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class EndpointRequest(BaseModel):
    """An endpoint to register."""

    model_config = ConfigDict(extra="forbid")

    url: EndpointUrl = Field(
        description="where to POST: http(s); private addresses only through WEBHOOK_ALLOWED_NETWORKS"
    )
    event_types: EventTypes = Field(description="the lifecycle events to send")
    description: Description = ""
    enabled: bool = True


class EndpointChange(BaseModel):
    """Fields to change; enabling a disabled endpoint forgets the failures that disabled it."""

    model_config = ConfigDict(extra="forbid")

    url: EndpointUrl | None = None
    event_types: EventTypes | None = None
    description: Description | None = None
    enabled: bool | None = None


class EndpointView(BaseModel):
    """An endpoint as listed: never its secret."""

    id: uuid.UUID
    url: str
    event_types: list[str]
    description: str
    enabled: bool
    consecutive_failures: int
    disabled_reason: str | None = Field(description="why it was disabled, when deliveries kept failing")
    disabled_at: datetime | None
    created_at: datetime
    updated_at: datetime
    previous_secret_expires_at: datetime | None = Field(
        description="after a rotation: until when the previous secret signs too"
    )


class EndpointWithSecret(EndpointView):
    """A new endpoint, with its signing secret: shown this once."""

    secret: str = Field(description="whsec_...: give it to the receiver (Standard Webhooks); not shown again")


class SecretView(BaseModel):
    """A new signing secret, shown this once."""

    secret: str
    previous_secret_expires_at: datetime | None


class TryView(BaseModel):
    """One try of a delivery."""

    attempted_at: datetime
    outcome: Literal["delivered", "http_error", "timeout", "refused", "error"]
    status_code: int | None
    latency_ms: int
    response_excerpt: str | None
    error: str | None


class DeliveryView(BaseModel):
    """A message to an endpoint, and its tries; `id` (as msg_<hex>) is its webhook-id."""

    id: uuid.UUID
    webhook_id: str
    event_id: uuid.UUID
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    tries: list[TryView]


class DeliveryList(BaseModel):
    """An endpoint's latest deliveries, newest first."""

    items: list[DeliveryView]


class EndpointList(BaseModel):
    """Every endpoint."""

    items: list[EndpointView]


def _view(row: Any) -> EndpointView:
    return EndpointView(
        **{k: row[k] for k in EndpointView.model_fields if k in row},
        previous_secret_expires_at=row["previous_expires_at"],
    )


async def _endpoint(store: WebhookStore, endpoint_id: uuid.UUID) -> Any:
    row = await store.get(endpoint_id)
    if row is None:
        raise Problem(404, f"There is no webhook endpoint {endpoint_id}.")
    return row


@router.post("", status_code=201, response_model=EndpointWithSecret, responses=_PROBLEMS)
async def create_endpoint(body: EndpointRequest, store: Webhooks, response: Response) -> EndpointWithSecret:
    """Register an endpoint; the answer holds its signing secret, the only time it is shown."""
    row, secret = await store.create(str(body.url), body.event_types, body.description, body.enabled)
    response.headers["Location"] = f"/api/webhooks/{row['id']}"
    return EndpointWithSecret(**_view(row).model_dump(), secret=secret)


@router.get("", response_model=EndpointList, responses=_PROBLEMS)
async def list_endpoints(store: Webhooks) -> EndpointList:
    """Every endpoint, oldest first (a disabled one says why)."""
    return EndpointList(items=[_view(row) for row in await store.all()])


@router.get("/{endpoint_id}", response_model=EndpointView, responses=_PROBLEMS)
async def get_endpoint(endpoint_id: uuid.UUID, store: Webhooks) -> EndpointView:
    """One endpoint."""
    return _view(await _endpoint(store, endpoint_id))


@router.patch("/{endpoint_id}", response_model=EndpointView, responses=_PROBLEMS)
async def change_endpoint(
    endpoint_id: uuid.UUID, body: EndpointChange, store: Webhooks, request: Request
) -> EndpointView:
    """Change an endpoint's URL, events, description or enabled state."""
    row = await store.update(endpoint_id, body.model_dump(exclude_unset=True, exclude_none=True))
    if row is None:
        raise Problem(404, f"There is no webhook endpoint {endpoint_id}.")
    if body.enabled:
        _sender(request).wake()
    return _view(row)


@router.delete("/{endpoint_id}", status_code=204, responses=_PROBLEMS)
async def delete_endpoint(endpoint_id: uuid.UUID, store: Webhooks) -> Response:
    """Remove an endpoint, its deliveries and their log."""
    if not await store.delete(endpoint_id):
        raise Problem(404, f"There is no webhook endpoint {endpoint_id}.")
    return Response(status_code=204)


@router.post("/{endpoint_id}/rotate-secret", response_model=SecretView, responses=_PROBLEMS)
async def rotate_secret(
    endpoint_id: uuid.UUID,
    store: Webhooks,
    keep_previous_hours: Annotated[
        float, Query(ge=0, le=168, description="the old secret signs too for this long (0: stops now)")
    ] = 24,
) -> SecretView:
    """A new signing secret, shown once; meanwhile deliveries carry a signature with each secret in force."""
    secret = await store.rotate(endpoint_id, timedelta(hours=keep_previous_hours))
    if secret is None:
        raise Problem(404, f"There is no webhook endpoint {endpoint_id}.")
    row = await _endpoint(store, endpoint_id)
    return SecretView(secret=secret, previous_secret_expires_at=row["previous_expires_at"])


@router.get("/{endpoint_id}/deliveries", response_model=DeliveryList, responses=_PROBLEMS)
async def list_deliveries(
    endpoint_id: uuid.UUID, store: Webhooks, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> DeliveryList:
    """The endpoint's delivery log: each message's status and every try (outcome, code, latency, body excerpt)."""
    await _endpoint(store, endpoint_id)
    rows = await store.deliveries(endpoint_id, limit)
    return DeliveryList(
        items=[
            DeliveryView(
                **{k: row[k] for k in row.keys() if k != "tries"},
                webhook_id=f"msg_{row['id'].hex}",
                tries=[TryView(**item) for item in row["tries"]],
            )
            for row in rows
        ]
    )


@router.post("/{endpoint_id}/deliveries/{delivery_id}/resend", status_code=202, responses=_PROBLEMS)
async def resend_delivery(
    endpoint_id: uuid.UUID, delivery_id: uuid.UUID, store: Webhooks, request: Request
) -> Response:
    """Send a delivery again now, with the same webhook-id (receivers deduplicate by it)."""
    if not await store.resend(endpoint_id, delivery_id):
        raise Problem(404, f"Webhook endpoint {endpoint_id} has no delivery {delivery_id}.")
    _sender(request).wake()
    return Response(status_code=202)


def _sender(request: Request) -> WebhookSender:
    sender: WebhookSender = request.app.state.webhook_sender
    return sender
