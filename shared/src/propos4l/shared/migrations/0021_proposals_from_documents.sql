-- Issue #16: a proposal started from the client's documents waits, before it is a request, for its documents to be
-- read and a person to confirm the request fields read from them. It has no drafting event until then.
ALTER TABLE proposals DROP CONSTRAINT proposals_status_check;
ALTER TABLE proposals ADD CONSTRAINT proposals_status_check
    CHECK (status IN ('awaiting_confirmation', 'queued', 'generating', 'rendering', 'ready', 'failed'));

-- Whether the proposal was made from a client's document: its PDF then has the compliance matrix as an annex by
-- default (a template may turn it off).
ALTER TABLE proposals ADD COLUMN from_documents boolean NOT NULL DEFAULT false;

-- Who labelled a requirement's kind and obligation: the rules, or the model's checked pass (its quote unchanged).
ALTER TABLE proposal_requirements ADD COLUMN classified_by text NOT NULL DEFAULT 'rules'
    CHECK (classified_by IN ('rules', 'model'));

-- The model's pass over a read document's requirements (counts, model, or why it was skipped); null until it ran.
ALTER TABLE proposal_documents ADD COLUMN review jsonb;
