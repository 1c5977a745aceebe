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


@pytest.mark.parametrize(("text", "expected"), [
    # the dots of "lett." and "n." end no sentence: the act after them is the article's
    ("prevista dall'art. 1, comma 44,\nlett. c), della legge 56/2014: d'intesa",
     [("legge:56/2014", "1", "44", "c", False)]),
    ("ai sensi dell'art. 5, n. 3, del d.lgs. 33/2013", [("dlgs:33/2013", "5", None, None, False)]),
    # the letter of an article cited with its act, before or after it
    ("dall'articolo 1, comma 44, lettera c), della legge 56/2014",
     [("legge:56/2014", "1", "44", "c", False)]),
    ("D.Lgs. 50/2016, art. 24, comma 4, lett. a), e altro",
     [("dlgs:50/2016", "24", "4", "a", False)]),
    # a full stop still ends the sentence: the article stays bare (of the chunk's own act)
    ("si veda l'art. 5. Il d.lgs. 33/2013 dispone",
     [(None, "5", None, None, True), ("dlgs:33/2013", None, None, None, False)]),
])
def test_an_article_s_act_and_letter_across_abbreviations(
        text: str, expected: list[tuple[object, ...]]) -> None:
    found = find_references(text, act=None)
    assert [(r.act, r.article, r.comma, r.letter, r.same_act) for r in found] == expected
    assert all(text[r.start:r.end] == r.text for r in found)


@pytest.mark.parametrize(("text", "expected"), [
    # a list too long for the act to sit next to its first article
    ("di cui agli articoli 2, 3, 8, 15, 16, 18, 25, 37, 41, 42 e 43 del decreto legislativo 18 "
     "maggio 2018, n. 51.", [("dlgs:51/2018", n) for n in
                             ("2", "3", "8", "15", "16", "18", "25", "37", "41", "42", "43")]),
    # acts known by their name, with a typographic apostrophe or a line break inside it
    ("ai sensi dell’art. 707 del Codice della navigazione", [("rd:327/1942", "707")]),
    ("dell'art. 69 comma 1 del Codice dell’Amministrazione\nDigitale", [("dlgs:82/2005", "69")]),
    ("dell'articolo 43, comma 2, del testo unico delle disposizioni legislative e regolamentari "
     "in materia di documentazione amministrativa, di cui al", [("dpr:445/2000", "43")]),
])
def test_acts_named_after_a_list_or_by_their_name(
        text: str, expected: list[tuple[object, ...]]) -> None:
    assert [(r.act, r.article) for r in find_references(text, act=None)] == expected


GDPR = "reg-ue:2016/679"


@pytest.mark.parametrize(("text", "expected"), [
    ("di cui agli articoli 9 e 10 del regolamento, che devono",
     [(GDPR, "9", None, None, False), (GDPR, "10", None, None, False)]),
    ("fondato sull'articolo 6, paragrafo 1, lettera a), del Regolamento, e' lecito",
     [(GDPR, "6", None, None, False)]),
    ("dell'articolo 5 del regolamento (UE) 2016/679", [(GDPR, "5", None, None, False)]),
    ("ai sensi dell'articolo 10 del medesimo regolamento", [(GDPR, "10", None, None, False)]),
    # not the name: another regulation described after it; the own act's articles
    ("dell'articolo 5 del regolamento di cui al decreto", [(None, "5", None, None, False)]),
    ("ai sensi dell'articolo 5, comma 2", [("dlgs:196/2003", "5", "2", None, True)]),
])
def test_articles_of_a_name_the_document_defined(
        text: str, expected: list[tuple[object, ...]]) -> None:
    found = find_references(text, act="dlgs:196/2003", defined={"regolamento": GDPR})
    assert [(r.act, r.article, r.comma, r.letter, r.same_act) for r in found] == expected


def test_a_name_defined_in_one_article_serves_the_whole_act(tmp_path: Path) -> None:
    store = ingest_texts(tmp_path / "leggi", {"privacy.md": (
        "# D.Lgs. 30 giugno 2003, n. 196 - Codice in materia di protezione dei dati "
        "personali\n\n### Art. 1. - Oggetto\n\n1. Il trattamento dei dati personali avviene "
        "secondo le norme del regolamento (UE) 2016/679 del Parlamento europeo e del "
        "Consiglio, del 27 aprile 2016, di seguito «Regolamento».\n\n### Art. 2-ter. - Base "
        "giuridica\n\n1. La base giuridica prevista dall'articolo 6, paragrafo 3, lettera b), "
        "del Regolamento e' costituita da una norma di legge.\n")}, tmp_path / "raccordo.db")
    chunk = next(c for c in store.chunks() if c.locator.article == "2-ter")
    assert [(r.act, r.article, r.same_act) for r in chunk.references] == [
        (GDPR, "6", False)]


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
