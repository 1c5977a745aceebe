"""What retrieval benchmarks share: the run header, metric rows, the JSON file, the model."""

from __future__ import annotations

import argparse
import json
import platform
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from index.ranking import MODEL_DIR, MODEL_FILE, VOCAB_FILE, CrossEncoderRanker
from ingest.pipeline import sha256_of


def run_header() -> dict[str, object]:
    """Date, host, cores and 1-minute load (load above the cores: the machine is not quiet)."""
    return {"date": datetime.now(UTC).isoformat(timespec="minutes"), "machine": platform.node(),
            "cpus": psutil.cpu_count(), "load_avg_1m": psutil.getloadavg()[0]}


def announce(report: Mapping[str, object]) -> None:
    """Print a run header's first line: date, cores and load (is the machine quiet?)."""
    print(f"{report['date']}  cpus {report['cpus']}  load {report['load_avg_1m']:.1f}")


def print_rows(name: str, rows: Mapping[str, Mapping[str, Any]], widths: tuple[int, int]) -> None:
    """One line per method: questions, R@1, R@5, R@10, MRR@10."""
    for method, m in rows.items():
        print(f"{name:{widths[0]}s} {m['questions']:>4}  {method:{widths[1]}s} "
              f"{m['recall@1']:6.3f} {m['recall@5']:6.3f} {m['recall@10']:6.3f} "
              f"{m['mrr@10']:7.3f}")


def finish(report: Mapping[str, object], out: Path | None, services: Iterable[Any]) -> None:
    """Write the report as JSON when asked, and close the services."""
    if out:
        out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    for service in services:
        service.close()


SHARED = Path(__file__).resolve().parents[2] / "shared"


def knowledge_base_arguments(doc: str | None, *, squad_required: bool = False
                             ) -> argparse.ArgumentParser:
    """A parser with --shared-data, --squad-data, --shared and --json."""
    parser = argparse.ArgumentParser(description=doc)
    parser.add_argument("--shared-data", type=Path, required=True)
    parser.add_argument("--squad-data", type=Path, required=squad_required, default=None)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--json", type=Path, default=None)
    return parser


def ranker_from(model_dir: Path, threads: int = 1) -> CrossEncoderRanker:
    """The committed model, or a candidate export in another folder (checked against its own
    files, so that it can be measured before its sha256 goes into `index/ranking.py`)."""
    if model_dir.resolve() == MODEL_DIR.resolve():
        return CrossEncoderRanker(model_dir, threads=threads)
    model, vocab = (sha256_of((model_dir / name).read_bytes()) for name in (MODEL_FILE, VOCAB_FILE))
    return CrossEncoderRanker(model_dir, threads=threads, model_sha256=model, vocab_sha256=vocab)
