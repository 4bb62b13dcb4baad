-- Issue #16: a client's documents (RFP, edital) attached to a proposal, the requirements found in them, the request
-- fields they state, and the compliance matrix, versioned with the proposal.

-- A file the client sent, stored content-addressed under LIBRARY_DIR/client-documents/<aa>/<sha256>.
CREATE TABLE proposal_documents (
    id                uuid PRIMARY KEY,
    proposal_id       uuid        NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    filename          text        NOT NULL,
    media_type        text        NOT NULL,
    sha256            bytea       NOT NULL CHECK (length(sha256) = 32),
    size_bytes        bigint      NOT NULL CHECK (size_bytes >= 0),
    status            text        NOT NULL DEFAULT 'uploaded' CHECK (status IN ('uploaded', 'reading', 'read', 'failed')),
    pages_total       integer,
    pages_done        integer     NOT NULL DEFAULT 0,
    ocr_pages         integer     NOT NULL DEFAULT 0,
    requirement_count integer     NOT NULL DEFAULT 0,
    request_fields    jsonb,
    failure_code      text,
    failure_reason    text,
    uploaded_by       text        NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    read_at           timestamptz,
    UNIQUE (proposal_id, sha256)
);

CREATE INDEX proposal_documents_proposal_idx ON proposal_documents (proposal_id, created_at);

-- A requirement found in a proposal's documents; its id (REQ-...) is stable for the same quote and clause.
CREATE TABLE proposal_requirements (
    proposal_id    uuid        NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    requirement_id text        NOT NULL,
    document_id    uuid        NOT NULL REFERENCES proposal_documents (id) ON DELETE CASCADE,
    ordinal        integer     NOT NULL,
    quote          text        NOT NULL,
    obligation     text        NOT NULL CHECK (obligation IN ('mandatory', 'desirable')),
    kind           text        NOT NULL CHECK (kind IN ('functional', 'technical', 'qualification', 'commercial', 'deadline')),
    file           text        NOT NULL,
    page           integer,
    clause         text,
    heading        text,
    also_at        jsonb       NOT NULL DEFAULT '[]',
    found_in_version integer   NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (proposal_id, requirement_id)
);

CREATE INDEX proposal_requirements_order_idx ON proposal_requirements (proposal_id, document_id, ordinal);

-- The compliance matrix: a row is a requirement's status as of a version. A version's matrix is, per requirement,
-- the newest row at or before it, so a new version starts with the statuses of the one before and older versions
-- keep theirs.
CREATE TABLE proposal_compliance (
    proposal_id    uuid        NOT NULL,
    requirement_id text        NOT NULL,
    version        integer     NOT NULL CHECK (version >= 1),
    status         text        NOT NULL CHECK (status IN ('answered', 'partial', 'not_answered', 'not_applicable')),
    note           text        NOT NULL DEFAULT '',
    sections       text[]      NOT NULL DEFAULT '{}',
    changed_by     text        NOT NULL,
    changed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (proposal_id, requirement_id, version),
    FOREIGN KEY (proposal_id, requirement_id) REFERENCES proposal_requirements (proposal_id, requirement_id)
        ON DELETE CASCADE
);
