"""The counting helpers of this session's benchmark scripts, on hand-made inputs."""

from __future__ import annotations

import pytest

from benchmarks.citation_versions import count
from benchmarks.ranker_view import auc
from bot.answers.models import Answer, Citation

URN = "https://www.normattiva.it/uri-res/N2Ls?urn:nir:stato:legge:1990-08-07;241"


def _citation(n: int, kind: str, in_force: str | None, amended: bool,
              references: tuple[dict[str, object], ...] = ()) -> Citation:
    return Citation(n=n, file=f"f{n}.md", title="T", kind=kind, locator="", page=None,
                    quote="q", url=URN + "!vig=2025-11-04" if in_force else None, chunk_id=n,
                    in_force=in_force, amended=amended, references=references)


def test_citation_versions_counts_acts_versions_and_amended_quotes() -> None:
    refs = ({"text": "art. 5", "chunk_id": 7, "url": None},
            {"text": "d.lgs. 179/2016", "chunk_id": None, "url": URN + "!vig="},
            {"text": "d.m. 5/2020", "chunk_id": None, "url": None})
    answers = [Answer("a", "r", (_citation(1, "decree", "2025-11-04", True, refs),
                                 _citation(2, "decree", None, False)), False),
               Answer("b", "r", (_citation(3, "guideline", None, False),), False),
               Answer("c", "Non risulta…", (), True)]
    assert count(answers) == {"citations": 3, "of_acts": 2, "naming_version": 1,
                              "amended_quote": 1, "today_link": 1, "references": 3,
                              "ref_in_archive": 1, "ref_outside_linked": 1,
                              "ref_outside_unlinked": 1}


def test_auc_is_the_share_of_pairs_ordered_right() -> None:
    assert auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auc([0.1], [0.9]) == 0.0
    assert auc([0.5, 0.9], [0.5]) == pytest.approx(0.75)  # a tie counts half
    assert auc([], [0.5]) != auc([], [0.5])  # nan: nothing to compare


def test_late_interaction_orders() -> None:
    import numpy as np

    from benchmarks.late_interaction import fused, maxsim, ranked, top_two

    question = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert maxsim(question, np.array([[1.0, 0.0], [0.6, 0.8]])) == pytest.approx(0.9)
    assert maxsim(question, np.zeros((0, 2))) == 0.0
    assert ranked([0.1, 0.9, 0.9]) == [1, 2, 0]  # ties keep the service's order
    assert top_two([0.1, 0.9, 0.95]) == [1, 0, 2]  # only the first two change places
    assert fused([0.1, 0.2, 0.3])[0] in (0, 2) and fused([0.9, 0.1, 0.0])[0] == 0
