-- The date of an act's text version ("testo vigente al"), ISO YYYY-MM-DD, NULL when the
-- document does not say it (guidelines, manuals). Citations name it, so that an official
-- checks a quote against the version it was taken from.
ALTER TABLE documents ADD COLUMN IF NOT EXISTS in_force TEXT;
