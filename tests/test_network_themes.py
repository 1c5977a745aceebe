"""Themes: the taxonomy, the decision rule, tagging of the demo corpus, theme filters."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from bot.network.taxonomy import load_taxonomy
from bot.network.themes import (
    TaggingParams,
    assign,
    document_themes,
    tag_store,
    theme_counts_by_city,
)
from index.models import Filters

REQUIRED = {
    "sviluppo_strategico": ["obiettivi_indicatori", "nuovi_bisogni", "attrazione_risorse",
                            "semplificazione_procedure", "pianificazione_strategica"],
    "gestione_integrata_servizi": ["unioni_associazioni", "uffici_unici", "zone_omogenee"],
    "relazioni_identita": ["collaborazione_comuni", "centro_competenza",
                           "comunicazione_identita"],
}
COMPETENCES = ["competenza_pianificazione", "competenza_investimenti",
               "competenza_dati_territoriali", "competenza_partenariati",
               "competenza_strategie_ict", "competenza_interpretazione_norme"]


def test_taxonomy_has_the_network_themes_with_italian_descriptions() -> None:
    taxonomy = load_taxonomy()
    for group, children in REQUIRED.items():
        assert taxonomy.require(group).kind == "group"
        assert [t.id for t in taxonomy.themes if t.parent == group] == children
    assert [t.id for t in taxonomy.themes if t.kind == "competence"] == COMPETENCES
    for theme in taxonomy.themes:
        assert len(theme.description.split()) >= 15, theme.id
    assert taxonomy.expand(["uffici_unici"]) == ("gestione_integrata_servizi", "uffici_unici")


def test_decision_rule_uses_threshold_margin_and_top_k() -> None:
    scores = np.array([[0.90, 0.89, 0.88, 0.80],   # three close themes, capped at k=2
                       [0.90, 0.84, 0.86, 0.70],   # 0.86 is within the margin, 0.84 is not
                       [0.80, 0.79, 0.78, 0.77]],  # nothing reaches the threshold
                      dtype=np.float32)
    params = TaggingParams(threshold=0.85, margin=0.05, max_themes=2)
    assert assign(scores, params) == [[0, 1], [0, 2], []]


def test_document_themes_need_a_share_of_chunks() -> None:
    chunks = [["a"], ["a", "b"], ["c"], [], ["a"]]
    assert document_themes(chunks, share=0.4) == ["a"]
    assert document_themes([["b"], [], [], [], [], []], share=0.5) == ["b"]  # most frequent
    assert document_themes([[], []], share=0.2) == []


def test_demo_corpus_is_tagged_and_manifest_themes_win(demo_service: Any) -> None:
    taxonomy = load_taxonomy()
    store = demo_service.store
    with store.transaction() as tx:
        declared = dict(tx.execute("SELECT doc_id, forced FROM theme_origin").fetchall())
    docs = [d for d in store.documents() if d.status == "indexed"]
    assert docs
    for doc in docs:
        forced = json.loads(declared[doc.id])
        assert forced, "the demo manifest declares themes for every sheet"
        assert doc.meta.themes == taxonomy.expand(forced)
        for chunk in store.chunks(doc.id):  # declared themes reach every chunk
            assert set(taxonomy.expand(forced)) <= set(chunk.themes)


def test_tagging_is_idempotent(demo_service: Any) -> None:
    before = [(c.id, c.themes) for c in demo_service.store.chunks()]
    report = tag_store(demo_service.network)
    assert report.chunks == len(before)
    assert report.changed_chunks == 0 and report.changed_documents == 0
    assert [(c.id, c.themes) for c in demo_service.store.chunks()] == before


def test_embedding_tags_chunks_without_declared_themes(fresh_service: Any) -> None:
    store = fresh_service.store
    with store.transaction() as tx:  # forget what the manifest declared
        tx.execute("UPDATE theme_origin SET forced='[]'")
    tag_store(fresh_service.network)
    genova = next(d for d in store.documents() if d.meta.city == "Genova")
    tagged = [set(c.themes) for c in store.chunks(genova.id)]
    assert any(tagged), "some chunk of the Genova sheet gets a theme from its text"
    assert any("zone_omogenee" in t or "unioni_associazioni" in t for t in tagged)
    assert "gestione_integrata_servizi" in genova.meta.themes or any(
        "gestione_integrata_servizi" in t for t in tagged)


@pytest.mark.parametrize("theme", ["zone_omogenee", "attrazione_risorse",
                                   "gestione_integrata_servizi"])
def test_theme_filter_returns_only_tagged_passages(demo_service: Any, theme: str) -> None:
    query = "servizi associati dei comuni e finanziamenti"
    unfiltered = demo_service.search(query, k=100)
    hits = demo_service.search(query, k=100, filters=Filters(theme=theme))
    assert hits
    assert len(hits) < len(unfiltered)  # the untagged passages are gone
    for hit in hits:
        assert theme in hit.chunk.themes or theme in hit.document.meta.themes


def test_theme_counts_by_city(demo_service: Any) -> None:
    counts = theme_counts_by_city(demo_service.store)
    assert counts["zone_omogenee"].get("Genova") == 1
    assert "Genova" not in counts.get("comunicazione_identita", {})
    assert sum(counts["uffici_unici"].values()) >= 3
