"""Data types of answers: an `Answer` with its `Citation`s."""

from __future__ import annotations

from dataclasses import dataclass, field

from index.models import Hit
from ingest.links import link_today
from ingest.version import italian_date

AMENDED_NOTE = ("Tra (( )) le parole modificate o aggiunte da atti successivi, come le segna "
                "Normattiva.")
"""Shown beside a quote that holds Normattiva's amendment marks."""


@dataclass(frozen=True)
class Citation:
    """A numbered source of an answer, built from passage metadata only."""

    n: int
    file: str
    title: str
    kind: str
    locator: str
    page: int | None
    quote: str  # verbatim substring of the chunk text
    url: str | None
    chunk_id: int
    doc_id: int | None = None
    city: str | None = None
    place: str = ""  # the locator without the document label: 'art. 107, comma 3'
    formal: str | None = None  # 'art. 107, comma 3, d.lgs. 18 agosto 2000, n. 267' (acts only)
    ocr: bool = False  # the quote comes from text read by OCR: check it against the original
    references: tuple[dict[str, object], ...] = ()  # provisions the quote cites, resolved
    start: int | None = None  # where `quote` begins in the passage's text
    in_force: str | None = None  # ISO date of the act's text version quoted ("vigente al")
    amended: bool = False  # the quote holds words changed by amendments, marked "((...))"

    @property
    def version(self) -> str | None:
        """'testo vigente al 4 novembre 2025' when the source says which version it is."""
        return f"testo vigente al {italian_date(self.in_force)}" if self.in_force else None

    @property
    def version_notice(self) -> str | None:
        """The sentence shown beside a quote: 'Testo vigente al …: verificare eventuali
        modifiche successive.'"""
        if not self.in_force:
            return None
        return (f"Testo vigente al {italian_date(self.in_force)}: verificare eventuali "
                "modifiche successive.")

    @property
    def current_url(self) -> str | None:
        """The same place in the text in force on the day the link is opened (Normattiva), to
        check the quoted version against: None when the source has no such link."""
        return link_today(self.url) if self.in_force else None

    def to_json(self) -> dict[str, object]:
        """The citation contract of `raccordo ask --json`."""
        return {"n": self.n, "file": self.file, "title": self.title, "kind": self.kind,
                "locator": self.locator, "page": self.page, "quote": self.quote,
                "url": self.url, "chunk_id": self.chunk_id, "formal": self.formal,
                "ocr": self.ocr, "references": list(self.references),
                "in_force": self.in_force, "current_url": self.current_url,
                "amended": self.amended}


@dataclass(frozen=True)
class Turn:
    """A previous exchange in a conversation."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Answer:
    """What every front door formats: text with [n] marks, citations, abstention."""

    question: str
    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    hits: tuple[Hit, ...] = ()  # the passages considered, best first
    # "potrebbero esserti utili" when abstaining; "da controllare anche" when uncertain
    suggestions: tuple[Hit, ...] = ()
    mode: str = "extractive"  # or "llm"
    rewritten_question: str | None = None  # set when a follow-up was rewritten
    notes: tuple[str, ...] = field(default=())
    uncertain: bool = False  # answered, but our model gives the passages under even odds

    def to_json(self) -> dict[str, object]:
        """The `raccordo ask --json` contract."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [c.to_json() for c in self.citations],
        }
