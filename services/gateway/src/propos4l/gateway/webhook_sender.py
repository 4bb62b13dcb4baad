"""Webhook delivery: lifecycle events become deliveries (a consumer group of their own), and a sender tries each
due delivery, at least once, with the same webhook-id every time, away from the pipeline's consumers."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit, urlunsplit

import asyncpg
import httpx

from propos4l.gateway.webhook_address import AddressRefused, Network, resolve_target
from propos4l.gateway.webhook_signing import signature_headers
from propos4l.gateway.webhook_store import ClaimedDelivery, QueuedEvent, TryResult, WebhookStore
from propos4l.shared.aio import wait_event
from propos4l.shared.delivery import Delivery
from propos4l.shared.events import ProposalLifecycleChanged
from propos4l.shared.grouped_calls import GroupedCalls

__all__ = ["RetryPolicy", "WebhookSender", "retry_delay", "webhook_body"]

logger = logging.getLogger(__name__)

# PostgreSQL down, restarting or slow: the sender waits and tries again (a lease keeps what it had taken).
_DATABASE_UNAVAILABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How deliveries are tried: per-try timeout, backoff, how long to keep trying, when to disable an endpoint."""

    timeout_seconds: float = 10.0
    base_seconds: float = 5.0
    max_delay_seconds: float = 7_200.0
    give_up_after: timedelta = timedelta(hours=24)
    disable_after: int = 15
    concurrency: int = 16
    poll_seconds: float = 1.0
    max_redirects: int = 0


def retry_delay(attempts: int, policy: RetryPolicy, rng: random.Random | None = None) -> float:
    """Seconds before the next try after `attempts` failed ones: exponential, capped, with full jitter over its
    upper half (so endpoints that failed together do not all come back at once)."""
    ceiling = min(policy.max_delay_seconds, policy.base_seconds * 2.0 ** max(0, attempts - 1))
    draw: float = (rng or random).random()
    return ceiling * (0.5 + 0.5 * draw)


def webhook_body(event: ProposalLifecycleChanged) -> str:
    """The JSON body of a webhook: type, timestamp and data, as the Standard Webhooks specification suggests."""
    return json.dumps(
        {
            "type": f"proposal.{event.kind}",
            "timestamp": event.occurred_at.isoformat(),
            "data": {"event_id": str(event.event_id), **event.model_dump(mode="json", exclude={"event_id"})},
        },
        ensure_ascii=False,
    )


