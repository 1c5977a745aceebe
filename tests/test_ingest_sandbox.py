"""The sandboxed child never finalises the parent's objects: an ONNX Runtime session left in
a reference cycle, finalised in a forked child, waits for threads the child does not have."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest import sandbox
from ingest.sandbox import parse_isolated


class _Finalised:
    """A cycle whose finaliser records the process that ran it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker
        self.creator = os.getpid()
        self.me = self

    def __del__(self) -> None:
        if os.getpid() != self.creator:
            self.marker.write_text(str(os.getpid()))


@pytest.fixture
def collecting_child(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The parent does not collect; the child collects before it reads (as a long parse
    does by itself), so garbage left by the parent meets the child's collector."""
    real = sandbox.read_bytes

    def collect_then_read(*args: object, **kwargs: object) -> object:
        gc.collect()
        return real(*args, **kwargs)

    monkeypatch.setattr(sandbox, "read_bytes", collect_then_read)
    gc.disable()
    yield
    gc.enable()


def test_the_child_leaves_the_parents_garbage_alone(tmp_path: Path,
                                                   collecting_child: None) -> None:
    marker = tmp_path / "finalised-in-child"
    _Finalised(marker)  # garbage now: only its own cycle holds it
    parsed = parse_isolated(b"Art. 1\nIl comune approva il bilancio.\n", "text", timeout_s=60)
    assert "bilancio" in parsed.blocks[0].text
    assert not marker.exists()
    gc.collect()  # the parent still collects it, here
    assert not marker.exists()
