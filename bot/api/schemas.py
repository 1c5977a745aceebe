"""Request and response bodies of the HTTP API (they shape /openapi.json)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from bot.api.deps import MAX_ID, MAX_QUERY_CHARS, MAX_YEAR, MIN_YEAR, Kind
from ingest.models import Chunk
from ingest.store import StoredDocument

NonBlank = r"\S"  # at least one non-space character (JSON Schema patterns are unanchored)


class HitOut(BaseModel):
    """One passage in the `raccordo search --json` contract."""

    rank: int
    score: float
    chunk_id: int | None
    file: str
    title: str
    kind: str
    locator: str
    page: int | None
    text: str
    url: str | None
    citation: str | None = None  # formal citation of a provision of an act
    vigente: bool = True  # False: the passage holds only repealed provisions
    repeal_note: str | None = None
    ocr: bool = False  # text read by OCR: to check against the original


class SearchOut(BaseModel):
    """Search results: the query and its ranked hits."""

    query: str
    hits: list[HitOut]


class FiltersIn(BaseModel):
    """Restrictions for a question (all optional)."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind | None = None
    city: str | None = Field(default=None, max_length=100)
    year: int | None = Field(default=None, ge=MIN_YEAR, le=MAX_YEAR)
    document: int | None = Field(default=None, ge=1, le=MAX_ID)
    theme: str | None = Field(default=None, max_length=100)
    vigente: StrictBool | None = None  # True: only provisions in force


class TurnIn(BaseModel):
    """A previous exchange of the conversation."""

    question: str = Field(max_length=MAX_QUERY_CHARS)
    answer: str = Field(default="", max_length=8000)


class AskIn(BaseModel):
    """A question, with optional filters and conversation history."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, pattern=NonBlank)
    filters: FiltersIn = Field(default_factory=FiltersIn)
    history: list[TurnIn] = Field(default_factory=list, max_length=10)


class CitationOut(BaseModel):
    """A numbered source of an answer (`raccordo ask --json`)."""

    n: int
    file: str
    title: str
    kind: str
    locator: str
    page: int | None
    quote: str
    url: str | None
    chunk_id: int
    doc_id: int | None = None
    formal: str | None = None  # formal Italian citation of a provision of an act
    ocr: bool = False  # quote read by OCR: to check against the original
    references: list[dict[str, Any]] = []  # provisions the quote cites (chunk_id null: outside)
    in_force: str | None = None  # ISO date of the act's text version quoted ("vigente al")
    current_url: str | None = None  # the same place in today's text (Normattiva), to compare
    amended: bool = False  # the quote holds words changed by amendments, marked "((...))"


class AnswerOut(BaseModel):
    """The `raccordo ask --json` contract, plus the id to send feedback about."""

    question: str
    answer: str
    abstained: bool
    citations: list[CitationOut]
    suggestions: list[HitOut] = []
    question_id: int | None = None
    uncertain: bool = Field(False, description="Risposta data, ma con meno di una probabilità "
                            "su due che le fonti trovate rispondano: il testo lo dice prima "
                            "delle citazioni, da verificare sull'atto.")
    understood_as: str | None = Field(None, description="Come è stata intesa una domanda di "
                                      "seguito con `history` («e chi lo nomina?» → «Chi lo "
                                      "nomina il segretario comunale?»): è la domanda cercata; "
                                      "null quando la domanda è stata cercata com'è.")


class FeedbackIn(BaseModel):
    """A 👍 (1) or 👎 (-1) on an answer, with an optional comment."""

    model_config = ConfigDict(extra="forbid")

    question_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    vote: Literal[1, -1]
    comment: str | None = Field(default=None, max_length=2000)


class FeedbackOut(BaseModel):
    """The stored feedback row's id."""

    id: int


class DocumentOut(BaseModel):
    """A document in the `raccordo documents --json` contract, plus source metadata."""

    id: int
    file: str
    title: str
    kind: str
    city: str | None
    year: int | None
    pages: int | None
    chunks: int
    status: str
    reason: str | None
    url: str | None = None
    issuer: str | None = None
    act: str | None = None
    themes: list[str] = []
    in_force: str | None = None  # ISO date of the text version, when the document gives it


class DocumentPageOut(BaseModel):
    """One page of the document list."""

    page: int
    per_page: int
    total: int
    documents: list[DocumentOut]


class ChunkOut(BaseModel):
    """A passage of a document with its locator."""

    id: int
    ordinal: int
    locator: str
    section: list[str]
    article: str | None
    commi: list[str]
    letters: list[str]
    page_start: int | None
    page_end: int | None
    themes: list[str]
    text: str


class DocumentDetailOut(BaseModel):
    """A document's metadata and all its passages, in order."""

    document: DocumentOut
    chunks: list[ChunkOut]


class JobError(BaseModel):
    """Why an upload was not ingested."""

    code: str
    message: str


class JobOut(BaseModel):
    """An upload job: queued, running, indexed (with its document) or rejected."""

    id: str
    status: Literal["queued", "running", "indexed", "rejected"]
    file: str
    created: float
    finished: float | None
    document_id: int | None
    error: JobError | None
    document: DocumentOut | None = None
    generation: str | None = None


class UploadOut(BaseModel):
    """An accepted upload: its job, to follow at `status_url`."""

    job: JobOut
    status_url: str


class DeleteOut(BaseModel):
    """The outcome of a deletion."""

    id: int
    deleted: bool
    generation: str | None


class HealthOut(BaseModel):
    """Liveness."""

    status: str


class ReadyOut(BaseModel):
    """Readiness: what is loaded."""

    status: str
    generation: str | None
    documents: int
    chunks: int
    model: str
    backend: str = "sqlite"  # 'sqlite' (embedded) or 'postgresql' (RACCORDO_DATABASE_URL)


def document_out(doc: StoredDocument) -> DocumentOut:
    """API view of a stored document."""
    meta = doc.meta
    return DocumentOut.model_validate({**doc.to_json(), "url": meta.url, "issuer": meta.issuer,
                                       "act": meta.act, "themes": list(meta.themes)})


def chunk_out(chunk: Chunk) -> ChunkOut:
    """API view of a stored chunk."""
    loc = chunk.locator
    return ChunkOut(id=chunk.id or 0, ordinal=chunk.ordinal, locator=loc.label(),
                    section=list(loc.section), article=loc.article, commi=list(loc.commi),
                    letters=list(loc.letters), page_start=loc.page_start, page_end=loc.page_end,
                    themes=list(chunk.themes), text=chunk.text)
