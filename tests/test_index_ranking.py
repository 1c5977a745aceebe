"""The committed cross-encoder re-ranker (ONNX int8, no torch): scoring, ordering, integrity."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import pytest

from index.models import Hit
from index.ranking import MODEL_DIR, MODEL_FILE, VOCAB_FILE, CrossEncoderRanker, RankerUnavailable
from ingest.errors import RaccordoError
from tests.index_kit import fill_store, open_store


@functools.cache
def ranker() -> CrossEncoderRanker:
    """The real committed model, loaded once."""
    return CrossEncoderRanker()


def store_hits(tmp_path: Path) -> list[Hit]:
    """Every chunk of the standard small corpus as a Hit, in store order."""
    store = open_store(tmp_path)
    fill_store(store)
    stored = store.chunks_by_ids([c.id for c in store.chunks() if c.id is not None])
    return [Hit(rank=i, score=0.0, chunk=s.chunk, document=s.document)
            for i, s in enumerate(stored.values(), start=1)]


def test_the_answering_passage_scores_above_unrelated_ones() -> None:
    scores = ranker().score(
        "Entro quanti giorni devono concludersi i procedimenti amministrativi?",
        ["I procedimenti amministrativi devono concludersi entro il termine di trenta giorni, "
         "salvo diverso termine previsto dalla legge.",
         "La Camera dei deputati è eletta a suffragio universale e diretto.",
         "Il gestionale consente ai cittadini di presentare online l'istanza di occupazione "
         "di suolo pubblico."])
    assert len(scores) == 3
    assert scores[0] > max(scores[1:])


def test_run_orders_by_model_score_and_keeps_it_on_the_hit(tmp_path: Path) -> None:
    hits = store_hits(tmp_path)
    out = ranker().run("Chi verifica lo stato delle concessioni dei passi carrabili?", hits, 3)
    assert [h.rank for h in out] == [1, 2, 3]
    scores = [h.rerank for h in out]
    assert all(s is not None for s in scores)
    assert scores == sorted(scores, reverse=True)  # type: ignore[type-var]
    assert "passi carrabili" in out[0].chunk.text
    assert out[0].to_json()["rerank"] == pytest.approx(scores[0], abs=1e-5)
    assert ranker().run("domanda", hits, 0) == []


def test_scores_are_the_same_alone_and_in_a_batch() -> None:
    texts = ["Spetta ai dirigenti la direzione degli uffici e dei servizi.",
             "Art. 56. La Camera dei deputati e' eletta a suffragio universale e diretto. " * 8,
             "Ελληνικά 中文 ✓ — testo con caratteri mai visti nell'addestramento."]
    together = ranker().score("Chi dirige gli uffici?", texts)
    alone = [ranker().score("Chi dirige gli uffici?", [t])[0] for t in texts]
    assert together == pytest.approx(alone, abs=1e-3)
    assert ranker().score("Chi dirige gli uffici?", []) == []


def test_a_long_passage_is_read_in_part_unless_scored_in_windows() -> None:
    question = "Chi dirige gli uffici?"
    filler = "Art. 56. La Camera dei deputati e' eletta a suffragio universale e diretto. " * 16
    answer = "Spetta ai dirigenti la direzione degli uffici e dei servizi."
    long_text = filler + answer  # the answering sentence lies beyond what the model reads
    model = ranker()
    assert model.visible_share(question, answer) == 1.0
    assert model.visible_share(question, long_text) < 0.5
    assert model._windows(question, answer) == [answer]
    pieces = model._windows(question, long_text)
    assert len(pieces) > 2 and pieces[-1].endswith(answer)
    assert all(model.visible_share(question, p) == 1.0 for p in pieces)  # each is read whole
    [cut] = model.score(question, [long_text])
    [best] = model.score(question, [long_text], windows=True)
    [alone] = model.score(question, [pieces[-1]])
    assert best == pytest.approx(max(model.score(question, pieces)), abs=1e-6)
    assert best >= alone and best > cut  # the window that holds the answer is seen
    assert model.score(question, [answer], windows=True) == model.score(question, [answer])


def test_a_missing_model_is_a_raccordo_error(tmp_path: Path) -> None:
    with pytest.raises(RankerUnavailable) as info:
        CrossEncoderRanker(tmp_path)
    assert isinstance(info.value, RaccordoError)
    assert "non trovato" in str(info.value)


def test_a_corrupt_model_is_refused(tmp_path: Path) -> None:
    shutil.copy(MODEL_DIR / VOCAB_FILE, tmp_path / VOCAB_FILE)
    data = bytearray((MODEL_DIR / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(RankerUnavailable, match="alterato"):
        CrossEncoderRanker(tmp_path)
