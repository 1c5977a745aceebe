"""kill -9 of `raccordo ingest` while its parse worker runs: the previous index keeps serving
and the worker does not outlive its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, make_settings

from bot.app.service import Raccordo
from tests.index_kit import HashEmbedder

# The child ingests folder A (published), then folder B; it pauses in the embedding of B's
# second file, prints its parse worker's pid and waits on stdin: the parent kills it there.
SCRIPT = """
import multiprocessing, sys
from pathlib import Path
sys.path.insert(0, {repo!r}); sys.path.insert(0, {tests!r})
import index.builder as builder
from bot.app.service import Raccordo
from conftest import make_settings
from tests.index_kit import HashEmbedder

service = Raccordo(make_settings(Path(sys.argv[1]), cache_dir=Path(sys.argv[2])),
                   embedder=HashEmbedder())
service.ingest(Path(sys.argv[3]))
print("published", flush=True)
fill, calls = builder.CacheFiller.__call__, []
def pause(self, chunks):
    fill(self, chunks)
    calls.append(1)
    if len(calls) == 2:
        print("worker", *[p.pid for p in multiprocessing.active_children()], flush=True)
        sys.stdin.readline()  # never answered: killed here
builder.CacheFiller.__call__ = pause
service.ingest(Path(sys.argv[4]))
"""


def _folder(root: Path, name: str, n: int) -> Path:
    folder = root / name
    folder.mkdir()
    for i in range(n):
        (folder / f"{name}_{i}.md").write_text(
            f"# Atto {name} {i}\n\n### Art. 1 - Oggetto\n\n1. Disciplina dei passi carrabili "
            f"{name} numero {i}.\n", encoding="utf-8")
    return folder


def _gone(pid: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.timeout(300)
def test_kill_9_mid_ingest_keeps_the_previous_index(tmp_path: Path) -> None:
    data, cache = tmp_path / "data", tmp_path / "cache"
    first, second = _folder(tmp_path, "a", 3), _folder(tmp_path, "b", 8)
    script = SCRIPT.format(repo=str(REPO), tests=str(REPO / "tests"))
    child = subprocess.Popen([sys.executable, "-c", script, str(data), str(cache), str(first),
                              str(second)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True, cwd=REPO)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "published"
    line = child.stdout.readline().split()
    assert line[0] == "worker" and len(line) == 2, line
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert _gone(int(line[1]), within_s=60), "the parse worker outlived its parent"
    service = Raccordo(make_settings(data, cache_dir=cache), embedder=HashEmbedder())
    try:
        hits = service.search("passi carrabili", k=20)
        assert hits and {h.document.file for h in hits} <= {f"a_{i}.md" for i in range(3)}
        service.ingest(second)  # the next run completes
        assert service.wait_for_index(timeout_s=120)  # read-your-writes, as uploads do
        assert {h.document.file for h in service.search("passi carrabili b", k=20)} & {
            f"b_{i}.md" for i in range(8)}
    finally:
        service.close()
