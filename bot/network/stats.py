"""Aggregates of the collaboration dashboard and of `raccordo report`.

Only aggregated data leaves this module. Question text appears only as the example of a
knowledge gap, and only when question logging is on (`settings.log_questions`); otherwise a
gap is described by its top terms.

Knowledge gaps are questions that abstained, got a 👎, or were answered with the warning that
the sources answer only in part (`Answer.uncertain`). They are clustered on their stored
`terms` (stemmed content words) by a deterministic greedy method: questions are taken oldest
first; each joins the existing cluster whose term set (the union of its members' terms) has
the highest Jaccard similarity with the question's terms, when that is at least
`GAP_JACCARD`, else it opens a new cluster. A cluster is labelled by its three most frequent
terms (ties alphabetically) and counted by number of questions.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import TYPE_CHECKING, Any, Protocol

from ingest.metadata import city_label

if TYPE_CHECKING:
    from bot.network.taxonomy import Taxonomy
    from ingest.storeapi import DocumentStore

GAP_JACCARD = 0.25
LABEL_TERMS = 3
TOP_DOCUMENTS = 10


@dataclass(frozen=True)
class GapQuestion:
    """One question of the log that shows missing knowledge."""

    id: int
    ts: float
    terms: tuple[str, ...]
    question: str | None
    abstained: bool
    downvoted: bool
    uncertain: bool = False


@dataclass
class GapCluster:
    """Questions on the same missing topic."""

    terms: Counter[str] = field(default_factory=Counter)
    members: list[GapQuestion] = field(default_factory=list)

    @property
    def label(self) -> str:
        """Top terms, most frequent first (ties alphabetically)."""
        ranked = sorted(self.terms.items(), key=lambda kv: (-kv[1], kv[0]))
        return ", ".join(t for t, _ in ranked[:LABEL_TERMS]) or "(argomento non registrato)"

    def to_json(self, show_text: bool) -> dict[str, object]:
        """Count, label, top terms and (only when allowed) an example question."""
        example = next((m.question for m in reversed(self.members) if m.question), None)
        return {"topic": self.label, "count": len(self.members),
                "abstained": sum(m.abstained for m in self.members),
                "downvoted": sum(m.downvoted for m in self.members),
                "uncertain": sum(m.uncertain for m in self.members),
                "example": example if show_text else None}


@dataclass(frozen=True)
class Stats:
    """Everything the dashboard and the report show."""

    generated_at: float
    since: float
    documents_by_city: dict[str, int]
    documents_by_kind: dict[str, int]
    documents_by_theme: dict[str, int]
    theme_labels: dict[str, str]
    contributions: dict[str, int]
    questions_by_day: list[dict[str, object]]
    questions_total: int
    gaps: list[dict[str, object]]
    most_cited: list[dict[str, object]]
    question_text_shown: bool

    def to_json(self) -> dict[str, Any]:
        """The `GET /api/stats` contract."""
        return {
            "generated_at": _iso(self.generated_at), "since": _iso(self.since),
            "documents": {"by_city": self.documents_by_city, "by_kind": self.documents_by_kind,
                          "by_theme": self.documents_by_theme},
            "theme_labels": self.theme_labels,
            "contributions": self.contributions,
            "questions": {"total": self.questions_total, "by_day": self.questions_by_day},
            "gaps": self.gaps, "most_cited": self.most_cited,
            "question_text_shown": self.question_text_shown,
        }


class Activity(Protocol):
    """What the dashboard reads of the application tables (the app database satisfies it)."""

    def contributions(self) -> Sequence[Any]:
        """Contributions, each with a `status`."""
        ...

    def question_rows(self, since: float) -> list[tuple[Any, ...]]:
        """Rows of the question log from `since` (epoch seconds)."""
        ...

    def feedback_rows(self) -> list[tuple[Any, ...]]:
        """Rows of the feedback table."""
        ...


def compute_stats(store: DocumentStore, activity: Activity, taxonomy: Taxonomy, *,
                  show_text: bool, since: float = 0.0) -> Stats:
    """Aggregate the store and the application tables (questions from `since`, epoch s)."""
    docs = [d for d in store.documents() if d.status == "indexed"]
    by_city = Counter(city_label(d.meta.city) for d in docs)
    by_kind = Counter(d.meta.kind for d in docs)
    by_theme = Counter(t for d in docs for t in d.meta.themes)
    contributions = Counter(c.status for c in activity.contributions())
    rows = activity.question_rows(since)
    gaps = cluster_gaps(gap_questions(rows, activity.feedback_rows()))
    titles = {d.id: d for d in docs}
    return Stats(
        generated_at=time.time(), since=since,
        documents_by_city=_sorted_counts(by_city), documents_by_kind=_sorted_counts(by_kind),
        documents_by_theme={t: by_theme[t] for t in taxonomy.ids() if by_theme[t]},
        theme_labels={t.id: t.label for t in taxonomy.themes},
        contributions={s: contributions.get(s, 0) for s in ("pending", "approved", "rejected")},
        questions_by_day=questions_by_day(rows), questions_total=len(rows),
        gaps=[c.to_json(show_text) for c in gaps],
        most_cited=_most_cited(rows, titles), question_text_shown=show_text,
    )


def questions_by_day(rows: list[tuple[Any, ...]]) -> list[dict[str, object]]:
    """Per UTC day: number of questions and of abstentions, oldest first."""
    days: dict[str, list[int]] = {}
    for row in rows:
        day = datetime.fromtimestamp(float(row[1]), UTC).date().isoformat()
        counts = days.setdefault(day, [0, 0])
        counts[0] += 1
        counts[1] += int(bool(row[3]))
    return [{"day": d, "questions": c[0], "abstained": c[1]} for d, c in sorted(days.items())]


def gap_questions(rows: list[tuple[Any, ...]], feedback: list[tuple[Any, ...]]
                  ) -> list[GapQuestion]:
    """Questions (oldest first) that abstained, received at least one 👎, or were answered
    with the warning that the sources answer only in part."""
    down = {int(f[3]) for f in feedback if f[3] is not None and int(f[4]) < 0}
    out: list[GapQuestion] = []
    for row in rows:
        qid, abstained = int(row[0]), bool(row[3])
        uncertain = len(row) > 9 and bool(row[9])
        if abstained or qid in down or uncertain:
            out.append(GapQuestion(id=qid, ts=float(row[1]),
                                   terms=tuple(dict.fromkeys(json.loads(row[6] or "[]"))),
                                   question=row[7], abstained=abstained,
                                   downvoted=qid in down, uncertain=uncertain))
    return sorted(out, key=lambda g: (g.ts, g.id))


def cluster_gaps(questions: list[GapQuestion], threshold: float = GAP_JACCARD
                 ) -> list[GapCluster]:
    """Greedy Jaccard clustering on term sets; biggest clusters first."""
    clusters: list[GapCluster] = []
    unrecorded = GapCluster()  # questions logged without terms (question logging off)
    for q in questions:
        terms = set(q.terms)
        if not terms:
            if not unrecorded.members:
                clusters.append(unrecorded)
            unrecorded.members.append(q)
            continue
        best, best_sim = None, 0.0
        for cluster in clusters:
            union = set(cluster.terms)
            sim = len(terms & union) / len(terms | union) if terms or union else 0.0
            if sim > best_sim:
                best, best_sim = cluster, sim
        if best is None or best_sim < threshold:
            best = GapCluster()
            clusters.append(best)
        best.terms.update(terms)
        best.members.append(q)
    return sorted(clusters, key=lambda c: (-len(c.members), c.label))


def _most_cited(rows: list[tuple[Any, ...]], docs: dict[int, Any]) -> list[dict[str, object]]:
    counts: Counter[int] = Counter()
    for row in rows:
        counts.update(set(int(d) for d in json.loads(row[5] or "[]")))
    out: list[dict[str, object]] = []
    for doc_id, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_DOCUMENTS]:
        doc = docs.get(doc_id)
        out.append({"doc_id": doc_id, "citations": n,
                    "title": doc.meta.title if doc else "(documento rimosso)",
                    "file": doc.file if doc else None,
                    "city": city_label(doc.meta.city) if doc else None})
    return out


def _sorted_counts(counts: Counter[str]) -> dict[str, int]:
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def since_epoch(day: date | None) -> float:
    """Midnight UTC of a day as epoch seconds (0 when no day)."""
    if day is None or day.year < 1970:  # nothing was logged before 1970: everything
        return 0.0
    return datetime.combine(day, dtime.min, tzinfo=UTC).timestamp()
