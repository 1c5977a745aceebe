"""An extractive reader: e5-small with a span head, trained to find the answer in a passage.

Usage:
    python -m training.reader data --hybrid-data-dir DIR --data /tmp/reader/data.jsonl
    python -m training.reader train --data /tmp/reader/data.jsonl --out /tmp/reader/reader.pt
        [--minutes 30]

Why a reader: the cross-encoder (training.train) learns one bit per pair, and with the few
hundred domain questions we have it did not beat the hybrid order. A span head learns where
the answer sits, token by token, from SQuAD-it's 5,101 answers and from the evidence of our
domain questions; its "answer here" score (best span minus the no-answer score at `<s>`,
as in SQuAD 2.0 readers) could order the first hits and decide abstention. Measured by
`benchmarks/reader_eval.py` (docs/ranker.md, "An extractive reader").

Examples (`--hybrid-data-dir`: the shared corpus indexed as the service indexes it):
- SQuAD-it `train.jsonl` (never the 12 held-out articles): the paragraph with its answer;
  another paragraph of the same article without it, as a no-answer example;
- domain.jsonl's training half and our written questions (`training.data.trainable`: none
  near a reported question, none on a passage a reported one needs): among the service's
  first 10 hits, a relevant one with its evidence as the span, the others as no-answer.
The passage is tokenised whole, as at inference, and the span's tokens are found from the
tokens of its prefix (tokenising the pieces apart marks the span's edges, and the model
learns those marks instead of the answer).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from transformers import BertModel

from index.evaluation import Question, is_relevant, load_questions
from index.models import Hit
from index.pieces import PASSAGE_PREFIX, QUERY_PREFIX, PieceTokenizer
from index.relevance import longest_run_at, needed_run, token_spans, tokens
from index.weightdelta import tuned_e5
from ingest.store import Store
from training.convert import load_bert
from training.data import SHARED, WRITTEN, is_training_id, stored_passages, trainable

log = logging.getLogger("training.reader")

SEED = 20261202
MAX_QUERY = 64
MIX = {"squad": 0.30, "squad-neg": 0.15, "domain": 0.12, "domain-neg": 0.13,
       "written": 0.15, "written-neg": 0.15}
Search = Callable[[str, int], Sequence[Hit]]


@dataclass(frozen=True)
class Example:
    """A question, a passage and the answer's characters in it (None: no answer there)."""

    source: str
    question: str
    passage: str
    span: tuple[int, int] | None


def evidence_span(text: str, evidence: str) -> tuple[int, int] | None:
    """Characters of `text` holding the longest run of `evidence`'s words, when the shared
    relevance rule counts it (`index.relevance`), or None."""
    words, ev = token_spans(text), tokens(evidence)
    start, run = longest_run_at(ev, [w for w, _, _ in words])
    if not ev or run < needed_run(len(ev)):
        return None
    return words[start][1], words[start + run - 1][2]


def squad_examples(squad: Path, rng: random.Random) -> list[Example]:
    """SQuAD-it training answers, and a paragraph of the same article without the answer."""
    heldout = set((squad / "heldout_articles.txt").read_text(encoding="utf-8").split())
    rows = [json.loads(line) for line in
            (squad / "train.jsonl").read_text(encoding="utf-8").splitlines() if line]
    paragraphs: dict[str, set[str]] = {}
    for r in rows:
        paragraphs.setdefault(r["file"], set()).add(r["paragraph"])
    out = []
    for r in rows:
        if r["file"] in heldout:
            continue
        head = r["file"].removesuffix(".txt").replace("_", " ") + "\n"
        start = len(head) + int(r["answer_start"])
        out.append(Example("squad", r["question"], head + r["paragraph"],
                           (start, start + len(r["answer"]))))
        others = sorted(p for p in paragraphs[r["file"]]
                        if p != r["paragraph"] and r["answer"] not in p)
        if others:
            out.append(Example("squad-neg", r["question"], head + rng.choice(others), None))
    return out


def question_examples(questions: Sequence[Question], source: str, search: Search
                      ) -> list[Example]:
    """Per question, the service's first 10 hits: a relevant one with its evidence as the
    span (the first whose evidence is found), the irrelevant ones as no-answer examples."""
    out = []
    for q in questions:
        for h in search(q.question, 10):
            text = h.chunk.indexed_text()
            if not (q.relevant and is_relevant(q, h)):
                out.append(Example(f"{source}-neg", q.question, text, None))
                continue
            spans = (evidence_span(text, r.evidence) for r in q.relevant)
            span = next((s for s in spans if s), None)
            if span:
                out.append(Example(source, q.question, text, span))
    return out


