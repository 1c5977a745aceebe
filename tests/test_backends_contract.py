"""The same contract on both backends (SQLite + FAISS + bm25s, PostgreSQL + pgvector).

Every test here runs twice through the parametrised `backend_settings` fixture: ingest,
search, filters, deletion, documents, similar practices, application state and the API.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from api_helpers import ready_client, voted_down
from fixtures.ingest.makers import make_pdf

from bot.app.feedback import training_questions
from bot.app.reviewqueue import review_queue
from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.evaluation import Question, Relevant, is_relevant
from index.models import Filters
from tests.conftest import REPO

QUERIES = ("Chi approva il bilancio della città metropolitana?",
           "centrale unica di committenza", "art. 107 del TUEL", "zone omogenee e unioni")


@pytest.fixture()
def service(backend_settings: Settings) -> Iterator[Raccordo]:
    """A service over the demo corpus on one backend."""
    service = Raccordo(backend_settings)
    service.ingest(REPO / "corpus")
    yield service
    service.close()


def _hits(service: Raccordo, query: str, **filters: object) -> list[tuple[str, int]]:
    return [(h.document.file, h.chunk.ordinal)
            for h in service.search(query, k=5, filters=Filters(**filters))]  # type: ignore


def test_ingest_twice_duplicates_nothing(service: Raccordo) -> None:
    counts = service.store.counts()
    assert counts["documents"] >= 8 and counts["chunks"] > 40
    report = service.ingest(REPO / "corpus")
    assert not report.failed and len(report.outcomes) == counts["documents"]
    assert service.store.counts() == counts


def test_search_returns_cited_passages(service: Raccordo) -> None:
    for query in QUERIES:
        hits = service.search(query, k=5)
        assert len(hits) == 5
        assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
        assert all(h.dense is not None and -1 <= h.dense <= 1 for h in hits)
        hybrid = service.searcher.search(query, k=5)  # before coverage re-ranking
        assert hybrid == sorted(hybrid, key=lambda h: -h.score)
        assert {h.chunk.id for h in hits} <= {h.chunk.id for h in
                                              service.searcher.search(query, k=10)}


def test_filters_restrict_every_hit(service: Raccordo) -> None:
    docs = [d for d in service.store.documents() if d.status == "indexed"]
    city = next(d.meta.city for d in docs if d.meta.city)
    for hit in service.search("servizi dei comuni", k=10, filters=Filters(city=city)):
        assert (hit.document.meta.city or "").casefold() == city.casefold()
    target = docs[0]
    hits = service.search("comuni", k=10, filters=Filters(document=target.id))
    assert hits and {h.document.id for h in hits} == {target.id}
    kind = target.meta.kind
    assert all(h.document.meta.kind == kind
               for h in service.search("comuni", k=10, filters=Filters(kind=kind)))
    assert service.search("comuni", k=5, filters=Filters(year=1800)) == []
    theme = next(t for d in docs for t in d.meta.themes)
    themed = service.search("comuni", k=10, filters=Filters(theme=theme))
    assert themed and all(theme in h.document.meta.themes or theme in h.chunk.themes
                          for h in themed)


def test_deleting_a_document_removes_it_from_search(service: Raccordo) -> None:
    before = service.store.counts()
    top = service.search(QUERIES[1], k=1)[0]
    service.remove_document(top.document.id)
    assert service.store.document(top.document.id) is None
    assert service.store.counts()["documents"] == before["documents"] - 1
    assert all(h.document.id != top.document.id for h in service.search(QUERIES[1], k=10))


def test_a_quote_is_cited_on_the_page_it_is_on(backend_settings: Settings,
                                              tmp_path: Path) -> None:
    folder = tmp_path / "manuali"
    folder.mkdir()
    (folder / "manuale.pdf").write_bytes(make_pdf([
        ["1 Accesso al sistema", "L'accesso al portale dei servizi avviene con SPID."],
        ["La password del portale dei servizi scade dopo novanta giorni."]]))
    (folder / "MANIFEST.tsv").write_text(
        "file\ttitle\tkind\turl\nmanuale.pdf\tManuale del portale dei servizi\tpractice\t"
        "https://comune.example.it/manuale.pdf\n", encoding="utf-8")
    service = Raccordo(backend_settings)
    try:
        assert not service.ingest(folder).failed
        [chunk] = service.store.chunks()  # one short section over two pages
        assert (chunk.locator.page_start, chunk.locator.page_end) == (1, 2)
        assert [page for _, page in chunk.page_breaks] == [1, 2]
        [hit] = [h for h in service.search("Dopo quanti giorni scade la password?", k=3)
                 if h.chunk.id == chunk.id]
        citation = service.answerer.cite("Dopo quanti giorni scade la password?", hit)
        assert citation.quote.startswith("La password del portale")
        assert citation.page == 2 and citation.locator.endswith("p. 2")
        assert citation.url == "https://comune.example.it/manuale.pdf#page=2"
        assert citation.in_force is None  # a manual says no version of a text in force
    finally:
        service.close()


VERSIONED_ACT = """---
url: https://www.normattiva.it/uri-res/N2Ls?urn:nir:stato:decreto.legislativo:2000-08-18;267
dataVigenza: 20251104
---

