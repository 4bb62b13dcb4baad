-- The knowledge library's embedding models: which one search reads and how far the library service is with each
-- (docs/adr/0012-knowledge-library-search.md). The embeddings themselves live in `library_embeddings`, which the
-- library service creates once the `vector` type exists (propos4l.library.embedding.ensure_vector_store): its
-- dimension comes from the model, and servers without pgvector have no such type.
--
-- A model is 'embedding' until every passage has its vector, then 'ready'. At most one model is ready: search embeds
-- the query with it. When EMBEDDING_MODEL changes, the new model embeds the library in the background while search
-- keeps reading the ready one; when the new one is done it becomes ready and the old one's rows are deleted.
CREATE TABLE library_embedding_models (
    model           text        PRIMARY KEY CHECK (length(model) BETWEEN 1 AND 200),
    dimensions      integer     CHECK (dimensions > 0),
    state           text        NOT NULL DEFAULT 'embedding' CHECK (state IN ('embedding', 'ready')),
    passages_total  integer     NOT NULL DEFAULT 0 CHECK (passages_total >= 0),
    passages_done   integer     NOT NULL DEFAULT 0 CHECK (passages_done >= 0),
    started_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX library_embedding_models_one_ready_idx ON library_embedding_models ((true)) WHERE state = 'ready';
