"""Issue 16, finding 1: one client cannot stall search (real uvicorn on 127.0.0.1).

Queries are cut to `max_query_tokens` before any work; BM25 scores a bounded number of
terms; query embeddings take turns with short queries first and a bounded queue that
answers 503 instead of waiting forever; each client gets a rate limit (429).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
import numpy as np
from api_helpers import bearer
from waiting import wait_until

from bot.api import create_app
from bot.api.background import BackgroundServer
from bot.api.http import uvicorn_options
from bot.app.service import Raccordo
from index.lexical import MAX_QUERY_TERMS, LexicalIndex

LONG_QUERY = " ".join(["xqz"] * 500)  # 2,000 characters, about 1,500 model tokens
NORMAL_QUERY = "trasporto pubblico locale"


class HoldingEmbedder:
    """The real model, recording every query; queries with "xqz" wait for `release`."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.model_id: str = inner.model_id
        self.dim: int = inner.dim
        self.query_tokens: Callable[[str], int] = inner.query_tokens
        self.release = threading.Event()
        self.seen: list[str] = []
        self.held = threading.Event()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Record, wait when asked to, then embed for real."""
        self.seen.extend(texts)
        if any("xqz" in t for t in texts):
            self.held.set()
            self.release.wait(120)
        return np.asarray(self.inner.embed_queries(texts))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Passages pass straight through."""
        return np.asarray(self.inner.embed_passages(texts))


@contextmanager
def serving(demo_service: Raccordo, embedder: Any = None, heavy: Any = None, **settings: Any
            ) -> Iterator[tuple[Raccordo, httpx.Client]]:
    """A service with changed settings behind a real uvicorn, and a client for it.

    `embedder` serves light queries, `heavy` long ones (and ingestion: the writer's engine).
    """
    service = Raccordo(demo_service.settings.model_copy(update=settings),
                       embedder=embedder or demo_service.embedder.inner)
    if heavy is not None:
        service.writer_embedder = heavy  # type: ignore[misc]
    app = create_app(service)
    try:
        with BackgroundServer(app, **uvicorn_options(service.settings)) as server, \
                httpx.Client(base_url=server.url, timeout=120) as http:
            assert app.state.readiness.wait(180), app.state.readiness.error
            yield service, http
    finally:
        service.close()


def test_queries_are_cut_before_any_work(demo_service: Raccordo) -> None:
    real = demo_service.embedder.inner
    recorder = HoldingEmbedder(real)
    recorder.release.set()
    with serving(demo_service, recorder, recorder, rate_limit_api=0) as (service, http):
        for path, params in (("/api/search", {"q": LONG_QUERY}), ("/", {"q": LONG_QUERY}),
                             ("/", {"q": LONG_QUERY, "mode": "chiedi"})):
            assert http.get(path, params=params).status_code == 200
        asked = http.post("/api/ask", json={"question": LONG_QUERY, "history": [
            {"question": LONG_QUERY, "answer": "x" * 8000}] * 10})
        assert asked.status_code == 200
    assert recorder.seen and all(real.query_tokens(t) <= service.settings.max_query_tokens
                                 for t in recorder.seen)
    assert real.query_tokens(LONG_QUERY) > 10 * service.settings.max_query_tokens


def test_bm25_scores_a_bounded_number_of_terms() -> None:
    lexical = LexicalIndex.build(["regolamento omega", "delibera alfa"])
    assert lexical.scores("omega")[0] > 0
    flooded = " ".join(f"parola{i}" for i in range(MAX_QUERY_TERMS)) + " omega"
    assert not lexical.scores(flooded).any()  # the 65th term is never scored


