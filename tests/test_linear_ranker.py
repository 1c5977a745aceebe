"""training.linear_ranker: the listwise fit behind index.coverage.FITTED (numpy, no torch)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.coverage import FEATURES, FITTED, CoverageRanker
from training.linear_ranker import (
    Candidates,
    fit_coverage_weights,
    fit_weights,
    squad_training_questions,
)


def _lists(seed: int, n: int = 200) -> list[Candidates]:
    """Ten candidates per question: feature 0 is a noisy score, feature 1 marks the answer
    more reliably, feature 2 is noise; one relevant candidate each."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        relevant = np.zeros(10, dtype=bool)
        relevant[rng.integers(10)] = True
        x = rng.normal(size=(10, 3))
        x[:, 0] += 0.5 * relevant
        x[:, 1] += 2.0 * relevant
        out.append(Candidates(x, relevant))
    return out


def test_the_informative_feature_gets_the_weight() -> None:
    w = fit_weights(_lists(1))
    assert w[0] == pytest.approx(1.0)  # scaled so that the first feature weighs 1
    assert w[1] > 2 * w[0] and abs(w[2]) < w[0]


def test_the_fit_is_deterministic_and_ignores_uninformative_lists() -> None:
    lists = _lists(2)
    flat = [Candidates(np.ones((4, 3)), np.ones(4, dtype=bool)),
            Candidates(np.ones((4, 3)), np.zeros(4, dtype=bool))]
    assert not any(c.informative for c in flat)
    assert np.array_equal(fit_weights(lists), fit_weights(lists + flat))


def test_the_fitted_order_beats_the_first_feature_alone() -> None:
    w = fit_weights(_lists(3))
    held = _lists(4)
    top = sum(bool(c.relevant[int(np.argmax(c.features @ w))]) for c in held)
    first = sum(bool(c.relevant[int(np.argmax(c.features[:, 0]))]) for c in held)
    assert top > first + 50


def test_nothing_to_learn_is_an_error() -> None:
    with pytest.raises(ValueError, match="nessuna domanda"):
        fit_weights([Candidates(np.ones((3, 2)), np.zeros(3, dtype=bool))])


@pytest.mark.slow
@pytest.mark.shared
def test_the_shipped_weights_are_rebuilt_from_squad_it(squad_service: object,
                                                      shared_dir: Path) -> None:
    """`index.coverage.FITTED` is what the fit gives on SQuAD-it's training questions, on a
    fresh ingest of its articles (benchmarks/ranking_fit.py runs the same fit)."""
    squad = shared_dir / "external" / "squad-it"
    questions = squad_training_questions(squad)
    heldout = set((squad / "heldout_articles.txt").read_text(encoding="utf-8").split())
    assert len(questions) == 5101 and not {q.relevant[0].file for q in questions} & heldout
    searcher = squad_service.searcher  # type: ignore[attr-defined]
    pairs = [(q, searcher.search(q.question, k=10)) for q in questions]
    weights = fit_coverage_weights(CoverageRanker(searcher.term_weight), pairs)
    for name in FEATURES:
        assert getattr(weights, name) == pytest.approx(getattr(FITTED, name), abs=0.01,
                                                       rel=0.01), name
