-- Documents, chunks and what makes chunks searchable (vector, analysed terms, tsvector).
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE documents (
    id BIGSERIAL PRIMARY KEY,
    source TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    format TEXT,
    title TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'other',
    issuer TEXT,
    city TEXT,
    year INTEGER,
    url TEXT,
    act TEXT,
    themes TEXT NOT NULL DEFAULT '[]',
    contributor TEXT,
    pages INTEGER,
    ocr_pages TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL CHECK (status IN ('indexed', 'skipped')),
    reason TEXT,
    ingested_at DOUBLE PRECISION NOT NULL,
    UNIQUE (source, file)
);
CREATE INDEX documents_act ON documents (act);

-- A chunk row is written together with its vector and terms, in the document's transaction:
-- search never sees a chunk that is not fully indexed.
CREATE TABLE chunks (
    id BIGSERIAL PRIMARY KEY,
    doc_id BIGINT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    context TEXT NOT NULL DEFAULT '',
    section TEXT NOT NULL DEFAULT '[]',
    article TEXT,
    commi TEXT NOT NULL DEFAULT '[]',
    letters TEXT NOT NULL DEFAULT '[]',
    page_start INTEGER,
    page_end INTEGER,
    themes TEXT NOT NULL DEFAULT '[]',
    vigente INTEGER NOT NULL DEFAULT 1,
    repeal_note TEXT,
    repealed TEXT NOT NULL DEFAULT '[]',
    amended INTEGER NOT NULL DEFAULT 0,
    ocr INTEGER NOT NULL DEFAULT 0,
    embedding vector(384) NOT NULL,
    lex_len INTEGER NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (
        to_tsvector('italian'::regconfig, context || ' ' || text)) STORED
);
CREATE INDEX chunks_doc ON chunks (doc_id);
CREATE INDEX chunks_embedding ON chunks USING hnsw (embedding vector_cosine_ops)
    WITH (m = 16, ef_construction = 64);
CREATE INDEX chunks_tsv ON chunks USING gin (tsv);

CREATE TABLE chunk_refs (
    chunk_id BIGINT NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    act TEXT,
    article TEXT,
    comma TEXT,
    letter TEXT,
    same_act INTEGER NOT NULL DEFAULT 0,
    start_offset INTEGER NOT NULL DEFAULT 0,
    end_offset INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (chunk_id, position)
);

-- BM25 postings: the same Italian analysis as the embedded backend (index.tokenizer).
CREATE TABLE chunk_terms (
    term TEXT NOT NULL,
    chunk_id BIGINT NOT NULL REFERENCES chunks(id) ON DELETE CASCADE,
    tf INTEGER NOT NULL,
    dl INTEGER NOT NULL,  -- the chunk's lex_len, kept here so scoring reads postings only
    PRIMARY KEY (term, chunk_id)
);
CREATE INDEX chunk_terms_chunk ON chunk_terms (chunk_id);

CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE theme_origin (doc_id BIGINT PRIMARY KEY, forced TEXT NOT NULL DEFAULT '[]');
