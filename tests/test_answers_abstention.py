"""Abstention: weak evidence, acts absent from the knowledge base, term rarity."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from answers_kit import OverlapSearcher, build_store, make_document

from bot.answers.abstention import ABSTENTION_TEXT, missing_act
from bot.answers.answerer import Answerer
from bot.answers.termstats import TermWeights
from index.models import Hit
from ingest.models import Chunk, DocumentMeta, Locator
from ingest.store import Store


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    built = build_store(tmp_path)
    yield built
    built.close()


def test_rare_terms_weigh_more_and_follow_store_changes(store: Store,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.answers.termstats.RECHECK_S", 0.0)
    weights = TermWeights(store)
    common, rare = weights("dirigent"), weights("stipul")
    assert rare > common > 0
    unseen = weights("genov")
    assert unseen > rare
    store.replace_document("s", make_document("genova.md", DocumentMeta(title="Genova")),
                           [Chunk(0, "Genova elegge il consiglio.", Locator())])
    assert weights("genov") < unseen


def test_answerer_uses_idf_over_the_searchers_store(store: Store) -> None:
    answerer = Answerer(OverlapSearcher(store))
    assert answerer.weight("stipul") > answerer.weight("dirigent")


def test_question_about_an_act_not_in_the_sources_abstains(store: Store) -> None:
    answerer = Answerer(OverlapSearcher(store), threshold=0.0)
    question = ("Secondo il codice dei contratti pubblici, chi ha la responsabilità delle "
                "procedure d'appalto dei dirigenti?")
    answer = answerer.answer(question)
    assert answer.abstained and answer.citations == ()
    assert answer.text.startswith(ABSTENTION_TEXT)
    assert answer.notes == ("atto non presente nelle fonti: dlgs:36/2023",)
    same_without_act = answerer.answer(
        "Chi ha la responsabilità delle procedure d'appalto e di concorso?")
    assert not same_without_act.abstained and same_without_act.citations


def test_named_act_present_in_hits_is_not_missing(store: Store) -> None:
    hits = OverlapSearcher(store).search("art. 107 del TUEL direzione degli uffici")
    assert missing_act("art. 107 del TUEL: a chi spetta la direzione degli uffici?", hits) is None
    assert missing_act("art. 3 della legge 56/2014", hits) == "legge:56/2014"


def test_threshold_decides_between_answer_and_abstention(store: Store) -> None:
    question = "Chi presiede le commissioni di gara e di concorso del Comune di Lecco?"
    low = Answerer(OverlapSearcher(store), threshold=0.0).answer(question)
    high = Answerer(OverlapSearcher(store), threshold=0.95).answer(question)
    assert not low.abstained and low.citations
    assert high.abstained and high.citations == ()
    assert high.notes[0].startswith("evidenza ")


def test_question_about_a_city_the_sources_do_not_cover_abstains(store: Store) -> None:
    answerer = Answerer(OverlapSearcher(store), threshold=0.0)
    answer = answerer.answer("Chi presiede le commissioni di gara del Comune di Genova?")
    assert answer.abstained and answer.citations == ()
    assert answer.notes == ("città non presente nelle fonti: Genova",)
    covered = answerer.answer("Come aderisce a pagoPA un ente intermediario di Bari?")
    assert not covered.abstained and covered.citations[0].file == "payflow.pdf"


class _Similar:
    """OverlapSearcher hits carrying a fixed embedding similarity (as the real Searcher's)."""

    def __init__(self, store: Store, dense: float | None) -> None:
        self.inner = OverlapSearcher(store)
        self.dense = dense

    def search(self, query: str, k: int = 10, filters: object = None) -> list[Hit]:
        return [replace(h, dense=self.dense) for h in self.inner.search(query, k)]


def test_passages_no_embedding_relates_to_the_question_are_not_an_answer(store: Store) -> None:
    question = "Chi presiede le commissioni di gara e di concorso?"
    near = Answerer(_Similar(store, 0.86), dense_floor=0.80).answer(question)
    assert not near.abstained and near.citations
    far = Answerer(_Similar(store, 0.78), dense_floor=0.80).answer(question)
    assert far.abstained and far.citations == ()
    assert far.notes == ("somiglianza 0.780 < soglia 0.800",)
    # without a floor (another embedder, or none) the similarity is not read
    assert not Answerer(_Similar(store, 0.78)).answer(question).abstained
    assert not Answerer(_Similar(store, None), dense_floor=0.80).answer(question).abstained


def test_an_abstention_says_which_act_or_city_is_missing_and_where_the_act_is() -> None:
    from bot.answers.abstention import abstention_text

    road = abstention_text((), str, act="dlgs:285/1992")
    assert road.startswith(ABSTENTION_TEXT)
    assert road.endswith(
        " La domanda riguarda il D.Lgs. 285/1992 (Codice della strada), di cui non ho trovato "
        "passi nella base di conoscenza: il testo vigente è su Normattiva, "
        "https://www.normattiva.it/uri-res/N2Ls?urn:nir:stato:decreto.legislativo:"
        "1992-04-30;285!vig=")
    assert abstention_text((), str, act="reg-ue:2016/679").endswith(
        "il testo è su EUR-Lex, https://eur-lex.europa.eu/legal-content/IT/TXT/?uri=CELEX:"
        "32016R0679")
    assert "La domanda riguarda la L. 241/1990 (procedimento amministrativo), di cui" in \
        abstention_text((), str, act="legge:241/1990")
    # an act whose date is not known here is named without a link
    assert abstention_text((), str, act="dlgs:300/1999").endswith(
        "La domanda riguarda il D.Lgs. 300/1999, di cui non ho trovato passi nella base di "
        "conoscenza.")
    assert abstention_text((), str, city="Genova").endswith(
        " Nessuno dei passi trovati riguarda la Città metropolitana di Genova.")
