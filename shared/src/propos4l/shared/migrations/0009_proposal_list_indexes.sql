-- Indexes for the gateway's proposal list (propos4l.gateway.proposal_listing), which pages by keyset (created_at, id)
-- and searches client names by word prefix. Full-text search with the built-in 'simple' configuration, not pg_trgm:
-- every PostgreSQL we run has it, contrib modules or not (docs/adr/0010-proposal-search.md).

-- The words of the client's name, stored: a search rechecks its matches and a list filtered by it tests rows without
-- parsing every name again.
ALTER TABLE proposals
    ADD COLUMN client_name_words tsvector GENERATED ALWAYS AS (to_tsvector('simple', client_name)) STORED;

CREATE INDEX proposals_client_name_words_idx ON proposals USING gin (client_name_words);

-- A filtered list reads its newest rows straight from these, as the unfiltered one does from proposals_created_at_idx.
CREATE INDEX proposals_status_created_at_idx ON proposals (status, created_at DESC, id DESC);
CREATE INDEX proposals_industry_created_at_idx ON proposals (lower(industry), created_at DESC, id DESC);
