"""Coverage re-ranking (index.coverage) over real stored chunks and real Hits."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from index.coverage import (
    FEATURES,
    FITTED,
    HAND_TUNED,
    CoverageRanker,
    CoverageSearch,
    RankingWeights,
    best_sentence_coverage,
    coverage,
    focus_weight,
)
from index.models import Filters, Hit
from index.searcher import PINNED_SCORE
from index.tokenizer import term_set
from ingest.models import Chunk, DocumentMeta, Locator
from ingest.store import Store
from tests.answers_kit import make_document

OVERVIEW = ("Scopo del documento. Questa guida aiuta gli amministratori comunali a usare il "
            "back office dei servizi online dell'Area Vasta: gestione dei comuni, delle aziende "
            "e dei servizi online offerti.")
ACCESS = ("Accesso al sistema. Dalla pagina del portale si sceglie ACCEDI; successivamente si "
          "presenta la schermata di autenticazione tramite SPID per gli amministratori.")
CATALOGUE = ("Catalogo dei servizi. Ogni servizio online ha una scheda con la descrizione, "
             "gli allegati richiesti e i tempi di risposta.")
TOPIC = term_set("servizi online back office")
QUESTION = "Come si autenticano gli amministratori per accedere al back office dei servizi online?"


def _store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "raccordo.db")
    meta = DocumentMeta(title="Manuale utente servizi online back office", kind="practice")
    store.replace_document("shared", make_document("manuale.pdf", meta), [
        Chunk(i, text, Locator(page_start=i + 1),
              context=f"Manuale utente servizi online back office — p. {i + 1}")
        for i, text in enumerate((OVERVIEW, ACCESS, CATALOGUE))])
    return store


class FixedOrder:
    """A searcher that returns the stored chunks in a given order with given scores."""

    def __init__(self, store: Store, order: list[tuple[int, float]]) -> None:
        self.store = store
        self.order = order
        self.asked_k: list[int] = []

    def term_weight(self, term: str) -> float:
        """The topic's words are common in a real knowledge base: low IDF."""
        return 0.2 if term in TOPIC else 1.0

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """The fixed order, cut to k."""
        self.asked_k.append(k)
        chunks = {c.ordinal: c for c in self.store.chunks()}
        found = self.store.chunks_by_ids([c.id for c in chunks.values() if c.id])
        hits = []
        for rank, (position, score) in enumerate(self.order[:k], start=1):
            stored = found[chunks[position].id or 0]
            hits.append(Hit(rank=rank, score=score, chunk=stored.chunk,
                            document=stored.document))
        return hits


def test_the_passage_holding_the_distinctive_words_comes_first(tmp_path: Path) -> None:
    store = _store(tmp_path)
    inner = FixedOrder(store, [(0, 1.0), (2, 0.7), (1, 0.6)])  # the overview first
    hits = CoverageSearch(inner).search(QUESTION, k=3)
    assert hits[0].chunk.text == ACCESS
    assert [h.rank for h in hits] == [1, 2, 3]
    assert {h.chunk.text for h in hits} == {OVERVIEW, ACCESS, CATALOGUE}
    assert inner.asked_k == [10]  # reads at least `depth` hits, returns k


def test_scores_add_coverage_to_the_fused_score(tmp_path: Path) -> None:
    store = _store(tmp_path)
    hits = FixedOrder(store, [(0, 1.0), (1, 0.6), (2, 0.7)]).search(QUESTION, k=3)
    ranker = CoverageRanker(lambda t: 1.0, RankingWeights())  # the fused score alone
    assert ranker.scores(QUESTION, hits) == [h.score for h in hits]
    assert [h.chunk.text for h in ranker.run(QUESTION, hits)] == [OVERVIEW, CATALOGUE, ACCESS]


def test_pinned_hits_keep_their_place_and_order(tmp_path: Path) -> None:
    store = _store(tmp_path)
    hits = FixedOrder(store, [(2, PINNED_SCORE + 0.1), (0, PINNED_SCORE + 0.2), (1, 0.5)]
                      ).search(QUESTION, k=3)
    ranked = CoverageRanker(weight=lambda t: 1.0).run(QUESTION, hits)
    assert [h.chunk.text for h in ranked] == [CATALOGUE, OVERVIEW, ACCESS]


