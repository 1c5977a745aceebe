"""Search, ask and feedback over HTTP with the real app, and every bad input → 4xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_helpers import ready_client
from fastapi.testclient import TestClient

from bot.answers.abstention import UNCERTAIN_TEXT
from bot.app.service import Raccordo
from index.models import Filters
from ingest.store import StoredDocument

HIT_KEYS = {"rank", "score", "chunk_id", "file", "title", "kind", "locator", "page", "text", "url",
            "citation", "vigente", "repeal_note", "ocr"}


@pytest.fixture(scope="module")
def client(demo_service: Raccordo) -> Iterator[TestClient]:
    """The real app over the demo corpus."""
    with ready_client(demo_service) as c:
        yield c


def _indexed(service: Raccordo) -> list[StoredDocument]:
    return [d for d in service.store.documents() if d.status == "indexed"]


def _phrase_of(service: Raccordo, doc: StoredDocument) -> tuple[int, str]:
    """A chunk id of `doc` and a distinctive 12-word phrase of its text."""
    chunk = max(service.store.chunks(doc.id), key=lambda c: len(c.text))
    assert chunk.id is not None
    return chunk.id, " ".join(chunk.text.split()[:12])


def test_search_matches_the_cli_contract(client: TestClient, demo_service: Raccordo) -> None:
    doc = _indexed(demo_service)[0]
    _, phrase = _phrase_of(demo_service, doc)
    response = client.get("/api/search", params={"q": phrase, "k": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == phrase
    assert 0 < len(body["hits"]) <= 5
    assert all(set(h) == HIT_KEYS for h in body["hits"])
    expected = [h.to_json() for h in demo_service.search(phrase, k=5)]
    assert body["hits"] == expected


def test_search_finds_the_passage_it_quotes(client: TestClient, demo_service: Raccordo) -> None:
    for doc in _indexed(demo_service)[:4]:
        chunk_id, phrase = _phrase_of(demo_service, doc)
        hits = client.get("/api/search", params={"q": phrase, "k": 3}).json()["hits"]
        assert chunk_id in [h["chunk_id"] for h in hits], doc.file


def test_filters_restrict_hits(client: TestClient, demo_service: Raccordo) -> None:
    docs = _indexed(demo_service)
    by_file = {d.file: d for d in docs}
    city = next(d.meta.city for d in docs if d.meta.city)
    hits = client.get("/api/search", params={"q": "comuni servizi", "city": city}).json()["hits"]
    assert hits and all(by_file[h["file"]].meta.city == city for h in hits)
    kind = docs[0].meta.kind
    hits = client.get("/api/search", params={"q": "comuni", "kind": kind}).json()["hits"]
    assert hits and all(h["kind"] == kind for h in hits)
    target = docs[-1]
    hits = client.get("/api/search", params={"q": "comuni", "document": target.id}).json()["hits"]
    assert hits and {h["file"] for h in hits} == {target.file}
    year = next(d.meta.year for d in docs if d.meta.year)
    hits = client.get("/api/search", params={"q": "comuni", "year": year}).json()["hits"]
    assert all(by_file[h["file"]].meta.year == year for h in hits)
    none = client.get("/api/search", params={"q": "comuni", "city": "Atlantide"}).json()
    assert none["hits"] == []


def test_ask_cites_verbatim_and_accepts_feedback(client: TestClient,
                                                 demo_service: Raccordo) -> None:
    doc = _indexed(demo_service)[0]
    question = f"Che cosa prevede {doc.meta.title}?"
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code == 200
    body = response.json()
    assert {"question", "answer", "abstained", "citations", "question_id"} <= set(body)
    assert body["question"] == question
    assert body["abstained"] is False and body["citations"]
    assert body["uncertain"] is body["answer"].startswith(UNCERTAIN_TEXT)  # said in the text too
    chunks = demo_service.store.chunks_by_ids([c["chunk_id"] for c in body["citations"]])
    for citation in body["citations"]:
        assert citation["quote"] in chunks[citation["chunk_id"]].chunk.text
        assert f"[{citation['n']}]" in body["answer"]
    vote = client.post("/api/feedback", json={"question_id": body["question_id"], "vote": -1,
                                              "comment": "manca il termine"})
    assert vote.status_code == 201
    rows = {r[0]: r for r in demo_service.appdb.feedback_rows()}
    row = rows[vote.json()["id"]]
    assert row[2:] == ("api", body["question_id"], -1, "manca il termine")


def test_ask_with_filters_and_history(client: TestClient, demo_service: Raccordo) -> None:
    doc = next(d for d in _indexed(demo_service) if d.meta.city)
    response = client.post("/api/ask", json={
        "question": "e quali risultati ha ottenuto?",
        "filters": {"city": doc.meta.city},
        "history": [{"question": f"Come funziona {doc.meta.title}?", "answer": ""}]})
    assert response.status_code == 200
    files = {d.file for d in _indexed(demo_service) if d.meta.city == doc.meta.city}
    assert all(c["file"] in files for c in response.json()["citations"])
    # how the follow-up was understood is part of the answer
    assert response.json()["understood_as"] == (
        f"Come funziona {doc.meta.title} quali risultati ha ottenuto?")
    alone = client.post("/api/ask", json={"question": f"Come funziona {doc.meta.title}?"})
    assert alone.json()["understood_as"] is None


def test_off_topic_question_abstains(client: TestClient) -> None:
    body = client.post("/api/ask",
                       json={"question": "ricetta della carbonara con guanciale e pecorino"}).json()
    assert body["abstained"] is True
    assert body["citations"] == []


LONG = "perché " * 15_000  # ~100 kB
JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(("method", "url", "kwargs"), [
    ("get", "/api/search", {"params": {"q": ""}}),
    ("get", "/api/search", {"params": {"q": "   "}}),
    ("get", "/api/search", {}),
    ("get", "/api/search", {"params": {"q": "x" * 2001}}),
    ("get", "/api/search", {"params": {"q": "comuni", "year": "abc"}}),
    ("get", "/api/search", {"params": {"q": "comuni", "year": "99999"}}),
    ("get", "/api/search", {"params": {"q": "comuni", "kind": "xyz"}}),
    ("get", "/api/search", {"params": {"q": "comuni", "k": "0"}}),
    ("get", "/api/search", {"params": {"q": "comuni", "k": "mille"}}),
    ("get", "/api/search", {"params": {"q": "comuni", "document": "abc"}}),
    ("post", "/api/ask", {"json": {"question": LONG}}),
    ("post", "/api/ask", {"json": {"question": ""}}),
    ("post", "/api/ask", {"json": {"question": " \n "}}),
    ("post", "/api/ask", {"json": {}}),
    ("post", "/api/ask", {"json": ["domanda"]}),
    ("post", "/api/ask", {"content": b"{non json", "headers": JSON}),
    ("post", "/api/ask", {"json": {"question": "ok", "filters": {"kind": "xyz"}}}),
    ("post", "/api/ask", {"json": {"question": "ok", "filters": {"year": "abc"}}}),
    ("post", "/api/ask", {"json": {"question": "ok", "extra": 1}}),
    ("post", "/api/ask", {"json": {"question": "ok", "history": [{"question": "a"}] * 11}}),
    ("post", "/api/ask", {"content": b"x" * (2 * 1024 * 1024), "headers": JSON}),
    ("post", "/api/feedback", {"json": {"vote": 5}}),
    ("post", "/api/feedback", {"json": {"vote": 1, "question_id": 10**9}}),
    ("get", "/api/documents/999999", {}),
    ("get", "/api/documents/abc", {}),
    ("get", "/api/documents/0", {}),
    ("get", "/api/documents", {"params": {"page": "0"}}),
    ("get", "/api/documents", {"params": {"status": "boh"}}),
    ("get", "/api/nulla", {}),
    ("put", "/api/search", {}),
])
def test_bad_input_is_4xx_with_an_italian_error(client: TestClient, method: str, url: str,
                                                kwargs: dict[str, object]) -> None:
    response = client.request(method.upper(), url, **kwargs)  # type: ignore[arg-type]
    assert 400 <= response.status_code < 500, response.text[:300]
    error = response.json()["error"]
    assert error["code"] and error["message"]
    assert not any(english in error["message"] for english in
                   ("Field required", "Input should", "Not Found", "not allowed"))


def test_lone_surrogates_are_422_not_500(client: TestClient) -> None:
    # "\\ud800" is a valid JSON escape but not valid Unicode
    body = b'{"question": "comuni \\ud800", "history": [{"question": "\\udfff"}]}'
    response = client.post("/api/ask", content=body, headers=JSON)
    assert response.status_code == 422
    assert "Unicode" in response.json()["error"]["message"]
    vote = client.post("/api/feedback", content=b'{"vote": 1, "comment": "\\ud800"}',
                       headers=JSON)
    assert vote.status_code == 422


def test_100kb_question_is_refused_without_answering(client: TestClient,
                                                     demo_service: Raccordo) -> None:
    before = len(demo_service.appdb.question_rows())
    response = client.post("/api/ask", json={"question": LONG})
    assert response.status_code in (413, 422)
    assert len(demo_service.appdb.question_rows()) == before


def test_filters_match_the_search_filters_type() -> None:
    # the API's filter fields are exactly the library's
    from bot.api.schemas import FiltersIn

    assert set(FiltersIn.model_fields) == set(Filters.__dataclass_fields__)