def build_examples(shared: Path, data_dir: Path) -> tuple[list[Example], dict[str, object]]:
    """Every training example, and a manifest of what went in."""
    from bot.app.service import Raccordo
    from bot.app.settings import Settings

    service = Raccordo(Settings(data_dir=data_dir))
    examples = squad_examples(shared / "external" / "squad-it", random.Random(SEED))
    domain = load_questions(shared / "eval" / "domain.jsonl")
    dev = load_questions(shared / "eval" / "dev.jsonl")
    reported = [*dev, *(q for q in domain if not is_training_id(q.id))]
    store = Store(service.settings.db_path)
    passages, chunks = stored_passages(store)
    written, left = trainable(load_questions(WRITTEN), [*domain, *dev], reported,
                              passages, chunks)
    trained = [q for q in domain if is_training_id(q.id)]
    examples += question_examples(trained, "domain", service.search)
    examples += question_examples(written, "written", service.search)
    store.close()
    service.close()
    manifest = {"seed": SEED, "examples": dict(Counter(e.source for e in examples)),
                "written_left_out": left, "split": "domain.jsonl: is_training_id"}
    return examples, manifest


class Reader(nn.Module):
    """e5-small's first layers and a head giving each token a start and an end logit."""

    def __init__(self, bert: BertModel) -> None:
        super().__init__()
        self.bert = bert
        self.head = nn.Linear(bert.config.hidden_size, 2)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """Start and end logits, one per token."""
        out = self.head(self.bert(input_ids=ids, attention_mask=mask).last_hidden_state)
        return out[..., 0], out[..., 1]


def build_reader(layers: int, cache: Path, checkpoint: Path | None = None
                 ) -> tuple[Reader, PieceTokenizer]:
    """The reader on our fine-tuned e5-small's first `layers` layers (and a checkpoint)."""
    bert, e5 = load_bert(tuned_e5(cache))
    bert.encoder.layer = bert.encoder.layer[:layers]
    bert.config.num_hidden_layers = layers
    torch.manual_seed(SEED)
    model = Reader(bert)
    nn.init.normal_(model.head.weight, std=0.02)
    nn.init.zeros_(model.head.bias)
    if checkpoint is not None:
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)["state"]
        model.load_state_dict(state, strict=False)
    return model, PieceTokenizer(e5)


def encode(tok: PieceTokenizer, ex: Example, max_tokens: int, rng: random.Random
           ) -> tuple[list[int], int, int, int]:
    """(ids, start, end, first passage position): "<s> query </s></s> passage </s>"; the
    span's token positions (0, 0 for no answer), in a window that holds it."""
    q = tok.content_ids([QUERY_PREFIX + ex.question])[0][:MAX_QUERY]
    room = max_tokens - len(q) - 4
    first = len(q) + 3
    if ex.span is None:
        p = tok.content_ids([PASSAGE_PREFIX + ex.passage])[0]
        cut = len(p) > room and rng.random() < 0.5
        s0 = rng.randrange(0, len(p) - room + 1) if cut else 0
        return [tok.bos, *q, tok.eos, tok.eos, *p[s0:s0 + room], tok.eos], 0, 0, first
    p, before, upto = tok.content_ids([PASSAGE_PREFIX + ex.passage,
                                       PASSAGE_PREFIX + ex.passage[:ex.span[0]].rstrip(),
                                       PASSAGE_PREFIX + ex.passage[:ex.span[1]]])
    a0 = min(len(before), len(p) - 1)
    a1 = max(a0, min(len(upto), len(p)) - 1)
    a1 = min(a1, a0 + room - 1)
    s0 = min(rng.randint(max(0, a1 - room + 1), a0), a0) if len(p) > room else 0
    ids = [tok.bos, *q, tok.eos, tok.eos, *p[s0:s0 + room], tok.eos]
    return ids, a0 - s0 + first, a1 - s0 + first, first


