"""Publication safety: a reader keeps serving during rebuilds; kill -9 mid-build is harmless."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from index.builder import build_index
from index.generations import current_generation, open_current
from index.searcher import Searcher
from tests.index_kit import HashEmbedder, add_document, fill_store, open_store

REPO = Path(__file__).resolve().parents[1]

# The child builds forever and stops at one point of `publish` (the `nth` time it gets there):
# it prints "at <point>" and waits on stdin, so the parent's kill -9 lands exactly there.
CHILD = """
import os, sys
sys.path.insert(0, {repo!r})
from pathlib import Path
import index.generations as gen
from index.builder import build_index
from index.dense import DenseIndex
from tests.index_kit import HashEmbedder, open_store

stop_at, nth = sys.argv[1], int(sys.argv[2])
seen = {{}}

def rendezvous(point):
    seen[point] = seen.get(point, 0) + 1
    if point == stop_at and seen[point] == nth:
        print("at", point, flush=True)
        sys.stdin.readline()  # never answered: the parent kills this process

def pause_before(point, function, when=lambda *a: True):
    def paused(*args, **kwargs):
        if when(*args):
            rendezvous(point)
        return function(*args, **kwargs)
    return paused

save = DenseIndex.save
def save_then_pause(self, path):
    save(self, path)
    rendezvous("half-written")  # ids and vectors written, BM25 not yet

DenseIndex.save = save_then_pause
gen.file_sha256 = pause_before("written", gen.file_sha256)
gen._write_durably = pause_before("manifest", gen._write_durably,
                                  lambda path, *_: path.name == gen.MANIFEST)
gen.os = type(os)("os_with_pauses")
gen.os.__dict__.update(os.__dict__)
gen.os.rename = pause_before("renamed", os.rename)  # gen-n.tmp complete, about to be gen-n
gen.os.replace = pause_before("switch", os.replace)  # CURRENT.tmp written, not yet CURRENT
gen.prune = pause_before("published", gen.prune)  # CURRENT switched, old ones not pruned

store = open_store(Path({data!r}))
emb = HashEmbedder()
print("ready", flush=True)
while True:
    build_index(store, emb, Path({data!r}) / "index", Path({cache!r}), force=True)
    print("built", flush=True)
"""

# (point, nth visit, whether the build killed there has already switched CURRENT to itself)
KILL_POINTS = [("half-written", 1, False), ("written", 1, False), ("manifest", 1, False),
               ("renamed", 1, False), ("switch", 1, False), ("published", 1, True),
               ("half-written", 2, False)]


def _bulk(store: object, n: int) -> None:
    articles = [(str(i), ("1",), f"Articolo {i}: disposizioni sul servizio numero {i} "
                 "e sulla gestione associata delle funzioni comunali. " * 3)
                for i in range(n)]
    add_document(store, "bulk.md", "Regolamento di prova", articles, kind="regulation")  # type: ignore[arg-type]


def test_reader_keeps_serving_during_rebuilds(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import index.generations as generations
    import index.searcher as searcher_module
    from index.dense import DenseIndex

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
    progress = threading.Condition()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                answered.append(len(searcher.search("polizia locale passi carrabili", k=3)))
            except BaseException as exc:  # recorded, asserted below
                errors.append(exc)
            with progress:
                progress.notify_all()

    def reads_happen(*_: object) -> None:  # each build waits here for both readers to search
        with progress:
            mark = len(answered)
            assert progress.wait_for(lambda: len(answered) >= mark + 4 or errors, timeout=120)

    save, prune = DenseIndex.save, generations.prune

    def save_then_wait(self: DenseIndex, path: Path) -> None:  # a generation half-written
        save(self, path)
        reads_happen()

    def wait_then_prune(index_dir: Path) -> list[str]:  # CURRENT switched, not yet pruned
        reads_happen()
        return prune(index_dir)

    monkeypatch.setattr(DenseIndex, "save", save_then_wait)
    monkeypatch.setattr(generations, "prune", wait_then_prune)
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
    assert len(answered) >= 4 * 2 * 4 and min(answered) == 3
    assert searcher.generation.pointer == f"gen-{current_generation(data / 'index')}"
    assert {h.document.file for h in searcher.search("avviso zanzariere", k=10)} >= {
        "extra3.md"}


@pytest.mark.timeout(300)
def test_kill_9_during_builds_leaves_a_loadable_index(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = open_store(data)
    fill_store(store)
    _bulk(store, 800)
    emb = HashEmbedder()
    first = build_index(store, emb, data / "index", tmp_path / "cache")
    assert first is not None
    script = CHILD.format(repo=str(REPO), data=str(data), cache=str(tmp_path / "cache"))
    published = first.generation
    for point, nth, publishes in KILL_POINTS:
        child = subprocess.Popen([sys.executable, "-c", script, point, str(nth)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        lines = [child.stdout.readline().strip()]
        while lines[-1] != f"at {point}":
            assert lines[-1], f"the child ended before {point}: {lines}"
            lines.append(child.stdout.readline().strip())
        assert lines.count("built") == nth - 1, lines  # one report per completed build
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        _, manifest = open_current(data / "index", emb.model_id)  # checksums verified
        builds = nth if publishes else nth - 1  # completed before the kill
        assert (manifest.generation > published) == (builds > 0), (point, nth)
        published = manifest.generation
        hits = Searcher(store, data / "index", emb).search("passi carrabili", k=3)
        assert hits and hits[0].document.file == "bari.md"
    # the next build cleans what the killed ones left behind
    build_index(store, emb, data / "index", tmp_path / "cache", force=True)
    assert not list((data / "index").glob("*.tmp"))
