"""`python -m training.data --questions F`: officials' exported questions become the source
"feedback", kept apart from the reported sets like our written ones, the passages a 👎 answer
cited first among their negatives (slow: the whole corpus)."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import islice
from pathlib import Path

import pytest
from conftest import REPO

from index.relevance import evidence_found
from training.data import WRITTEN

pytestmark = [pytest.mark.slow, pytest.mark.shared]


def test_exported_questions_are_trained_on_unless_near_a_reported_one(
        shared_dir: Path, tmp_path: Path) -> None:
    asked = [json.loads(line) | {"id": f"fb-{n}", "type": "feedback"} for n, line in
             enumerate(islice(WRITTEN.open(encoding="utf-8"), 10), start=1)]
    dev = json.loads((shared_dir / "eval" / "dev.jsonl").read_text(encoding="utf-8")
                     .splitlines()[0])
    for q, other in zip(asked, asked[1:] + asked[:1], strict=True):  # reviewed after a 👎
        wrong = other["relevant"][0]
        q["cited"] = [{"file": wrong["file"], "locator": "", "quote": wrong["evidence"]}]
    asked.append(dev | {"id": "fb-dev", "type": "feedback"})  # an official asked a dev question
    exported = tmp_path / "feedback.jsonl"
    exported.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in asked),
                        encoding="utf-8")
    out = tmp_path / "data"
    subprocess.run([sys.executable, "-m", "training.data", "--shared", str(shared_dir),
                    "--out", str(out), "--questions", str(exported)],
                   check=True, cwd=REPO, timeout=1800)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    kept = manifest["feedback_questions"]
    assert kept["questions"] == 11 and "fb-dev" in kept["near_duplicates"]
    left_out = set(kept["near_duplicates"]) | set(kept["on_reported_passages"])
    groups = [json.loads(line) for line in (out / "groups.jsonl").open(encoding="utf-8")]
    trained = {g["id"] for g in groups if g["source"] == "feedback"}
    assert trained and not trained & left_out and trained <= {q["id"] for q in asked}
    assert manifest["groups_per_source"]["feedback"] == len(trained)
    assert kept["with_voted_down_citations"] == 10
    cited = {q["id"]: q["cited"][0]["quote"] for q in asked if "cited" in q}
    for g in groups:
        if g["source"] == "feedback":
            assert evidence_found(cited[g["id"]], g["negatives"][0])
