"""The Italian analyzer shared by passages and queries (BM25 side).

NFKC + lower case, typographic apostrophes, elisions stripped (dell'articolo → articolo),
Normattiva's `e'`/`citta'` read as accented vowels, legal tokens kept whole (10-bis,
267/2000, d.lgs. → dlgs, d.p.r. → dpr, art. → art, co. → comma, lett. → lettera),
Italian stop-words, Snowball Italian stemming, accents folded last.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import Stemmer
from bm25s.stopwords import STOPWORDS_ITALIAN

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", "′": "'"})
_DASHES = str.maketrans({"‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-"})
_ACCENTED = {"a": "à", "e": "è", "i": "ì", "o": "ò", "u": "ù"}
LATIN = ("bis|ter|quater|quinquies|sexies|septies|octies|novies|nonies|decies|undecies|"
         "duodecies|terdecies|quaterdecies|quinquiesdecies|sexiesdecies|septiesdecies|"
         "octiesdecies")

# order matters: longer abbreviations first
_ABBREVIATIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r) for p, r in (
        (r"\bd\s*\.\s*lgs\s*\.?", " dlgs "),
        (r"\bd\s*\.\s*lg\s*\.", " dlgs "),
        (r"\bd\s*\.\s*p\s*\.\s*r\s*\.?", " dpr "),
        (r"\bd\s*\.\s*p\s*\.\s*c\s*\.\s*m\s*\.?", " dpcm "),
        (r"\bd\s*\.\s*l\s*\.", " dl "),
        (r"\bd\s*\.\s*m\s*\.", " dm "),
        (r"\bartt?\s*\.", " art "),
        (r"\barticol[oi]\b", " art "),
        (r"\bco\s*\.(?=\s*\d)", " comma "),
        (r"\bcc\s*\.(?=\s*\d)", " comma "),
        (r"\bc\s*\.(?=\s*\d)", " comma "),
        (r"\blett\s*\.", " lettera "),
        (r"\bl\s*\.(?=\s*(?:n\s*\.\s*)?\d)", " legge "),
        (r"\bn\s*\.(?=\s*\d)", " "),
        (r"\bnum\s*\.(?=\s*\d)", " "),
    )
)
_LATIN_SUFFIX = re.compile(rf"(\d+)\s*-?\s*({LATIN})\b")
_ELISION = re.compile(r"\b[^\W\d_]{1,6}'(?=[^\W\d_])")
_ACCENT_APOSTROPHE = re.compile(r"([aeiou])'(?![^\W\d_])")
_TOKEN = re.compile(rf"\d+(?:-(?:{LATIN}))?(?:/\d+)*|[^\W\d_]+\d*")

EXTRA_STOPWORDS = ("qual", "cio", "ecc", "essere", "ovvero", "nonche", "cosa", "quali",
                   "d", "s", "m", "t", "v", "n", "dov", "com", "quand")


def fold_accents(text: str) -> str:
    """Remove diacritics (città → citta)."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


STOPWORDS = frozenset({fold_accents(w) for w in STOPWORDS_ITALIAN} | set(EXTRA_STOPWORDS))


def normalise(text: str) -> str:
    """NFKC, lower case, unified apostrophes and dashes, abbreviations, elisions, e' → è."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.translate(_APOSTROPHES).translate(_DASHES)
    text = _ELISION.sub(" ", text)
    for pattern, repl in _ABBREVIATIONS:
        text = pattern.sub(repl, text)
    text = _LATIN_SUFFIX.sub(r"\1-\2", text)
    return _ACCENT_APOSTROPHE.sub(lambda m: _ACCENTED[m.group(1)], text)


_local = threading.local()


def _stemmer() -> Stemmer.Stemmer:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = Stemmer.Stemmer("italian")
        _local.stemmer = stemmer
    return stemmer


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return fold_accents(_stemmer().stemWord(word))


def analyze(text: str) -> list[str]:
    """Index/query terms of a text: legal tokens whole, other words stemmed and folded."""
    terms: list[str] = []
    for token in _TOKEN.findall(normalise(text)):
        if token[0].isdigit():
            terms.append(token)
            if "/" in token:  # 267/2000 also matches "n. 267" and "del 2000"
                terms.extend(token.split("/"))
            continue
        if fold_accents(token) in STOPWORDS:
            continue
        terms.append(_stem(token))
    return terms


@lru_cache(maxsize=4096)
def term_set(text: str) -> frozenset[str]:
    """Distinct analysed terms of `text` (cached: passages recur across questions)."""
    return frozenset(analyze(text))
