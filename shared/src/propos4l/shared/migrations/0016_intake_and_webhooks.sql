-- The ways in and out for other systems (docs/adr/0018): proposals requested through the public intake stream, and
-- webhook endpoints with their deliveries and each try's log.

-- One row per (producer, idempotency key): the same pair always answers with the same proposal. Written in the
-- transaction that creates the proposal, so a request is either wholly accepted or not at all.
CREATE TABLE intake_requests (
    source          text        NOT NULL,
    idempotency_key text        NOT NULL,
    proposal_id     uuid        NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    correlation_id  text,
    callback        jsonb,
    message_id      text        NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, idempotency_key)
);
CREATE UNIQUE INDEX intake_requests_proposal ON intake_requests (proposal_id);

CREATE TABLE webhook_endpoints (
    id                   uuid        PRIMARY KEY,
    url                  text        NOT NULL,
    event_types          text[]      NOT NULL,
    description          text        NOT NULL DEFAULT '',
    enabled              boolean     NOT NULL DEFAULT true,
    -- The signing secret (whsec_...). Kept readable: HMAC needs it; shown to the admin once, never listed.
    secret               text        NOT NULL,
    -- After a rotation the old secret signs too until it expires, so receivers can switch without losing messages.
    previous_secret      text,
    previous_expires_at  timestamptz,
    consecutive_failures integer     NOT NULL DEFAULT 0,
    disabled_reason      text,
    disabled_at          timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- One message per (endpoint, lifecycle event): its id is the webhook-id of every try.
CREATE TABLE webhook_deliveries (
    id              uuid        PRIMARY KEY,
    endpoint_id     uuid        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        uuid        NOT NULL,
    event_type      text        NOT NULL,
    body            text        NOT NULL,
    status          text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at DESC);

CREATE TABLE webhook_attempts (
    id             bigserial   PRIMARY KEY,
    delivery_id    uuid        NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    endpoint_id    uuid        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    attempted_at   timestamptz NOT NULL DEFAULT now(),
    outcome        text        NOT NULL,
    status_code    integer,
    latency_ms     integer     NOT NULL,
    response_excerpt text,
    error          text
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, attempted_at DESC);
