"""What a question asks for when it asks for a figure, and whether a passage gives one.

"Entro quanti giorni…", "Quanto si paga…", "Quale articolo…": such a question is answered only
by a passage that states a term, an amount or an article. A passage on the same topic that
states none of them is a near miss ("same topic, fact absent"), and quoting it looks like an
answer while it is not one. The rules read the Italian question forms, not any question set:
- a term or a duration ("entro quanti giorni", "per quanti anni", "quanto tempo", "in che
  anno") needs a number with a unit of time, a date or a year;
- an amount ("quanto costa", "quanto si paga", "a quanto ammonta", "quali tariffe", "qual è
  l'importo"; pay: "quanto guadagna", "quanto prende", "qual è il compenso") needs a number
  with a currency or a percentage, or "gratuito";
- an article ("quale articolo") needs an article number;
- a count ("quanti consiglieri", "qual è il numero", "quale soglia") needs a number.
The dates and numbers that name an act ("D.L. 31 maggio 2021, n. 77") are not figures.
"Quando" is not read as a question of time: in Italian it also asks "in which case" and
opens subordinate clauses ("Quando inserisco un'osservazione…, devo…?"), and "entro / da /
fino a quando" is often answered by an event ("dalla presentazione della segnalazione").
An answer whose cited passages state none declines (`bot.answers.abstention`); optionally,
the first hits are ordered so that those stating the figure come first (`stating_first`,
`index.coverage.CoverageRanker(figures_first=True)`, off by default).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ingest.acts import act_spans

_DECADES = r"(?:venti|trenta|quaranta|cinquanta|sessanta|settanta|ottanta|novanta)"
_NUMBER_WORDS = (r"(?:due|tre|quattro|cinque|sei|sette|otto|nove|dieci|undici|dodici|tredici|"
                 r"quattordici|quindici|sedici|diciassette|diciotto|diciannove|"
                 rf"{_DECADES}\w*|"
                 r"(?:due|tre|quattro|cinque|sei|sette|otto|nove)?cento\w*|mille|\w*mila|"
                 r"milion\w*|miliard\w*|mezz[oa]|metà|doppio|triplo)")
_NUMBER = rf"(?:\d+(?:[.,]\d+)*|{_NUMBER_WORDS})"
_MONTH = (r"(?:gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre|"
          r"novembre|dicembre)")
_TIME_UNIT = (r"(?:giorn[oi]|mes[ei]|ann[oi]|or[ae]|settiman[ae]|minut[oi]|second[oi]|biennio|"
              r"triennio|quinquennio)")
_CURRENCY = r"(?:euro|€|eur|lire|%|per cento|sterlin\w*|£|\$|dollar\w*|franch\w*|centesim\w*)"
_FLAGS = re.IGNORECASE


@dataclass(frozen=True)
class Quantity:
    """One kind of figure a question can ask for: how it is asked, how a passage gives it."""

    label: str  # Italian, for the abstention note: "un termine o una durata"
    asked: re.Pattern[str]
    given: re.Pattern[str]

    def found_in(self, texts: Iterable[str]) -> bool:
        """True when some text states a figure of this kind (the dates and numbers that name
        an act, "legge 7 agosto 1990, n. 241", are not figures)."""
        return any(self.given.search(without_acts(text)) for text in texts)


def without_acts(text: str) -> str:
    """`text` with every act it names blanked out."""
    for start, end, _ in reversed(act_spans(text)):
        text = text[:start] + " " * (end - start) + text[end:]
    return text


TERM = Quantity(
    "un termine o una durata",
    re.compile(r"\bquanto tempo\b|\bquanto dur"
               rf"|\b(?:per|entro|in|dopo) quant[ie]\s+{_TIME_UNIT}\b|\bquant[ie]\s+{_TIME_UNIT}\b"
               r"|\bin (?:quale|che) (?:anno|data|giorno|mese|secolo)\b"
               r"|\b(?:quale|qual è la|qual e' la) (?:durata|scadenza|data)\b", _FLAGS),
    re.compile(rf"\b(?:un[oa]?|{_NUMBER})\s+(?:\w+\s+)?{_TIME_UNIT}\b|\b\d{{1,2}}\s*[°º]?\s*{_MONTH}\b"
               rf"|\b{_MONTH}\s+\d{{4}}\b|\b\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}\b"
               r"|\b(?:1[0-9]|20)\d\d\b|\bsecol[oi]\b|\bdecenni\w*|\banni\s*'?\s*\d\d\b"
               rf"|\banni {_DECADES}\b|\bgiornat[ae]\b|\bgiorno\b|\b[TD]\s*\+\s*\d"
               r"|\b(?:annual|mensil|settimanal|quotidian|biennal|triennal|quinquennal)\w*",
               _FLAGS))
AMOUNT = Quantity(
    "un importo",
    re.compile(r"\bquanto cost|\bquanto si pag|\bquanto (?:si )?deve (?:pagare|versare)"
               r"|\bquanto (?:bisogna|occorre) (?:pagare|versare)|\bquant[oi] (?:euro|soldi)\b"
               r"|\ba quanto ammont|\bquanto vale\b|\bquali tariffe\b"
               r"|\bquanto (?:guadagn|percepisc|prend[eo]n?o?\b)"
               r"|\bquale (?:importo|somma|cifra|tariffa|compenso|retribuzione|stipendio"
               r"|indennit[àa])\b"
               r"|\b(?:qual è|qual e'|quale è) (?:lo stipendio|la retribuzione|il compenso"
               r"|l'indennit[àa])\b"
               r"|\b(?:qual è|qual e'|quale è|quali sono) (?:l'importo|gli importi|il costo|"
               r"i costi|la tariffa|le tariffe|il canone)\b", _FLAGS),
    re.compile(rf"\b{_NUMBER}\s*(?:(?:milion\w*|miliard\w*|mila)\s+)?(?:di\s+)?{_CURRENCY}"
               rf"|(?:€|eur|£|\$)\s*{_NUMBER}|\bgratuit\w*|\bsenza (?:oneri|costi)\b"
               r"|\bnessun (?:costo|onere)\b", _FLAGS))
ARTICLE = Quantity(
    "il numero di un articolo",
    re.compile(r"\b(?:quale|che|in quale|in che) articol[oi]\b", _FLAGS),
    re.compile(r"\bart(?:icol[oi])?\.?\s*\d", _FLAGS))
COUNT = Quantity(
    "un numero",
    re.compile(r"\bquant[ie]\s+(?!volte\b)\w+|\bqual è il numero\b"
               r"|\bil numero (?:massimo|minimo) di\b|\bquale (?:percentuale|soglia)\b"
               r"|\bqual è la soglia\b", _FLAGS),
    re.compile(rf"\d|\b{_NUMBER_WORDS}\b|%", _FLAGS))
QUANTITIES = (TERM, AMOUNT, ARTICLE, COUNT)  # the first that the question asks decides


def asked_quantity(question: str) -> Quantity | None:
    """The kind of figure `question` asks for, or None when it asks for none."""
    return next((q for q in QUANTITIES if q.asked.search(question)), None)


def missing_quantity(question: str, texts: Iterable[str]) -> str | None:
    """The label of the figure `question` asks for when none of `texts` states one."""
    kind = asked_quantity(question)
    if kind is None or kind.found_in(texts):
        return None
    return kind.label


def stating_first(question: str, texts: Sequence[str]) -> list[int]:
    """Positions of `texts`, those stating the figure `question` asks for first (stable; the
    given order when it asks for none, or when none or all of them state it)."""
    kind = asked_quantity(question)
    order = list(range(len(texts)))
    if kind is None:
        return order
    states = [kind.found_in((text,)) for text in texts]
    return sorted(order, key=lambda i: not states[i])