def test_hits_past_the_depth_are_left_in_place(tmp_path: Path) -> None:
    store = _store(tmp_path)
    hits = FixedOrder(store, [(0, 1.0), (2, 0.9), (1, 0.8)]).search(QUESTION, k=3)
    ranked = CoverageRanker(weight=lambda t: 1.0, depth=2).run(QUESTION, hits)
    assert ranked[2].chunk.text == ACCESS and ranked[2].rank == 3
    assert CoverageRanker(weight=lambda t: 1.0).run(QUESTION, []) == []


def test_local_rarity_and_sentence_coverage() -> None:
    q = term_set("servizi online amministratori SPID")
    passages = [term_set(OVERVIEW), term_set(ACCESS), term_set(CATALOGUE)]
    focus = focus_weight(q, passages, lambda t: 1.0)
    assert focus("spid") > focus("serviz")  # in one candidate only vs in all three
    login = term_set("autenticazione tramite SPID degli amministratori")
    assert best_sentence_coverage(login, ACCESS, lambda t: 1.0) == 1.0  # one sentence has all
    assert best_sentence_coverage(login, OVERVIEW, lambda t: 1.0) < 0.5
    same = dataclasses.replace(CoverageRanker(weight=lambda t: 1.0))
    assert same.depth == 10


def test_features_are_read_against_the_best_candidate(tmp_path: Path) -> None:
    store = _store(tmp_path)
    hits = FixedOrder(store, [(0, 1.0), (1, 0.6), (2, 0.7)]).search(QUESTION, k=3)
    hits = [dataclasses.replace(h, dense=d, lexical=x)
            for h, d, x in zip(hits, (0.90, 0.86, None), (8.0, 4.0, 2.0), strict=True)]
    rows = CoverageRanker(lambda t: 1.0).features(QUESTION, hits)
    assert all(len(row) == len(FEATURES) for row in rows)
    named = [dict(zip(FEATURES, row, strict=True)) for row in rows]
    assert [round(f["dense"], 6) for f in named] == [0.0, -0.04, 0.0]  # no similarity: neutral
    assert [f["lexical"] for f in named] == [1.0, 0.5, 0.25]
    assert [f["fused"] for f in named] == [1.0, 0.6, 0.7]
    # a sentence holds no more of the question than its passage (context header included)
    assert all(0 < f["sentence"] <= f["passage"] <= 1 for f in named)
    assert all(f["sentence_focus"] <= f["passage_focus"] for f in named)


def test_hand_tuned_weights_are_the_earlier_formula(tmp_path: Path) -> None:
    store = _store(tmp_path)
    hits = FixedOrder(store, [(0, 1.0), (1, 0.6), (2, 0.7)]).search(QUESTION, k=3)
    ranker = CoverageRanker(lambda t: 1.0, HAND_TUNED)
    focus = focus_weight(term_set(QUESTION), [term_set(h.chunk.indexed_text()) for h in hits],
                         lambda t: 1.0)
    expected = [h.score + 0.5 * coverage(term_set(QUESTION), term_set(h.chunk.indexed_text()),
                                         focus)
                + 0.75 * best_sentence_coverage(term_set(QUESTION), h.chunk.text, lambda t: 1.0)
                for h in hits]
    assert ranker.scores(QUESTION, hits) == expected


def test_the_fitted_weights_let_meaning_break_a_tie_of_words(tmp_path: Path) -> None:
    """Two passages holding the same question words: the one closer in meaning goes first
    under the fitted weights, and the fused order decides under the hand-tuned ones."""
    store = _store(tmp_path)
    hits = FixedOrder(store, [(2, 0.70), (2, 0.69)]).search(QUESTION, k=2)
    hits = [dataclasses.replace(hits[0], dense=0.80), dataclasses.replace(hits[1], dense=0.84)]
    assert FITTED.dense > 0 and HAND_TUNED.dense == 0
    fitted = CoverageRanker(lambda t: 1.0, FITTED).run(QUESTION, hits)
    assert [h.dense for h in fitted] == [0.84, 0.80]
    hand = CoverageRanker(lambda t: 1.0, HAND_TUNED).run(QUESTION, hits)
    assert [h.dense for h in hand] == [0.80, 0.84]


