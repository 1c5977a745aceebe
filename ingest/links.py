"""Links that open a source at the cited place: an act's article on Normattiva, a PDF's page.

- Normattiva resolves `.../uri-res/N2Ls?urn:nir:<authority>:<type>:<date>;<number>` and,
  with `~art<N>`, opens the act at that article ("10-bis" is written `10bis`); `!vig=<date>`
  asks for the text in force on that date, and `!vig=` with no date for the text in force on
  the day the link is opened (Normattiva's news of 2011 on URN links). A Normattiva file
  carries its date in its front matter (`dataVigenza: 20251104`): the document's link then
  opens the very version that was indexed and quoted, and `link_today` the same place in
  today's text, to check whether it changed since.
- A URL whose path is a PDF file gets `#page=<n>` (RFC 8118, the fragment browsers' PDF
  viewers honour). A page that wraps the PDF in a viewer of its own (GitHub's file pages,
  for instance) opens at the start: the citation's page number says where to look.
Anything else is left as it is.

`act_link` builds the link of an act the knowledge base does not hold, from its key and date:
a Normattiva URN in the text in force when opened (at the article, when one is cited), or
for an EU regulation its Italian text on EUR-Lex (CELEX number `3<year>R<number>`).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ingest.models import Locator

_NORMATTIVA = re.compile(
    r"^(?P<base>https?://(?:www\.)?normattiva\.it/uri-res/N2Ls\?urn:nir:[^~!@#\s]+)"
    r"(?P<place>~[^!@#\s]*)?(?P<version>[!@][^#\s]*)?$", re.IGNORECASE)
_ARTICLE = re.compile(r"^(\d+)(?:[-\s]?([a-z]+))?$", re.IGNORECASE)
_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")
NORMATTIVA = "https://www.normattiva.it/uri-res/N2Ls?urn:nir:"
URN_TYPES = {"legge": "stato:legge", "dlgs": "stato:decreto.legislativo",
             "dl": "stato:decreto.legge", "dpr": "presidente.repubblica:decreto",
             "dpcm": "presidente.consiglio.ministri:decreto",
             "lcost": "stato:legge.costituzionale", "rd": "stato:regio.decreto"}
"""Act key kinds -> NIR authority and type (a ministerial decree's authority is not in its key)."""
_PINNED = re.compile(r"^!vig=\d{4}-\d{2}-\d{2}$")


def link_place(url: str | None, locator: Locator) -> str | None:
    """`url` narrowed to the place `locator` names, where the URL's form allows it."""
    if not url:
        return url
    act = _NORMATTIVA.match(url)
    if act:
        return _article_link(act, locator.article) if locator.article else url
    if locator.page_start is not None and _is_pdf(url):
        return f"{url}#page={locator.page_start}"
    return url


def link_version(url: str | None, in_force_on: str | None) -> str | None:
    """A Normattiva URN link pinned to the text in force on `in_force_on` (YYYYMMDD or
    YYYY-MM-DD); any other URL, one already pinned or a date that is not one, unchanged."""
    act = _NORMATTIVA.match(url or "")
    date = _DATE.match((in_force_on or "").strip())
    if not act or not date or act.group("version"):
        return url
    year, month, day = date.groups()
    return f"{act.group('base')}{act.group('place') or ''}!vig={year}-{month}-{day}"


def link_today(url: str | None) -> str | None:
    """The Normattiva link of a pinned version (`!vig=<date>`) asking instead for the text in
    force on the day it is opened (`!vig=`); None for any other URL."""
    act = _NORMATTIVA.match(url or "")
    version = act.group("version") if act else None
    if not act or not version or not _PINNED.match(version):
        return None
    return f"{act.group('base')}{act.group('place') or ''}!vig="


def act_link(act: str | None, day: str | None, article: str | None = None) -> str | None:
    """The public text of act `act` ('dlgs:179/2016') dated `day` (ISO), at `article` when
    Normattiva can open it there; None when the key's kind or the date does not allow one."""
    kind, _, rest = (act or "").partition(":")
    number, _, year = rest.partition("/")
    if kind == "reg-ue":
        return _eur_lex(number, year)
    if act == "costituzione":
        base = f"{NORMATTIVA}stato:costituzione:1947-12-27"
    elif kind in URN_TYPES and number.isdigit() and day and day[:4] == year \
            and _DATE.match(day):
        base = f"{NORMATTIVA}{URN_TYPES[kind]}:{day};{int(number)}"
    else:
        return None
    return f"{base}{_article_place(article or '')}!vig="


def _eur_lex(year: str, number: str) -> str | None:
    """EUR-Lex's Italian text of a regulation keyed year/number (`ingest.acts` reads both
    the form since 2015, "2016/679", and the older "n. 1998/2006" into that order)."""
    if not (year.isdigit() and number.isdigit()) or not 1950 <= int(year) <= 2099:
        return None
    return ("https://eur-lex.europa.eu/legal-content/IT/TXT/?uri=CELEX:"
            f"3{year}R{int(number):04d}")


def _article_link(act: re.Match[str], article: str) -> str:
    place = _article_place(article)
    if act.group("place") or not place:  # already narrowed, or an article we cannot write
        return act.group(0)
    return f"{act.group('base')}{place}{act.group('version') or ''}"


def _article_place(article: str) -> str:
    """'~art10bis' for article "10-bis"; '' for none or one Normattiva cannot address."""
    number = _ARTICLE.match(article.strip())
    return f"~art{number.group(1)}{(number.group(2) or '').lower()}" if number else ""


def _is_pdf(url: str) -> bool:
    parts = urlsplit(url)
    return (parts.scheme in ("http", "https") and not parts.fragment
            and parts.path.lower().endswith(".pdf"))
