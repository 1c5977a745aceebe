"""Answers with our ranking model: abstention on its score (default), re-ordering (opt-in),
and what the service says when it is off or broken."""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest
from answers_kit import OverlapSearcher, build_store
from conftest import REPO, make_settings

from bot.answers.abstention import (
    ABSTENTION_MODEL,
    DEFAULT_THRESHOLD,
    UNCERTAIN_TEXT,
    AbstentionModel,
    Evidence,
    declines,
    followup_unsupported,
    uncertain,
)
from bot.answers.answerer import INTRO, Answerer, render_text
from bot.answers.citations import locator_text
from bot.answers.extractive import Selection, select_quotes
from bot.app.appdb import AppDB
from bot.app.service import Raccordo
from bot.telegram.formatting import answer_blocks
from index import ranking
from index.ranking import CrossEncoderRanker, RerankedSearch
from index.tokenizer import term_set

ANSWERABLE = "Come si organizza una centrale unica di committenza per i comuni?"


def test_answers_can_be_reranked_by_our_model(tmp_path: Path) -> None:
    service = Raccordo(make_settings(tmp_path / "data", ranker=True, ranker_pool=8))
    try:
        service.ingest(REPO / "corpus")
        assert isinstance(service.answerer.searcher, RerankedSearch)
        assert service.ranker_status == "attivo (astensione, ordine dei passi)"
        answer = service.ask(ANSWERABLE)
        assert answer.citations and all(h.rerank is not None for h in answer.hits)
        assert [h.rank for h in answer.hits] == list(range(1, len(answer.hits) + 1))
    finally:
        service.close()


def test_by_default_the_model_decides_abstention_only(tmp_path: Path) -> None:
    service = Raccordo(make_settings(tmp_path / "data"))
    try:
        service.ingest(REPO / "corpus")
        answerer = service.answerer
        assert isinstance(answerer.scorer, CrossEncoderRanker)
        assert answerer.abstention == ABSTENTION_MODEL
        assert not isinstance(answerer.searcher, RerankedSearch)
        assert service.ranker_status == "attivo (astensione)"
        hits = service.passages.search(ANSWERABLE, k=10)
        evidence = answerer.evidence(ANSWERABLE, hits)
        first = CrossEncoderRanker().score(ANSWERABLE, [h.chunk.indexed_text()
                                                       for h in hits[:5]])
        assert evidence.model == pytest.approx(max(first), abs=1e-5)
        assert not service.ask(ANSWERABLE).abstained
    finally:
        service.close()


def test_the_service_says_when_the_model_is_off(tmp_path: Path) -> None:
    service = Raccordo(make_settings(tmp_path / "data", ranker=False, ranker_abstention=False))
    try:
        assert service.ranker is None
        assert service.ranker_status.startswith("disattivato")
        assert not isinstance(service.answerer.searcher, RerankedSearch)
        assert service.answerer.scorer is None and service.answerer.abstention is None
    finally:
        service.close()


def test_a_corrupt_model_falls_back_to_the_threshold(tmp_path: Path) -> None:
    broken = tmp_path / "weights"
    shutil.copytree(ranking.MODEL_DIR, broken)
    (broken / ranking.MODEL_FILE).write_bytes(b"not a model")
    service = Raccordo(make_settings(tmp_path / "data", ranker_dir=broken))
    try:
        service.ingest(REPO / "corpus")
        assert service.ranker is None
        assert service.ranker_status.startswith("non disponibile")
        answer = service.ask(ANSWERABLE)
        assert not answer.abstained and answer.citations
    finally:
        service.close()


