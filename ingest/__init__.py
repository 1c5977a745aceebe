"""Ingestion: files → `Document` → `Chunk`s, stored in SQLite."""
