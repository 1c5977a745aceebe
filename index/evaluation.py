"""Retrieval evaluation: recall@1/5/10 and MRR@10 under the shared relevance rule."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from index.models import Hit
from index.relevance import evidence_found

CUTOFFS = (1, 5, 10)


@dataclass(frozen=True)
class Relevant:
    """Where an answer sits: a file name and a verbatim evidence excerpt."""

    file: str
    evidence: str
    locator: str = ""


@dataclass(frozen=True)
class Question:
    """One line of a question file (format of ../shared/eval/dev.jsonl)."""

    id: str
    question: str
    type: str = "all"
    relevant: tuple[Relevant, ...] = ()

    @property
    def answerable(self) -> bool:
        """False for no_answer questions (nothing relevant in the corpus)."""
        return bool(self.relevant)


@dataclass(frozen=True)
class QuestionResult:
    """Hits of one question and the rank of the first relevant one (None: not in top k)."""

    question: Question
    hits: tuple[Hit, ...]
    rank: int | None


@dataclass(frozen=True)
class Metrics:
    """Recall at the cutoffs and MRR@10 over answerable questions."""

    questions: int
    recall: dict[int, float] = field(default_factory=dict)
    mrr10: float = 0.0

    def to_json(self) -> dict[str, object]:
        """Flat JSON form: questions, recall@1, recall@5, recall@10, mrr@10."""
        out: dict[str, object] = {"questions": self.questions}
        out.update({f"recall@{c}": round(v, 4) for c, v in self.recall.items()})
        out["mrr@10"] = round(self.mrr10, 4)
        return out


@dataclass(frozen=True)
class EvalReport:
    """Metrics overall and by question type, with per-question results."""

    overall: Metrics
    by_type: dict[str, Metrics]
    results: tuple[QuestionResult, ...]
    unanswerable: int

    def to_json(self) -> dict[str, object]:
        """The `raccordo eval --json` contract."""
        return {"overall": self.overall.to_json(), "unanswerable": self.unanswerable,
                "by_type": {t: m.to_json() for t, m in sorted(self.by_type.items())}}


def load_questions(path: Path) -> list[Question]:
    """Questions from a JSONL file (blank lines ignored)."""
    questions: list[Question] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        data = json.loads(line)
        relevant = tuple(Relevant(file=str(r["file"]), evidence=str(r["evidence"]),
                                  locator=str(r.get("locator", "")))
                         for r in data.get("relevant", []))
        questions.append(Question(id=str(data["id"]), question=str(data["question"]),
                                  type=str(data.get("type", "all")), relevant=relevant))
    return questions


def is_relevant(question: Question, hit: Hit) -> bool:
    """The shared rule: same file name, and the passage holds the entry's evidence."""
    name = Path(hit.document.file).name
    return any(Path(r.file).name == name and evidence_found(r.evidence, hit.chunk.text)
               for r in question.relevant)


def first_relevant_rank(question: Question, hits: Sequence[Hit]) -> int | None:
    """1-based rank of the first relevant hit, or None."""
    for position, hit in enumerate(hits, start=1):
        if is_relevant(question, hit):
            return position
    return None


def metrics(results: Sequence[QuestionResult]) -> Metrics:
    """Recall@1/5/10 and MRR@10 over the answerable results given."""
    answerable = [r for r in results if r.question.answerable]
    n = len(answerable)
    if n == 0:
        return Metrics(questions=0, recall={c: 0.0 for c in CUTOFFS}, mrr10=0.0)
    recall = {c: sum(1 for r in answerable if r.rank is not None and r.rank <= c) / n
              for c in CUTOFFS}
    mrr = sum(1.0 / r.rank for r in answerable if r.rank is not None and r.rank <= 10) / n
    return Metrics(questions=n, recall=recall, mrr10=mrr)


def evaluate(search: Callable[[str, int], Sequence[Hit]], questions: Sequence[Question],
             k: int = 10) -> EvalReport:
    """Run every question through `search(question, k)` and score the hits."""
    results = []
    for q in questions:
        hits = tuple(search(q.question, k))
        results.append(QuestionResult(q, hits, first_relevant_rank(q, hits)
                                      if q.answerable else None))
    types = sorted({r.question.type for r in results if r.question.answerable})
    by_type = {t: metrics([r for r in results if r.question.type == t]) for t in types}
    return EvalReport(overall=metrics(results), by_type=by_type, results=tuple(results),
                      unanswerable=sum(1 for q in questions if not q.answerable))