def test_full_queue_answers_503_and_a_normal_search_goes_first(demo_service: Raccordo) -> None:
    """One engine for every query (as with sentence-transformers): light ones go first."""
    holder = HoldingEmbedder(demo_service.embedder.inner)
    queue = 4
    with serving(demo_service, holder, holder, rate_limit_api=0, search_queue=queue,
                 search_wait_s=120) as (service, http):
        gate = service.embedder
        results: dict[str, int] = {}
        start = len(holder.seen)  # after the readiness warm-up query

        def get(name: str, query: str) -> None:
            results[name] = http.get("/api/search", params={"q": query}).status_code

        threads = [threading.Thread(target=get, args=(f"long{i}", LONG_QUERY))
                   for i in range(queue + 1)]
        try:
            threads[0].start()
            assert holder.held.wait(60)  # one long query holds the engine
            for thread in threads[1:]:
                thread.start()
            wait_until(lambda: gate.waiting() == (0, queue))
            refused = http.get("/api/search", params={"q": LONG_QUERY})
            assert refused.status_code == 503  # the queue is full: no endless wait
            assert refused.json()["error"]["code"] == "occupato"
            assert int(refused.headers["retry-after"]) >= 1
            normal = threading.Thread(target=get, args=("normal", NORMAL_QUERY))
            normal.start()
            wait_until(lambda: gate.waiting() == (1, queue))
        finally:
            holder.release.set()
        for thread in [*threads, normal]:
            thread.join(120)
    assert set(results.values()) == {200}
    assert holder.seen[start + 1] == NORMAL_QUERY  # ahead of every queued long query
    assert len(holder.seen) == start + queue + 2


def test_a_query_that_cannot_get_a_turn_gets_503_not_an_endless_wait(
        demo_service: Raccordo) -> None:
    holder = HoldingEmbedder(demo_service.embedder.inner)
    with serving(demo_service, holder, holder, rate_limit_api=0, search_wait_s=1) as (_, http):
        blocked = threading.Thread(target=http.get, args=("/api/search",),
                                   kwargs={"params": {"q": LONG_QUERY}})
        try:
            blocked.start()
            assert holder.held.wait(60)
            waited = http.get("/api/search", params={"q": NORMAL_QUERY})
            assert waited.status_code == 503 and waited.json()["error"]["code"] == "occupato"
            page = http.get("/", params={"q": NORMAL_QUERY})
            assert page.status_code == 503 and "occupato" in page.text
        finally:
            holder.release.set()
            blocked.join(120)


def test_normal_searches_run_while_long_ones_saturate_their_queue(
        demo_service: Raccordo) -> None:
    """Long queries use the second engine: ordinary ones never wait behind them."""
    holder = HoldingEmbedder(demo_service.embedder.inner)
    queue = 3
    with serving(demo_service, heavy=holder, rate_limit_api=0, search_queue=queue,
                 search_wait_s=120) as (service, http):
        threads = [threading.Thread(target=http.get, args=("/api/search",),
                                    kwargs={"params": {"q": LONG_QUERY}})
                   for _ in range(queue + 1)]
        try:
            threads[0].start()
            assert holder.held.wait(60)
            for thread in threads[1:]:
                thread.start()
            wait_until(lambda: service.embedder.waiting() == (0, queue))
            assert http.get("/api/search", params={"q": LONG_QUERY}).status_code == 503
            for query in (NORMAL_QUERY, "centrale unica di committenza", "statuto"):
                normal = http.get("/api/search", params={"q": query})
                assert normal.status_code == 200 and normal.json()["hits"]
            assert http.post("/api/ask", json={"question": NORMAL_QUERY}).status_code == 200
            assert service.embedder.waiting() == (0, queue)  # the long ones still wait
        finally:
            holder.release.set()
        for thread in threads:
            thread.join(120)


def test_each_client_gets_a_rate_limit(demo_service: Raccordo) -> None:
    secret = demo_service.appdb.create_api_key("read", "test-rate")
    with serving(demo_service, rate_limit_api=3) as (_, http):
        codes = [http.get("/api/search", params={"q": NORMAL_QUERY}).status_code
                 for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = http.get("/api/documents")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert limited.json()["error"]["code"] == "troppe_richieste"
        keyed = http.get("/api/search", params={"q": NORMAL_QUERY}, headers=bearer(secret))
        assert keyed.status_code == 200  # another client: its own share
        assert http.get("/healthz").status_code == 200  # probes are never limited
        assert http.get("/readyz").status_code == 200


def test_document_page_highlighting_is_bounded(demo_service: Raccordo) -> None:
    from bot.api.pages import MAX_HIGHLIGHT_TERMS, query_patterns

    many = " ".join(f"w{i}q" for i in range(300))[:2000]  # 300 distinct short words
    assert len(query_patterns(many)) == MAX_HIGHLIGHT_TERMS
    with serving(demo_service, rate_limit_api=0) as (_, http):
        assert http.get("/documenti/1", params={"q": many}).status_code == 200
