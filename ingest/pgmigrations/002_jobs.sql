-- The ingestion queue: one job per file to parse, embed and store (`raccordo worker`).
-- A worker holds a session advisory lock on the job it runs: when its process dies, the
-- server drops the lock with the connection and the job is taken again.
CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    batch TEXT NOT NULL,
    source TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    content BYTEA,  -- the file's bytes (workers need no shared disk); dropped when done
    fields TEXT NOT NULL DEFAULT '{}',
    rebuild BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 3,
    worker TEXT,
    outcome TEXT,
    chunks INTEGER,
    error TEXT,
    enqueued_at DOUBLE PRECISION NOT NULL,
    started_at DOUBLE PRECISION,
    finished_at DOUBLE PRECISION
);
-- at most one pending job per file
CREATE UNIQUE INDEX jobs_pending_file ON jobs (source, file)
    WHERE status IN ('queued', 'running');
CREATE INDEX jobs_open ON jobs (id) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_batch ON jobs (batch);
