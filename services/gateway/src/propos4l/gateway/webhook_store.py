"""Webhook endpoints, their deliveries and each try's log, in PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, get_args

import asyncpg

from propos4l.gateway.webhook_secrets import (
    SEALED_PREFIX,
    KeyMissing,
    SecretBox,
    SecretUnreadable,
    WebhookKeysMissing,
)
from propos4l.gateway.webhook_signing import new_secret
from propos4l.shared.events import LifecycleKind

__all__ = [
    "EVENT_TYPES",
    "ClaimedDelivery",
    "QueuedEvent",
    "Resealing",
    "TryResult",
    "WebhookStore",
]

EVENT_TYPES: Final = tuple(f"proposal.{kind}" for kind in get_args(LifecycleKind))
"""What an endpoint may subscribe to: one per kind of the public lifecycle stream (`proposal.accepted`,
`proposal.drafted`, `proposal.ready`, `proposal.failed`, and `proposal.review.<state>` for each review state)."""

_ENDPOINT_COLUMNS: Final = """id, url, event_types, description, enabled, consecutive_failures, disabled_reason,
    disabled_at, created_at, updated_at, previous_expires_at"""
_EXCERPT: Final = 500
_LOST_REASON: Final = (
    "its signing secret was lost (its key left WEBHOOK_SECRET_KEYS): rotate the secret, give it to the receiver, "
    "then enable the endpoint"
)


@dataclass(frozen=True, slots=True)
class QueuedEvent:
    """An event to deliver to the endpoints that subscribe to its type: its id, type (`proposal.ready`) and body."""

    event_id: uuid.UUID
    event_type: str
    body: str


@dataclass(frozen=True, slots=True)
class Resealing:
    """What a re-encryption did: how many endpoints' secrets were sealed again with the newest key, and the endpoints
    whose lost secret was replaced (and which were disabled)."""

    resealed: int
    replaced: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A due delivery taken for one try, with what the try needs of its endpoint."""

    id: uuid.UUID
    endpoint_id: uuid.UUID
    url: str
    secrets: tuple[str, ...]
    body: str
    attempts: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TryResult:
    """What one try gave: `outcome` is delivered, http_error, timeout, refused or error."""

    outcome: str
    latency_ms: int
    status_code: int | None = None
    response_excerpt: str | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        """A 2xx answer."""
        return self.outcome == "delivered"


