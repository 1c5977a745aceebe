"""Cross-city comparison over the demo corpus (real answerer, extractive mode)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.errors import BadRequest
from bot.network.compare import CitylessSearcher, describe_comparison
from index.models import Filters
from ingest.metadata import METROPOLITAN_CITIES, NO_CITY, city_key


def test_each_city_answers_with_its_own_sources(demo_service: Any) -> None:
    result = demo_service.compare("Come sono organizzate le gare d'appalto per i "
                                           "piccoli comuni?")
    docs = {d.id: d for d in demo_service.store.documents()}
    answered = {a.city for a in result.answers}
    assert answered, "some demo sheet talks about procurement for small municipalities"
    for item in result.answers:
        assert not item.answer.abstained and item.answer.citations
        for citation in item.answer.citations:
            cited = next(d for d in docs.values() if d.file == citation.file)
            assert city_key(cited.meta.city) == city_key(item.city)
    assert not answered & set(result.nothing)
    # cities with no document at all are named explicitly
    in_store = {city_key(d.meta.city) for d in docs.values() if d.meta.city}
    for city in METROPOLITAN_CITIES:
        if city_key(city) not in in_store:
            assert city in result.nothing
    assert "Palermo" in result.nothing
    text = describe_comparison(result)
    assert "Nessun materiale per:" in text and "Palermo" in text


def test_a_city_with_documents_but_nothing_on_the_question(demo_service: Any) -> None:
    result = demo_service.compare("Qual è il regolamento comunale sui cani al "
                                           "guinzaglio nei parchi?")
    assert result.answers == () or all(a.answer.citations for a in result.answers)
    for city in ("Torino", "Genova", "Palermo"):
        assert city in result.nothing
    payload = result.to_json()
    assert payload["by"] == "city" and "Palermo" in list(payload["nothing"])  # type: ignore[call-overload]


def test_other_filters_are_kept_and_city_is_ignored(demo_service: Any) -> None:
    result = demo_service.compare("zone omogenee e unioni di comuni",
                             Filters(city="Genova", theme="comunicazione_identita"))
    theme = "comunicazione_identita"
    store = demo_service.store
    for item in result.answers:  # every cited passage carries the theme
        for citation in item.answer.citations:
            found = store.chunks_by_ids([citation.chunk_id])[citation.chunk_id]
            assert theme in found.chunk.themes or theme in found.document.meta.themes
    genova = next(d for d in store.documents() if d.meta.city == "Genova")
    if not any(theme in c.themes for c in store.chunks(genova.id)):
        assert "Genova" in result.nothing


def test_cityless_searcher_keeps_only_documents_without_city(demo_service: Any) -> None:
    searcher = CitylessSearcher(demo_service.searcher)
    assert searcher.search("gare dei comuni", k=5) == []  # every demo sheet has a city
    assert searcher.store is demo_service.searcher.store  # other attributes pass through
    assert NO_CITY.startswith("nazionale")


def test_empty_question_is_refused(demo_service: Any) -> None:
    with pytest.raises(BadRequest):
        demo_service.compare("   ")
