"""Does late interaction (MaxSim over e5's token states) order the first hits better?

Usage (torch, the `[train]` extra):
    python -m benchmarks.late_interaction --shared-data DIR [--json F]

Most wrong first hits are a neighbouring passage of the right document (docs/
benchmarks-retrieval.md, "Where the first hit is still wrong"): mean-pooled vectors blur which
part of a passage matches. Late interaction keeps the tokens: each question token takes its
best cosine among the passage's tokens, and the passage scores the mean (ColBERT's MaxSim),
with our fine-tuned e5-small's last hidden states (no training of its own). For the answerable
questions of dev.jsonl and both halves of domain.jsonl, on the default service's first 10
hits (law in force only), prints recall@1 of: the service's order; MaxSim alone; the
reciprocal-rank fusion of both (k = 60); MaxSim reordering only the first two hits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from benchmarks.coverage_rerank import question_sets
from benchmarks.report import announce, finish, knowledge_base_arguments, run_header
from bot.app.service import Raccordo
from bot.app.settings import Settings
from index.evaluation import is_relevant
from index.models import Filters
from index.pieces import PASSAGE_PREFIX, QUERY_PREFIX, PieceTokenizer
from index.weightdelta import tuned_e5

SETS = ("dev (tuning)", "domain, trained half (tuning)", "domain, untrained half")
Order = Callable[[Sequence[float]], list[int]]


class TokenStates:
    """Normalised last hidden states of e5 (our weights), prefix and specials left out."""

    def __init__(self, cache_dir: Path) -> None:
        import torch

        from training.convert import load_bert

        torch.set_num_threads(2)
        self._torch = torch
        self._bert, model = load_bert(tuned_e5(cache_dir))
        self._tokens = PieceTokenizer(model)

    def of(self, text: str, prefix: str) -> np.ndarray:
        """One row per content token of `text`."""
        skip = 1 + len(self._tokens.content_ids([prefix.strip()])[0])
        ids = self._tokens.encode([prefix + text], max_tokens=512)[0]
        with self._torch.no_grad():
            hidden = self._bert(input_ids=self._torch.tensor([ids])).last_hidden_state[0]
        states = self._torch.nn.functional.normalize(hidden, dim=-1).numpy()
        return np.asarray(states[skip:-1])


def maxsim(question: np.ndarray, passage: np.ndarray) -> float:
    """Mean over question tokens of their best cosine among the passage's tokens."""
    return float((question @ passage.T).max(axis=1).mean()) if len(passage) else 0.0


def ranked(scores: Sequence[float]) -> list[int]:
    """Indices from the highest score down (ties keep the service's order)."""
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))


def fused(scores: Sequence[float], k: int = 60) -> list[int]:
    """Reciprocal-rank fusion of the service's order and the MaxSim order."""
    place = {j: r for r, j in enumerate(ranked(scores))}
    return ranked([1 / (k + i) + 1 / (k + place[i]) for i in range(len(scores))])


def top_two(scores: Sequence[float]) -> list[int]:
    """MaxSim decides only between the first two hits."""
    return ranked(scores[:2]) + list(range(2, len(scores)))


ORDERS: dict[str, Order] = {"service": lambda s: list(range(len(s))), "maxsim": ranked,
                            "rrf(service, maxsim)": fused, "maxsim on first two": top_two}


def measure(service: Raccordo, states: TokenStates, questions: Sequence) -> dict[str, float]:
    """Recall@1 of each order over the answerable questions."""
    firsts: dict[str, list[bool]] = {name: [] for name in ORDERS}
    for q in questions:
        if not q.answerable:
            continue
        hits = service.passages.search(q.question, k=10, filters=Filters(vigente=True))
        if not hits:
            continue
        asked = states.of(q.question, QUERY_PREFIX)
        scores = [maxsim(asked, states.of(h.chunk.indexed_text(), PASSAGE_PREFIX)) for h in hits]
        for name, order in ORDERS.items():
            firsts[name].append(is_relevant(q, hits[order(scores)[0]]))
    return {"questions": len(firsts["service"]),
            **{name: sum(v) / len(v) if v else 0.0 for name, v in firsts.items()}}


def main() -> None:
    """Print recall@1 per set and order."""
    args = knowledge_base_arguments(__doc__).parse_args()
    service = Raccordo(Settings(data_dir=args.shared_data))
    states = TokenStates(service.settings.engines_dir)
    report: dict[str, object] = run_header()
    announce(report)
    print(f"{'set':32s} {'n':>3s} " + " ".join(f"{name:>20s}" for name in ORDERS))
    for name, (_, questions) in question_sets(args.shared).items():
        if name not in SETS:
            continue
        row = measure(service, states, questions)
        report[name] = row
        print(f"{name:32s} {row['questions']:>3} "
              + " ".join(f"{row[o]:>20.3f}" for o in ORDERS))
    finish(report, args.json, [service])


if __name__ == "__main__":
    main()
