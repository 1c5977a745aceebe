"""Data types of retrieval: `Filters` in, `Hit`s out."""

from __future__ import annotations

from dataclasses import dataclass

from ingest.citation import formal_citation
from ingest.models import Chunk
from ingest.store import StoredDocument


@dataclass(frozen=True)
class Filters:
    """Restrictions on what a search may return; None means no restriction."""

    kind: str | None = None
    city: str | None = None
    year: int | None = None
    document: int | None = None  # document id
    theme: str | None = None
    vigente: bool | None = None  # True: only provisions in force; False: only repealed ones

    def is_empty(self) -> bool:
        """True when nothing is restricted."""
        return all(v is None for v in (self.kind, self.city, self.year, self.document,
                                       self.theme, self.vigente))


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk with its document and scores."""

    rank: int
    score: float
    chunk: Chunk
    document: StoredDocument
    dense: float | None = None
    lexical: float | None = None
    rerank: float | None = None  # cross-encoder logit (index.ranking), when re-ranked

    @property
    def vigente(self) -> bool:
        """False when the chunk holds only repealed provisions (see `ingest.vigenza`)."""
        return self.chunk.vigente

    @property
    def ocr(self) -> bool:
        """True when the chunk's text was read by OCR (to check against the original)."""
        return self.chunk.ocr

    @property
    def citation(self) -> str | None:
        """Formal Italian citation ('art. 107, comma 3, d.lgs. 18 agosto 2000, n. 267'), or None
        when the document is no act."""
        return formal_citation(self.chunk.locator, self.document.meta)

    @property
    def locator(self) -> str:
        """The chunk's human locator ('art. 107, comma 3' / section path, pages)."""
        return self.chunk.locator.label()

    def to_json(self) -> dict[str, object]:
        """The `raccordo search --json` hit contract."""
        return {
            "rank": self.rank,
            "score": round(float(self.score), 6),
            "chunk_id": self.chunk.id,
            "file": self.document.file,
            "title": self.document.meta.title,
            "kind": self.document.meta.kind,
            "locator": self.locator,
            "page": self.chunk.locator.page_start,
            "text": self.chunk.text,
            "url": self.document.meta.url,
            "citation": self.citation,
            "vigente": self.chunk.vigente,
            "repeal_note": self.chunk.repeal_note,
            "ocr": self.chunk.ocr,
            **({"rerank": round(self.rerank, 6)} if self.rerank is not None else {}),
        }