def test_the_model_decides_only_when_it_scored_the_passages() -> None:
    strong = Evidence(passage=0.9, sentence=0.8, dense=0.9, model=4.0)
    silent = Evidence(passage=0.9, sentence=0.8, dense=0.9, model=-8.0)
    unscored = Evidence(passage=0.9, sentence=0.8, dense=0.9)
    rules = {"threshold": DEFAULT_THRESHOLD, "dense_floor": 0.8}
    assert not declines(strong, model=ABSTENTION_MODEL, **rules)
    assert declines(silent, model=ABSTENTION_MODEL, **rules)  # topic covered, model says no
    assert not declines(unscored, model=ABSTENTION_MODEL, **rules)  # threshold decides
    assert declines(Evidence(passage=0.2, sentence=0.2, dense=0.9), model=None, **rules)
    assert declines(Evidence(passage=1, sentence=1, dense=0.5, model=9.0),
                    model=ABSTENTION_MODEL, **rules)  # the similarity floor still holds
    assert declines(Evidence(passage=1, sentence=1, dense=0.9, model=9.0,
                             missing_act="dlgs:36/2023"), model=ABSTENTION_MODEL, **rules)
    below = ABSTENTION_MODEL.floor - 0.01  # hardly any question word in the passages
    assert declines(Evidence(passage=below, sentence=below, dense=0.9, model=9.0),
                    model=ABSTENTION_MODEL, **rules)


def test_probability_grows_with_the_model_score() -> None:
    model = AbstentionModel(bias=0.0, passage=1.0, sentence=0.0, model=1.0, cutoff=0.5)
    low, high = (model.probability(Evidence(passage=0.5, sentence=0.5, model=m))
                 for m in (-3.0, 3.0))
    assert 0.0 < low < 0.5 < high < 1.0
    assert model.probability(Evidence(passage=0, sentence=0, model=1e6)) == 1.0


class KeywordScorer:
    """A stand-in for our model: a high logit for passages holding `keyword`, else very low."""

    def __init__(self, keyword: str) -> None:
        self.keyword = keyword

    def score(self, query: str, texts: Sequence[str]) -> list[float]:
        return [6.0 if self.keyword in t else -9.0 for t in texts]


