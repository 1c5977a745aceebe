"""Rewrite an elliptic follow-up ("e per le province?") into a full question.

Method (deterministic, no model):
1. A question is a follow-up when there is history and it is elliptic: it starts with a
   connective ("e", "ed", "e per", "e invece", "anche", "invece", "e se", "mentre") or a
   demonstrative ("questo", "quello", "ciò", "esso", "vale anche"...), or it has at most
   two content words and no interrogative of its own ("chi", "come", "quando"...).
2. The previous question is resolved first (history is folded from the oldest turn), so
   chains of follow-ups keep their subject.
3. The fragment's leading connective and preposition are removed ("e per le province?" →
   "le province"). When the fragment names an entity of a known class (kinds of public body,
   organs, Italian cities) and the previous question names a different entity of that class,
   that entity (with its article) is replaced in the previous question ("... le città
   metropolitane ..." → "... le province ..."). Otherwise the fragment is appended.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.answers.models import Turn
from bot.answers.terms import terms
from ingest.metadata import METROPOLITAN_CITIES

_CONNECTIVE = re.compile(
    r"^\s*(?:e\s+invece|e\s+se|e|ed|anche|invece|mentre|oppure|o|ma|quanto\s+a|riguardo\s+a)"
    r"(?=\s|$)[\s,]*",
    re.IGNORECASE,
)
_PREPOSITION = re.compile(
    r"^(?:per|nel|nella|nelle|nei|negli|nello|in|con|sul|sulla|sulle|sui|sugli|a|al|alla|"
    r"alle|ai|agli|di|del|della|delle|dei|degli|da|dal|dalla|dalle|dai|dagli)\s+",
    re.IGNORECASE,
)
_PRONOUN = re.compile(
    r"^\s*(?:questo|questa|questi|queste|quello|quella|quelli|quelle|ciò|cio'|esso|essa|"
    r"essi|esse|vale\s+anche|valgono\s+anche|si\s+applica\s+anche|e\s+poi)\b",
    re.IGNORECASE,
)
_ARTICLE = r"(?:(?:il|lo|la|i|gli|le|l['’])\s*)?"
_INTERROGATIVE = re.compile(
    r"\b(?:chi|come|quando|quanto|quanti|quante|quale|quali|cosa|perché|perche|dove|entro)\b",
    re.IGNORECASE,
)

ENTITY_CLASSES: dict[str, tuple[str, ...]] = {
    "ente": (
        r"citt[àa]'?\s+metropolitan[ae]", r"province?", r"provinc[ei]", r"comun[ei]",
        r"region[ei]", r"unioni?\s+(?:dei|di)\s+comuni", r"comunit[àa]'?\s+montan[ae]",
        r"stato", r"municipi", r"circoscrizion[ei]",
    ),
    "organo": (
        r"sindac[oi](?:\s+metropolitan[oi])?", r"president[ei](?:\s+della\s+provincia)?",
        r"consigli[o]?(?:\s+(?:comunale|provinciale|metropolitano))?",
        r"giunt[ae]", r"dirigent[ei]", r"segretari[o]?(?:\s+comunale)?",
        r"conferenza\s+metropolitana",
    ),
    "citta": tuple(r"\s+".join(re.escape(w.lower()) for w in city.split())
                   for city in METROPOLITAN_CITIES),
}


def is_followup(question: str) -> bool:
    """True when `question` looks elliptic and needs the previous turn to be understood."""
    text = question.strip()
    if not text:
        return False
    if _CONNECTIVE.match(text) or _PRONOUN.match(text):
        return True
    return len(terms(text)) <= 2 and not _INTERROGATIVE.search(text)


def rewrite(question: str, history: Sequence[Turn]) -> str:
    """The question made self-contained from `history` (unchanged when not a follow-up)."""
    previous: str | None = None
    for turn in history:
        previous = turn.question if previous is None else _merge(turn.question, previous)
    if previous is None:
        return question
    return _merge(question, previous)


def _merge(question: str, previous: str) -> str:
    """Resolve one follow-up against the (already resolved) previous question."""
    if not is_followup(question):
        return question
    fragment = _fragment(question)
    if not fragment:
        return previous
    replaced = _substitute(fragment, previous)
    if replaced is not None:
        return replaced
    return f"{previous.rstrip(' ?')} {fragment}?"


def _fragment(question: str) -> str:
    """The follow-up without connective, leading preposition and final punctuation."""
    text = question.strip().rstrip("?!. ")
    text = _CONNECTIVE.sub("", text, count=1)
    return _PREPOSITION.sub("", text, count=1).strip()


def _substitute(fragment: str, previous: str) -> str | None:
    """Swap the entity of the same class in `previous` for the one named in `fragment`."""
    for patterns in ENTITY_CLASSES.values():
        new = _find_entity(fragment, patterns)
        if new is None:
            continue
        old = _find_entity(previous, patterns)
        if old is None or old.group(0).lower() == new.group(0).lower():
            continue
        return previous[:old.start()] + new.group(0) + previous[old.end():]
    return None


def _find_entity(text: str, patterns: tuple[str, ...]) -> re.Match[str] | None:
    """The first (leftmost) entity of a class named in `text`."""
    found: list[re.Match[str]] = []
    for pattern in patterns:
        m = re.search(rf"\b{_ARTICLE}{pattern}\b", text, re.IGNORECASE)
        if m:
            found.append(m)
    return min(found, key=lambda m: (m.start(), -len(m.group(0)))) if found else None
