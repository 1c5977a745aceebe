"""What every store of documents and chunks offers (SQLite `Store`, PostgreSQL `PgStore`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from ingest.models import Chunk, Document, DocumentMeta
from ingest.storetypes import ResolvedReference, StoredChunk, StoredDocument


@dataclass(frozen=True)
class IndexedText:
    """What a database-backed store keeps beside a chunk so that it is searchable."""

    vector: np.ndarray  # float32, unit length
    terms: dict[str, int]  # analysed term → frequency
    length: int  # analysed terms in the passage (BM25's document length)


class PassageIndexer(Protocol):
    """Turns passages into vectors and analysed terms (the index side, injected)."""

    @property
    def model_id(self) -> str:
        """The embedding model's id."""
        ...

    def index_texts(self, texts: Sequence[str]) -> list[IndexedText]:
        """One `IndexedText` per text, in order."""
        ...


@runtime_checkable
class VectorStore(Protocol):
    """A store that keeps the passage vectors itself (PostgreSQL): readers need no cache."""

    def vectors(self, chunk_ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of the given chunks, in order (float32, unit length)."""
        ...


class DocumentStore(Protocol):
    """The store interface the pipeline, the searchers and the application rely on."""

    @property
    def location(self) -> str:
        """Where the store lives (a file path, or host:port/database), for keys and messages."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...

    def version(self) -> int:
        """A counter bumped by every change to documents or chunks."""
        ...

    def meta_value(self, key: str) -> str | None:
        """A bookkeeping value of the store."""
        ...

    def set_meta_value(self, key: str, value: str) -> None:
        """Record a bookkeeping value."""
        ...

    def replace_document(self, source: str, doc: Document, chunks: Sequence[Chunk]) -> int:
        """Store a document and its chunks, replacing its previous version."""
        ...

    def record_skipped(self, source: str, file: str, sha256: str, reason: str,
                       meta: DocumentMeta | None = None) -> int:
        """Record a file that could not be ingested."""
        ...

    def remove_document(self, doc_id: int) -> bool:
        """Delete a document and its chunks; True when it existed."""
        ...

    def set_chunk_themes(self, themes_by_chunk: dict[int, Sequence[str]]) -> None:
        """Overwrite the theme tags of the given chunks."""
        ...

    def set_document_themes(self, doc_id: int, themes: Sequence[str]) -> None:
        """Overwrite the theme tags of a document."""
        ...

    def chunk_themes(self) -> dict[int, tuple[str, ...]]:
        """Theme tags of every chunk."""
        ...

    def document_themes(self) -> dict[int, tuple[str, ...]]:
        """Theme tags of every document."""
        ...

    def declared_themes(self) -> dict[int, tuple[str, ...]]:
        """Themes declared by manifest or sidecar, per document id."""
        ...

    def documents(self, source: str | None = None) -> list[StoredDocument]:
        """All documents (optionally of one source folder), ordered by file."""
        ...

    def document(self, doc_id: int) -> StoredDocument | None:
        """One document by id, or None."""
        ...

    def find_document(self, source: str, file: str) -> StoredDocument | None:
        """The stored version of `file` from `source`, or None."""
        ...

    def chunks(self, doc_id: int | None = None) -> list[Chunk]:
        """Chunks of one document (or of all), in document order."""
        ...

    def chunks_by_ids(self, ids: Sequence[int]) -> dict[int, StoredChunk]:
        """Chunks with their documents, keyed by chunk id."""
        ...

    def references(self, chunk_ids: Sequence[int]) -> dict[int, list[ResolvedReference]]:
        """The references of the given chunks, each resolved to the chunk it cites."""
        ...

    def act_dates(self) -> dict[str, str]:
        """Act key -> ISO date, as the stored references write it (`ingest.actdates`)."""
        ...

    def counts(self) -> dict[str, int]:
        """Numbers of indexed documents, skipped documents and chunks."""
        ...
