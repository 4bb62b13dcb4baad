-- Indexes for the gateway's retention rounds (propos4l.gateway.retention), which delete, in batches, the outbox rows
-- published and the processed-event ids recorded before the retention window, and the live-progress entries of
-- finished proposals. Without them every round would scan the whole tables.

CREATE INDEX outbox_published_idx ON outbox (published_at) WHERE published_at IS NOT NULL;

CREATE INDEX processed_events_processed_at_idx ON processed_events (processed_at);

CREATE INDEX proposal_events_progress_idx ON proposal_events (created_at) WHERE kind = 'progress';
