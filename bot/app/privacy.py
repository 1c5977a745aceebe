"""What of a question may be stored: nothing by default, scrubbed text when logging is on.

With question logging off (the default) a logged question keeps only counts (channel,
abstention, cited documents): no text and no term of it. With `RACCORDO_LOG_QUESTIONS=true`
the text and its terms are stored after dropping personal data: codici fiscali, IBANs,
e-mail addresses, phone numbers and the names that follow a personal title (sig., dott.,
avv., ...) or "mi chiamo". The scrubbing is by pattern: it errs towards dropping numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.answers.terms import terms

MAX_TERMS = 30

_NAME = r"[A-ZÀ-Ý][\w'’-]+"
_TITLES = (r"sig(?:\.ra|\.na|\.|nor[ae]?|nora)|dott(?:\.ssa|\.|or|oressa)|avv(?:\.to|\.)?"
           r"|avvocat[oa]|ing\.|ingegner[e]?|prof(?:\.ssa|\.)|professor[e]?|professoressa"
           r"|arch\.|architett[oa]|geom\.|geometra|rag\.|ragionier[ea]?|on\.|onorevole"
           r"|sen\.|senatore|senatrice|dr\.|sindac[oa]|assessor[ea]|mi chiamo|sono il|sono la")

PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("[email]", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("[IBAN]", re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b", re.IGNORECASE)),
    ("[codice fiscale]", re.compile(
        r"\b[A-Z]{6}[0-9LMNP-V]{2}[A-EHLMPR-T][0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{3}[A-Z]\b",
        re.IGNORECASE)),
    ("[telefono]", re.compile(
        r"(?<![\w/.])(?:(?:\+|00)39[ .-]?)?(?:3\d{2}|0\d{1,3})(?:[ .-]?\d){5,8}(?![\w/])")),
)
# names: group 1 is dropped, the rest of the match (title, "CF") is kept
NAME_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"(?i:\b(?:{_TITLES}))\s*((?:{_NAME}[ ]){{0,2}}{_NAME})"),
    re.compile(rf"(?i:\bsono)\s+((?:{_NAME}[ ]){{1,2}}{_NAME})"),
    re.compile(rf"((?:{_NAME}[ ]){{0,2}}{_NAME}),?\s+(?=(?i:c\.?f\.?\s|codice fiscale))"),
)


def _drop_name(match: re.Match[str]) -> str:
    whole, start = match.group(0), match.start(0)
    return whole[:match.start(1) - start] + "[nome]" + whole[match.end(1) - start:]


@dataclass(frozen=True)
class LoggedQuestion:
    """What the question log may keep of one question."""

    terms: list[str]
    text: str | None


def scrub(text: str) -> str:
    """`text` with personal data replaced by bracketed placeholders."""
    for name in NAME_PATTERNS:
        text = name.sub(_drop_name, text)
    for placeholder, pattern in PATTERNS:
        text = pattern.sub(placeholder, text)
    return re.sub(r"[ ]{2,}", " ", text).strip()


def loggable(question: str, log_questions: bool) -> LoggedQuestion:
    """Nothing of the question when logging is off; scrubbed text and terms when on."""
    if not log_questions:
        return LoggedQuestion(terms=[], text=None)
    clean = scrub(question)
    bare = re.sub(r"\[[^\]]*\]", " ", clean)  # placeholders are not topics
    return LoggedQuestion(terms=sorted(set(terms(bare)))[:MAX_TERMS], text=clean)
