"""Test kit for legal depth: a store of small written laws, and the scoring of cross-reference
resolution against tests/data/crossrefs_labelled.jsonl.

Each labelled item is one occurrence of "articolo N"/"art. N" drawn at random (seeded) from
the 13 shared laws, with the words around it, labelled by hand: "same" with the article it
cites in the same act, or "other" (another act, an amending act in a note, the regulation).
Items 0-129 ("tuning") were looked at while writing the rules; items 130-179 ("heldout") were
labelled afterwards and never used to change them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.models import Chunk
from ingest.pipeline import ingest_path
from ingest.store import Store

LABELS = Path(__file__).parent / "data" / "crossrefs_labelled.jsonl"
LAWS = ("costituzione_repubblica_italiana_vigente.md", "dlgs_118_2011_armonizzazione_contabile"
        "_vigente.md", "dlgs_150_2009_performance_vigente.md",
        "dlgs_165_2001_pubblico_impiego_vigente.md", "dlgs_175_2016_societa_partecipate_vigente"
        ".md", "dlgs_196_2003_codice_privacy_vigente.md", "dlgs_267_2000_TUEL_vigente.md",
        "dlgs_281_1997_conferenza_unificata_vigente.md", "dlgs_33_2013_trasparenza_vigente.md",
        "dlgs_82_2005_CAD.xml", "legge_241_1990_procedimento_amministrativo_vigente.md",
        "legge_400_1988_attivita_governo_vigente.md", "legge_4_2004_accessibilita_vigente.md")


def ingest_texts(folder: Path, files: dict[str, str], store_path: Path) -> Store:
    """Write `files` (name → text) into `folder`, ingest it into a new store at `store_path`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    store = Store(store_path)
    ingest_path(folder, store)
    return store


@dataclass(frozen=True)
class Score:
    """Recall on same-act items, precision of same-act resolutions, items not found."""

    same: int
    resolved_right: int
    resolved: int
    correct: int
    missing: int

    @property
    def recall(self) -> float:
        """Share of same-act items resolved to the right article."""
        return self.resolved_right / self.same if self.same else 0.0

    @property
    def precision(self) -> float:
        """Share of same-act resolutions that cite the right article."""
        return self.correct / self.resolved if self.resolved else 1.0


def _loose(text: str) -> str:
    return r"\s*".join(re.escape(ch) for ch in "".join(text.split()))


def _patterns(item: dict[str, str]) -> list[re.Pattern[str]]:
    """The occurrence with its words around it; else with the words on one side only (the
    other side may sit in the next chunk)."""
    before, ref, after = _loose(item["before"]), _loose(item["ref"]), _loose(item["after"])
    return [re.compile(f"{before}\\s*({ref})\\s*{after}"), re.compile(f"{before}\\s*({ref})\\b"),
            re.compile(f"({ref})\\s*{after}")]


def locate(store: Store, doc_id: int, item: dict[str, str]) -> tuple[Chunk, int] | None:
    """The chunk holding a labelled occurrence and the occurrence's offset in its text."""
    chunks = store.chunks(doc_id)
    for pattern in _patterns(item):
        for chunk in chunks:
            match = pattern.search(chunk.text)
            if match is not None:
                return chunk, match.start(1)
    return None


def score(store: Store, subset: str | None = None) -> Score:
    """Resolve every labelled occurrence (of one `subset`: "tuning", "heldout") and count."""
    items = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    items = [i for i in items if subset is None or i["set"] == subset]
    docs = {d.file: d for d in store.documents()}
    same = right = resolved = correct = missing = 0
    for item in items:
        doc = docs[item["file"]]
        found = locate(store, doc.id, item)
        if found is None:
            missing += 1
            continue
        chunk, start = found
        assert chunk.id is not None
        refs = [r for r in store.references([chunk.id])[chunk.id]
                if r.reference.start <= start < r.reference.end]
        article = None
        if refs and refs[0].reference.same_act and refs[0].chunk_id is not None:
            target = store.chunks_by_ids([refs[0].chunk_id])[refs[0].chunk_id]
            article = target.chunk.locator.article if target.document.id == doc.id else None
        if item["label"] == "same":
            same += 1
            right += article == item["article"]
        if article is not None:
            resolved += 1
            correct += item["label"] == "same" and article == item["article"]
    return Score(same, right, resolved, correct, missing)
