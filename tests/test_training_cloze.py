"""The inverse cloze groups (training.mining.cloze_groups): a sentence of a passage as the
query, the passage without it as the positive, its neighbours in the document first among
the negatives."""

from __future__ import annotations

import random
from pathlib import Path

from answers_kit import build_store

from index.lexical import LexicalIndex
from training.data import stored_passages
from training.mining import CLOZE_REST, cloze_groups


def _groups(tmp_path: Path, seed: int) -> tuple[list, list]:
    store = build_store(tmp_path)
    passages, _ = stored_passages(store)
    store.close()
    lex = LexicalIndex.build([p.indexed for p in passages])
    return passages, cloze_groups(passages, lex, 4, random.Random(seed))


def test_a_sentence_is_taken_out_of_its_passage(tmp_path: Path) -> None:
    passages, groups = _groups(tmp_path, 1)
    assert groups
    by_id = {f"cloze:{p.row}": p for p in passages}
    for g in groups:
        source = by_id[g.id]
        assert g.source == "cloze" and g.query in source.text
        (positive,) = g.positives
        assert g.query not in positive and len(positive) >= CLOZE_REST
        assert positive.startswith(source.indexed.split("\n", 1)[0])  # the context header stays
        assert source.indexed not in g.negatives and 0 < len(g.negatives) <= 4


def test_the_neighbours_in_the_document_come_first(tmp_path: Path) -> None:
    passages, groups = _groups(tmp_path, 1)
    by_row = {p.row: p for p in passages}
    for g in groups:
        source = by_row[int(g.id.split(":")[1])]
        same_doc = [p for p in passages if p.doc == source.doc and p is not source
                    and abs(p.ordinal - source.ordinal) <= 2]
        assert {n for n in g.negatives[:len(same_doc)]} == {p.indexed for p in same_doc}


def test_the_groups_are_the_same_for_the_same_seed(tmp_path: Path) -> None:
    _, first = _groups(tmp_path / "a", 7)
    _, again = _groups(tmp_path / "b", 7)
    assert [g.to_json() for g in first] == [g.to_json() for g in again]
