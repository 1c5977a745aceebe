"""Rewrite an elliptic follow-up ("e per le province?") into a full question.

Method (deterministic, no model):
1. A question is a follow-up when there is history and it is elliptic: it starts with a
   connective ("e", "ed", "e per", "e invece", "anche", "invece", "e se", "mentre") or a
   demonstrative ("questo", "quello", "ciò", "esso", "vale anche"...), or it has at most
   two content words and no interrogative of its own ("chi", "come", "quando"...), or it
   asks only the question and names nothing to ask it of (`asks_only`: "entro quale data?",
   "quanto dura?", "chi lo nomina?", "in che modo?"; "cos'è pagoPA?" names pagoPA). An "e"
   before a predicate ("E possibile…", "E vero che…", "E stato approvato…") is "è" typed
   without its accent: that question is whole (`is_copula`).
2. The previous question is resolved first (history is folded from the oldest turn), so
   chains of follow-ups keep their subject.
3. The fragment's leading connective is removed ("e per le province?" → "per le province").
   When it names an entity of a known class (kinds of public body, organs, Italian cities)
   and the previous question names a different entity of that class, that entity is
   replaced, keeping the role it had there: the previous preposition, joined with the
   fragment's article as Italian does ("... nei comuni?" + "e nelle città metropolitane?" →
   "... nelle città metropolitane?"; "... della provincia?" + "e i comuni?" → "... dei
   comuni?"). A fragment that only asks leads, and the previous question's topic (`_topic`,
   its noun phrase after what it asked) follows: "Chi approva il bilancio di previsione?" +
   "entro quale data?" → "Entro quale data il bilancio di previsione?"; with no noun phrase
   to take, the whole previous question follows a colon. After "quanto", a verb and a noun
   ("quanto dura la nomina?"), the topic is the noun's complement ("... la nomina del
   segretario comunale?"). Otherwise the fragment, with its
   preposition, is appended.
4. `added_terms` gives what the follow-up adds: the answerer declines when the passage it
   would cite is not about it (bot.answers.answerer). The noun an interrogative asks for
   ("data" in "entro quale data?") is what the answer states, not what it is about: it is
   not among them (the figure check asks for the date itself, index.quantities).
5. Without history, a question that can only be a follow-up (`is_orphan`: "e nelle città
   metropolitane?", "questo vale anche per i comuni?", "entro quale data?") is not answered
   as it stands: any passage about "città metropolitane" would look like an answer. The
   answerer asks for the whole question instead.
6. A conditional follow-up ("e se non lo approva?", `is_conditional`) is not answered either,
   with or without history: glued to the previous question it found wrong acts, and the
   answerer asks for the whole question.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.answers.models import Turn
from bot.answers.terms import terms
from ingest.metadata import METROPOLITAN_CITIES

_CONNECTIVE = re.compile(
    r"^\s*(?:e\s+invece|e\s+se|e|ed|anche|invece|mentre|oppure|o|ma|quanto\s+a|riguardo\s+a)"
    r"(?=\s|$)[\s,]*",
    re.IGNORECASE,
)
_PREPOSITIONS = (r"per|nel|nella|nelle|nei|negli|nello|in|con|sul|sulla|sulle|sui|sugli|a|al|"
                 r"alla|alle|ai|agli|di|del|della|delle|dei|degli|da|dal|dalla|dalle|dai|dagli")
_PREPOSITION = re.compile(r"^(?:" + _PREPOSITIONS + r")\s+", re.IGNORECASE)
_PRONOUN = re.compile(
    r"^\s*(?:questo|questa|questi|queste|quello|quella|quelli|quelle|ciò|cio'|esso|essa|"
    r"essi|esse|vale\s+anche|valgono\s+anche|si\s+applica\s+anche|e\s+poi)\b",
    re.IGNORECASE,
)
# Articulated prepositions are built from a preposition and an article: "di" + "le" ->
# "delle", "in" + "i" -> "nei", "su" + "l'" -> "sull'".
_JOINS = {"di": "de", "a": "a", "da": "da", "in": "ne", "su": "su"}
_SUFFIX = {"il": "l", "lo": "llo", "la": "lla", "l'": "ll'", "i": "i", "gli": "gli", "le": "lle"}
_ARTICULATED = {stem + suffix: (base, article) for base, stem in _JOINS.items()
                for article, suffix in _SUFFIX.items()}
_ART = r"(?:il|lo|la|i|gli|le|l['’])"
_LEAD = (r"(?:(?P<joined>(?:de|a|da|ne|su)(?:llo|lla|ll['’]|l|i|gli|lle))(?:\s+|(?<=['’]))"
         r"|(?:(?P<prep>di|a|da|in|su|per|con|tra|fra)\s+)?"
         r"(?:(?P<art>" + _ART + r")(?:\s+|(?<=['’])))?)")
_CLITICS = r"lo|la|li|le|gli|ne|si|ci|vi|l['’]"
_CLITIC = r"(?:" + _CLITICS + r")"
_MODALS = r"può|puo'|possono|deve|devono|va|vanno|bisogna|occorre"
# A question that only asks: an interrogative (with its preposition, and the noun it asks
# for), clitics and modals, and at most one word of its own, a copula excepted ("entro
# quando va presentato?"; "cos'è pagoPA?" asks about pagoPA), or after the noun asked for,
# a clitic and a verb ("entro quanti giorni si risponde?"; "quanto costa pagoPA?" names
# pagoPA).
# The opening of a question: the interrogative's preposition, then an interrogative
# determiner (before the noun it asks for) or pronoun.
_ASK_PREPOSITION = r"(?:(?:entro|fino\s+a|per|da|di|a|in|con|su|tra|fra)\s+)?"
_ASK_DETERMINER = r"(?:quale|quali|quanto|quanta|quanti|quante|che)\s+"
_ASK_PRONOUN = r"chi|come|quando|dove|perch[ée]|perche'"
_ASKS_ONLY = re.compile(
    r"^\s*" + _ASK_PREPOSITION
    + r"(?:" + _ASK_DETERMINER + r"(?P<asked>\w+)"
    r"(?:\s+" + _CLITIC + r"(?<!')\s+(?P<then>\w+))?"
    r"|(?:" + _ASK_PRONOUN + r"|cosa|che\s+cosa)"
    r"(?:\s+(?:" + _CLITICS + r"|" + _MODALS + r")(?<!')(?=\s)|\s*l['’])*"
    r"(?:\s*(?!(?:è|e'|sono|era|sia)\b)(?P<verb>\w+))?)"
    r"\s*[?!.]*\s*$", re.IGNORECASE)
_INTERROGATIVE = re.compile(
    r"\b(?:chi|come|quando|quanto|quanti|quante|quale|quali|cosa|perché|perche|dove|entro)\b",
    re.IGNORECASE,
)

ENTITY_CLASSES: dict[str, tuple[str, ...]] = {
    "ente": (
        r"citt[àa]'?\s+metropolitan[ae]", r"provinc(?:ia|e)", r"comun[ei]",
        r"region[ei]", r"union[ei]\s+(?:dei|di)\s+comuni", r"comunit[àa]'?\s+montan[ae]",
        r"stato", r"municipi[o]?", r"circoscrizion[ei]",
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


# "E possibile…", "E vero che…", "E stato approvato…": "e" typed for "è" (no accent on the
# keyboard) before a predicate (an adjective or a participle), not the connective.
_COPULA = re.compile(
    r"^\s*e\s+(?!quest|quell|codest|tutt)(?:vero|ver[aie]|sempre|ancora|già|gia'|normale|utile"
    r"|valid[oaie]|legittim[oaie]|opportun[oaie]|\w+(?:bil[ei]|ari[oaie]|ori[oaie]|[aiu]t[oaie]"
    r"|st[oaie]|ss[oaie]|tt[oaie]|ent[ei]|iv[oaie]))\b",
    re.IGNORECASE,
)
_CITY = re.compile(r"^\s*e\s+(?:" + "|".join(ENTITY_CLASSES["citta"]) + r")\b", re.IGNORECASE)


def is_copula(question: str) -> bool:
    """True when the opening "e" is the verb "è" typed without its accent ("E possibile
    delegare la firma?"), not the connective of a follow-up ("E Bari?" names a city)."""
    return _COPULA.match(question) is not None and _CITY.match(question) is None


def is_followup(question: str) -> bool:
    """True when `question` looks elliptic and needs the previous turn to be understood."""
    text = question.strip()
    if not text or is_copula(text):
        return False
    if _CONNECTIVE.match(text) or _PRONOUN.match(text) or asks_only(text):
        return True
    return len(terms(text)) <= 2 and not _INTERROGATIVE.search(text)


def asks_only(question: str) -> bool:
    """True when `question` asks without naming what it asks about: "entro quale data?",
    "quanto dura?", "chi lo nomina?", "e in che modo?" (its subject is in the previous turn)."""
    return _ASKS_ONLY.match(_without_connective(question)) is not None


MIN_VERB_CHARS = 4  # "fa", "è", "va" say nothing a passage must be about
MAX_ORPHAN_TERMS = 3  # an elliptic fragment names one thing: "le città metropolitane di Bari"
_FRAGMENT_LEAD = re.compile(
    r"^(?:(?:" + _PREPOSITIONS + r"|il|lo|la|i|gli|le)\s+|(?:l|dell|nell|all|sull|dall)['’])",
    re.IGNORECASE,
)


_CONDITIONAL_LEAD = re.compile(r"^\s*(?:e|ed|ma|e\s+invece|invece|e\s+poi)\s+se\b",
                               re.IGNORECASE)


def is_conditional(question: str) -> bool:
    """True for a follow-up that puts a condition to the previous question ("e se non lo
    approva?", "ma se il comune non ha dirigenti?"). Glued to that question it is no whole
    question: on our conversations it never found the answering passage and often found a
    wrong one (docs/answers.md), so it is not answered; the answerer asks for it whole."""
    return _CONDITIONAL_LEAD.match(question) is not None


def is_orphan(question: str) -> bool:
    """True when `question` can only continue an earlier one: it opens with a connective and
    then a preposition or an article ("e nelle città metropolitane?", "anche per le
    province?") or with a demonstrative ("questo vale anche…"), adds at most
    `MAX_ORPHAN_TERMS` content words and asks nothing of its own. ("E possibile…", typed for
    "È possibile…", is a question of its own.)"""
    text = question.strip()
    if asks_only(text):
        return True
    if _INTERROGATIVE.search(text) or not 0 < len(terms(text)) <= MAX_ORPHAN_TERMS:
        return False
    if _PRONOUN.match(text):
        return True
    lead = _CONNECTIVE.match(text)
    return lead is not None and _FRAGMENT_LEAD.match(text[lead.end():]) is not None


def rewrite(question: str, history: Sequence[Turn]) -> str:
    """The question made self-contained from `history` (unchanged when not a follow-up)."""
    previous: str | None = None
    for turn in history:
        previous = turn.question if previous is None else _merge(turn.question, previous)
    if previous is None:
        return question
    return _merge(question, previous)


def added_terms(question: str, history: Sequence[Turn]) -> frozenset[str]:
    """The content terms a follow-up adds to the conversation (empty when not a follow-up):
    what the answer must be about, besides the previous question's subject."""
    if not history or not is_followup(question):
        return frozenset()
    asked = _ASKS_ONLY.match(_without_connective(question))
    if asked:  # only its verb ("nomina"): the interrogative and the noun asked for are no topic
        verb = asked.group("verb") or asked.group("then") or ""
        return frozenset(terms(verb)) if len(verb) >= MIN_VERB_CHARS else frozenset()
    return frozenset(terms(_fragment(question)))


def _merge(question: str, previous: str) -> str:
    """Resolve one follow-up against the (already resolved) previous question."""
    if not is_followup(question):
        return question
    fragment = _fragment(question)
    if not fragment:
        return previous
    spoken = _without_connective(question)
    if asks_only(spoken):
        asked = f"{spoken[:1].upper()}{spoken[1:]}"
        topic = _topic(previous)
        if topic is None:
            return f"{asked}: {previous[:1].lower()}{previous[1:]}"
        predicate = _predicate(previous) if _asks_without_verb(spoken) else ""
        of_noun = _ASKS_OF_NOUN.match(spoken)
        if of_noun is not None:
            asked, topic = _of_noun(asked, of_noun, topic)
        return " ".join(filter(None, (asked, predicate, topic))) + "?"
    replaced = _substitute(spoken, previous)
    if replaced is not None:
        return replaced
    return f"{previous.rstrip(' ?')} {spoken}?"


# What a question asks of its topic: "Chi approva", "Che compiti ha", "Entro quanto tempo deve
# concludersi", "Che cos'è", "Come si paga": an interrogative (with its preposition and the
# noun it asks for), clitics and modals, one verb; the topic follows, opening as a noun
# phrase does (an article, an articulated preposition).
_QUESTION_LEAD = re.compile(
    r"^\s*(?P<ask>" + _ASK_PREPOSITION
    + r"(?:" + _ASK_DETERMINER + r"(?!cos)\w+"
    r"|(?:che\s+)?cos['’]\s*(?:è|e')|(?:che\s+)?cosa(?:\s+(?:è|e'))?"
    r"|" + _ASK_PRONOUN + r"))\s+"
    r"(?:(?:" + _CLITICS + r"|" + _MODALS + r")"
    r"(?:\s+|(?<=['’])))*"
    r"(?:(?!(?:il|lo|la|i|gli|le|un|uno|una)\b)\w+\s+){0,2}"
    r"(?=(?:il|lo|la|i|gli|le|un|uno|una|l['’]|un['’])(?:\s|(?<=['’]))"
    r"|(?:del|della|dello|dei|degli|delle|nel|nella|nei|negli|nelle)\s)",
    re.IGNORECASE)


def _topic(question: str) -> str | None:
    """The noun phrase a question asks about ("il bilancio di previsione del comune" in "Chi
    approva il bilancio di previsione del comune?"), or None when it cannot be told."""
    lead = _QUESTION_LEAD.match(question)
    if lead is None:
        return None
    topic = question[lead.end():].strip().rstrip("?!. ")
    return topic or None


def _predicate(question: str) -> str:
    """What a question says of its topic between the interrogative and the topic ("approva"
    in "Chi approva il bilancio?", "si paga" in "Come si paga una multa?"); empty when that
    says nothing a passage must be about ("ha" in "Che compiti ha il segretario?")."""
    lead = _QUESTION_LEAD.match(question)
    if lead is None:
        return ""
    predicate = question[lead.end("ask"):lead.end()].strip()
    return predicate if terms(predicate) else ""


# "quanto" and a verb, then an article and a noun ("quanto dura la nomina?", "quanto costa
# la tessera?"): the noun is the verb's subject, and the previous topic is its complement.
# After the noun asked for ("entro quanti giorni lo approva?") "lo" is a clitic instead.
_ASKS_OF_NOUN = re.compile(
    r"^\s*" + _ASK_PREPOSITION + r"quanto\s+(?!tempo\b)\w+"
    r"(?P<np>\s+(?:il|lo|la|i|gli|le)\s+(?P<noun>\w+))\s*[?!.]*\s*$", re.IGNORECASE)
_TOPIC_ARTICLE = re.compile(r"^(?P<art>il|lo|la|i|gli|le|l['’])(?:\s+|(?<=['’]))", re.IGNORECASE)


def _of_noun(asked: str, of_noun: re.Match[str], topic: str) -> tuple[str, str]:
    """The follow-up's noun phrase with the previous topic as its complement, or the topic
    in its place when it names the same noun ("quanto costa la tessera?" after a question on
    "la tessera elettorale")."""
    head = _TOPIC_ARTICLE.sub("", topic).split(maxsplit=1)
    if head and head[0].lower() == of_noun.group("noun").lower():
        return asked[:of_noun.start("np")], topic
    return asked, _of(topic)


def _of(topic: str) -> str:
    """The topic as a noun's complement: "il segretario comunale" -> "del segretario
    comunale", "un assessore" -> "di un assessore"."""
    lead = _TOPIC_ARTICLE.match(topic)
    if lead is not None:
        article = lead.group("art").lower().replace("’", "'")
        return _phrase("di", article, topic[lead.end():])
    if re.match(r"(?:un|uno|una|un['’])(?:\s|(?<=['’]))", topic, re.IGNORECASE):
        return f"di {topic}"
    return topic


def _asks_without_verb(spoken: str) -> bool:
    """True for a follow-up made only of an interrogative, with its preposition or the noun
    it asks for ("entro quando?", "e chi?", "entro quale data?"): it keeps the previous
    question's verb. "quanto" and a word may be a verb ("quanto dura?") as well as a noun, so
    it is left out, save for "quanto tempo"."""
    asked = _ASKS_ONLY.match(spoken)
    if asked is None or asked.group("verb") or asked.group("then"):
        return False
    return not re.search(r"\bquanto\s+(?!tempo\b)\w+\s*[?!.]*\s*$", spoken, re.IGNORECASE)


def _without_connective(question: str) -> str:
    """The follow-up without connective and final punctuation ("in caso di ritardo")."""
    return _CONNECTIVE.sub("", question.strip().rstrip("?!. "), count=1).strip()


def _fragment(question: str) -> str:
    """The follow-up without connective, leading preposition and final punctuation."""
    return _PREPOSITION.sub("", _without_connective(question), count=1).strip()


def _substitute(fragment: str, previous: str) -> str | None:
    """Swap the entity of the same class in `previous` for the one named in `fragment`,
    keeping the role (preposition) it had in `previous` with the fragment's article. Only
    when the fragment ends with the entity: "e se il dirigente non risponde?" says more than
    who, and swapping would drop it."""
    for patterns in ENTITY_CLASSES.values():
        new = _find_entity(fragment, patterns)
        if new is None:
            continue
        if terms(fragment[new.end:]):
            return None
        old = _find_entity(previous, patterns)
        if old is None or old.noun.lower() == new.noun.lower():
            continue
        return previous[:old.start] + _phrase(old.base, new.article, new.noun) + previous[old.end:]
    return None


@dataclass(frozen=True)
class _Mention:
    """An entity named in a text, with the preposition and article before it."""

    start: int
    end: int
    base: str | None  # simple preposition ("di" for "della")
    article: str | None
    noun: str


def _find_entity(text: str, patterns: tuple[str, ...]) -> _Mention | None:
    """The first (leftmost) entity of a class named in `text`."""
    found: list[re.Match[str]] = []
    for pattern in patterns:
        m = re.search(rf"(?<!\w){_LEAD}(?P<noun>{pattern})\b", text, re.IGNORECASE)
        if m:
            found.append(m)
    if not found:
        return None
    m = min(found, key=lambda m: (m.start("noun"), -len(m.group(0))))
    base, article = _lead(m)
    return _Mention(m.start(), m.end(), base, article, m.group("noun"))


def _lead(m: re.Match[str]) -> tuple[str | None, str | None]:
    """(simple preposition, article) of the words before an entity."""
    if m.group("joined"):
        word = m.group("joined").lower().replace("’", "'")
        return _ARTICULATED[word]
    article = m.group("art")
    return m.group("prep"), article.lower().replace("’", "'") if article else None


def _phrase(base: str | None, article: str | None, noun: str) -> str:
    """Preposition, article and noun as Italian writes them ("in" + "le" -> "nelle")."""
    if base is not None and article is not None and base in _JOINS:
        return f"{_JOINS[base]}{_SUFFIX[article]}" + ("" if article == "l'" else " ") + noun
    words = [w for w in (base, article) if w]
    lead = " ".join(words)
    if not lead:
        return noun
    return lead + noun if lead.endswith("'") else f"{lead} {noun}"
