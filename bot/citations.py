"""Citations built from passage metadata only: act label + article/comma/page locator."""

from __future__ import annotations

from bot.models import Citation
from index.models import Hit
from ingest.acts import short_title, title_act
from ingest.models import DocumentMeta

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


def locator_text(hit: Hit) -> str:
    """'D.Lgs. 267/2000 (TUEL), art. 107, comma 3' or 'Title, p. 6'."""
    label = act_label(hit.document.meta)
    where = hit.chunk.locator.label()
    return f"{label}, {where}" if where else label


def citation_for(hit: Hit, n: int, quote: str) -> Citation:
    """The numbered citation of a passage; `quote` must be a substring of its text."""
    if quote not in hit.chunk.text:
        raise ValueError("la citazione non è un estratto letterale del passo")
    meta = hit.document.meta
    assert hit.chunk.id is not None
    return Citation(
        n=n, file=hit.document.file, title=meta.title, kind=meta.kind,
        locator=locator_text(hit), page=hit.chunk.locator.page_start, quote=quote,
        url=meta.url, chunk_id=hit.chunk.id, doc_id=hit.document.id, city=meta.city,
    )
