"""The extractive reader's training examples (training.reader): the span the model is taught
is the answer's tokens in the passage as tokenised whole, and scoring reads the best span."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from index.e5s1 import packaged_model_path, read_e5s1  # noqa: E402
from index.pieces import PASSAGE_PREFIX, PieceTokenizer  # noqa: E402
from training.reader import (  # noqa: E402
    Example,
    batch,
    encode,
    evidence_span,
    load_examples,
    span_scores,
    squad_examples,
    write_examples,
)

PASSAGE = ("D.Lgs. 267/2000 — art. 43\n1. Il sindaco o il presidente della provincia o gli "
           "assessori da essi delegati rispondono, entro 30 giorni, alle interrogazioni e ad "
           "ogni altra istanza di sindacato ispettivo presentata dai consiglieri.")


E5 = read_e5s1(packaged_model_path())


@pytest.fixture(scope="module")
def tok() -> PieceTokenizer:
    return PieceTokenizer(E5)


def test_evidence_is_found_whatever_its_case_and_punctuation() -> None:
    span = evidence_span(PASSAGE, "Rispondono entro 30 giorni alle interrogazioni")
    assert span is not None
    assert PASSAGE[span[0]:span[1]] == "rispondono, entro 30 giorni, alle interrogazioni"
    assert evidence_span(PASSAGE, "entro 60 giorni dalla richiesta del sindaco motivata") is None


def _decoded(ids: list[int]) -> str:
    pieces = b"".join(E5.vocabulary.pieces[i] for i in ids).decode("utf-8")
    return pieces.replace("\u2581", " ").strip()


def test_the_labels_are_the_answer_tokens_of_the_whole_passage(tok: PieceTokenizer) -> None:
    start = PASSAGE.index("entro 30 giorni")
    ex = Example("domain", "Entro quando rispondono?", PASSAGE, (start, start + 15))
    ids, a, b, first = encode(tok, ex, 192, random.Random(0))
    assert _decoded(ids[a:b + 1]) == "entro 30 giorni"
    whole = tok.content_ids([PASSAGE_PREFIX + PASSAGE])[0]
    assert ids[first:-1] == whole  # the passage as inference reads it, no marks at the span


def test_a_long_passage_is_cut_to_a_window_that_holds_the_answer(tok: PieceTokenizer) -> None:
    filler = "Il consiglio approva il bilancio e il rendiconto. " * 60
    passage = filler + "La giunta adotta il piano esecutivo di gestione."
    start = passage.index("piano esecutivo")
    ex = Example("domain", "Chi adotta il PEG?", passage, (start, start + 15))
    for seed in range(5):
        ids, a, b, first = encode(tok, ex, 128, random.Random(seed))
        assert len(ids) <= 128
        assert first <= a <= b < len(ids) - 1
        assert _decoded(ids[a:b + 1]) == "piano esecutivo"


def test_no_answer_points_at_the_first_token(tok: PieceTokenizer) -> None:
    ids, a, b, first = encode(tok, Example("squad-neg", "Chi?", PASSAGE, None), 192,
                              random.Random(0))
    assert (a, b) == (0, 0) and ids[0] == tok.bos
    _, _, allowed, starts, ends = batch([(ids, a, b, first)], tok.pad)
    assert bool(allowed[0, 0]) and not bool(allowed[0, 1:first].any())
    assert int(starts[0]) == int(ends[0]) == 0


def test_the_score_is_the_best_span_within_reach_minus_no_answer() -> None:
    start = torch.tensor([1.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0])
    end = torch.tensor([1.0, 0.0, 0.0, 0.0, 0.0, 3.0, 0.0])
    # passage positions 3..5 (the last token is </s>): best span 3..5 = 8, minus <s> 2
    assert span_scores(start, end, first=3, length=7, longest=3) == pytest.approx(6.0)
    # a span longer than `longest` is out of reach: best is then 3..3 (5 + 0) or 5..5 (0 + 3)
    assert span_scores(start, end, first=3, length=7, longest=2) == pytest.approx(3.0)


def test_squad_examples_never_use_a_held_out_article(tmp_path: Path) -> None:
    rows = [{"id": "1", "question": "Quando?", "file": "Roma.txt", "answer": "753 a.C.",
             "answer_start": 17, "paragraph": "Roma fu fondata  753 a.C. secondo la leggenda."},
            {"id": "2", "question": "Dove?", "file": "Roma.txt", "answer": "Lazio",
             "answer_start": 11, "paragraph": "Roma è nel Lazio, in Italia."},
            {"id": "3", "question": "Chi?", "file": "Milano.txt", "answer": "Ambrogio",
             "answer_start": 0, "paragraph": "Ambrogio fu vescovo di Milano."}]
    (tmp_path / "train.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    (tmp_path / "heldout_articles.txt").write_text("Milano.txt\n")
    examples = squad_examples(tmp_path, random.Random(0))
    assert all("Ambrogio" not in e.passage for e in examples)
    answers = [e for e in examples if e.span]
    assert [e.passage[e.span[0]:e.span[1]] for e in answers if e.span] == ["753 a.C.", "Lazio"]
    negatives = [e for e in examples if e.span is None]
    assert negatives and all(e.passage.startswith("Roma\n") for e in negatives)
    assert not any("Lazio" in e.passage for e in negatives if e.question == "Dove?")


def test_examples_survive_the_file_whatever_their_line_separators(tmp_path: Path) -> None:
    examples = [Example("domain", "Chi?", "Prima riga\u2028seconda riga", (0, 5)),
                Example("domain-neg", "Chi?", "Altro\u2029testo", None)]
    path = tmp_path / "data.jsonl"
    write_examples(path, examples)
    assert load_examples(path) == {"domain": [examples[0]], "domain-neg": [examples[1]]}


def test_the_margin_order_keeps_the_service_order_unless_the_reader_is_sure() -> None:
    from benchmarks.reader_eval import margin
    order = margin(2.0)
    assert order([]) == []
    assert order([1.0, 2.5, 9.0, 20.0]) == [2, 0, 1, 3]  # only the first three compete
    assert order([1.0, 2.5, 2.9]) == [0, 1, 2]  # no reader score beats the first by 2
