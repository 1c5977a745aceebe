"""Answers with our re-ranking model switched on, and what the service says when it is off."""

from __future__ import annotations

from pathlib import Path

from conftest import REPO, make_settings

from bot.app.service import Raccordo
from index.ranking import RerankedSearch


def test_answers_can_be_reranked_by_our_model(tmp_path: Path) -> None:
    service = Raccordo(make_settings(tmp_path / "data", ranker=True, ranker_pool=8))
    try:
        service.ingest(REPO / "corpus")
        assert isinstance(service.answerer.searcher, RerankedSearch)
        assert service.ranker_status == "attivo"
        answer = service.ask("Come si organizza una centrale unica di committenza per i comuni?")
        assert answer.citations and all(h.rerank is not None for h in answer.hits)
        assert [h.rank for h in answer.hits] == list(range(1, len(answer.hits) + 1))
    finally:
        service.close()


def test_the_service_says_when_the_model_is_off(tmp_path: Path) -> None:
    service = Raccordo(make_settings(tmp_path / "data", ranker=False))
    try:
        assert service.ranker is None
        assert service.ranker_status.startswith("disattivato")
        assert not isinstance(service.answerer.searcher, RerankedSearch)
    finally:
        service.close()
