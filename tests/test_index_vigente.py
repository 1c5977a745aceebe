"""Search filters on the in-force state, and every hit carries it (real FAISS, BM25, SQLite)."""

from __future__ import annotations

from pathlib import Path

from index.builder import build_index
from index.models import Filters
from index.searcher import Searcher
from ingest.store import Store
from tests.index_kit import HashEmbedder
from tests.legal_kit import ingest_texts

TUEL = """# D.Lgs. 18 agosto 2000, n. 267 - Testo unico degli enti locali

### Art. 41-bis.

((ARTICOLO ABROGATO DAL D.LGS. 14 MARZO 2013, N. 33))

### Art. 42. - Attribuzioni dei consigli

1. Il consiglio e' l'organo di indirizzo e di controllo politico-amministrativo.

### Art. 43. - Diritti dei consiglieri

1. COMMA ABROGATO DALLA L. 24 DICEMBRE 2007, N. 244.

2. COMMA ABROGATO DALLA L. 24 DICEMBRE 2007, N. 244.
"""


def _searcher(tmp_path: Path) -> tuple[Store, Searcher]:
    store = ingest_texts(tmp_path / "leggi", {"tuel.md": TUEL}, tmp_path / "data" / "raccordo.db")
    emb = HashEmbedder()
    build_index(store, emb, tmp_path / "data" / "index", tmp_path / "cache")
    return store, Searcher(store, tmp_path / "data" / "index", emb)


def test_vigente_filter_and_hit_state(tmp_path: Path) -> None:
    _, searcher = _searcher(tmp_path)
    query = "articolo abrogato consiglio comma abrogato"
    every = searcher.search(query, k=10)
    assert {h.chunk.locator.article for h in every} >= {"41-bis", "42", "43"}
    state = {h.chunk.locator.article: h for h in every}
    assert not state["41-bis"].vigente and not state["43"].vigente and state["42"].vigente
    assert state["41-bis"].to_json()["vigente"] is False
    assert "14 MARZO 2013" in str(state["41-bis"].to_json()["repeal_note"])
    assert state["42"].citation == "art. 42, comma 1, d.lgs. 18 agosto 2000, n. 267"
    in_force = searcher.search(query, k=10, filters=Filters(vigente=True))
    assert "42" in {h.chunk.locator.article for h in in_force}
    assert all(h.vigente for h in in_force) and len(in_force) < len(every)
    repealed = searcher.search(query, k=10, filters=Filters(vigente=False))
    assert {h.chunk.locator.article for h in repealed} == {"41-bis", "43"}


def test_a_pinned_reference_to_a_repealed_article_respects_the_filter(tmp_path: Path) -> None:
    _, searcher = _searcher(tmp_path)
    pinned = searcher.search("art. 41-bis del TUEL", k=3)
    assert pinned[0].chunk.locator.article == "41-bis" and not pinned[0].vigente
    filtered = searcher.search("art. 41-bis del TUEL", k=3, filters=Filters(vigente=True))
    assert all(h.vigente for h in filtered)
