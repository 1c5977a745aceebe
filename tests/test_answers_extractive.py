"""Extractive answers over a real Store: verbatim quotes, citations, length, abstention."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from answers_kit import OverlapSearcher, build_store

from bot.answers.abstention import SUGGESTIONS_HEADER
from bot.answers.answerer import MAX_ANSWER_CHARS, Answerer, render_text
from bot.answers.extractive import _QUANTITY, Selection, has_quantity, select_quotes
from index.models import Filters, Hit
from index.searcher import PINNED_SCORE
from ingest.store import Store


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    built = build_store(tmp_path)
    yield built
    built.close()


def test_quotes_are_verbatim_substrings_with_metadata_citations(store: Store) -> None:
    answerer = Answerer(OverlapSearcher(store))
    answer = answerer.answer("A chi spetta la direzione degli uffici e dei servizi?")
    assert not answer.abstained and answer.mode == "extractive"
    assert 1 <= len(answer.citations) <= 4
    chunks = {c.id: c.text for c in store.chunks()}
    for cit in answer.citations:
        assert cit.quote in chunks[cit.chunk_id]
        assert f"«{cit.quote}» [{cit.n}]" in answer.text
    first = answer.citations[0]
    assert first.locator == "D.Lgs. 267/2000 (TUEL), art. 107, comma 1"
    assert first.file == "tuel.md" and first.kind == "decree"
    assert "Spetta ai dirigenti la direzione degli uffici" in first.quote


def test_json_contract(store: Store) -> None:
    answer = Answerer(OverlapSearcher(store)).answer(
        "Entro quanti giorni devono concludersi i procedimenti amministrativi?")
    payload = json.loads(json.dumps(answer.to_json()))
    assert set(payload) == {"question", "answer", "abstained", "citations"}
    assert payload["abstained"] is False
    cit = payload["citations"][0]
    assert set(cit) == {"n", "file", "title", "kind", "locator", "page", "quote", "url",
                        "chunk_id", "formal", "ocr", "references",  # issue 14 added these 3
                        "in_force", "amended",  # the act's text version (issue 11)
                        "current_url"}  # the same place in today's text
    assert cit["formal"] == "art. 2, comma 2, l. 7 agosto 1990, n. 241"
    assert cit["locator"].startswith("L. 241/1990") and "art. 2, comma 2" in cit["locator"]
    assert "trenta giorni" in cit["quote"]


def test_every_mark_points_to_a_citation(store: Store) -> None:
    answer = Answerer(OverlapSearcher(store)).answer(
        "Quali compiti sono attribuiti ai dirigenti per le commissioni di gara e i contratti?")
    marks = {int(m) for m in __import__("re").findall(r"\[(\d+)\]", answer.text)}
    assert marks == {c.n for c in answer.citations}
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))


def test_near_duplicates_are_dropped(store: Store) -> None:
    hits = OverlapSearcher(store).search("direzione degli uffici dirigenti")
    doubled = [*hits, *(Hit(rank=len(hits) + i + 1, score=h.score, chunk=h.chunk,
                             document=h.document) for i, h in enumerate(hits))]
    quotes = select_quotes("A chi spetta la direzione degli uffici?", doubled,
                           selection=Selection(passages=10))
    texts = [q.text for q in quotes]
    assert len(texts) == len(set(texts))


def test_long_answers_stay_under_the_telegram_budget(tmp_path: Path) -> None:
    from answers_kit import make_document

    from ingest.models import Chunk, DocumentMeta, Locator

    store = Store(tmp_path / "big.db")
    sentence = ("Il dirigente responsabile della direzione degli uffici adotta gli atti di "
                "gestione con autonomi poteri di spesa e di organizzazione delle risorse "
                "umane, strumentali e di controllo, nel rispetto degli indirizzi {i}. ")
    for d in range(6):
        body = "".join(sentence.format(i=f"numero {d}-{i} " + "x" * 40 * i) for i in range(8))
        store.replace_document("s", make_document(f"d{d}.md", DocumentMeta(title=f"Doc {d}")),
                               [Chunk(0, body, Locator(page_start=1))])
    answerer = Answerer(OverlapSearcher(store), threshold=0.0,
                        selection=Selection(max_quotes=4, max_passages=4, keep_ratio=0.1,
                                            other_passage_ratio=0.1))
    answer = answerer.answer("Chi adotta gli atti di gestione della direzione degli uffici?")
    assert not answer.abstained
    assert len(render_text(answer)) < MAX_ANSWER_CHARS
    assert 1 <= len(answer.citations) <= 4
    store.close()


def test_abstains_when_sources_are_silent(store: Store) -> None:
    answerer = Answerer(OverlapSearcher(store))
    answer = answerer.answer("Quanti consiglieri metropolitani elegge la città di Genova?")
    assert answer.abstained and answer.citations == ()
    assert answer.text.startswith("Non risulta nelle fonti disponibili")
    assert "[1]" not in answer.text


def test_abstention_lists_closest_documents_without_citing(store: Store) -> None:
    answerer = Answerer(OverlapSearcher(store), threshold=0.99)
    answer = answerer.answer("Quali uffici dirigono i dirigenti comunali di Torino nel 2031?")
    assert answer.abstained and answer.citations == ()
    assert SUGGESTIONS_HEADER in answer.text
    assert answer.suggestions and "D.Lgs. 267/2000 (TUEL)" in answer.text
    assert "«" not in answer.text


def test_filters_reach_the_searcher(store: Store) -> None:
    answerer = Answerer(OverlapSearcher(store))
    answer = answerer.answer("A chi spetta la direzione degli uffici e dei servizi?",
                             filters=Filters(kind="practice"))
    assert all(c.kind == "practice" for c in answer.citations)


def test_a_quoted_lettera_brings_its_lead_in(store: Store) -> None:
    answer = Answerer(OverlapSearcher(store)).answer("Chi presiede le commissioni di gara?")
    assert not answer.abstained
    lines = answer.text.splitlines()[1:]
    assert lines[0].startswith("«3. Sono attribuiti ai dirigenti tutti i compiti")
    assert lines[1] == "«a) la presidenza delle commissioni di gara e di concorso;» [1]"
    assert [c.n for c in answer.citations] == [1]
    assert answer.citations[0].quote == "a) la presidenza delle commissioni di gara e di concorso;"


def test_passages_pinned_by_a_reference_are_preferred(store: Store) -> None:
    hits = OverlapSearcher(store).search("termine procedimenti amministrativi trenta giorni")
    assert len(hits) >= 2
    bonus = {True: PINNED_SCORE, False: 0.0}
    pinned = [Hit(rank=i, score=h.score + bonus[h.chunk.locator.commi == ("6",)],
                  chunk=h.chunk, document=h.document) for i, h in enumerate(hits, start=1)]
    question = "Entro quanti giorni si concludono i procedimenti amministrativi (art. 2, co. 6)?"
    plain = select_quotes(question, hits)
    assert plain[0].hit.chunk.locator.commi == ("2",)
    chosen = select_quotes(question, pinned)
    assert {q.hit.chunk.locator.commi for q in chosen} == {("6",)}


def test_title_and_heading_lines_are_never_quoted(tmp_path: Path) -> None:
    from answers_kit import make_document

    from ingest.models import Chunk, DocumentMeta, Locator

    store = Store(tmp_path / "headings.db")
    title = "Centrale unica di committenza metropolitana per le gare dei comuni — Torino (esempio)"
    body = ("La Città metropolitana ha istituito una centrale unica di committenza che bandisce "
            "le gare dei comuni aderenti sulla base di una convenzione tipo.")
    store.replace_document("demo", make_document("torino.md", DocumentMeta(title=title)), [
        Chunk(0, f"{title}\n\nSoluzione organizzativa delle gare dei comuni metropolitani\n\n"
                 f"{body}", Locator(section=("Soluzione organizzativa delle gare dei comuni "
                                             "metropolitani",)))])
    quotes = select_quotes("Come si organizza la centrale unica per le gare dei comuni?",
                           OverlapSearcher(store).search("centrale unica gare comuni"))
    assert quotes, "the body sentence answers the question"
    assert all(title not in q.text and not q.text.startswith("Soluzione") for q in quotes)
    assert any(body.startswith(q.text[:40]) for q in quotes)
    store.close()


def test_a_heading_rewrapped_with_other_punctuation_is_not_quoted(tmp_path: Path) -> None:
    from answers_kit import make_document

    from ingest.models import Chunk, DocumentMeta, Locator

    store = Store(tmp_path / "rst.db")
    section = ("Strumento 16 - Modello ITD per presidi/comunità territoriali a garanzia dei "
               "diritti di cittadinanza digitale")
    line = ("Modello ITD per presidi-comunità territoriali a garanzia dei diritti\n"
            "   di cittadinanza digitale")  # 12 words: the short-title rule alone lets it in
    body = ("Il modello ITD per i presidi territoriali è proposto dal coordinamento tecnico della "
            "Commissione innovazione della Conferenza delle Regioni.")
    store.replace_document("pt", make_document("pt16.rst", DocumentMeta(title="Strumento 16")), [
        Chunk(0, f"{line}\n\n{body}", Locator(section=(section,)))])
    hits = OverlapSearcher(store).search("modello ITD presidi territoriali diritti digitale")
    quotes = select_quotes("Chi propone il modello ITD per i presidi territoriali?", hits)
    assert quotes and all("Conferenza delle Regioni" in q.text for q in quotes)
    store.close()


def test_a_quote_that_covers_the_question_is_cited_alone(tmp_path: Path) -> None:
    from answers_kit import make_document

    from ingest.models import Chunk, DocumentMeta, Locator

    store = Store(tmp_path / "confident.db")
    store.replace_document("s", make_document("contabilita.md", DocumentMeta(
        title="Regolamento di contabilità")), [
        Chunk(0, "Il bilancio di previsione è approvato dal consiglio metropolitano entro il "
                 "31 dicembre.", Locator(section=("Bilancio",))),
        Chunk(1, "Il bilancio di previsione approvato dal consiglio metropolitano è pubblicato "
                 "sul sito entro trenta giorni.", Locator(section=("Pubblicità",)))])
    hits = OverlapSearcher(store).search("bilancio previsione approvato consiglio metropolitano")
    question = "Entro quando il consiglio metropolitano approva il bilancio di previsione?"
    both = select_quotes(question, hits, selection=Selection(confident_overlap=None))
    assert len({q.hit.chunk.id for q in both}) == 2  # the second passage scores close
    alone = select_quotes(question, hits)  # default: the first quote covers >= 60%
    assert alone[0].overlap >= Selection().confident_overlap  # type: ignore[operator]
    assert [q.hit.chunk.text[:40] for q in alone] == [both[0].hit.chunk.text[:40]]
    store.close()


def test_coverage_credits_word_families_the_stemmer_keeps_apart() -> None:
    from index.coverage import PREFIX_CREDIT, coverage
    from index.tokenizer import term_set

    question = term_set("Chi propone il modello?")
    assert {"propon", "modell"} <= question
    found = term_set("Ufficio proponente: il coordinamento tecnico del modello")
    assert "propon" not in found  # Snowball: "proponente" -> "proponent"
    assert coverage(question, found, lambda t: 1.0) == pytest.approx(
        (1 + PREFIX_CREDIT) / len(question))
    # short stems are not families: "att" (atto) does not match "attivit" (attività)
    assert coverage(frozenset({"att"}), frozenset({"attivit"}), lambda t: 1.0) == 0.0


@pytest.mark.parametrize(("text", "expected"), [
    ("entro quarantacinque giorni", True), ("duecentoventi euro", True), ("tremila abitanti", True),
    ("il trentesimo giorno", True), ("sei mesi", True), ("ai sensi dell'art. 14, comma 2", False),
    ("della medesima legge", False), ("i soggetti terzi", False), ("a novembre", False),
    ("una commissione", False),
])
def test_quantities_are_read_by_the_rules_of_italian_numbers(text: str, expected: bool) -> None:
    assert has_quantity(text) is expected


@pytest.mark.parametrize(("question", "expected"), [
    ("Quanti giorni ha l'ufficio per rispondere?", True),
    ("Entro quale termine si conclude il procedimento?", True),
    ("Qual è la percentuale di rimborso?", True), ("Che importo è previsto?", True),
    ("Chi nomina i dirigenti?", False), ("Qual è il ruolo del sindaco?", False),
])
def test_a_quantity_question_asks_for_a_measure(question: str, expected: bool) -> None:
    assert bool(_QUANTITY.match(question)) is expected


def test_the_first_quote_comes_from_the_first_passage(tmp_path: Path) -> None:
    store = build_store(tmp_path)
    question = "Cosa spetta ai dirigenti degli uffici e quali compiti sono attribuiti?"
    hits = OverlapSearcher(store).search(question)
    best_sentence = select_quotes(question, hits)[0].hit  # the passage with the best sentence
    other = next(h for h in hits if h.chunk.id != best_sentence.chunk.id)
    order = [other, best_sentence, *[h for h in hits if h not in (other, best_sentence)]]
    searched = [dataclasses.replace(h, rank=r) for r, h in enumerate(order, start=1)]
    quotes = select_quotes(question, searched)
    assert quotes[0].hit.chunk.id == other.chunk.id  # the searcher's first passage leads
    assert best_sentence.chunk.id in {q.hit.chunk.id for q in quotes}  # ...and the best stays
    before = select_quotes(question, searched, selection=Selection(first_from_top=False))
    assert before[0].hit.chunk.id == best_sentence.chunk.id
    store.close()
