-- A network coordinator's decision on an answer officials voted 👎 (the review page,
-- /revisione): the right passage, or "the sources do not answer it".
CREATE TABLE reviews (
    question_id BIGINT PRIMARY KEY REFERENCES questions(id) ON DELETE CASCADE,
    decision TEXT NOT NULL CHECK (decision IN ('passage', 'no_answer')),
    relevant TEXT NOT NULL DEFAULT '[]', decided_by TEXT NOT NULL,
    decided_at DOUBLE PRECISION NOT NULL
);
