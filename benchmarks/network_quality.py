"""Quality of the practice network on the shared corpus: theme tagging and similar practices.

Needs the shared corpus ingested and indexed in a data dir (default: RACCORDO_DATA_DIR, else
../data-shared), e.g. `RACCORDO_DATA_DIR=../data-shared raccordo ingest ../shared/corpus`.

- Theme tagging: tests/data/themes_labelled.jsonl (hand-labelled chunks located by a verbatim
  evidence, with the eval relevance rule). Predictions are recomputed from the chunk vectors
  with the current taxonomy and decision rule; micro-averaged precision and recall over
  (chunk, leaf theme) pairs, plus a small sweep of threshold and margin.
- Similar practices: tests/data/similar_judged.jsonl (10 practice documents with their judged
  neighbours). precision@5 = judged neighbours among the first 5 results / 5; also reported
  capped (/ min(5, number of judged neighbours)).

Usage: python benchmarks/network_quality.py [--data-dir DIR] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.app.service import Raccordo  # noqa: E402
from bot.app.settings import Settings  # noqa: E402
from bot.network.similar import similar_to_document  # noqa: E402
from bot.network.taxonomy import load_taxonomy  # noqa: E402
from bot.network.themes import (  # noqa: E402
    TaggingParams,
    assign,
    params_for,
    tag_store,
    theme_scores,
    theme_vectors,
)
from bot.network.vectors import passage_vectors  # noqa: E402
from index.relevance import evidence_found  # noqa: E402

DATA = REPO / "tests" / "data"


def locate(service: Raccordo, rows: list[dict[str, Any]]) -> list[tuple[int, set[str]]]:
    """(chunk id, gold themes) for each labelled row whose evidence is found in a chunk."""
    by_name = {Path(d.file).name: d for d in service.store.documents()}
    found: list[tuple[int, set[str]]] = []
    for row in rows:
        doc = by_name.get(row["file"])
        chunk = next((c for c in service.store.chunks(doc.id)
                      if evidence_found(row["evidence"], c.text)), None) if doc else None
        if chunk is None or chunk.id is None:
            print(f"  non trovato: {row['file']}: {row['evidence'][:50]}", file=sys.stderr)
            continue
        found.append((chunk.id, set(row["themes"])))
    return found


def tagging_quality(service: Raccordo, located: list[tuple[int, set[str]]],
                    thresholds: tuple[float, ...] = (0.83, 0.84, 0.85, 0.86)) -> dict[str, Any]:
    """Precision/recall at the default rule, and a sweep of threshold and margin."""
    taxonomy = load_taxonomy()
    leaves = taxonomy.leaves()
    stored = service.store.chunks_by_ids([cid for cid, _ in located])
    passages = passage_vectors(service.network, [stored[cid].chunk for cid, _ in located])
    vectors, owners = theme_vectors(service.embedder, taxonomy)
    scores = theme_scores(passages, vectors, owners, len(leaves))
    gold = [g for _, g in located]

    def measure(params: TaggingParams) -> dict[str, float]:
        tp = fp = fn = 0
        for picked, truth in zip(assign(scores, params), gold, strict=True):
            pred = {leaves[j].id for j in picked}
            tp, fp, fn = tp + len(pred & truth), fp + len(pred - truth), fn + len(truth - pred)
        p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
        return {"precision": round(p, 3), "recall": round(r, 3),
                "f1": round(2 * p * r / max(1e-9, p + r), 3)}

    sweep = [{"threshold": t, "margin": m, **measure(TaggingParams(threshold=t, margin=m))}
             for t in thresholds for m in (0.02, 0.03, 0.05)]
    served = params_for(service.network)  # the rule the service applies to these weights
    return {"chunks": len(located), "params": served.__dict__, **measure(served), "sweep": sweep}


def similar_quality(service: Raccordo, judged: list[dict[str, Any]]) -> dict[str, Any]:
    """precision@5 of similar_to_document on the judged documents."""
    by_name = {Path(d.file).name: d for d in service.store.documents() if d.status == "indexed"}
    per_doc: list[dict[str, Any]] = []
    latencies: list[float] = []
    for item in judged:
        doc = by_name.get(item["file"])
        if doc is None:
            print(f"  documento assente: {item['file']}", file=sys.stderr)
            continue
        start = time.perf_counter()
        results = similar_to_document(service.network, doc.id, k=5)
        latencies.append(time.perf_counter() - start)
        truth = set(item["neighbours"])
        hits = sum(Path(r.file).name in truth for r in results[:5])
        per_doc.append({"file": item["file"], "hits": hits, "p@5": hits / 5,
                        "p@5_capped": hits / min(5, len(truth)),
                        "top5": [Path(r.file).name for r in results[:5]]})
    n = max(1, len(per_doc))
    return {"documents": len(per_doc),
            "precision_at_5": round(sum(d["p@5"] for d in per_doc) / n, 3),
            "precision_at_5_capped": round(sum(d["p@5_capped"] for d in per_doc) / n, 3),
            "latency_s_median": round(sorted(latencies)[len(latencies) // 2], 3)
            if latencies else None,
            "per_document": per_doc}


def use_cached_passages(service: Raccordo) -> str:
    """Make similarity use only the chunks whose vectors are cached; returns the coverage."""
    import numpy as np

    from bot.network import vectors as network_vectors
    from index.cache import EmbeddingCache, text_key

    chunks = service.store.chunks()
    keys = [text_key(c.indexed_text()) for c in chunks]
    embedder = service.embedder
    cache = EmbeddingCache(service.settings.embedding_cache_dir)
    found = cache.get_many(embedder.model_id, keys, embedder.dim)
    cache.close()
    kept = [i for i, k in enumerate(keys) if k in found]
    table = network_vectors.PassageTable(
        chunk_ids=np.array([chunks[i].id for i in kept], dtype=np.int64),
        doc_ids=np.array([chunks[i].doc_id for i in kept], dtype=np.int64),
        vectors=np.stack([found[keys[i]] for i in kept]).astype(np.float32))
    store = service.store
    memo_key = (str(store.path), store.version(), embedder.model_id)
    network_vectors._MEMO[memo_key] = table  # benchmark-only shortcut
    return f"{len(kept)}/{len(chunks)}"


def main() -> None:
    """Run both measures and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("RACCORDO_DATA_DIR", str(REPO.parent / "data-shared"))
    parser.add_argument("--data-dir", type=Path, default=Path(default))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--thresholds", default="0.83,0.84,0.85,0.86",
                        help="thresholds of the sweep (another embedder needs its own range)")
    parser.add_argument("--tagging-only", action="store_true",
                        help="only the labelled chunks (no full-corpus vectors needed)")
    parser.add_argument("--cached-only", action="store_true",
                        help="similar practices over the passages already in the embedding "
                             "cache (a provisional figure while the index is being built)")
    args = parser.parse_args()
    service = Raccordo(Settings(data_dir=args.data_dir))
    labelled = [json.loads(x) for x in (DATA / "themes_labelled.jsonl").read_text().splitlines()]
    judged = [json.loads(x) for x in (DATA / "similar_judged.jsonl").read_text().splitlines()]
    out: dict[str, Any] = {"store": service.store.counts(),
                           "tagging": tagging_quality(service, locate(service, labelled),
                                                      tuple(map(float,
                                                                args.thresholds.split(","))))}
    if args.cached_only:
        out["coverage"] = use_cached_passages(service)
        out["similar"] = similar_quality(service, judged)
    elif not args.tagging_only:
        start = time.perf_counter()
        report = tag_store(service.network)
        out["tag_store"] = {"seconds": round(time.perf_counter() - start, 2),
                            "chunks": report.chunks, "changed_chunks": report.changed_chunks}
        out["similar"] = similar_quality(service, judged)
    service.close()
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return
    t = out["tagging"]
    print(f"corpus: {out['store']}; tag_store {out.get('tag_store')}; "
          f"passages used for similarity: {out.get('coverage', 'all')}")
    print(f"theme tagging on {t['chunks']} labelled chunks: precision {t['precision']}, "
          f"recall {t['recall']}, F1 {t['f1']} (params {t['params']})")
    for row in t["sweep"]:
        print(f"  threshold {row['threshold']:.2f} margin {row['margin']:.2f}: "
              f"P {row['precision']:.3f} R {row['recall']:.3f} F1 {row['f1']:.3f}")
    if "similar" not in out:
        return
    s = out["similar"]
    print(f"similar practices on {s['documents']} judged documents: precision@5 "
          f"{s['precision_at_5']} (capped {s['precision_at_5_capped']}), "
          f"median latency {s['latency_s_median']} s")
    for d in s["per_document"]:
        print(f"  {d['hits']}/5  {d['file']}")


if __name__ == "__main__":
    main()