# Testo unico delle leggi sull'ordinamento degli enti locali

### Art. 50. - Competenze del sindaco

1. Il sindaco e' l'organo responsabile dell'amministrazione del comune.
"""
CITING_ACT = """# Testo unico delle leggi sull'ordinamento degli enti locali

### Art. 97. - Ruolo e funzioni del segretario

1. Il segretario comunale svolge compiti di collaborazione ai sensi del decreto legislativo
30 luglio 1999, n. 300.

### Art. 98. - Albo dei segretari

1. L'albo dei segretari comunali e' tenuto ai sensi dell'articolo 10 del d.lgs. n. 300/1999,
con rinvio all'articolo 28 del d.lgs. 300/1999 per l'accesso al ruolo.
"""


@contextmanager
def _one_act(settings: Settings, folder: Path, text: str) -> Iterator[Raccordo]:
    """A service on `settings` over one act, `tuel.md`, written with `text`."""
    folder.mkdir()
    (folder / "tuel.md").write_text(text, encoding="utf-8")
    service = Raccordo(settings)
    try:
        assert not service.ingest(folder).failed
        yield service
    finally:
        service.close()


def test_a_citation_names_the_version_of_the_act(backend_settings: Settings,
                                                tmp_path: Path) -> None:
    with _one_act(backend_settings, tmp_path / "atti", VERSIONED_ACT) as service:
        [doc] = service.store.documents()
        assert doc.meta.in_force == "2025-11-04"
        answer = service.ask("Chi è l'organo responsabile dell'amministrazione del comune?")
        [citation] = answer.citations
        assert citation.in_force == "2025-11-04"
        assert citation.to_json()["in_force"] == "2025-11-04"
        assert citation.version == "testo vigente al 4 novembre 2025"
        assert citation.url is not None and citation.url.endswith("~art50!vig=2025-11-04")


def test_a_provision_outside_the_archive_links_its_public_text(backend_settings: Settings,
                                                                tmp_path: Path) -> None:
    with _one_act(backend_settings, tmp_path / "atti", CITING_ACT) as service:
        assert service.store.act_dates()["dlgs:300/1999"] == "1999-07-30"
        answer = service.ask("Dove è tenuto l'albo dei segretari comunali?")
        refs = {r["text"]: r for c in answer.citations for r in c.references}
        urn = ("https://www.normattiva.it/uri-res/N2Ls?urn:nir:stato:decreto.legislativo:"
               "1999-07-30;300")
        # the article says no date: the knowledge base's other mention of the act gives it
        assert refs["articolo 10 del d.lgs. n. 300/1999"]["url"] == urn + "~art10!vig="
        assert refs["articolo 10 del d.lgs. n. 300/1999"]["chunk_id"] is None


def test_documents_chunks_and_references(service: Raccordo) -> None:
    docs = service.store.documents()
    assert [d.file for d in docs] == sorted(d.file for d in docs)
    doc = docs[0]
    assert service.store.find_document(doc.source, doc.file) == doc
    chunks = service.store.chunks(doc.id)
    assert len(chunks) == doc.chunks and [c.ordinal for c in chunks] == sorted(
        c.ordinal for c in chunks)
    ids = [c.id for c in chunks if c.id is not None]
    assert set(service.store.chunks_by_ids(ids)) == set(ids)
    referenced = [c.id for c in service.store.chunks() if c.references and c.id]
    resolved = service.store.references(referenced[:5])
    assert all(len(resolved[i]) > 0 for i in referenced[:5])


def test_similar_practices(service: Raccordo) -> None:
    from bot.network.similar import similar_to_document

    doc = next(d for d in service.store.documents() if d.status == "indexed")
    similar = similar_to_document(service.network, doc.id, k=3)
    assert similar and all(s.doc_id != doc.id for s in similar)


def test_application_state(service: Raccordo) -> None:
    db = service.appdb
    db.add_user(7, role="admin")
    code = db.create_invite(7)
    assert db.redeem_invite(code, 8) and not db.redeem_invite(code, 9)
    assert db.user_ids() == [7, 8] and db.user_role(8) == "user"
    db.set_chat_filters(5, {"city": "Torino"})
    assert db.chat_filters(5) == {"city": "Torino"}
    qid = db.log_question(channel="api", abstained=False, cited_docs=[1], terms=["x"])
    fid = db.add_feedback(channel="api", vote=1, question_id=qid)
    db.set_feedback_comment(fid, "ok")
    assert db.has_question(qid) and db.feedback_rows()[0][5] == "ok"
    warned = db.log_question(channel="web", abstained=False, cited_docs=[], terms=[],
                             uncertain=True)
    assert {r[0]: r[9] for r in db.question_rows()} == {qid: 0, warned: 1}
    secret = db.create_api_key("write", "ci")
    key = db.check_api_key(secret)
    assert key is not None and db.revoke_api_key(key.id) and db.check_api_key(secret) is None
    assert db.take_update(1001) and not db.take_update(1001)
    db.audit("admin", "prova", n=1)
    assert db.audit_rows(1)[0][2] == "prova"


ANSWERED = "Come funziona la centrale unica di committenza a Torino?"  # the demo corpus says


def test_an_answer_voted_up_becomes_a_training_question(service: Raccordo) -> None:
    answer = service.ask(ANSWERED)
    assert answer.citations
    qid = service.appdb.log_answer(answer, "api", log_questions=True)
    service.appdb.add_feedback(channel="api", vote=1, question_id=qid)
    (exported,) = training_questions(service.appdb.voted_answers()).questions
    assert exported["question"] == ANSWERED
    (relevant,) = exported["relevant"]  # type: ignore[misc]
    question = Question("fb", ANSWERED, relevant=(Relevant(relevant["file"],
                                                           relevant["evidence"]),))
    first = next(h for h in answer.hits if h.chunk.id == answer.citations[0].chunk_id)
    assert is_relevant(question, first)  # the shared relevance rule finds the cited passage


def test_an_answer_voted_down_is_reviewed(service: Raccordo) -> None:
    qid = voted_down(service, QUERIES[0])
    queue = review_queue(service)
    (entry,) = queue.pending()
    chosen = queue.candidates(entry, QUERIES[0], 3)[2]
    queue.pick(qid, chosen.hit.chunk.id, QUERIES[0], "api:1")
    decision, relevant, _ = service.appdb.reviews()[qid]
    assert decision == "passage" and queue.pending() == []
    question = Question("fb", QUERIES[0], relevant=(Relevant(relevant[0]["file"],
                                                             relevant[0]["evidence"]),))
    assert is_relevant(question, chosen.hit)
    queue.decline(qid, "api:1")  # a changed mind replaces the decision
    assert service.appdb.reviews()[qid][:2] == ("no_answer", [])
    assert queue.counts() == {"passage": 0, "no_answer": 1, "pending": 0}


def test_api_search_documents_and_readiness(service: Raccordo) -> None:
    with ready_client(service) as client:
        ready = client.get("/readyz").json()
        assert ready["backend"] == service.backend and ready["chunks"] > 40
        hits = client.get("/api/search", params={"q": QUERIES[1], "k": 3}).json()["hits"]
        assert len(hits) == 3 and all(h["text"] for h in hits)
        listed = client.get("/api/documents").json()
        assert len(listed["documents"]) == service.store.counts()["documents"]


def test_both_backends_rank_the_same(tmp_path: Path, pg_url: str) -> None:
    from tests.conftest import make_settings

    embedded = Raccordo(make_settings(tmp_path / "a"))
    scaled = Raccordo(make_settings(tmp_path / "b", database_url=pg_url))
    try:
        for service in (embedded, scaled):
            service.ingest(REPO / "corpus")
        for query in QUERIES:
            assert _hits(embedded, query) == _hits(scaled, query)
            assert _hits(embedded, query, vigente=True) == _hits(scaled, query, vigente=True)
    finally:
        embedded.close()
        scaled.close()


def test_answers_and_dashboard(service: Raccordo) -> None:
    answer = service.ask(ANSWERED)
    assert not answer.abstained and answer.citations
    service.appdb.log_answer(answer, "api", log_questions=False)
    stats = service.stats()
    assert stats.questions_total == 1 and sum(stats.documents_by_city.values()) >= 8


def test_postgresql_remembers_term_weights_per_store_version(
        tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Re-ranking and answers ask the IDF of each question term for every passage and
    sentence they read (a query each on PostgreSQL, ~0.5 s a search before): the searcher
    answers each term once per store version, and asks again when the store moves."""
    import index.pgsearch as pgsearch
    from index.tokenizer import analyze
    from tests.conftest import make_settings

    monkeypatch.setattr(pgsearch, "RELOAD_CHECK_S", 0.0)  # see every store change at once
    service = Raccordo(make_settings(tmp_path / "data", database_url=pg_url))
    try:
        service.ingest(REPO / "corpus")
        searcher = service.searcher
        term = analyze("committenza")[0]
        first = searcher.term_weight(term)
        assert searcher.generation.idf == {term: first}  # type: ignore[union-attr]
        assert searcher.term_weight(term) == first
        top = service.search(QUERIES[1], k=1)[0]
        service.remove_document(top.document.id)
        assert term not in searcher.generation.idf  # type: ignore[union-attr]
        assert searcher.term_weight(term) != first  # the store changed, so did the weight
    finally:
        service.close()
