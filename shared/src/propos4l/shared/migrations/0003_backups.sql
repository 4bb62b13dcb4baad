-- Backups made by the backup agent: one row per backup (and per failed attempt), mirrored from the manifests under
-- BACKUP_DIR, which stay the truth (a restore needs no database). The view summarises each kind for the API and the
-- metrics: the newest verified backup, its age, failures since, and the last restore drill.

CREATE TABLE backups (
    id                 text PRIMARY KEY,
    kind               text        NOT NULL CHECK (kind IN ('db', 'pdfs', 'templates')),
    status             text        NOT NULL CHECK (status IN ('failed', 'unverified', 'verified', 'corrupt', 'pruned')),
    trigger            text        NOT NULL,
    started_at         timestamptz NOT NULL,
    finished_at        timestamptz NOT NULL,
    duration_ms        integer     NOT NULL CHECK (duration_ms >= 0),
    covered_at         timestamptz NOT NULL,  -- when the source was last known identical to this backup
    source_version     text,
    file_count         integer,
    size_bytes         bigint,                -- what the backup covers, before encryption
    stored_bytes       bigint,                -- what it added to BACKUP_DIR (unchanged files are stored once)
    manifest_sha256    text,
    encrypted          boolean     NOT NULL DEFAULT false,
    error              text,
    verified_at        timestamptz,
    verification_level text CHECK (verification_level IN ('hash', 'full')),
    drill_at           timestamptz,
    drill_ok           boolean,
    drill_duration_ms  integer,
    drill_detail       text,
    offsite_at         timestamptz,
    pruned_at          timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX backups_kind_started_idx ON backups (kind, started_at DESC);

CREATE VIEW backup_status AS
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
FROM (VALUES ('db'), ('pdfs'), ('templates')) AS kinds (kind)
LEFT JOIN LATERAL (
    SELECT * FROM backups b WHERE b.kind = kinds.kind AND b.status = 'verified' ORDER BY b.started_at DESC LIMIT 1
) AS verified ON true
LEFT JOIN LATERAL (
    SELECT * FROM backups b WHERE b.kind = kinds.kind AND b.status <> 'pruned' ORDER BY b.started_at DESC LIMIT 1
) AS latest ON true
LEFT JOIN LATERAL (
    SELECT * FROM backups b WHERE b.kind = kinds.kind AND b.drill_at IS NOT NULL ORDER BY b.drill_at DESC LIMIT 1
) AS drill ON true;
