-- The passages each logged answer cited (file, locator, quote: the sources' text), so that
-- `raccordo feedback export` can turn answers voted 👍 into training questions.
ALTER TABLE questions ADD COLUMN cited TEXT NOT NULL DEFAULT '[]';
