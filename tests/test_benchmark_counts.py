"""The counting helpers of this session's benchmark scripts, on hand-made inputs."""

from __future__ import annotations

import pytest

from benchmarks.citation_versions import count
from benchmarks.ranker_view import auc
from bot.answers.models import Answer, Citation


def _citation(n: int, kind: str, in_force: str | None, amended: bool) -> Citation:
    return Citation(n=n, file=f"f{n}.md", title="T", kind=kind, locator="", page=None,
                    quote="q", url=None, chunk_id=n, in_force=in_force, amended=amended)


def test_citation_versions_counts_acts_versions_and_amended_quotes() -> None:
    answers = [Answer("a", "r", (_citation(1, "decree", "2025-11-04", True),
                                 _citation(2, "decree", None, False)), False),
               Answer("b", "r", (_citation(3, "guideline", None, False),), False),
               Answer("c", "Non risulta…", (), True)]
    assert count(answers) == {"citations": 3, "of_acts": 2, "naming_version": 1,
                              "amended_quote": 1}


def test_auc_is_the_share_of_pairs_ordered_right() -> None:
    assert auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auc([0.1], [0.9]) == 0.0
    assert auc([0.5, 0.9], [0.5]) == pytest.approx(0.75)  # a tie counts half
    assert auc([], [0.5]) != auc([], [0.5])  # nan: nothing to compare
