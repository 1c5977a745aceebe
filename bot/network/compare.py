"""Cross-city comparison: the same question answered for each city, side by side.

Cities are the `city` values of the indexed documents (spellings compared with
`ingest.metadata.city_key`, the most frequent spelling is shown). For each one the answerer runs
with `Filters(city=...)` (other filters of the request are kept), so every answer has its
own citations from that city's documents only. Documents without a city form one more area,
"nazionale / non specificata", answered over a searcher that keeps only their passages.
A city "has nothing" when its answer abstains, or when it is one of the 14 Città
metropolitane and no document of it is in the knowledge base.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bot.errors import BadRequest
from index.models import Filters, Hit
from ingest.metadata import METROPOLITAN_CITIES, NO_CITY, city_key

if TYPE_CHECKING:
    from bot.answers.answerer import Answerer
    from bot.answers.models import Answer
    from ingest.storeapi import DocumentStore

OVERSAMPLE = 5  # the city-less searcher asks for k * OVERSAMPLE hits before keeping its own


@dataclass(frozen=True)
class CityAnswer:
    """The answer for one city (or for the national/unspecified area)."""

    city: str
    documents: int
    answer: Answer

    def to_json(self) -> dict[str, object]:
        """JSON form: the answer contract plus the city."""
        return {"city": self.city, "documents": self.documents, **self.answer.to_json()}


@dataclass(frozen=True)
class Comparison:
    """Per-city answers, and the cities with nothing on the question."""

    question: str
    answers: tuple[CityAnswer, ...]
    nothing: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        """The `raccordo compare --json` / `POST /api/compare` contract."""
        return {"question": self.question, "by": "city",
                "cities": [a.to_json() for a in self.answers],
                "nothing": list(self.nothing)}


class CitylessSearcher:
    """A searcher that keeps only passages of documents without a city."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def search(self, query: str, k: int = 10, filters: Filters | None = None) -> list[Hit]:
        """The inner search, over-fetched, restricted to city-less documents, re-ranked."""
        hits = self._inner.search(query, k=k * OVERSAMPLE, filters=filters or Filters())
        kept = [h for h in hits if not (h.document.meta.city or "").strip()][:k]
        return [replace(h, rank=i) for i, h in enumerate(kept, start=1)]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def cities_in_store(store: DocumentStore) -> dict[str, tuple[str, int]]:
    """city key → (shown spelling, number of indexed documents); '' for city-less ones."""
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for doc in store.documents():
        if doc.status != "indexed":
            continue
        city = (doc.meta.city or "").strip()
        spellings[city_key(city)][city or NO_CITY] += 1
    return {key: (names.most_common(1)[0][0], sum(names.values()))
            for key, names in spellings.items()}


def compare_by_city(store: DocumentStore, answerer: Answerer, question: str,
                    filters: Filters | None = None) -> Comparison:
    """Answer `question` once per city with material, and list the cities with nothing."""
    question = question.strip()
    if not question:
        raise BadRequest("Scrivi la domanda da confrontare tra le città.")
    base = replace(filters or Filters(), city=None)
    known = cities_in_store(store)
    answers: list[CityAnswer] = []
    nothing: list[str] = []
    for key, (name, count) in sorted(known.items(), key=lambda kv: (kv[0] == "", kv[0])):
        answer = _answer_for(answerer, question, key, name, base)
        if answer.abstained or not answer.citations:
            nothing.append(name)
        else:
            answers.append(CityAnswer(city=name, documents=count, answer=answer))
    nothing.extend(c for c in METROPOLITAN_CITIES if city_key(c) not in known)
    return Comparison(question=question, answers=tuple(answers),
                      nothing=tuple(_ordered(nothing)))


def _answer_for(answerer: Answerer, question: str, key: str, name: str,
                base: Filters) -> Answer:
    if key:
        return answerer.answer(question, history=(), filters=replace(base, city=name))
    cityless = answerer.with_searcher(CitylessSearcher(answerer.searcher))
    return cityless.answer(question, history=(), filters=base)


def _ordered(names: Sequence[str]) -> list[str]:
    """Cities alphabetically, the national/unspecified area last, no duplicates."""
    unique = list(dict.fromkeys(names))
    return sorted((n for n in unique if n != NO_CITY), key=city_key) + (
        [NO_CITY] if NO_CITY in unique else [])


def describe_comparison(comparison: Comparison) -> str:
    """Plain Italian text of a comparison (for the bot and the CLI)."""
    lines: list[str] = [f"Confronto tra città: {comparison.question}", ""]
    for item in comparison.answers:
        lines.append(f"■ {item.city}")
        lines.append(item.answer.text.strip())
        for c in item.answer.citations:
            where = f", {c.locator}" if c.locator else ""
            lines.append(f"  [{c.n}] {c.title}{where}")
        lines.append("")
    if not comparison.answers:
        lines.append("Nessuna città ha materiale su questa domanda.")
    if comparison.nothing:
        lines.append("Nessun materiale per: " + ", ".join(comparison.nothing) + ".")
    return "\n".join(lines).strip()
