-- Proposals, their versions, and the inbox that makes event handling idempotent.

CREATE TABLE proposals (
    id              uuid PRIMARY KEY,
    client_name     text        NOT NULL,
    industry        text        NOT NULL,
    requirements    text        NOT NULL,
    scope           text,
    timeline        text,
    budget          text,
    language        text        NOT NULL,
    template        text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('queued', 'generating', 'rendering', 'ready', 'failed')),
    current_version integer     NOT NULL DEFAULT 1,
    error_stage     text,
    error_detail    text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX proposals_created_at_idx ON proposals (created_at DESC, id DESC);
CREATE INDEX proposals_status_idx ON proposals (status);
CREATE INDEX proposals_industry_idx ON proposals (lower(industry));

CREATE TABLE proposal_versions (
    proposal_id  uuid        NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    version      integer     NOT NULL CHECK (version >= 1),
    sections     jsonb,
    provider     text,
    model        text,
    ai_generated boolean,
    prompt_version text,
    prompt_tokens integer,
    output_tokens integer,
    llm_duration_ms integer,
    drafted_at   timestamptz,
    pdf_path     text,
    pdf_sha256   text,
    pdf_bytes    bigint,
    pages        integer,
    render_ms    integer,
    rendered_at  timestamptz,
    PRIMARY KEY (proposal_id, version)
);

-- Events published by the gateway, written in the same transaction as the records they announce and relayed to
-- Redis afterwards, so an accepted request is never lost between the database and the stream.
CREATE TABLE outbox (
    event_id     uuid PRIMARY KEY,
    stream       text        NOT NULL,
    fields       jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);

CREATE INDEX outbox_unpublished_idx ON outbox (created_at) WHERE published_at IS NULL;

-- Events a consumer group has already applied: the same event twice gives the same result.
CREATE TABLE processed_events (
    consumer_group text        NOT NULL,
    event_id       uuid        NOT NULL,
    processed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, event_id)
);