class WebhookSender:
    """Turns lifecycle events into deliveries, and runs the tries."""

    def __init__(
        self,
        store: WebhookStore,
        policy: RetryPolicy,
        allowed: Sequence[Network],
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._store = store
        self._policy = policy
        self._allowed = tuple(allowed)
        self._client = client or httpx.AsyncClient(follow_redirects=False, trust_env=False)
        self._wake = asyncio.Event()
        self._busy: dict[uuid.UUID, asyncio.Task[None]] = {}  # endpoint -> its try under way (one at a time each)
        # Lifecycle events read together are queued together: one look for subscribers and one insert a group.
        self._enqueue: GroupedCalls[QueuedEvent, int] = GroupedCalls(store.enqueue, let_others_join=True)

    async def on_lifecycle(self, delivery: Delivery) -> None:
        """A lifecycle event: a delivery for each endpoint that subscribes to its type."""
        event = delivery.envelope.open(ProposalLifecycleChanged)
        queued = QueuedEvent(event.event_id, f"proposal.{event.kind}", webhook_body(event))
        if await self._enqueue.call(queued):
            self.wake()

    def wake(self) -> None:
        """Look for due deliveries now."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Try due deliveries until `stop` is set; each endpoint's try runs on its own, so one that hangs holds up
        no other (and only until its timeout)."""
        lease = timedelta(seconds=self._policy.timeout_seconds + 30)
        stopping = asyncio.create_task(self._wake_when(stop))
        try:
            while not stop.is_set():
                free = self._policy.concurrency - len(self._busy)
                if free > 0:
                    try:
                        claimed = await self._store.claim(free, lease, list(self._busy))
                    except _DATABASE_UNAVAILABLE as error:
                        logger.warning("webhook sender cannot read deliveries", extra={"error": str(error)})
                        claimed = []
                    for delivery in claimed:
                        task = asyncio.create_task(self._try(delivery), name=f"webhook {delivery.id}")
                        self._busy[delivery.endpoint_id] = task
                        task.add_done_callback(self._finished_callback(delivery.endpoint_id))
                    if claimed:
                        continue
                self._wake.clear()
                await wait_event(self._wake, self._policy.poll_seconds)
        finally:
            stopping.cancel()
            tasks = list(self._busy.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)  # their leases expire: tried again later
            await self._client.aclose()

    async def _wake_when(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._wake.set()

    def _finished_callback(self, endpoint_id: uuid.UUID) -> Callable[[asyncio.Task[None]], None]:
        def finished(_: asyncio.Task[None]) -> None:
            self._busy.pop(endpoint_id, None)
            self._wake.set()  # the endpoint may have more due

        return finished

    async def _try(self, delivery: ClaimedDelivery) -> None:
        try:
            result = await self.send(delivery)
        except Exception as error:  # a try never ends without a result in the log, whatever went wrong
            logger.exception("webhook try failed unexpectedly", extra={"delivery_id": str(delivery.id)})
            result = TryResult("error", 0, error=f"{type(error).__name__}: {error}")
        failed_for_good = datetime.now(UTC) - delivery.created_at >= self._policy.give_up_after
        retry_in = (
            None
            if result.delivered or failed_for_good
            else timedelta(seconds=retry_delay(delivery.attempts + 1, self._policy))
        )
        try:
            await self._store.record_try(delivery, result, retry_in=retry_in, disable_after=self._policy.disable_after)
        except _DATABASE_UNAVAILABLE as error:
            # The lease runs out and the delivery is tried again: at least once, with the same webhook-id.
            logger.warning("webhook try not recorded", extra={"delivery_id": str(delivery.id), "error": str(error)})
        log = logger.info if result.delivered else logger.warning
        log(
            "webhook try",
            extra={
                "delivery_id": str(delivery.id),
                "endpoint_id": str(delivery.endpoint_id),
                "outcome": result.outcome,
                "status_code": result.status_code,
                "latency_ms": result.latency_ms,
            },
        )

    async def send(self, delivery: ClaimedDelivery) -> TryResult:
        """One try: resolve and check the address, sign, POST with a timeout (the whole try, redirects included).

        A redirect is followed only when WEBHOOK_MAX_REDIRECTS allows it, only a 307 or 308 (which keep the POST and
        its body), and its target is resolved and checked like the first URL: a redirect cannot lead to an address
        the URL itself could not name.
        """
        started = time.perf_counter()

        def elapsed() -> int:
            return int((time.perf_counter() - started) * 1000)

        if not delivery.secrets:
            return TryResult(
                "error", elapsed(), error="the signing secret cannot be decrypted with WEBHOOK_SECRET_KEYS"
            )
        body = delivery.body.encode()
        signed = signature_headers(delivery.secrets, f"msg_{delivery.id.hex}", int(time.time()), body)
        url = delivery.url
        try:
            async with asyncio.timeout(self._policy.timeout_seconds):
                for hop in range(self._policy.max_redirects + 1):
                    target = await resolve_target(url, self._allowed)
                    response = await self._client.post(
                        target.url,
                        content=body,
                        headers={
                            **signed,
                            "content-type": "application/json",
                            "host": target.host_header,
                            "user-agent": "Propos4l-Webhooks/1",
                        },
                        timeout=self._policy.timeout_seconds,
                        extensions={"sni_hostname": target.host} if url.lower().startswith("https:") else {},
                    )
                    location = response.headers.get("location")
                    if response.status_code not in (307, 308) or not location or hop == self._policy.max_redirects:
                        break
                    url = _redirect_target(url, location)
        except AddressRefused as error:
            return TryResult("refused", elapsed(), error=str(error))
        except TimeoutError:
            return TryResult("timeout", elapsed(), error=f"no answer within {self._policy.timeout_seconds:g} s")
        except httpx.TimeoutException as error:
            return TryResult("timeout", elapsed(), error=str(error) or type(error).__name__)
        except httpx.HTTPError as error:
            return TryResult("error", elapsed(), error=str(error) or type(error).__name__)
        excerpt = response.text[:500] if response.content else None
        outcome = "delivered" if 200 <= response.status_code < 300 else "http_error"
        return TryResult(outcome, elapsed(), status_code=response.status_code, response_excerpt=excerpt)


def _redirect_target(current: str, location: str) -> str:
    """Where a redirect points, absolute; only http(s), without credentials (else the address is refused)."""
    parts = urlsplit(urljoin(current, location))
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise AddressRefused(f"the endpoint redirected to {location[:200]!r}, which is not an http(s) URL to follow")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, parts.query, ""))
