"""Publication safety: a reader keeps serving during rebuilds; kill -9 mid-build is harmless."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from index.builder import build_index
from index.generations import current_generation, open_current
from index.searcher import Searcher
from tests.index_kit import HashEmbedder, add_document, fill_store, open_store

REPO = Path(__file__).resolve().parents[1]

CHILD = """
import sys
sys.path.insert(0, {repo!r})
from pathlib import Path
from index.builder import build_index
from tests.index_kit import HashEmbedder, open_store
store = open_store(Path({data!r}))
emb = HashEmbedder()
print("ready", flush=True)
while True:
    build_index(store, emb, Path({data!r}) / "index", Path({cache!r}), force=True)
    print("built", flush=True)
"""


def _bulk(store: object, n: int) -> None:
    articles = [(str(i), ("1",), f"Articolo {i}: disposizioni sul servizio numero {i} "
                 "e sulla gestione associata delle funzioni comunali. " * 3)
                for i in range(n)]
    add_document(store, "bulk.md", "Regolamento di prova", articles, kind="regulation")  # type: ignore[arg-type]


def test_reader_keeps_serving_during_rebuilds(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import index.searcher as searcher_module

    monkeypatch.setattr(searcher_module, "RELOAD_CHECK_S", 0.0)
    data = tmp_path / "data"
    store = open_store(data)
    fill_store(store)
    _bulk(store, 300)
    emb = HashEmbedder()
    build_index(store, emb, data / "index", tmp_path / "cache")
    searcher = Searcher(store, data / "index", emb)
    errors: list[BaseException] = []
    answered: list[int] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                hits = searcher.search("polizia locale passi carrabili", k=3)
                answered.append(len(hits))
            except BaseException as exc:  # recorded, asserted below
                errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(2)]
    for t in readers:
        t.start()
    for i in range(4):
        add_document(store, f"extra{i}.md", f"Avviso {i}", [(None, (), f"Avviso zanzariere {i}")])
        build_index(store, emb, data / "index", tmp_path / "cache")
    stop.set()
    for t in readers:
        t.join()
    assert errors == []
    assert answered and min(answered) == 3
    assert searcher.generation.pointer == f"gen-{current_generation(data / 'index')}"
    assert {h.document.file for h in searcher.search("avviso zanzariere", k=10)} >= {
        "extra3.md"}


@pytest.mark.timeout(120)
def test_kill_9_during_builds_leaves_a_loadable_index(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = open_store(data)
    fill_store(store)
    _bulk(store, 800)
    emb = HashEmbedder()
    first = build_index(store, emb, data / "index", tmp_path / "cache")
    assert first is not None
    started = time.perf_counter()
    build_index(store, emb, data / "index", tmp_path / "cache", force=True)
    one_build = time.perf_counter() - started
    script = CHILD.format(repo=str(REPO), data=str(data), cache=str(tmp_path / "cache"))
    generations = set()
    for i, share in enumerate((0.1, 0.3, 0.5, 0.7, 0.9, 1.3)):  # of one build's duration
        child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                                 text=True)
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        if i == 0:  # let one build complete, then cut the next one short
            assert child.stdout.readline().strip() == "built"
        time.sleep(share * one_build)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        _, manifest = open_current(data / "index", emb.model_id)  # checksums verified
        generations.add(manifest.generation)
        hits = Searcher(store, data / "index", emb).search("passi carrabili", k=3)
        assert hits and hits[0].document.file == "bari.md"
    assert len(generations) > 1  # some builds completed between kills, some were cut short
    # the next build cleans what the killed ones left behind
    build_index(store, emb, data / "index", tmp_path / "cache", force=True)
    assert not list((data / "index").glob("*.tmp"))