def test_a_further_passage_is_cited_only_when_the_model_answers_from_it(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    question = "Cosa spetta ai dirigenti degli uffici e quali compiti sono attribuiti?"

    def cited(keyword: str, selection: Selection) -> list[str]:
        answerer = Answerer(OverlapSearcher(store), scorer=KeywordScorer(keyword),
                            abstention=ABSTENTION_MODEL, selection=selection)
        return [c.locator for c in answerer.answer(question).citations]

    both = [f"D.Lgs. 267/2000 (TUEL), art. 107, comma {c}" for c in (1, 3)]
    assert cited("direzione", Selection(self_supported=False)) == both
    assert cited("direzione", Selection()) == both[:1]  # the model rejects comma 3 alone
    assert cited("dirigenti", Selection()) == both  # ...and accepts it here
    store.close()


def test_a_followup_answer_must_be_about_what_the_followup_adds(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    hits = OverlapSearcher(store).search("direzione degli uffici nelle città metropolitane")
    quotes = select_quotes("direzione degli uffici nelle città metropolitane", hits)
    question = "A chi spetta la direzione degli uffici nelle città metropolitane?"
    assert followup_unsupported(term_set("città metropolitane"), question, quotes)
    assert not followup_unsupported(term_set("uffici"), question, quotes)
    assert not followup_unsupported(frozenset(), question, quotes)
    store.close()


def test_the_abstention_note_names_the_rule_that_declined(tmp_path: Path) -> None:
    """A model that would answer, over passages below the coverage floor, is declined by the
    floor, and the note says so (not "probability < cut-off")."""
    store = build_store(tmp_path)
    question = "Cosa spetta ai dirigenti degli uffici e quali compiti sono attribuiti?"
    strict = AbstentionModel(bias=0.0, passage=1.0, sentence=0.0, model=1.0, cutoff=0.5,
                             floor=0.99)
    by_floor = Answerer(OverlapSearcher(store), scorer=KeywordScorer("dirigenti"),
                        abstention=strict).answer(question)
    assert by_floor.abstained
    assert by_floor.notes[0].startswith("evidenza ")
    assert by_floor.notes[0].endswith("< minimo 0.990 (modello di riordino)")
    by_model = Answerer(OverlapSearcher(store), scorer=KeywordScorer("assente"),
                        abstention=dataclasses.replace(strict, floor=0.0)).answer(question)
    assert by_model.abstained and by_model.notes[0].startswith("probabilità di risposta ")
    store.close()


class GradedScorer:
    """A stand-in for our model: each keyword a passage holds adds its logit."""

    def __init__(self, logits: dict[str, float]) -> None:
        self.logits = logits

    def score(self, query: str, texts: Sequence[str]) -> list[float]:
        return [sum(v for k, v in self.logits.items() if k in t) for t in texts]


def test_with_first_by_model_the_passage_our_model_prefers_is_cited_first(
        tmp_path: Path) -> None:
    store = build_store(tmp_path)
    question = "Cosa spetta ai dirigenti degli uffici e quali compiti sono attribuiti?"
    scorer = GradedScorer({"dirigenti": 6.0, "compiti": 2.0})  # comma 3 names "compiti"

    def cited(selection: Selection) -> list[str]:
        answerer = Answerer(OverlapSearcher(store), scorer=scorer,
                            abstention=ABSTENTION_MODEL, selection=selection)
        return [c.locator for c in answerer.answer(question).citations]

    by_search = cited(Selection())
    assert len(by_search) == 2
    assert cited(Selection(first_by_model=True)) == by_search[::-1]
    store.close()


def test_an_answer_under_even_odds_says_so_before_its_quotes(tmp_path: Path) -> None:
    """Above the abstention cut-off but below even odds, the answer is given, flagged, and its
    text warns first; a model sure of the passages gives it plainly."""
    store = build_store(tmp_path)
    question = "Cosa spetta ai dirigenti degli uffici e quali compiti sono attribuiti?"
    lukewarm = AbstentionModel(bias=-1.0, passage=0.0, sentence=0.0, model=0.0, cutoff=0.1)
    doubtful = Answerer(OverlapSearcher(store), scorer=KeywordScorer("dirigenti"),
                        abstention=lukewarm).answer(question)
    assert not doubtful.abstained and doubtful.uncertain  # p = 0.27: between 0.1 and 0.5
    assert doubtful.text.startswith(UNCERTAIN_TEXT + "\n" + INTRO)
    sure = Answerer(OverlapSearcher(store), scorer=KeywordScorer("dirigenti"),
                    abstention=dataclasses.replace(lukewarm, bias=1.0)).answer(question)
    assert not sure.uncertain and sure.text.startswith(INTRO)
    assert sure.citations == doubtful.citations  # the flag changes no citation
    cited = {c.chunk_id for c in doubtful.citations}
    assert doubtful.suggestions and not cited & {h.chunk.id for h in doubtful.suggestions}
    places = [locator_text(h) for h in doubtful.suggestions]
    assert len(set(places)) == len(places)  # one passage per provision
    assert doubtful.suggestions[0] == next(h for h in doubtful.hits if h.chunk.id not in cited)
    assert "\n\nDa controllare anche:\n- " in render_text(doubtful)
    assert "Da controllare anche:" in [b.plain for b in answer_blocks(doubtful)]  # Telegram
    assert sure.suggestions == () and "Da controllare" not in render_text(sure)
    log = AppDB(sqlite3.connect(":memory:", check_same_thread=False))
    logged = [log.log_answer(a, "api", log_questions=False) for a in (doubtful, sure)]
    assert {r[0]: r[9] for r in log.question_rows()} == dict(zip(logged, (1, 0), strict=True))
    assert not uncertain(Evidence(0.5, 0.5), lukewarm)  # without the model's score: no flag
    assert not Answerer(OverlapSearcher(store)).answer(question).uncertain
    store.close()