def batch(rows: Sequence[tuple[list[int], int, int, int]], pad: int
          ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Padded ids, attention mask, where a span may be (`<s>` and the passage), starts, ends."""
    width = max(len(r[0]) for r in rows)
    ids = torch.full((len(rows), width), pad, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    allowed = torch.zeros((len(rows), width), dtype=torch.bool)
    for i, (row, _, _, first) in enumerate(rows):
        ids[i, :len(row)] = torch.tensor(row)
        mask[i, :len(row)] = 1
        allowed[i, 0] = True
        allowed[i, first:len(row) - 1] = True
    return (ids, mask, allowed, torch.tensor([r[1] for r in rows]),
            torch.tensor([r[2] for r in rows]))


def span_scores(start: torch.Tensor, end: torch.Tensor, first: int, length: int,
                longest: int) -> float:
    """Best span (start ≤ end < start + `longest`) over the passage minus the `<s>` score."""
    s, e = start[first:length - 1], end[first:length - 1]
    grid = s[:, None] + e[None, :]
    n = grid.shape[0]
    ones = torch.ones(n, n, dtype=torch.bool)
    band = torch.triu(ones) & ~torch.triu(ones, diagonal=longest)
    return float(grid.masked_fill(~band, -1e9).max() - (start[0] + end[0]))


class ReaderScorer:
    """Scores (question, passage) with a trained reader (torch; for measuring only)."""

    def __init__(self, checkpoint: Path, cache: Path, *, layers: int = 6,
                 max_tokens: int = 192, windows: int = 3, longest: int = 40) -> None:
        self.model, self.tok = build_reader(layers, cache, checkpoint)
        self.model.eval()
        self.max_tokens, self.windows, self.longest = max_tokens, windows, longest

    @torch.no_grad()
    def score(self, question: str, passages: Sequence[str]) -> list[float]:
        """Per passage, its best window's answer score (higher: the answer is there)."""
        tok = self.tok
        q = tok.content_ids([QUERY_PREFIX + question])[0][:MAX_QUERY]
        room = self.max_tokens - len(q) - 4
        rows, owner = [], []
        for k, p in enumerate(tok.content_ids([PASSAGE_PREFIX + t for t in passages])):
            starts = list(range(0, max(1, len(p) - room + 1), room * 3 // 4))
            if len(p) > room and starts[-1] + room < len(p):
                starts.append(len(p) - room)
            for s0 in starts[:self.windows]:
                rows.append(([tok.bos, *q, tok.eos, tok.eos, *p[s0:s0 + room], tok.eos],
                             0, 0, len(q) + 3))
                owner.append(k)
        ids, mask, _, _, _ = batch(rows, tok.pad)
        start, end = self.model(ids, mask)
        out = [-1e9] * len(passages)
        for r, (row, _, _, first) in enumerate(rows):
            value = span_scores(start[r], end[r], first, len(row), self.longest)
            out[owner[r]] = max(out[owner[r]], value)
        return out


def learning_rate(peak: float, elapsed: float, budget: float) -> float:
    """Warm-up over 6 % of the budget, then linear decay (never below 2 % of the peak)."""
    frac = elapsed / budget
    f = min(1.0, frac / 0.06) if frac < 0.06 else max(0.0, (1 - frac) / 0.94)
    return peak * max(f, 0.02)


def load_examples(path: Path) -> dict[str, list[Example]]:
    """The examples written by `data`, by source (split on newlines only: a passage may hold
    other line separators)."""
    by_source: dict[str, list[Example]] = {}
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line:
            row = json.loads(line)
            span = (int(row["span"][0]), int(row["span"][1])) if row["span"] else None
            by_source.setdefault(row["src"], []).append(
                Example(row["src"], row["q"], row["p"], span))
    return by_source


def write_examples(path: Path, examples: Sequence[Example]) -> None:
    """One JSON object a line: source, question, passage, span (null: no answer)."""
    rows = [{"src": e.source, "q": e.question, "p": e.passage, "span": e.span}
            for e in examples]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows),
                    encoding="utf-8")


def train(args: argparse.Namespace) -> None:
    """The training loop: start and end cross-entropy, stops at the wall-clock budget."""
    rng = random.Random(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    by_source = load_examples(args.data)
    model, tok = build_reader(args.layers, args.cache)
    model.bert.embeddings.requires_grad_(False)
    for layer in model.bert.encoder.layer[:args.freeze]:
        layer.requires_grad_(False)
    params = [p for p in model.parameters() if p.requires_grad]
    head = {id(p) for p in model.head.parameters()}
    opt = torch.optim.AdamW([{"params": [p for p in params if id(p) not in head], "lr": args.lr},
                             {"params": list(model.head.parameters()), "lr": args.lr * 20}],
                            weight_decay=0.01)
    sources = [s for s in MIX if by_source.get(s)]
    budget, t0 = args.minutes * 60, time.monotonic()
    step, losses = 0, []
    model.train()
    while (elapsed := time.monotonic() - t0) < budget:
        for i, group in enumerate(opt.param_groups):
            group["lr"] = learning_rate(args.lr * (20 if i else 1), elapsed, budget)
        chosen = [rng.choice(by_source[rng.choices(sources, [MIX[s] for s in sources])[0]])
                  for _ in range(args.batch)]
        ids, mask, allowed, st, en = batch([encode(tok, e, args.max_tokens, rng)
                                            for e in chosen], tok.pad)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            s_log, e_log = model(ids, mask)
        s_log = s_log.float().masked_fill(~allowed, -1e4)
        e_log = e_log.float().masked_fill(~allowed, -1e4)
        loss = (nn.functional.cross_entropy(s_log, st) + nn.functional.cross_entropy(e_log, en)) / 2
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        losses.append(float(loss))
        if step % 20 == 0:
            log.info("step %d loss %.3f %.1f min", step, sum(losses[-20:]) / 20, elapsed / 60)
    state = {k: v for k, v in model.state_dict().items() if "word_embeddings" not in k}
    torch.save({"state": state, "meta": {"steps": step, "seed": SEED, "mix": MIX,
                                         "loss_last50": sum(losses[-50:]) / 50}}, args.out)
    log.info("done: %d steps", step)


def main() -> None:
    """Command line entry point: `data` or `train`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=("data", "train"))
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--hybrid-data-dir", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=Path("/tmp/reader/data.jsonl"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/reader/reader.pt"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/reader/cache"))
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--freeze", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, default=192)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.command == "train":
        train(args)
        return
    if args.hybrid_data_dir is None:
        parser.error("data: --hybrid-data-dir (the shared corpus, indexed) is needed")
    examples, manifest = build_examples(args.shared, args.hybrid_data_dir)
    write_examples(args.data, examples)
    args.data.with_suffix(".manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(manifest["examples"])


if __name__ == "__main__":
    main()
