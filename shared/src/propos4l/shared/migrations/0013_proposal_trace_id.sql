-- The trace of the request that created a proposal (W3C trace id, 32 hex digits), so its page can link to it in a
-- tracing UI (TRACING_UI_URL). Null when the request was not traced (telemetry off) and for proposals made before.
ALTER TABLE proposals ADD COLUMN trace_id text CHECK (trace_id ~ '^[0-9a-f]{32}$');
