-- The client's side of a sent proposal (issue #19, ADR 0024): share links to the frozen version, the visits they
-- get, and the client's answer with its final (signed) PDF.

-- A share link: only the SHA-256 of its random token is stored; the access code, when there is one, as Argon2id.
-- A link works until expires_at, or until it is revoked.
CREATE TABLE share_links (
    id               uuid PRIMARY KEY,
    proposal_id      uuid        NOT NULL,
    version          integer     NOT NULL,
    token_sha256     bytea       NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    access_code_hash text,
    created_by       text        NOT NULL,
    created_by_user  uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    revoked_at       timestamptz,
    revoked_by       text,
    FOREIGN KEY (proposal_id, version) REFERENCES proposal_versions (proposal_id, version) ON DELETE CASCADE
);
CREATE INDEX share_links_proposal_idx ON share_links (proposal_id, created_at DESC);

-- A visit: one opening of the public page. No address and no browser are kept for a visit (LGPD: only what the
-- consultancy needs to know the proposal was read); `seconds` is the time the page was visible, from its beacon.
CREATE TABLE share_visits (
    id           uuid PRIMARY KEY,
    link_id      uuid        NOT NULL REFERENCES share_links (id) ON DELETE CASCADE,
    opened_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    seconds      integer     NOT NULL DEFAULT 0 CHECK (seconds >= 0)
);
CREATE INDEX share_visits_link_idx ON share_visits (link_id, opened_at);

CREATE TABLE share_downloads (
    id            bigserial PRIMARY KEY,
    link_id       uuid        NOT NULL REFERENCES share_links (id) ON DELETE CASCADE,
    downloaded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX share_downloads_link_idx ON share_downloads (link_id);

-- The client's answer to a sent version: one per proposal. An acceptance keeps who, when and from which address,
-- the SHA-256 of the accepted PDF, and the final PDF (the accepted one, an acceptance page, the signature).
CREATE TABLE share_answers (
    proposal_id        uuid PRIMARY KEY REFERENCES proposals (id) ON DELETE CASCADE,
    version            integer     NOT NULL,
    link_id            uuid        REFERENCES share_links (id) ON DELETE SET NULL,
    decision           text        NOT NULL CHECK (decision IN ('accepted', 'declined')),
    name               text        NOT NULL,
    email              text        NOT NULL,
    role               text,
    note               text,
    reason             text,
    address            text,
    user_agent         text,
    answered_at        timestamptz NOT NULL DEFAULT now(),
    accepted_pdf_sha256 text,
    final_pdf_path     text,
    final_pdf_sha256   text,
    signature_level    text CHECK (signature_level IN ('B-B', 'B-T')),
    final_pdf_problem  text
);
