-- People and roles (issue #18, ADR 0019): users, their web sessions, API tokens owned by users, proposal owners and
-- collaborators, and the append-only audit log.

CREATE TABLE users (
    id                 uuid PRIMARY KEY,
    email              text        NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
    display_name       text        NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    role               text        NOT NULL CHECK (role IN ('admin', 'manager', 'editor', 'viewer')),
    active             boolean     NOT NULL DEFAULT true,
    language           text        NOT NULL DEFAULT 'pt-BR' CHECK (language IN ('pt-BR', 'en')),
    password_hash      text,       -- Argon2id (PHC string); NULL: no password sign-in (SSO only, or the system user)
    is_system          boolean     NOT NULL DEFAULT false,
    password_changed_at timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_idx ON users (lower(email));

-- The system user: owns PROPOS4L_ADMIN_TOKEN, the tokens and the proposals made before accounts existed. It cannot
-- sign in (no password, no e-mail domain anyone can own).
INSERT INTO users (id, email, display_name, role, is_system)
VALUES ('00000000-0000-0000-0000-000000000001', 'system@propos4l.invalid', 'System', 'admin', true);

-- Web sessions: only the SHA-256 of the cookie's random value is stored. A session ends at the first of: idle
-- expiry (last_seen_at + idle window), absolute expiry (expires_at), or revocation.
CREATE TABLE user_sessions (
    id            uuid PRIMARY KEY,
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_sha256 bytea       NOT NULL UNIQUE CHECK (length(secret_sha256) = 32),
    csrf_token    text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    address       text,
    user_agent    text
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id) WHERE revoked_at IS NULL;

-- Single sign-on (OpenID Connect) in progress: what the gateway sent the browser away with, used once by the
-- callback within a few minutes (the state is also in a cookie of the browser that started, against login CSRF).
CREATE TABLE oidc_sign_ins (
    state         text        PRIMARY KEY,
    nonce         text        NOT NULL,
    code_verifier text        NOT NULL,
    return_to     text,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Invitations: an admin invites an e-mail with a role; the link holds a random secret (only its SHA-256 is here),
-- works once, until expires_at.
CREATE TABLE invitations (
    id            uuid PRIMARY KEY,
    email         text        NOT NULL,
    display_name  text        NOT NULL,
    role          text        NOT NULL CHECK (role IN ('admin', 'manager', 'editor', 'viewer')),
    secret_sha256 bytea       NOT NULL UNIQUE CHECK (length(secret_sha256) = 32),
    invited_by    text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    user_id       uuid REFERENCES users (id)
);

-- Tokens belong to a user and carry a role no higher than the user's (checked on every use).
ALTER TABLE api_tokens ADD COLUMN owner_id uuid REFERENCES users (id);
ALTER TABLE api_tokens ADD COLUMN role text CHECK (role IN ('admin', 'manager', 'editor', 'viewer'));
-- Tokens made before roles: an admin token stays admin; the others could do everything on proposals: manager.
UPDATE api_tokens SET owner_id = '00000000-0000-0000-0000-000000000001',
                      role = CASE WHEN is_admin THEN 'admin' ELSE 'manager' END;
ALTER TABLE api_tokens ALTER COLUMN owner_id SET NOT NULL;
ALTER TABLE api_tokens ALTER COLUMN role SET NOT NULL;

-- Each proposal has an owner (its creator); proposals made before accounts belong to the system user.
ALTER TABLE proposals ADD COLUMN owner_id uuid REFERENCES users (id);
UPDATE proposals SET owner_id = '00000000-0000-0000-0000-000000000001';
ALTER TABLE proposals ALTER COLUMN owner_id SET DEFAULT '00000000-0000-0000-0000-000000000001';
ALTER TABLE proposals ALTER COLUMN owner_id SET NOT NULL;
CREATE INDEX proposals_owner_idx ON proposals (owner_id, created_at DESC, id DESC);

CREATE TABLE proposal_collaborators (
    proposal_id uuid        NOT NULL REFERENCES proposals (id) ON DELETE CASCADE,
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (proposal_id, user_id)
);
CREATE INDEX proposal_collaborators_user_idx ON proposal_collaborators (user_id);

-- The audit log: who did what, when, from where, to which object. Append-only: the role that runs the migrations
-- (the application's) loses UPDATE, DELETE and TRUNCATE on it, and a trigger refuses them for every role, owners
-- and superusers included (only dropping the trigger, a schema change, lets a row change).
CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    action       text        NOT NULL,
    outcome      text        NOT NULL DEFAULT 'success' CHECK (outcome IN ('success', 'failure')),
    actor_user_id uuid,
    actor_name   text        NOT NULL,
    via          text        NOT NULL CHECK (via IN ('session', 'token', 'environment', 'system', 'anonymous')),
    token_id     uuid,
    object_type  text,
    object_id    text,
    address      text,
    user_agent   text,
    details      jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_user_id, at DESC);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id, at DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, at DESC);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM CURRENT_USER;
