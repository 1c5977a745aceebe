"""Choose fusion weights: replay cached dense/BM25 candidate lists under many settings.

Usage: python benchmarks/tune_fusion.py DATA_DIR QUESTIONS.jsonl [--pool 100]
    [--half trained|untrained] [--e5-weights raccordo|e5]
Prints recall@1/5/10 and MRR@10 for dense only, BM25 only, RRF grids and score fusion.
The query embedder is the service's for DATA_DIR (`RACCORDO_E5_WEIGHTS`, default our
fine-tuned weights); `--half` keeps one half of domain.jsonl (`training.data.is_training_id`).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.evaluation import Question, load_questions
from index.fusion import order, rrf
from index.lexical import top_positive
from index.references import parse_references
from index.relevance import evidence_found
from index.searcher import Generation, Searcher
from training.data import is_training_id


@dataclass
class Candidates:
    """One question's candidate rows, their scores and relevance."""

    question: Question
    dense_rows: np.ndarray
    dense_scores: np.ndarray
    lex_rows: np.ndarray
    lex_scores: np.ndarray
    pinned: list[int]
    relevant: dict[int, bool]


def collect(searcher: Searcher, questions: list[Question], pool: int) -> list[Candidates]:
    """Dense and BM25 top-`pool` lists of every answerable question, with relevance."""
    gen: Generation = searcher.generation
    texts: dict[int, tuple[str, str]] = {}
    out = []
    for q in questions:
        if not q.answerable:
            continue
        qvec = searcher.embedder.embed_queries([q.question])[0]
        d_ids, d_scores = gen.dense.search(qvec, pool)
        d_rows = gen.rows_of(d_ids)
        l_rows, l_scores = top_positive(gen.lexical.scores(q.question), pool)
        refs = parse_references(q.question)
        pinned = gen.table.refs.candidates(refs) if refs else []
        rows = set(d_rows.tolist()) | set(l_rows.tolist()) | set(pinned)
        need = [int(gen.ids[r]) for r in rows if int(gen.ids[r]) not in texts]
        for cid, stored in searcher.store.chunks_by_ids(need).items():
            texts[cid] = (Path(stored.document.file).name, stored.chunk.text)
        relevant = {}
        for r in rows:
            name, text = texts.get(int(gen.ids[r]), ("", ""))
            relevant[r] = any(rel.file == name and evidence_found(rel.evidence, text)
                              for rel in q.relevant)
        out.append(Candidates(q, d_rows, d_scores, l_rows, l_scores, pinned, relevant))
    return out


def metrics(ranked_lists: list[tuple[list[int], dict[int, bool]]]) -> tuple[float, ...]:
    """recall@1, @5, @10 and MRR@10."""
    ranks = []
    for ranked, rel in ranked_lists:
        rank = next((i for i, r in enumerate(ranked[:10], 1) if rel.get(r)), None)
        ranks.append(rank)
    n = len(ranks)
    return (sum(1 for r in ranks if r and r <= 1) / n, sum(1 for r in ranks if r and r <= 5) / n,
            sum(1 for r in ranks if r and r <= 10) / n, sum(1 / r for r in ranks if r) / n)


def rank_rrf(c: Candidates, wd: float, wl: float, k: int, use_refs: bool) -> list[int]:
    """Weighted RRF ordering (references pinned by fused score, as the searcher does)."""
    fused = rrf([(c.dense_rows, wd), (c.lex_rows, wl)], k=k)
    pinned = sorted(c.pinned, key=lambda r: -fused.get(r, 0.0))[:3] if use_refs else []
    return order(fused, pinned)


def rank_scores(c: Candidates, alpha: float) -> list[int]:
    """Convex fusion of min-max normalised scores (dense weight alpha)."""
    fused: dict[int, float] = {}
    for rows, scores, w in ((c.dense_rows, c.dense_scores, alpha),
                            (c.lex_rows, c.lex_scores, 1 - alpha)):
        if scores.size == 0:
            continue
        lo, hi = float(scores.min()), float(scores.max())
        span = hi - lo or 1.0
        for r, s in zip(rows.tolist(), scores.tolist(), strict=True):
            fused[r] = fused.get(r, 0.0) + w * (s - lo) / span
    return order(fused)


def main() -> None:
    """Print the grid."""
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("questions", type=Path)
    parser.add_argument("--pool", type=int, default=100)
    parser.add_argument("--half", choices=("trained", "untrained"), default=None)
    parser.add_argument("--e5-weights", choices=("raccordo", "e5"), default="raccordo")
    args = parser.parse_args()
    service = Raccordo(Settings(data_dir=args.data_dir, e5_weights=args.e5_weights))
    searcher = service.searcher
    assert isinstance(searcher, Searcher), "tune_fusion replays the embedded index only"
    questions = load_questions(args.questions)
    if args.half:
        questions = [q for q in questions if is_training_id(q.id) == (args.half == "trained")]
    cands = collect(searcher, questions, args.pool)
    print(f"{len(cands)} answerable questions; R@1 R@5 R@10 MRR@10")
    print("dense  ", [f"{x:.3f}" for x in metrics([(c.dense_rows.tolist(), c.relevant)
                                                   for c in cands])])
    print("bm25   ", [f"{x:.3f}" for x in metrics([(c.lex_rows.tolist(), c.relevant)
                                                   for c in cands])])
    for wd, wl, k in itertools.product((0.6, 0.8, 1.0), (1.0, 1.2, 1.5), (10, 30, 60)):
        ranked = [(rank_rrf(c, wd, wl, k, True), c.relevant) for c in cands]
        print(f"rrf d={wd} l={wl} k={k}", [f"{x:.3f}" for x in metrics(ranked)])
    for alpha in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7):
        ranked = [(rank_scores(c, alpha), c.relevant) for c in cands]
        print(f"score alpha={alpha}", [f"{x:.3f}" for x in metrics(ranked)])


if __name__ == "__main__":
    main()
