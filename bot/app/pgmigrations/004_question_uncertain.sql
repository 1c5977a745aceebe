-- Whether a logged answer was given under even odds and flagged as uncertain (not personal:
-- kept with question logging off too), so that the dashboard counts such answers as gaps.
ALTER TABLE questions ADD COLUMN uncertain INTEGER NOT NULL DEFAULT 0;
