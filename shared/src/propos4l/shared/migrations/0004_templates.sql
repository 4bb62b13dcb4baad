-- Templates and every version of them, and the per-proposal discount.
--
-- The live template folders under TEMPLATES_DIR are what the renderer reads; these tables are the history. Each
-- version lists its files by SHA-256, and the contents are stored once each in template_blobs, so a version that
-- changes only the CSS costs only the CSS. A version and its template.changed event (through the outbox) are
-- written in one transaction.

CREATE TABLE template_blobs (
    sha256     text        PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size       integer     NOT NULL CHECK (size >= 0),
    content    bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE templates (
    name            text        PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    current_version integer     NOT NULL CHECK (current_version >= 0),  -- 0 only inside the transaction creating it
    deleted         boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (NOT (name = 'default' AND deleted AND current_version > 0))  -- the default template is never deleted
);

CREATE TABLE template_versions (
    name        text        NOT NULL REFERENCES templates (name),
    version     integer     NOT NULL CHECK (version >= 1),
    action      text        NOT NULL CHECK (action IN ('installed', 'updated', 'deleted')),
    manifest    jsonb,                        -- NULL for a deletion
    files       jsonb       NOT NULL,         -- {"path": {"sha256": "...", "size": n}}; {} for a deletion
    tree_sha256 text,                         -- over every path and content hash; NULL for a deletion
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, version)
);

ALTER TABLE proposals
    ADD COLUMN discount_percent numeric(5, 2) CHECK (discount_percent >= 0 AND discount_percent <= 100);
