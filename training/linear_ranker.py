"""Fitting the coverage re-ranker's weights (`index.coverage.FITTED`): numpy only, no torch.

The data: SQuAD-it's training questions (`train.jsonl`, never the held-out articles), each
with the paragraph sentence holding its answer as evidence, and their first hybrid hits.
The model: a listwise logistic model; over each question's candidate passages,
softmax(features · w) is trained to put its probability on the relevant ones (−log Σ
p(relevant), averaged over questions), with an L2 penalty on standardised features. The
objective is convex, so plain gradient descent with a backtracking step reaches the same
weights on every run. `benchmarks/ranking_fit.py` runs it and measures the result.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.coverage import CoverageRanker, RankingWeights
from index.evaluation import Question, Relevant, is_relevant
from index.models import Hit
from index.searcher import PINNED_SCORE
from training.data import answer_sentences

L2 = 0.01
STEPS = 2000


@dataclass(frozen=True)
class Candidates:
    """One question's candidate passages: a feature row each, and which are relevant."""

    features: np.ndarray  # (n, F)
    relevant: np.ndarray  # (n,) bool

    @property
    def informative(self) -> bool:
        """True when some candidates are relevant and some are not (else nothing to learn)."""
        return bool(self.relevant.any()) and not bool(self.relevant.all())


def _padded(lists: Sequence[Candidates]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    depth = max(len(c.relevant) for c in lists)
    dims = lists[0].features.shape[1]
    x = np.zeros((len(lists), depth, dims))
    valid = np.zeros((len(lists), depth), dtype=bool)
    rel = np.zeros((len(lists), depth), dtype=bool)
    for i, c in enumerate(lists):
        n = len(c.relevant)
        x[i, :n], valid[i, :n], rel[i, :n] = c.features, True, c.relevant
    return x, valid, rel


def _loss_and_gradient(w: np.ndarray, z: np.ndarray, valid: np.ndarray, rel: np.ndarray,
                       l2: float) -> tuple[float, np.ndarray]:
    s = np.where(valid, z @ w, -np.inf)
    s = s - s.max(axis=1, keepdims=True)
    p = np.exp(s)
    p /= p.sum(axis=1, keepdims=True)
    pr = np.where(rel, p, 0.0)
    mass = pr.sum(axis=1)
    loss = float(-np.log(mass).mean() + l2 * w @ w)
    expected_all = np.einsum("qd,qdf->qf", p, z)
    expected_rel = np.einsum("qd,qdf->qf", pr, z) / mass[:, None]
    grad = (expected_all - expected_rel).mean(axis=0) + 2 * l2 * w
    return loss, grad


def fit_weights(lists: Sequence[Candidates], l2: float = L2, steps: int = STEPS) -> np.ndarray:
    """Weights on the raw features, scaled so that the first feature weighs 1 when positive.

    Only informative lists count; raises ValueError when there is none.
    """
    kept = [c for c in lists if c.informative]
    if not kept:
        raise ValueError("nessuna domanda con passi pertinenti e non pertinenti tra i candidati")
    x, valid, rel = _padded(kept)
    rows = x[valid]
    mean, sd = rows.mean(axis=0), rows.std(axis=0)
    sd = np.where(sd > 1e-9, sd, 1.0)
    z = np.where(valid[..., None], (x - mean) / sd, 0.0)
    w = np.zeros(x.shape[2])
    loss, grad = _loss_and_gradient(w, z, valid, rel, l2)
    step = 1.0
    for _ in range(steps):
        while step > 1e-8:
            trial = w - step * grad
            new_loss, new_grad = _loss_and_gradient(trial, z, valid, rel, l2)
            if new_loss <= loss - 0.5 * step * float(grad @ grad):
                break
            step /= 2
        if float(grad @ grad) < 1e-14 or step <= 1e-8:
            break
        w, loss, grad = trial, new_loss, new_grad
        step *= 2
    raw = w / sd
    return raw / raw[0] if raw[0] > 0 else raw


def squad_training_questions(squad: Path) -> list[Question]:
    """SQuAD-it's training questions, the sentence holding the answer as evidence."""
    heldout = set((squad / "heldout_articles.txt").read_text(encoding="utf-8").split())
    out = []
    for line in (squad / "train.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["file"] in heldout:
            continue
        _, evidence = answer_sentences(str(row["paragraph"]), int(row["answer_start"]))
        out.append(Question(str(row["id"]), str(row["question"]), "squad-train",
                            (Relevant(str(row["file"]), evidence),)))
    return out


def candidates(ranker: CoverageRanker, question: Question, hits: Sequence[Hit]) -> Candidates:
    """The re-ranked candidates of one question (pinned hits left out): features, relevance."""
    rest = [h for h in hits[:ranker.depth] if h.score < PINNED_SCORE]
    return Candidates(np.array(ranker.features(question.question, rest), dtype=float),
                      np.array([is_relevant(question, h) for h in rest], dtype=bool))


def fit_coverage_weights(ranker: CoverageRanker, pairs: Iterable[tuple[Question, Sequence[Hit]]],
                         l2: float = L2) -> RankingWeights:
    """`RankingWeights` fitted on questions and their hybrid hits (best first)."""
    lists = [candidates(ranker, q, hits) for q, hits in pairs]
    return RankingWeights.of(fit_weights(lists, l2))
