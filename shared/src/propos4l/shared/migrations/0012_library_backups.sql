-- The backup agent backs up the knowledge library's uploaded files (LIBRARY_DIR) like the PDFs: a fourth kind of
-- backup, in the table's check and in the status view's list of kinds.

ALTER TABLE backups DROP CONSTRAINT backups_kind_check;
ALTER TABLE backups ADD CONSTRAINT backups_kind_check CHECK (kind IN ('db', 'pdfs', 'templates', 'library'));

CREATE OR REPLACE VIEW backup_status AS
SELECT kinds.kind,
       verified.id           AS last_verified_id,
       verified.started_at   AS last_verified_started_at,
       verified.covered_at   AS last_verified_covered_at,
       verified.verified_at  AS last_verified_at,
       verified.size_bytes   AS last_verified_size_bytes,
       verified.stored_bytes AS last_verified_stored_bytes,
       verified.duration_ms  AS last_verified_duration_ms,
       latest.id             AS last_run_id,
       latest.status         AS last_run_status,
       latest.finished_at    AS last_run_at,
       latest.error          AS last_run_error,
       (SELECT count(*) FROM backups failed
         WHERE failed.kind = kinds.kind AND failed.status IN ('failed', 'corrupt')
           AND failed.started_at > coalesce(verified.started_at, '-infinity'))::integer AS consecutive_failures,
       (SELECT count(*) FROM backups failed
         WHERE failed.kind = kinds.kind AND failed.status = 'failed'
           AND failed.started_at > now() - interval '24 hours')::integer AS failures_last_24h,
       drill.id              AS last_drill_backup_id,
       drill.drill_at        AS last_drill_at,
       drill.drill_ok        AS last_drill_ok,
       drill.drill_duration_ms AS last_drill_duration_ms,
       drill.drill_detail    AS last_drill_detail
FROM (VALUES ('db'), ('pdfs'), ('templates'), ('library')) AS kinds (kind)
LEFT JOIN LATERAL (
    SELECT * FROM backups b WHERE b.kind = kinds.kind AND b.status = 'verified' ORDER BY b.started_at DESC LIMIT 1
) AS verified ON true
LEFT JOIN LATERAL (
    SELECT * FROM backups b WHERE b.kind = kinds.kind AND b.status <> 'pruned' ORDER BY b.started_at DESC LIMIT 1
) AS latest ON true
LEFT JOIN LATERAL (
    SELECT * FROM backups b WHERE b.kind = kinds.kind AND b.drill_at IS NOT NULL ORDER BY b.drill_at DESC LIMIT 1
) AS drill ON true;
