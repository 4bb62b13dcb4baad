-- Versions made by regenerating or editing a section, the structured parts of a draft, and the progress log that
-- Server-Sent Events replay from (Last-Event-ID is its id).

ALTER TABLE proposal_versions
    ADD COLUMN origin          text NOT NULL DEFAULT 'draft' CHECK (origin IN ('draft', 'regenerate', 'edit')),
    ADD COLUMN section_key     text,
    ADD COLUMN instructions    text,
    ADD COLUMN investment_items jsonb,
    ADD COLUMN timeline_phases jsonb,
    ADD COLUMN assumptions     jsonb,
    ADD COLUMN created_at      timestamptz NOT NULL DEFAULT now();

CREATE TABLE proposal_events (
    id          bigserial PRIMARY KEY,
    proposal_id uuid        NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    version     integer     NOT NULL,
    kind        text        NOT NULL,
    data        jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX proposal_events_proposal_idx ON proposal_events (proposal_id, id);
