-- Application tables (users, invites, chat filters, question log, feedback, contributions,
-- API keys, audit): the same columns as the embedded backend's (bot/app/appdb.py).
CREATE TABLE users (
    user_id BIGINT PRIMARY KEY, role TEXT NOT NULL DEFAULT 'user', name TEXT,
    added_by BIGINT, added_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE invites (
    code TEXT PRIMARY KEY, created_by BIGINT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL, used_by BIGINT, used_at DOUBLE PRECISION
);
CREATE TABLE chat_filters (
    chat_id BIGINT PRIMARY KEY, filters TEXT NOT NULL DEFAULT '{}',
    updated_at DOUBLE PRECISION NOT NULL
);
CREATE TABLE questions (
    id BIGSERIAL PRIMARY KEY, ts DOUBLE PRECISION NOT NULL, channel TEXT NOT NULL,
    abstained INTEGER NOT NULL, citations INTEGER NOT NULL DEFAULT 0,
    cited_docs TEXT NOT NULL DEFAULT '[]', terms TEXT NOT NULL DEFAULT '[]', question TEXT
);
CREATE INDEX questions_ts ON questions (ts);
CREATE TABLE feedback (
    id BIGSERIAL PRIMARY KEY, ts DOUBLE PRECISION NOT NULL, channel TEXT NOT NULL,
    question_id BIGINT REFERENCES questions(id) ON DELETE SET NULL,
    vote INTEGER NOT NULL CHECK (vote IN (-1, 1)), comment TEXT
);
CREATE TABLE contributions (
    id BIGSERIAL PRIMARY KEY, ts DOUBLE PRECISION NOT NULL, user_id BIGINT NOT NULL,
    chat_id BIGINT, file_name TEXT NOT NULL, stored_path TEXT NOT NULL, sha256 TEXT NOT NULL,
    city TEXT, title TEXT, status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'rejected')),
    reason TEXT, decided_by BIGINT, decided_at DOUBLE PRECISION, doc_id BIGINT
);
CREATE TABLE api_keys (
    id BIGSERIAL PRIMARY KEY, prefix TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('read', 'write', 'admin')), name TEXT,
    created_at DOUBLE PRECISION NOT NULL, revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE audit (
    id BIGSERIAL PRIMARY KEY, ts DOUBLE PRECISION NOT NULL, actor TEXT NOT NULL,
    action TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '{}'
);
-- Sliding-window rate limits shared by every replica (AppDB.rate_check).
CREATE TABLE rate_events (key TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL);
CREATE INDEX rate_events_key ON rate_events (key, ts);
-- Telegram webhook updates already taken by some replica (retries are answered, not rerun).
CREATE TABLE telegram_updates (
    update_id BIGINT PRIMARY KEY, taken_at DOUBLE PRECISION NOT NULL
);