def test_the_service_uses_the_fitted_weights_for_e5_small(demo_service: object) -> None:
    ranker = demo_service.passages.ranker  # type: ignore[attr-defined]
    assert ranker.weights == FITTED


def test_a_wrong_first_hit_is_diagnosed_by_kind_and_features(tmp_path: Path) -> None:
    from benchmarks.ranking_failures import diagnose, summarise
    from index.evaluation import Question, Relevant

    store = _store(tmp_path)
    question = Question("q1", QUESTION, "paraphrase",
                        (Relevant("manuale.pdf", "presenta la schermata di autenticazione "
                                                 "tramite SPID per gli amministratori"),))
    ranker = CoverageRanker(weight=lambda t: 1.0)
    right = FixedOrder(store, [(1, 1.0), (0, 0.9)]).search(QUESTION, k=2)
    assert diagnose(ranker, question, right) is None
    wrong = diagnose(ranker, question, FixedOrder(store, [(0, 1.0), (1, 0.9)]).search(QUESTION))
    assert wrong is not None and (wrong.kind, wrong.rank) == ("same document", 2)
    assert "passage" in wrong.ahead and "fused" not in wrong.ahead
    missing = diagnose(ranker, question, FixedOrder(store, [(0, 1.0), (2, 0.9)]).search(QUESTION))
    assert missing is not None and (missing.kind, missing.rank) == ("outside top 10", None)
    summary = summarise([wrong, missing], questions=3)
    assert summary["by kind"] == {"same document": 1, "outside top 10": 1}
    assert summary["relevant behind on every feature"] == 0


TERM_QUESTION = "Entro quanti giorni si conclude il procedimento di accesso agli atti?"
TERM_PASSAGES = (
    "Il procedimento di accesso agli atti si conclude con provvedimento espresso e motivato.",
    "Accesso agli atti: la richiesta è presentata all'ufficio che ha formato il documento.",
    "Il procedimento di accesso si conclude entro trenta giorni dalla presentazione.")


def _term_hits(tmp_path: Path, order: list[tuple[int, float]]) -> list[Hit]:
    store = Store(tmp_path / "terms.db")
    meta = DocumentMeta(title="Regolamento sull'accesso agli atti", kind="regulation")
    store.replace_document("shared", make_document("accesso.md", meta), [
        Chunk(i, text, Locator(article=str(i + 1))) for i, text in enumerate(TERM_PASSAGES)])
    return FixedOrder(store, order).search(TERM_QUESTION, k=3)


def test_a_question_asking_a_term_gets_the_passage_stating_one_first(tmp_path: Path) -> None:
    hits = _term_hits(tmp_path, [(0, 0.9), (1, 0.8), (2, 0.7)])
    ranker = CoverageRanker(lambda t: 1.0, RankingWeights(), figures_first=True)  # fused alone
    ranked = ranker.run(TERM_QUESTION, hits)
    assert [h.chunk.text for h in ranked] == [TERM_PASSAGES[2], TERM_PASSAGES[0],
                                              TERM_PASSAGES[1]]
    assert [h.rank for h in ranked] == [1, 2, 3]
    plain = CoverageRanker(lambda t: 1.0, RankingWeights()).run(TERM_QUESTION, hits)
    assert [h.chunk.text for h in plain] == list(TERM_PASSAGES)  # off by default
    other = ranker.run("Come si conclude il procedimento di accesso agli atti?", hits)
    assert [h.chunk.text for h in other] == list(TERM_PASSAGES)  # asks no figure


def test_a_pinned_reference_stays_ahead_of_a_passage_stating_the_figure(tmp_path: Path
                                                                         ) -> None:
    hits = _term_hits(tmp_path, [(1, PINNED_SCORE + 0.1), (0, 0.9), (2, 0.7)])
    ranked = CoverageRanker(lambda t: 1.0, RankingWeights(), figures_first=True
                            ).run(TERM_QUESTION, hits)
    assert [h.chunk.text for h in ranked] == [TERM_PASSAGES[1], TERM_PASSAGES[2],
                                              TERM_PASSAGES[0]]
