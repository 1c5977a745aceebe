"""Row ↔ data-type mapping of the SQLite store (the SELECT column lists live here too)."""

from __future__ import annotations

import json
from typing import Any

from ingest.models import Chunk, DocumentMeta, Locator, Reference
from ingest.storetypes import StoredDocument

DOC_SELECT = (
    "SELECT d.id, d.source, d.file, d.sha256, d.format, d.title, d.kind, d.issuer, d.city,"
    " d.year, d.url, d.act, d.themes, d.contributor, d.pages, d.status, d.reason,"
    " COUNT(c.id), d.ingested_at, d.ocr_pages, d.in_force"
    " FROM documents d LEFT JOIN chunks c ON c.doc_id = d.id"
)
CHUNK_SELECT = (
    "SELECT id, doc_id, ordinal, text, context, section, article, commi, letters,"
    " page_start, page_end, themes, vigente, repeal_note, repealed, amended, ocr, page_breaks"
    " FROM chunks"
)


def chunk_row(doc_id: int, c: Chunk) -> tuple[object, ...]:
    """The INSERT parameters of a chunk."""
    loc = c.locator
    return (doc_id, c.ordinal, c.text, c.context, json.dumps(list(loc.section)), loc.article,
            json.dumps(list(loc.commi)), json.dumps(list(loc.letters)), loc.page_start,
            loc.page_end, json.dumps(list(c.themes)), int(c.vigente), c.repeal_note,
            json.dumps(list(c.repealed)), int(c.amended), int(c.ocr),
            json.dumps([list(b) for b in c.page_breaks]))


def chunk_from_row(r: Any, refs: tuple[Reference, ...] = ()) -> Chunk:
    """A chunk from a CHUNK_SELECT row and its stored references."""
    loc = Locator(
        section=tuple(json.loads(str(r[5]))), article=r[6],
        commi=tuple(json.loads(str(r[7]))), letters=tuple(json.loads(str(r[8]))),
        page_start=r[9], page_end=r[10],
    )
    return Chunk(ordinal=int(r[2]), text=str(r[3]), context=str(r[4]), locator=loc,
                 id=int(r[0]), doc_id=int(r[1]),
                 themes=tuple(json.loads(str(r[11]))), vigente=bool(r[12]),
                 repeal_note=r[13], repealed=tuple(json.loads(str(r[14]))),
                 amended=bool(r[15]), ocr=bool(r[16]), references=refs,
                 page_breaks=tuple((int(a), int(p)) for a, p in json.loads(str(r[17] or "[]"))))


def doc_from_row(r: Any) -> StoredDocument:
    """A document from a DOC_SELECT row."""
    meta = DocumentMeta(
        title=str(r[5]), kind=str(r[6]), issuer=r[7], city=r[8], year=r[9],
        url=r[10], act=r[11], themes=tuple(json.loads(str(r[12]))),
        contributor=r[13], in_force=r[20],
    )
    return StoredDocument(
        id=int(r[0]), source=str(r[1]), file=str(r[2]), sha256=str(r[3]),
        format=r[4], meta=meta, pages=r[14], status=str(r[15]), reason=r[16],
        chunks=int(r[17]), ingested_at=float(r[18]),
        ocr_pages=tuple(int(p) for p in json.loads(str(r[19] or "[]"))),
    )
