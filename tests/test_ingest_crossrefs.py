"""Cross-references in legal text: parsed at ingestion, stored, resolved to the cited chunk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ingest.crossrefs import find_references
from ingest.pipeline import ingest_path
from ingest.store import Store
from tests.legal_kit import LAWS, ingest_texts, score

TUEL = "dlgs:267/2000"


def _refs(text: str, article: str | None = None, comma: str | None = None
          ) -> list[tuple[object, ...]]:
    found = find_references(text, act=TUEL, article=article, comma=comma)
    return [(r.act, r.article, r.comma, r.letter, r.same_act) for r in found]


@pytest.mark.parametrize(("text", "expected"), [
    ("ai sensi dell'articolo 5, comma 2, lo statuto", [(TUEL, "5", "2", None, True)]),
    ("di cui all'art. 14-bis della legge 7 agosto 1990, n. 241",
     [("legge:241/1990", "14-bis", None, None, False)]),
    ("di cui al comma 2 dell'articolo 108", [(TUEL, "108", "2", None, True)]),
    ("ai sensi del d.lgs. n. 267/2000", [(TUEL, None, None, None, True)]),
    ("art. 68 del CAD", [("dlgs:82/2005", "68", None, None, False)]),
    ("gli articoli 46 e 47 del d.P.R. 28 dicembre 2000, n. 445",
     [("dpr:445/2000", "46", None, None, False), ("dpr:445/2000", "47", None, None, False)]),
    ("dell'articolo 6, paragrafo 1, del Regolamento", [(None, "6", None, None, False)]),
    ("dell'articolo 63 del decreto-legge n. 18", [(None, "63", None, None, False)]),
    ("di cui all'articolo 21-nonies, comma 1, del presente decreto",
     [(TUEL, "21-nonies", "1", None, True)]),
])
def test_references_and_their_acts(text: str, expected: list[tuple[object, ...]]) -> None:
    assert _refs(text) == expected


def test_bare_commi_and_letters_are_of_the_chunk_article() -> None:
    text = "Ai fini del comma 3, e della lettera b), nonche' della lettera d) del comma 4."
    assert _refs(text, article="50", comma="5") == [
        (TUEL, "50", "3", None, True), (TUEL, "50", "5", "b", True),
        (TUEL, "50", "4", "d", True)]


def test_notes_amending_texts_and_headings_give_no_bare_references() -> None:
    note = ("Art. 13. - Oggetto\n--------------- AGGIORNAMENTO (52) Il D.Lgs. 1 settembre "
            "2011, n. 150 ha disposto (con l'art. 36, comma 1) che si applica.")
    assert _refs(note) == [("dlgs:150/2011", None, None, None, False)]
    quoted = "1) all'art. 114: a) al comma 1 e' aggiunto: «di cui all'art. 193»."
    assert _refs(quoted) == [(None, "114", None, None, False)]


def test_offsets_point_into_the_chunk_text() -> None:
    text = "Resta fermo quanto previsto dall'articolo 14-ter, comma 7."
    (ref,) = find_references(text, act=None)
    assert text[ref.start:ref.end] == ref.text == "articolo 14-ter, comma 7"


def test_references_are_stored_and_resolved(tmp_path: Path) -> None:
    root = tmp_path / "leggi"
    store = ingest_texts(root, {"l241.md": (
        "# Legge 7 agosto 1990, n. 241 - Procedimento\n\n### Art. 2. - Conclusione\n\n"
        "1. Il procedimento si conclude con un provvedimento espresso.\n\n"
        "2. Il termine e' di trenta giorni, salvo quanto previsto dal comma 1.\n\n"
        "### Art. 3. - Motivazione\n\n1. Ogni provvedimento e' motivato, nei termini di cui "
        "all'articolo 2, comma 2, e dell'articolo 50 del TUEL.\n")}, tmp_path / "raccordo.db")
    chunk = next(c for c in store.chunks() if c.locator.article == "3")
    assert chunk.id is not None
    resolved = store.references([chunk.id])[chunk.id]
    by_text = {r.reference.text: r for r in resolved}
    same = by_text["articolo 2, comma 2"]
    assert same.in_store and same.reference.same_act
    target = store.chunks_by_ids([same.chunk_id or 0])[same.chunk_id or 0].chunk
    assert target.locator.article == "2" and "2" in target.locator.commi
    outside = by_text["articolo 50 del TUEL"]
    assert not outside.in_store and outside.reference.act == TUEL
    assert outside.to_json()["chunk_id"] is None and outside.to_json()["act"] == TUEL
    (root / "tuel.md").write_text("# D.Lgs. 18 agosto 2000, n. 267 - TUEL\n\n### Art. 50. - "
                                  "Sindaco\n\n1. Il sindaco e' l'organo responsabile.\n",
                                  encoding="utf-8")
    ingest_path(root, store)  # the cited act arrives later: resolved on reading
    chunk = next(c for c in store.chunks() if c.locator.article == "3")
    assert chunk.id is not None
    outside = {r.reference.text: r for r in store.references([chunk.id])[chunk.id]}[
        "articolo 50 del TUEL"]
    assert outside.in_store and outside.vigente is True


def test_an_older_store_gains_the_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE documents (id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL,"
        " file TEXT NOT NULL, sha256 TEXT NOT NULL, format TEXT, title TEXT NOT NULL, kind TEXT"
        " NOT NULL DEFAULT 'other', issuer TEXT, city TEXT, year INTEGER, url TEXT, act TEXT,"
        " themes TEXT NOT NULL DEFAULT '[]', contributor TEXT, pages INTEGER, status TEXT NOT"
        " NULL, reason TEXT, ingested_at REAL NOT NULL, UNIQUE (source, file));"
        "CREATE TABLE chunks (id INTEGER PRIMARY KEY AUTOINCREMENT, doc_id INTEGER NOT NULL"
        " REFERENCES documents(id) ON DELETE CASCADE, ordinal INTEGER NOT NULL, text TEXT NOT"
        " NULL, context TEXT NOT NULL DEFAULT '', section TEXT NOT NULL DEFAULT '[]', article"
        " TEXT, commi TEXT NOT NULL DEFAULT '[]', letters TEXT NOT NULL DEFAULT '[]',"
        " page_start INTEGER, page_end INTEGER, themes TEXT NOT NULL DEFAULT '[]');"
        "INSERT INTO documents(source, file, sha256, title, status, ingested_at)"
        " VALUES ('s', 'a.md', 'x', 'A', 'indexed', 0);"
        "INSERT INTO chunks(doc_id, ordinal, text) VALUES (1, 0, 'Testo.');")
    conn.close()
    store = Store(path)
    (chunk,) = store.chunks()
    assert chunk.vigente and chunk.references == () and not chunk.ocr
    assert chunk.page_breaks == ()  # citations keep the passage's pages until re-chunked
    assert store.documents()[0].ocr_pages == ()
    assert store.documents()[0].meta.in_force is None  # read on the next ingest (chunking "6")


@pytest.mark.shared
def test_same_act_articles_resolve_on_the_labelled_sample(tmp_path: Path,
                                                          shared_dir: Path) -> None:
    store = Store(tmp_path / "raccordo.db")
    for law in LAWS:
        ingest_path(shared_dir / "corpus" / law, store)
    result = score(store)
    assert result.same >= 50 and result.missing == 0
    assert result.recall >= 0.90, result
    assert result.precision >= 0.98, result
