"""Data types of ingestion: `Block` → `Document` → `Chunk`."""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("law", "decree", "regulation", "statute", "plan", "practice", "guideline", "other")


@dataclass(frozen=True)
class Block:
    """A run of text as the reader found it: a heading or a paragraph, on a page."""

    text: str
    page: int | None = None
    heading_level: int | None = None  # 1..6 for headings found by the reader, None for body


@dataclass(frozen=True)
class DocumentMeta:
    """Descriptive metadata from a manifest, a sidecar or the document itself."""

    title: str
    kind: str = "other"
    issuer: str | None = None
    city: str | None = None
    year: int | None = None
    url: str | None = None
    act: str | None = None  # normalised act key, e.g. "dlgs:267/2000" (see ingest.acts)
    themes: tuple[str, ...] = ()  # theme ids forced by manifest/sidecar
    contributor: str | None = None
    in_force: str | None = None  # ISO date of the text version: "testo vigente al" (acts)


@dataclass(frozen=True)
class Document:
    """A parsed file: its identity, metadata and text blocks."""

    file: str  # path relative to the ingested folder, as shown to users
    sha256: str
    format: str  # pdf, docx, html, markdown, text, rst, nir-xml
    meta: DocumentMeta
    blocks: tuple[Block, ...]
    pages: int | None = None
    ocr_pages: tuple[int, ...] = ()  # pages read by OCR (no text layer), 1-based


@dataclass(frozen=True)
class Reference:
    """A provision a chunk cites: 'articolo 5, comma 2', 'art. 14-bis della legge ... n. 241'.

    `act` is the cited act's key ("legge:241/1990"); None with `same_act` means the act the
    chunk belongs to; None without `same_act` means an act that could not be identified.
    """

    text: str  # the words as written in the chunk
    act: str | None
    article: str | None
    comma: str | None = None
    letter: str | None = None
    same_act: bool = False
    start: int = 0  # offsets of `text` in the chunk's text
    end: int = 0


@dataclass(frozen=True)
class Locator:
    """Where a chunk sits in its document."""

    section: tuple[str, ...] = ()  # heading path: ("Capo I", "Sezione II"), ("3 Servizi", ...)
    article: str | None = None  # "107", "10-bis"
    commi: tuple[str, ...] = ()  # ("3",) or ("1", "1-bis")
    letters: tuple[str, ...] = ()  # ("a", "b")
    page_start: int | None = None
    page_end: int | None = None

    def label(self) -> str:
        """Human label: 'art. 107, comma 3, lett. a)', else the section path, plus pages."""
        parts: list[str] = []
        if self.article:
            parts.append(f"art. {self.article}")
            if len(self.commi) == 1:
                parts.append(f"comma {self.commi[0]}")
            elif self.commi:
                parts.append(f"commi {self.commi[0]}-{self.commi[-1]}")
            if len(self.letters) == 1:
                parts.append(f"lett. {self.letters[0]})")
            elif self.letters:
                parts.append(f"lett. {self.letters[0]})-{self.letters[-1]})")
        elif self.section:
            parts.append(" > ".join(self.section[-2:]))
        if self.page_start is not None:
            if self.page_end is not None and self.page_end != self.page_start:
                parts.append(f"pp. {self.page_start}-{self.page_end}")
            else:
                parts.append(f"p. {self.page_start}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: verbatim `text`, plus a `context` header for embedding."""

    ordinal: int
    text: str
    locator: Locator
    context: str = ""  # "<title> — <locator label>", prepended when embedding/indexing
    id: int | None = None  # assigned by the store
    doc_id: int | None = None
    themes: tuple[str, ...] = field(default=())
    vigente: bool = True  # False when everything the chunk holds was repealed
    repeal_note: str | None = None  # "ARTICOLO ABROGATO DAL D.LGS. 14 MARZO 2013, N. 33"
    repealed: tuple[str, ...] = ()  # repealed parts inside an in-force chunk: ("comma 3",)
    amended: bool = False  # Normattiva's "((...))" marks: words replaced or added by amendments
    ocr: bool = False  # the text was read by OCR from a scan
    references: tuple[Reference, ...] = ()  # provisions cited in the text, in order
    # (offset in `text`, page) where each page begins, when the chunk spans several pages
    page_breaks: tuple[tuple[int, int], ...] = ()

    def indexed_text(self) -> str:
        """The text given to the embedder and to BM25: context header + body."""
        return f"{self.context}\n{self.text}" if self.context else self.text

    def pages_of(self, start: int, end: int) -> tuple[int | None, int | None]:
        """First and last page of `text[start:end]`; the chunk's pages when unknown."""
        if not self.page_breaks:
            return self.locator.page_start, self.locator.page_end
        return self._page_at(start), self._page_at(max(start, end - 1))

    def _page_at(self, offset: int) -> int:
        page = self.page_breaks[0][1]
        for at, number in self.page_breaks:
            if at > offset:
                break
            page = number
        return page
