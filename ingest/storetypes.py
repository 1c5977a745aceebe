"""What the store returns: documents with their counts, chunks with their documents."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.models import Chunk, DocumentMeta, Reference


@dataclass(frozen=True)
class StoredDocument:
    """A document row as stored, with its chunk count."""

    id: int
    source: str
    file: str
    sha256: str
    format: str | None
    meta: DocumentMeta
    pages: int | None
    status: str
    reason: str | None
    chunks: int
    ingested_at: float
    ocr_pages: tuple[int, ...] = ()  # 1-based pages read by OCR

    @property
    def ocr(self) -> bool:
        """True when some of the text was read by OCR from a scan."""
        return bool(self.ocr_pages)

    def to_json(self) -> dict[str, object]:
        """The `raccordo documents --json` contract."""
        return {
            "id": self.id,
            "file": self.file,
            "title": self.meta.title,
            "kind": self.meta.kind,
            "city": self.meta.city,
            "year": self.meta.year,
            "pages": self.pages,
            "chunks": self.chunks,
            "status": self.status,
            "reason": self.reason,
            "ocr": self.ocr,
            "ocr_pages": list(self.ocr_pages),
            "in_force": self.meta.in_force,
        }


@dataclass(frozen=True)
class StoredChunk:
    """A chunk joined with the metadata of its document (what search needs)."""

    chunk: Chunk
    document: StoredDocument


@dataclass(frozen=True)
class ResolvedReference:
    """A chunk's reference with the chunk holding the cited provision, when it is stored."""

    reference: Reference
    chunk_id: int | None = None  # None: the cited act (or article) is not in the store
    document_id: int | None = None
    vigente: bool | None = None  # the cited chunk's state, when resolved

    @property
    def in_store(self) -> bool:
        """True when the cited provision was found in the knowledge base."""
        return self.chunk_id is not None

    def to_json(self) -> dict[str, object]:
        """`{text, act, article, comma, letter, start, end, chunk_id, document_id, in_store,
        vigente}` (start/end: offsets of `text` in the citing chunk's text)."""
        ref = self.reference
        return {"text": ref.text, "act": ref.act, "article": ref.article, "comma": ref.comma,
                "letter": ref.letter, "start": ref.start, "end": ref.end,
                "chunk_id": self.chunk_id,
                "document_id": self.document_id, "in_store": self.in_store,
                "vigente": self.vigente}
