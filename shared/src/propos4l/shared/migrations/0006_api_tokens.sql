-- API tokens created by admins through the API (PROPOS4L_ADMIN_TOKEN, from the environment, is not stored here).
-- Only the SHA-256 of a token is kept: the token itself is shown once, when it is created. A token is looked up by
-- its digest; revoking one keeps its row (who used what, until when), and an expired or revoked token is refused.

CREATE TABLE api_tokens (
    id            uuid PRIMARY KEY,
    name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_sha256  bytea       NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    prefix        text        NOT NULL,
    is_admin      boolean     NOT NULL DEFAULT false,
    created_by    text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz,
    last_used_at  timestamptz,
    revoked_at    timestamptz
);

-- Names are how people tell tokens apart: unique among the tokens still in force.
CREATE UNIQUE INDEX api_tokens_active_name_idx ON api_tokens (lower(name)) WHERE revoked_at IS NULL;
