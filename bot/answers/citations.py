"""Citations built from passage metadata only: act label + article/comma/page locator."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from bot.answers.models import Citation
from index.models import Hit
from ingest.acts import short_title, title_act
from ingest.citation import formal_citation
from ingest.legal import comma_number, letter_of
from ingest.links import link_place
from ingest.models import Chunk, DocumentMeta, Locator
from ingest.vigenza import amendment_marked

MAX_TITLE = 90
LEGAL_KINDS = frozenset({"law", "decree", "regulation", "statute"})


def act_label(meta: DocumentMeta) -> str:
    """A short label for a document: 'D.Lgs. 267/2000 (TUEL)', else a short title.

    Only acts (laws, decrees, regulations, statutes) are labelled by their act key: a
    guideline that merely cites the CAD is labelled by its own title.
    """
    if meta.kind not in LEGAL_KINDS:
        return short_title(DocumentMeta(title=meta.title, kind=meta.kind), limit=MAX_TITLE)
    key = meta.act or title_act(meta.title)
    return short_title(DocumentMeta(title=meta.title, kind=meta.kind, act=key), limit=MAX_TITLE)


def _with_act(meta: DocumentMeta) -> DocumentMeta:
    """The metadata with its act key, read from the title when the manifest gave none."""
    if meta.act or meta.kind not in LEGAL_KINDS:
        return meta
    return replace(meta, act=title_act(meta.title))


def _openings(text: str, end: int) -> list[tuple[str | None, str | None]]:
    """(comma, lettera) opened by each line starting at or before `end` (ingest's own rules)."""
    out: list[tuple[str | None, str | None]] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        if pos > end:
            break
        out.append((comma_number(line), letter_of(line)))
        pos += len(line)
    return out


def web_url(url: str | None) -> str | None:
    """The URL when it is http(s), else None (never a javascript: or custom-scheme link)."""
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


def place_url(hit: Hit) -> str | None:
    """The web link of a passage's source, opened at its article or page where it can be."""
    return web_url(link_place(hit.document.meta.url, hit.chunk.locator))


def place_text(hit: Hit, locator: Locator | None = None) -> str:
    """Where in the document: 'art. 107, comma 3' or 'Sezione > Paragrafo, pp. 4-6'.

    Parts that only repeat the document's title (a first heading that is the title) are
    dropped, so that a citation line names the document once.
    """
    return short_locator((locator or hit.chunk.locator).label(), hit.document.meta.title)


def short_locator(locator: str | None, title: str) -> str:
    """A locator label without the parts that repeat the document title shown beside it."""
    title = " ".join(title.split())
    parts: list[str] = []
    for part in (locator or "").split(", "):
        flat = " ".join(part.split())
        if flat.startswith(title + " > "):
            flat = flat[len(title) + 3:]
        if flat and flat != title and flat not in parts:
            parts.append(flat)
    return ", ".join(parts)


def locator_text(hit: Hit, locator: Locator | None = None) -> str:
    """'D.Lgs. 267/2000 (TUEL), art. 107, comma 3' or 'Short title, p. 6'."""
    label = act_label(hit.document.meta)
    where = place_text(hit, locator)
    return f"{label}, {where}" if where else label


def quote_locator(hit: Hit, start: int) -> Locator:
    """The passage's locator narrowed to the comma (and lettera) where the quote at `start`
    sits, when the passage spans several: 'art. 147-ter, comma 1' rather than 'commi 1-2'."""
    loc = hit.chunk.locator
    if loc.article is None or not loc.commi:
        return loc
    openings = _openings(hit.chunk.text, start)
    last = max((i for i, (c, _) in enumerate(openings) if c in loc.commi), default=None)
    if last is not None:
        loc = replace(loc, commi=(str(openings[last][0]),))
    elif len(loc.commi) > 1:
        return loc
    letters = [x for _, x in openings[(last or -1) + 1:] if x is not None]
    if letters and (not loc.letters or letters[-1] in loc.letters):
        return replace(loc, letters=(letters[-1],))
    if last is not None:  # the quote is the comma's own lead-in, before any lettera
        return replace(loc, letters=())
    return loc


def quotes_locator(hit: Hit, starts: Sequence[int]) -> Locator:
    """The locator of all the quotes of a passage: their comma(s) and lettera, if known."""
    loc = hit.chunk.locator
    found = [quote_locator(hit, s) for s in starts]
    if not found:
        return loc
    if all(f == found[0] for f in found):
        return found[0]
    if any(len(f.commi) != 1 for f in found):
        return replace(loc, letters=())
    commi = [c for c in loc.commi if any(f.commi == (c,) for f in found)]
    if len(commi) > 1:
        return replace(loc, commi=tuple(commi), letters=())
    letters = dict.fromkeys(x for f in found for x in f.letters)
    return replace(loc, commi=tuple(commi), letters=tuple(letters))


def quote_start(chunk: Chunk, quote: str, starts: Sequence[int] = ()) -> int:
    """Where `quote` begins in the passage: at one of `starts`, else its first occurrence."""
    return next((s for s in starts if chunk.text.startswith(quote, s)), chunk.text.find(quote))


def quote_pages(chunk: Chunk, quote: str, starts: Sequence[int] = ()
                ) -> tuple[int | None, int | None]:
    """First and last page of the quoted sentences: `quote` and those beginning at `starts`
    (the passage's pages when it lies on one page or its page breaks are unknown)."""
    if not chunk.page_breaks:
        return chunk.locator.page_start, chunk.locator.page_end
    at = quote_start(chunk, quote, starts)
    spans = [chunk.pages_of(at, at + len(quote)), *(chunk.pages_of(s, s + 1) for s in starts)]
    pages = [p for span in spans for p in span if p is not None]
    return (min(pages), max(pages)) if pages else (None, None)


def citation_for(hit: Hit, n: int, quote: str, starts: Sequence[int] = ()) -> Citation:
    """The numbered citation of a passage; `quote` must be a substring of its text.

    `starts` (where each quote cited under this number begins in the chunk) narrows the
    locator to the quotes' own comma and lettera.
    """
    if quote not in hit.chunk.text:
        raise ValueError("la citazione non è un estratto letterale del passo")
    if any(not 0 <= s < len(hit.chunk.text) for s in starts):
        raise ValueError("posizione della citazione fuori dal passo")
    meta = hit.document.meta
    assert hit.chunk.id is not None
    locator = quotes_locator(hit, starts) if starts else None
    first, last = quote_pages(hit.chunk, quote, starts)
    if (first, last) != (hit.chunk.locator.page_start, hit.chunk.locator.page_end):
        locator = replace(locator or hit.chunk.locator, page_start=first, page_end=last)
    return Citation(
        n=n, file=hit.document.file, title=meta.title, kind=meta.kind,
        locator=locator_text(hit, locator), page=first, quote=quote,
        url=web_url(link_place(meta.url, locator or hit.chunk.locator)), chunk_id=hit.chunk.id,
        doc_id=hit.document.id, city=meta.city, start=quote_start(hit.chunk, quote, starts),
        place=place_text(hit, locator),
        formal=formal_citation(locator or hit.chunk.locator, _with_act(meta)), ocr=hit.chunk.ocr,
        in_force=meta.in_force, amended=amendment_marked(quote),
    )
