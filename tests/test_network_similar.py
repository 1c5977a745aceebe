"""Similar practices over the demo corpus: passage-level ranking, same-city exclusion, text."""

from __future__ import annotations

from typing import Any

import pytest

from bot.errors import BadRequest, NotFound
from bot.network.similar import (
    describe_similar,
    resolve_document,
    similar_to_document,
    similar_to_text,
    text_passages,
)
from ingest.metadata import city_key


def _doc(service: Any, city: str) -> Any:
    return next(d for d in service.store.documents() if d.meta.city == city)


def test_similar_documents_are_ranked_with_their_matching_passages(demo_service: Any) -> None:
    source = _doc(demo_service, "Torino")
    results = similar_to_document(demo_service.network, source.id, k=4)
    assert 1 <= len(results) <= 4
    assert source.id not in {r.doc_id for r in results}
    assert [r.rank for r in results] == list(range(1, len(results) + 1))
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    chunk_text = {c.id: " ".join(c.text.split()) for c in demo_service.store.chunks()}
    for result in results:
        assert result.matches and len(result.matches) <= 3
        # the score is the mean of the best passage similarities it lists
        mean = sum(m.score for m in result.matches) / len(result.matches)
        assert result.score == pytest.approx(mean, abs=1e-5)
        for match in result.matches:
            assert chunk_text[match.chunk_id].startswith(match.text.rstrip("…")[:40])
        assert result.themes, "every demo document carries themes"
    # Torino's central purchasing body is closest to Napoli's single contracting station
    assert "Napoli" in {r.city for r in results[:2]}


def test_other_cities_leaves_out_the_same_city(fresh_service: Any) -> None:
    from ingest.models import Document, DocumentMeta

    store = fresh_service.store
    torino = _doc(fresh_service, "Torino")
    chunks = store.chunks(torino.id)
    twin = Document(file="demo/torino_gemello.md", sha256="0" * 64, format="markdown",
                    meta=DocumentMeta(title="Copia di Torino", kind="practice",
                                      city="Città metropolitana di Torino"), blocks=())
    twin_id = store.replace_document("test", twin, [
        type(c)(ordinal=c.ordinal, text=c.text, locator=c.locator, context=c.context)
        for c in chunks])
    everything = similar_to_document(fresh_service.network, torino.id, k=10)
    assert everything[0].doc_id == twin_id  # an identical document is the best match
    assert everything[0].score == pytest.approx(1.0, abs=1e-3)
    others = similar_to_document(fresh_service.network, torino.id, k=10, other_cities=True)
    assert others
    assert all(city_key(r.city) != "torino" for r in others)
    assert twin_id not in {r.doc_id for r in others}


def test_free_text_description_finds_the_practice(demo_service: Any) -> None:
    text = ("Abbiamo creato un ufficio unico per le gare dei comuni: la città metropolitana "
            "gestisce le procedure di appalto per conto dei piccoli comuni aderenti. "
            "I comuni firmano una convenzione e pagano una quota in base al numero di gare.")
    results = similar_to_text(demo_service.network, text, k=3)
    assert {"Torino", "Napoli"} & {r.city for r in results[:2]}
    assert all(r.matches for r in results)
    without = similar_to_text(demo_service.network, text, k=8, exclude_city="Torino")
    assert "Torino" not in {r.city for r in without}
    assert "Somiglianza".lower() in describe_similar(results).lower()
    with pytest.raises(BadRequest):
        similar_to_text(demo_service.network, "   ")


def test_text_passages_group_sentences() -> None:
    text = " ".join(f"Frase numero {i} sulla gestione associata dei servizi." for i in range(30))
    passages = text_passages(text, size=200)
    assert len(passages) > 3
    assert all(len(p) <= 260 for p in passages)
    assert " ".join(passages) == " ".join(text.split())
    assert text_passages("   ") == []


def test_resolve_document_by_id_name_and_part(demo_service: Any) -> None:
    store = demo_service.store
    doc = _doc(demo_service, "Genova")
    assert resolve_document(store, str(doc.id)).id == doc.id
    assert resolve_document(store, doc.file).id == doc.id
    assert resolve_document(store, doc.file.split("/")[-1]).id == doc.id
    assert resolve_document(store, "genova_zone").id == doc.id
    with pytest.raises(BadRequest):
        resolve_document(store, "scheda_")  # ambiguous
    with pytest.raises(NotFound):
        resolve_document(store, "nessuno_cosi.pdf")
