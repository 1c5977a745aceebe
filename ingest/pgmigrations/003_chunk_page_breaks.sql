-- Where each page begins inside a chunk that spans several pages: a JSON list of
-- [offset in the chunk's text, page] pairs, '[]' for a chunk on one page (or without pages).
-- Citations name the page their quote is on, not the chunk's first page.
ALTER TABLE chunks ADD COLUMN IF NOT EXISTS page_breaks TEXT NOT NULL DEFAULT '[]';
