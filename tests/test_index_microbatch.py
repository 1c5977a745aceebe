"""Micro-batching of concurrent query embeddings: same vectors as single calls, fewer calls.

No sleeps decide anything: the first batch is held on an event until every other caller is
queued (observed through `waiting()`), so the rest must share one batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest
from waiting import wait_until

from index.microbatch import MicroBatcher
from tests.index_kit import HashEmbedder

QUERIES = [f"domanda numero {i} sui passi carrabili e sulle zone {i % 3}" for i in range(12)]


def _concurrently(batcher: MicroBatcher, texts: list[str], hold: threading.Event
                  ) -> dict[int, np.ndarray]:
    """First text alone (its batch held by `hold`), then the others from their own threads."""
    results: dict[int, np.ndarray] = {}

    def ask(i: int) -> None:
        results[i] = batcher.embed([texts[i]])

    first = threading.Thread(target=ask, args=(0,))
    first.start()
    wait_until(lambda: batcher.calls == 1)  # the first batch is running, held
    others = [threading.Thread(target=ask, args=(i,)) for i in range(1, len(texts))]
    for t in others:
        t.start()
    wait_until(lambda: batcher.waiting() == len(texts) - 1)
    hold.set()
    for t in [first, *others]:
        t.join()
    return results


def _held(engine: HashEmbedder, hold: threading.Event, sizes: list[int]
          ) -> Callable[[list[str]], np.ndarray]:
    """The engine's query embedding, recording batch sizes and waiting for `hold`."""

    def embed(texts: list[str]) -> np.ndarray:
        sizes.append(len(texts))
        hold.wait()
        return engine.embed_queries(texts)

    return embed


@pytest.mark.timeout(60)
def test_concurrent_queries_share_one_batch_and_get_their_own_vectors() -> None:
    engine, hold, sizes = HashEmbedder(), threading.Event(), []
    batcher = MicroBatcher(_held(engine, hold, sizes), window_s=0, max_batch=64)
    results = _concurrently(batcher, QUERIES, hold)
    assert sizes == [1, len(QUERIES) - 1]  # 12 requests, 2 calls
    for i, text in enumerate(QUERIES):
        assert np.array_equal(results[i], engine.embed_queries([text])[0:1])


@pytest.mark.timeout(60)
def test_batches_respect_max_batch() -> None:
    engine, hold, sizes = HashEmbedder(), threading.Event(), []
    batcher = MicroBatcher(_held(engine, hold, sizes), window_s=0, max_batch=4)
    results = _concurrently(batcher, QUERIES, hold)
    assert sizes[0] == 1 and sum(sizes) == len(QUERIES) and max(sizes) <= 4
    assert len(sizes) == 1 + 3  # 11 waiting requests in batches of at most 4
    assert all(np.array_equal(results[i], engine.embed_queries([q])) for i, q in
               enumerate(QUERIES))


@pytest.mark.timeout(60)
def test_an_error_reaches_every_caller_of_its_batch_and_not_the_next() -> None:
    hold = threading.Event()
    engine = HashEmbedder()

    def embed(texts: list[str]) -> np.ndarray:
        hold.wait()
        if any("guasto" in t for t in texts):
            raise RuntimeError("motore guasto")
        return engine.embed_queries(texts)

    batcher = MicroBatcher(embed, window_s=0)
    errors: list[BaseException] = []

    def ask(text: str) -> None:
        try:
            batcher.embed([text])
        except RuntimeError as exc:
            errors.append(exc)

    first = threading.Thread(target=ask, args=("prima",))
    first.start()
    wait_until(lambda: batcher.calls == 1)
    others = [threading.Thread(target=ask, args=(t,)) for t in ("guasto", "sana")]
    for t in others:
        t.start()
    wait_until(lambda: batcher.waiting() == 2)
    hold.set()
    for t in [first, *others]:
        t.join()
    assert len(errors) == 2  # "guasto" and its batch-mate "sana"; "prima" ran before
    assert batcher.embed(["dopo"]).shape == (1, engine.dim)  # the batcher still works


def test_a_lone_call_is_a_single_batch_of_its_texts() -> None:
    engine = HashEmbedder()
    batcher = MicroBatcher(engine.embed_queries)
    out = batcher.embed(QUERIES[:3])
    assert np.array_equal(out, engine.embed_queries(QUERIES[:3])) and batcher.calls == 1
