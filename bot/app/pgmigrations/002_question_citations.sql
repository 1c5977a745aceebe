-- The passages a logged answer cited (file, locator, quote; kept only with question logging
-- on), so that `raccordo feedback export` can turn answers voted 👍 into training questions.
ALTER TABLE questions ADD COLUMN cited TEXT NOT NULL DEFAULT '[]';