class WebhookStore:
    """Reads and writes the webhook tables through a pool; signing secrets are stored sealed by `box`."""

    def __init__(self, pool: asyncpg.Pool, box: SecretBox) -> None:
        self.pool = pool
        self._box = box

    async def missing_keys(self) -> dict[str | None, int]:
        """The keys that seal stored secrets but are not configured, each with how many endpoints need it (None: no
        configured key opens a secret that names no key). Read only: the gateway checks this before it starts."""
        rows = await self.pool.fetch("SELECT secret, previous_secret FROM webhook_endpoints")
        missing: dict[str | None, int] = {}
        for row in rows:
            for key in set(self._lost(row).values()):
                missing[key] = missing.get(key, 0) + 1
        return missing

    def _lost(self, row: asyncpg.Record) -> dict[str, str | None]:
        """The secret columns of an endpoint row that no configured key opens, each with the id of the key it needs
        (None when the value names none). A readable value (from before encryption) is not lost: it gets sealed."""
        lost: dict[str, str | None] = {}
        for column in ("secret", "previous_secret"):
            stored = row[column]
            if not stored or not stored.startswith(SEALED_PREFIX):
                continue
            try:
                self._box.open(stored)
            except KeyMissing as error:
                lost[column] = error.key_id
            except SecretUnreadable:
                lost[column] = None
        return lost

    async def reseal(self, *, replace_lost: bool = False) -> Resealing:
        """Seal with the newest key every secret that is not: readable ones from before encryption, those sealed
        before key ids, and those sealed with an older key. Run at the gateway's start and by `propos4l webhooks
        rotate-keys`, in one transaction. Raises WebhookKeysMissing (and changes nothing) when no configured key
        opens a stored secret, unless `replace_lost`: then an endpoint whose current secret is lost gets a new one
        (nobody knows it: the admin rotates it to see one) and is disabled, and a lost previous secret is dropped."""
        resealed, replaced = 0, []
        missing: dict[str | None, int] = {}
        async with self.pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(
                "SELECT id, secret, previous_secret FROM webhook_endpoints ORDER BY id FOR UPDATE"
            )
            for row in rows:
                lost = self._lost(row)
                for key in set(lost.values()):
                    missing[key] = missing.get(key, 0) + 1
                if lost and not replace_lost:
                    continue
                if "secret" in lost:
                    await connection.execute(
                        """UPDATE webhook_endpoints SET secret = $2, previous_secret = NULL, previous_expires_at = NULL,
                               enabled = false, disabled_reason = $3, disabled_at = now(), updated_at = now()
                           WHERE id = $1""",
                        row["id"],
                        self._box.seal(new_secret()),
                        _LOST_REASON,
                    )
                    replaced.append(row["id"])
                    continue
                drop_previous = "previous_secret" in lost
                secret = self._box.resealed(row["secret"])
                previous = (
                    self._box.resealed(row["previous_secret"]) if row["previous_secret"] and not drop_previous else None
                )
                if secret is None and previous is None and not drop_previous:
                    continue
                await connection.execute(
                    """UPDATE webhook_endpoints SET secret = coalesce($2, secret),
                           previous_secret = CASE WHEN $4 THEN NULL ELSE coalesce($3, previous_secret) END,
                           previous_expires_at = CASE WHEN $4 THEN NULL ELSE previous_expires_at END
                       WHERE id = $1""",
                    row["id"],
                    secret,
                    previous,
                    drop_previous,
                )
                resealed += 1
            if missing and not replace_lost:
                raise WebhookKeysMissing(missing, self._box.key_ids)
        return Resealing(resealed=resealed, replaced=tuple(replaced))

    async def create(
        self, url: str, event_types: Sequence[str], description: str, enabled: bool
    ) -> tuple[asyncpg.Record, str]:
        """A new endpoint, and its secret (the only time it is returned)."""
        secret = new_secret()
        row = await self.pool.fetchrow(
            f"""INSERT INTO webhook_endpoints (id, url, event_types, description, enabled, secret)
                VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_ENDPOINT_COLUMNS}""",  # noqa: S608 - constant columns
            uuid.uuid4(),
            url,
            list(event_types),
            description,
            enabled,
            self._box.seal(secret),
        )
        assert row is not None
        return row, secret

    async def all(self) -> Sequence[asyncpg.Record]:
        """Every endpoint, oldest first."""
        rows: Sequence[asyncpg.Record] = await self.pool.fetch(
            f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id"  # noqa: S608
        )
        return rows

    async def get(self, endpoint_id: uuid.UUID) -> asyncpg.Record | None:
        """One endpoint, never its secret."""
        return await self.pool.fetchrow(
            f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1",  # noqa: S608
            endpoint_id,
        )

    async def update(self, endpoint_id: uuid.UUID, changes: dict[str, Any]) -> asyncpg.Record | None:
        """Change url, event types, description or enabled; enabling again forgets the failures that disabled it."""
        allowed = {"url", "event_types", "description", "enabled"}
        names = [name for name in changes if name in allowed]
        assignments = [f"{name} = ${index}" for index, name in enumerate(names, start=2)]
        if changes.get("enabled") is True:
            assignments += ["consecutive_failures = 0", "disabled_reason = NULL", "disabled_at = NULL"]
        assignments.append("updated_at = now()")
        return await self.pool.fetchrow(
            f"""UPDATE webhook_endpoints SET {", ".join(assignments)} WHERE id = $1
                RETURNING {_ENDPOINT_COLUMNS}""",  # noqa: S608 - names from the allowed set only
            endpoint_id,
            *(list(changes[name]) if name == "event_types" else changes[name] for name in names),
        )

    async def delete(self, endpoint_id: uuid.UUID) -> bool:
        """Remove an endpoint with its deliveries and log."""
        return str(await self.pool.execute("DELETE FROM webhook_endpoints WHERE id = $1", endpoint_id)) == "DELETE 1"

    async def rotate(self, endpoint_id: uuid.UUID, keep_previous: timedelta) -> str | None:
        """A new secret (returned once); the previous one still signs for `keep_previous`."""
        secret = new_secret()
        changed = await self.pool.execute(
            """UPDATE webhook_endpoints SET previous_secret = secret, previous_expires_at = now() + $3::interval,
                                             secret = $2, updated_at = now()
               WHERE id = $1""",
            endpoint_id,
            self._box.seal(secret),
            keep_previous,
        )
        return secret if changed == "UPDATE 1" else None

    async def enqueue(self, events: Sequence[QueuedEvent]) -> list[int]:
        """A delivery of each event to every enabled endpoint that subscribes to its type (once per endpoint and
        event, however often the event is delivered here), in two statements for all of `events`. Returns, for each
        event, how many deliveries are new."""
        subscribed = await self.pool.fetch(
            """SELECT e.id AS endpoint_id, q.n FROM unnest($1::text[]) WITH ORDINALITY AS q(event_type, n)
               JOIN webhook_endpoints e ON e.enabled AND q.event_type = ANY(e.event_types)""",
            [event.event_type for event in events],
        )
        new = [0] * len(events)
        if not subscribed:
            return new
        chosen = [(row["endpoint_id"], events[row["n"] - 1]) for row in subscribed]
        ids = [uuid.uuid5(endpoint_id, str(event.event_id)) for endpoint_id, event in chosen]
        created = await self.pool.fetch(
            """INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, body)
               SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[])
               ON CONFLICT (endpoint_id, event_id) DO NOTHING RETURNING event_id""",
            ids,
            [endpoint_id for endpoint_id, _ in chosen],
            [event.event_id for _, event in chosen],
            [event.event_type for _, event in chosen],
            [event.body for _, event in chosen],
        )
        position = {event.event_id: index for index, event in enumerate(events)}
        for row in created:
            new[position[row["event_id"]]] += 1
        return new

    async def claim(self, limit: int, lease: timedelta, busy: Sequence[uuid.UUID]) -> list[ClaimedDelivery]:
        """Take up to `limit` due deliveries of enabled endpoints not in `busy`, one per endpoint, for a try: they are
        pushed `lease` into the future, so no other replica takes them meanwhile (nor this one, if it dies)."""
        rows = await self.pool.fetch(
            """WITH due AS (
                   SELECT DISTINCT ON (d.endpoint_id) d.id
                   FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                   WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND e.enabled
                     AND NOT d.endpoint_id = ANY($3::uuid[])
                   ORDER BY d.endpoint_id, d.next_attempt_at
               ), taken AS (
                   SELECT d.id FROM webhook_deliveries d WHERE d.id IN (SELECT id FROM due)
                   ORDER BY d.next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED
               )
               UPDATE webhook_deliveries d SET next_attempt_at = now() + $2::interval
               FROM webhook_endpoints e
               WHERE d.id IN (SELECT id FROM taken) AND e.id = d.endpoint_id
               RETURNING d.id, d.endpoint_id, e.url, e.secret, e.previous_secret, e.previous_expires_at > now()
                         AS previous_in_force, d.body, d.attempts, d.created_at""",
            limit,
            lease,
            list(busy),
        )
        return [
            ClaimedDelivery(
                id=row["id"],
                endpoint_id=row["endpoint_id"],
                url=row["url"],
                secrets=self._secrets_of(row),
                body=row["body"],
                attempts=row["attempts"],
                created_at=row["created_at"],
            )
            for row in rows
        ]

    def _secrets_of(self, row: asyncpg.Record) -> tuple[str, ...]:
        """The secrets that sign a try (the previous one too while it is in force); none when they cannot be opened,
        and the try then fails without sending."""
        stored = [row["secret"]]
        if row["previous_in_force"] and row["previous_secret"]:
            stored.append(row["previous_secret"])
        try:
            return tuple(self._box.open(value) for value in stored)
        except SecretUnreadable:
            return ()

    async def record_try(
        self,
        delivery: ClaimedDelivery,
        result: TryResult,
        *,
        retry_in: timedelta | None,
        disable_after: int,
    ) -> None:
        """Log a try; settle the delivery (delivered, failed for good, or due again in `retry_in`), and disable the
        endpoint once `disable_after` tries in a row have failed."""
        async with self.pool.acquire() as connection, connection.transaction():
            await connection.execute(
                """INSERT INTO webhook_attempts (delivery_id, endpoint_id, outcome, status_code, latency_ms,
                                                 response_excerpt, error)
                   VALUES ($1, $2, $3, $4, $5, $6, $7)""",
                delivery.id,
                delivery.endpoint_id,
                result.outcome,
                result.status_code,
                result.latency_ms,
                (result.response_excerpt or "")[:_EXCERPT] or None,
                (result.error or "")[:_EXCERPT] or None,
            )
            if result.delivered:
                await connection.execute(
                    """UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1,
                                                     delivered_at = now() WHERE id = $1""",
                    delivery.id,
                )
                await connection.execute(
                    "UPDATE webhook_endpoints SET consecutive_failures = 0 WHERE id = $1", delivery.endpoint_id
                )
                return
            await connection.execute(
                """UPDATE webhook_deliveries SET attempts = attempts + 1,
                       status = CASE WHEN $2::interval IS NULL THEN 'failed' ELSE 'pending' END,
                       next_attempt_at = now() + coalesce($2::interval, '0')
                   WHERE id = $1""",
                delivery.id,
                retry_in,
            )
            await connection.execute(
                """UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1,
                       enabled = CASE WHEN consecutive_failures + 1 >= $2 THEN false ELSE enabled END,
                       disabled_reason = CASE WHEN consecutive_failures + 1 >= $2 AND enabled
                           THEN $3 ELSE disabled_reason END,
                       disabled_at = CASE WHEN consecutive_failures + 1 >= $2 AND enabled
                           THEN now() ELSE disabled_at END
                   WHERE id = $1""",
                delivery.endpoint_id,
                disable_after,
                f"disabled after {disable_after} failed tries in a row; the last: {result.outcome}"
                + (f" {result.status_code}" if result.status_code else "")
                + (f" ({result.error[:200]})" if result.error else ""),
            )

    async def deliveries(self, endpoint_id: uuid.UUID, limit: int) -> Sequence[asyncpg.Record]:
        """The endpoint's latest deliveries, newest first, with their tries."""
        rows: Sequence[asyncpg.Record] = await self.pool.fetch(
            """SELECT d.id, d.event_id, d.event_type, d.status, d.attempts, d.created_at, d.delivered_at,
                      d.next_attempt_at,
                      coalesce((SELECT jsonb_agg(jsonb_build_object(
                                  'attempted_at', a.attempted_at, 'outcome', a.outcome, 'status_code', a.status_code,
                                  'latency_ms', a.latency_ms, 'response_excerpt', a.response_excerpt,
                                  'error', a.error) ORDER BY a.id)
                                FROM webhook_attempts a WHERE a.delivery_id = d.id), '[]'::jsonb) AS tries
               FROM webhook_deliveries d WHERE d.endpoint_id = $1
               ORDER BY d.created_at DESC, d.id LIMIT $2""",
            endpoint_id,
            limit,
        )
        return rows

    async def resend(self, endpoint_id: uuid.UUID, delivery_id: uuid.UUID) -> bool:
        """Send a delivery again now, with the same webhook-id (whatever its status)."""
        changed = await self.pool.execute(
            """UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now()
               WHERE id = $1 AND endpoint_id = $2""",
            delivery_id,
            endpoint_id,
        )
        return str(changed) == "UPDATE 1"
