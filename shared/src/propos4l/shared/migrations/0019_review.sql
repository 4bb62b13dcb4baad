-- Issue #19 (ADR 0023): a proposal's review state, its transitions, comment threads and the approval rules.

ALTER TABLE proposals
    ADD COLUMN review_state text NOT NULL DEFAULT 'draft' CHECK (review_state IN (
        'draft', 'in_review', 'approved', 'sent', 'viewed', 'accepted', 'declined', 'expired', 'withdrawn')),
    -- The version a manager approved (an approval is of a version) and the version sent to the client.
    ADD COLUMN approved_version integer CHECK (approved_version >= 1),
    ADD COLUMN sent_version     integer CHECK (sent_version >= 1);

CREATE INDEX proposals_review_state_idx ON proposals (review_state);

-- Every move of the review state, who made it (a user, or a label for the system or the client) and why.
CREATE TABLE proposal_transitions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    proposal_id   uuid        NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    from_state    text        NOT NULL,
    to_state      text        NOT NULL,
    version       integer     NOT NULL CHECK (version >= 1),
    actor_user_id uuid        REFERENCES users (id) ON DELETE SET NULL,
    actor_label   text        NOT NULL,
    reason        text,
    override      boolean     NOT NULL DEFAULT false,  -- an approval given over open comment threads
    at            timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX proposal_transitions_proposal_idx ON proposal_transitions (proposal_id, id);

-- Comment threads, each on a section (anchor = its key), a requirement of the compliance matrix (anchor = its
-- REQ- id) or the proposal as a whole (anchor = '').
CREATE TABLE review_threads (
    id            uuid PRIMARY KEY,
    proposal_id   uuid        NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    anchor_kind   text        NOT NULL CHECK (anchor_kind IN ('proposal', 'section', 'requirement')),
    anchor        text        NOT NULL DEFAULT '' CHECK (length(anchor) <= 200),
    version       integer     NOT NULL CHECK (version >= 1),  -- the version it was opened on
    resolved      boolean     NOT NULL DEFAULT false,
    resolved_by   uuid        REFERENCES users (id) ON DELETE SET NULL,
    resolved_at   timestamptz,
    created_by    uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX review_threads_proposal_idx ON review_threads (proposal_id, created_at);
CREATE INDEX review_threads_open_idx ON review_threads (proposal_id) WHERE NOT resolved;

CREATE TABLE review_comments (
    id             uuid PRIMARY KEY,
    thread_id      uuid        NOT NULL REFERENCES review_threads (id) ON DELETE CASCADE,
    author_user_id uuid        REFERENCES users (id) ON DELETE SET NULL,
    author_name    text        NOT NULL,
    body           text        NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    mentions       uuid[]      NOT NULL DEFAULT '{}',  -- the users it @mentions
    created_at     timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX review_comments_thread_idx ON review_comments (thread_id, created_at);
CREATE INDEX review_comments_mentions_idx ON review_comments USING gin (mentions);

-- Approval rules, set by admins: a proposal matching an enabled one needs a manager's approval before it is sent.
--   discount_above: discount_percent > threshold;   total_above: priced total > threshold (in `currency`, or in
--   any currency when it is null);   template: template = value;   industry: lower(industry) = lower(value).
CREATE TABLE approval_rules (
    id          uuid PRIMARY KEY,
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind        text        NOT NULL CHECK (kind IN ('discount_above', 'total_above', 'template', 'industry')),
    threshold   numeric(18, 2) CHECK (threshold >= 0),
    currency    text        CHECK (currency ~ '^[A-Z]{3}$'),
    value       text        CHECK (length(value) BETWEEN 1 AND 200),
    enabled     boolean     NOT NULL DEFAULT true,
    created_by  uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind IN ('discount_above', 'total_above')) = (threshold IS NOT NULL)),
    CHECK ((kind IN ('template', 'industry')) = (value IS NOT NULL)),
    CHECK (kind = 'total_above' OR currency IS NULL)
);
