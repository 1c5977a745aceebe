"""Italian act references: normalised keys ("dlgs:267/2000"), common names, parsing.

`act_key(text)` normalises one mention; `find_act_references(text)` finds every act (with its
article and comma when cited: "art. 50, comma 5, del TUEL", "comma 2 dell'articolo 5 della
legge ...") in a longer text. `ingest.crossrefs` builds on these for references inside laws.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.legal import SUFFIXES
from ingest.models import DocumentMeta

ALIASES: dict[str, str] = {
    "tuel": "dlgs:267/2000",
    "testo unico degli enti locali": "dlgs:267/2000",
    "testo unico enti locali": "dlgs:267/2000",
    "testo unico delle leggi sull'ordinamento degli enti locali": "dlgs:267/2000",
    "cad": "dlgs:82/2005",
    "codice dell'amministrazione digitale": "dlgs:82/2005",
    "codice privacy": "dlgs:196/2003",
    "codice della privacy": "dlgs:196/2003",
    "legge delrio": "legge:56/2014",
    "codice dei contratti": "dlgs:36/2023",
    "codice dei contratti pubblici": "dlgs:36/2023",
    "legge brunetta": "dlgs:150/2009",
    "decreto brunetta": "dlgs:150/2009",
    "riforma brunetta": "dlgs:150/2009",
    "testo unico pubblico impiego": "dlgs:165/2001",
    "testo unico del pubblico impiego": "dlgs:165/2001",
    "tupi": "dlgs:165/2001",
    "decreto trasparenza": "dlgs:33/2013",
    "foia": "dlgs:33/2013",
    "legge madia": "legge:124/2015",
    "legge stanca": "legge:4/2004",
    "legge sul procedimento amministrativo": "legge:241/1990",
    "costituzione": "costituzione",
    "gdpr": "reg-ue:2016/679",
    "tusp": "dlgs:175/2016",
    "codice civile": "rd:262/1942",
    "codice penale": "rd:1398/1930",
    "codice di procedura civile": "rd:1443/1940",
    "codice di procedura penale": "dpr:447/1988",
    "codice della strada": "dlgs:285/1992",
    "codice dei beni culturali": "dlgs:42/2004",
    "codice dei beni culturali e del paesaggio": "dlgs:42/2004",
    "codice della navigazione": "rd:327/1942",
    "codice del processo amministrativo": "dlgs:104/2010",
    "codice del consumo": "dlgs:206/2005",
    "codice dell'ambiente": "dlgs:152/2006",
    "codice del terzo settore": "dlgs:117/2017",
    "codice della protezione civile": "dlgs:1/2018",
    "testo unico bancario": "dlgs:385/1993",
    "testo unico delle leggi in materia bancaria e creditizia": "dlgs:385/1993",
    "testo unico delle leggi di pubblica sicurezza": "rd:773/1931",
    "testo unico dell'edilizia": "dpr:380/2001",
    "testo unico delle disposizioni legislative e regolamentari in materia edilizia":
        "dpr:380/2001",
    "testo unico delle disposizioni legislative e regolamentari in materia di "
    "documentazione amministrativa": "dpr:445/2000",
}
CODE_ABBREVIATIONS: dict[str, str] = {"c.c.": "rd:262/1942", "c.p.": "rd:1398/1930",
                                      "c.p.c.": "rd:1443/1940", "c.p.p.": "dpr:447/1988"}
"""'art. 2359 c.c.': read only right after an article ('C.C.' alone is a consiglio comunale)."""
KNOWN_DATES: dict[str, str] = {
    "dlgs:267/2000": "2000-08-18", "dlgs:82/2005": "2005-03-07", "dlgs:196/2003": "2003-06-30",
    "legge:56/2014": "2014-04-07", "dlgs:36/2023": "2023-03-31", "dlgs:150/2009": "2009-10-27",
    "dlgs:165/2001": "2001-03-30", "dlgs:33/2013": "2013-03-14", "legge:124/2015": "2015-08-07",
    "legge:4/2004": "2004-01-09", "legge:241/1990": "1990-08-07", "dlgs:175/2016": "2016-08-19",
    "rd:262/1942": "1942-03-16", "rd:1398/1930": "1930-10-19", "rd:1443/1940": "1940-10-28",
    "dpr:447/1988": "1988-09-22", "dlgs:285/1992": "1992-04-30", "dlgs:42/2004": "2004-01-22",
    "rd:327/1942": "1942-03-30", "dlgs:104/2010": "2010-07-02", "dlgs:206/2005": "2005-09-06",
    "dlgs:152/2006": "2006-04-03", "dlgs:117/2017": "2017-07-03", "dlgs:1/2018": "2018-01-02",
    "dlgs:385/1993": "1993-09-01", "rd:773/1931": "1931-06-18", "dpr:380/2001": "2001-06-06",
    "dpr:445/2000": "2000-12-28",
}
"""The dates of the acts named by `ALIASES`, which their common names do not say."""
SHORT_NAMES: dict[str, str] = {
    "dlgs:267/2000": "TUEL", "dlgs:82/2005": "CAD", "dlgs:196/2003": "Codice privacy",
    "dlgs:33/2013": "trasparenza", "dlgs:165/2001": "pubblico impiego",
    "dlgs:150/2009": "performance", "legge:241/1990": "procedimento amministrativo",
    "dlgs:175/2016": "TUSP", "legge:4/2004": "Legge Stanca", "dlgs:36/2023": "Codice contratti",
    "rd:262/1942": "Codice civile", "rd:1398/1930": "Codice penale",
    "rd:1443/1940": "Codice di procedura civile", "dpr:447/1988": "Codice di procedura penale",
    "dlgs:285/1992": "Codice della strada", "dlgs:42/2004": "Codice dei beni culturali",
}
_LABELS = {"dlgs": "D.Lgs.", "legge": "L.", "dpr": "D.P.R.", "dl": "D.L.", "dpcm": "D.P.C.M.",
           "dm": "D.M.", "rd": "R.D.", "lcost": "L. cost.", "reg-ue": "Reg. UE"}
_TYPES = [
    ("lcost", r"legge\s+costituzionale|l\.\s*cost\."),
    ("dlgs", r"decreto\s+legislativo|d\.\s*lgs\.?|d\.\s*leg\.?vo|dlgs\.?|d\.lgt\.?"),
    ("dpcm", r"decreto\s+del\s+presidente\s+del\s+consiglio\s+dei\s+ministri"
             r"|d\.\s*p\.\s*c\.\s*m\.?|dpcm"),
    ("dpr", r"decreto\s+del\s+presidente\s+della\s+repubblica|d\.\s*p\.\s*r\.?|dpr"),
    ("dl", r"decreto[\s-]+legge|d\.\s*l\.|dl\b"),
    ("dm", r"decreto\s+ministeriale|d\.\s*m\."),
    ("rd", r"regio\s+decreto|r\.\s*d\."),
    ("reg-ue", r"regolamento\s*\(?\s*(?:ue|ce)\s*\)?|reg\.\s*\(?(?:ue|ce)\)?"),
    ("legge", r"legge|l\."),
]
_MONTHS = (r"gennaio|febbraio|marzo|aprile|maggio|giugno|luglio|agosto|settembre|ottobre"
           r"|novembre|dicembre")
_TYPE_RE = "|".join(f"(?P<t_{k.replace('-', '_')}>{p})" for k, p in _TYPES)
_NUM = r"(?:n(?:\.|um\.|umero)?\s*)?(?P<num>\d{1,5})"
_DATE = rf"(?:(?:del\s+)?\d{{1,2}}°?\s+(?:{_MONTHS})\s+(?P<dyear>\d{{4}})\s*,?\s*)"
_ACT = re.compile(
    rf"\b(?:{_TYPE_RE})\s*{_DATE}?{_NUM}(?:\s*/\s*(?P<syear>\d{{2,4}})"
    rf"|,?\s+del\s+(?P<lyear>\d{{4}}))?",
    re.I)
_REG_UE = re.compile(r"\b(?:regolamento|reg\.)\s*\(?\s*(?:ue|ce)\s*\)?\s*(?:n\.\s*)?"
                     r"(?P<a>\d{2,4})\s*/\s*(?P<b>\d{2,4})", re.I)
_CODE = re.compile(r"(?<![\w.])(?P<code>c\.\s?p\.\s?[cp]\.|c\.\s?[cp]\.)(?!\w)", re.I)
# what must come right before such an abbreviation: "art. 2359", "artt. 1341 e 1342",
# "art. 2, comma 3,"; numbers are always apart (no backtracking), looked for in a short window
_NUMBER = r"\d{1,4}(?:-?[a-z]{3,12})?"
_ARTICLE_BEFORE_CODE = re.compile(
    rf"\bart(?:icol[oi]|t)?\.?\s*{_NUMBER}(?:(?:\s*,\s*|\s+e\s+|\s+ed\s+|\s*,?\s*"
    rf"(?:comma|c\.|co\.)\s*){_NUMBER})*\s*,?\s*$", re.I)
_CODE_WINDOW = 80


def _name_pattern(name: str) -> str:
    """A common name as written in text: any apostrophe, any run of spaces or line breaks."""
    return re.escape(name).replace("'", "['’]").replace(r"\ ", r"\s+")


_ALIAS_RE = re.compile(r"\b(?:" + "|".join(_name_pattern(a) for a in sorted(
    ALIASES, key=len, reverse=True)) + r")\b", re.I)
# "costituzione" is also the common noun for setting something up: "costituzione di una
# società", "della commissione", "in giudizio". Followed by "di"/"del…" (or "in giudizio",
# "in mora", "in forma") it is that noun, except in the Constitution's own title
# ("Costituzione della Repubblica italiana"); "la Costituzione in materia di…" stays the act.
_NOUN_USE = re.compile(r"\s+(?:(?:di|del|dello|della|dei|degli|delle|dell['’]|d['’])\b"
                       r"(?!\s*repubblica\b)|in\s+(?:giudizio|mora|forma)\b)", re.I)
_SUF = "(?:" + "|".join(sorted(SUFFIXES, key=len, reverse=True)) + r")(?![a-z])"
_ARTICLE = re.compile(
    rf"\b(?:art(?:icolo|icoli|t)?\.?)\s*(?P<art>\d{{1,4}}(?:\s*-?\s*{_SUF})?)"
    rf"(?:\s*,?\s*(?:comma|c\.)\s*(?P<comma>\d{{1,3}}(?:\s*-?\s*{_SUF})?))?", re.I)
# "comma 2 dell'articolo 5", "comma 3, lettera b), dell'art. 7": the comma cited before
_COMMA_OF = re.compile(
    rf"\bcomma\s+(?P<comma>\d{{1,3}}(?:\s*-?\s*{_SUF})?)\s*,?(?:\s*(?:lettera|lett\.)\s*"
    rf"[a-z]{{1,3}}\)\s*,?)?\s*(?:del(?:l[’'])?|di\s+cui\s+all[’']?)\s*(?=art)", re.I)


@dataclass(frozen=True)
class ActRef:
    """An act cited in a text, with the article and comma when given."""

    act: str | None  # normalised key, None for a bare "art. 5" with no act nearby
    article: str | None
    comma: str | None
    span: tuple[int, int]
    article_end: int | None = None  # where "art. N[, comma M]" itself ends in the text


def _year(raw: str) -> str:
    year = int(raw)
    if year < 100:
        year += 1900 if year >= 30 else 2000
    return str(year)


def _key_of(match: re.Match[str]) -> str | None:
    kind = next((k for k, _ in _TYPES if match.group(f"t_{k.replace('-', '_')}")), None)
    year = match.group("dyear") or match.group("syear") or match.group("lyear")
    if kind is None or not year:
        return None
    if kind == "reg-ue":  # "regolamento (UE) 23 luglio 2014 n. 910"; "(UE) 2016/679" is _REG_UE's
        return f"reg-ue:{year}/{int(match.group('num'))}" if match.group("dyear") else None
    return f"{kind}:{int(match.group('num'))}/{_year(year)}"


def act_key(text: str) -> str | None:
    """Normalised key of the first act named in `text` ("dlgs:267/2000"), or None."""
    found = _acts(text)
    return found[0][2] if found else None


def title_act(title: str) -> str | None:
    """The act a document *is*, from a title that starts with it ("D.Lgs. ... n. 267 - ...").

    A title that merely cites an act ("Linee guida ... (artt. 68-69 CAD)") gives None.
    """
    found = _acts(title.lstrip(" \t\"'«"))
    return found[0][2] if found and found[0][0] == 0 else None


def act_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, act key) of every act named in `text`, in order."""
    return _acts(text)


def _acts(text: str) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    for m in _REG_UE.finditer(text):
        year, num = _regulation_year(m.group("a"), m.group("b"))
        out.append((m.start(), m.end(), f"reg-ue:{year}/{int(num)}"))
    for m in _ACT.finditer(text):
        key = _key_of(m)
        if key and not any(s <= m.start() < e for s, e, _ in out):
            out.append((m.start(), m.end(), key))
    for m in _ALIAS_RE.finditer(text):
        key = ALIASES[" ".join(m.group(0).lower().replace("’", "'").split())]
        if key == "costituzione" and _NOUN_USE.match(text, m.end()):
            continue
        if not any(s <= m.start() < e for s, e, _ in out):
            out.append((m.start(), m.end(), key))
    for m in _CODE.finditer(text):
        if _ARTICLE_BEFORE_CODE.search(text, max(0, m.start() - _CODE_WINDOW), m.start()):
            key = CODE_ABBREVIATIONS[re.sub(r"\s+", "", m.group("code")).lower()]
            out.append((m.start(), m.end(), key))
    return sorted(out)


# "regolamento (UE) 2016/679 ..., di seguito «Regolamento»": a name the act gives another
_DEFINED = re.compile(
    r"(?:di\s+seguito|in\s+seguito|d['’]ora\s+in\s+(?:poi|avanti))\s*,?\s*(?:anche\s+)?"
    r"(?:(?:denominat|definit|indicat|richiamat)[oaie]\s+)?(?:(?:il|la|lo|l['’])\s*)?"
    r"[«\"“](?P<term>[^»\"”\n]{2,40})[»\"”]", re.I)
# the kinds of act a defined name's first word can stand for
# the kinds of act a word can name ("il Regolamento", "il medesimo decreto", "il Codice")
KIND_WORDS = {"regolamento": ("reg-ue", "dpr"), "codice": ("dlgs", "dpr", "rd"),
              "decreto": ("dlgs", "dl", "dpr", "dpcm", "dm"), "legge": ("legge", "lcost"),
              "testo": ("dlgs", "dpr")}
_DEFINITION_REACH = 300


def defined_acts(text: str) -> dict[str, str]:
    """Names a text gives the acts it cites ("..., di seguito «Regolamento»"), lower-cased,
    each with the act's key: the last act of the name's kind before it, in the same sentence."""
    out: dict[str, str] = {}
    for m in _DEFINED.finditer(text):
        term = " ".join(m.group("term").split())
        kinds = KIND_WORDS.get(term.split()[0].lower())
        if kinds is None or term.lower() in out:
            continue
        start = max(0, m.start() - _DEFINITION_REACH)
        clause = re.split(r"[.;]\s+(?=[A-Z])", text[start:m.start()])[-1]
        offset = m.start() - len(clause)
        named = [k for s, _, k in _acts(text[start:m.start()])
                 if start + s >= offset and k.split(":")[0] in kinds]
        if named:
            out[term.lower()] = named[-1]
    return out


def _regulation_year(a: str, b: str) -> tuple[str, str]:
    """(year, number) of an EU regulation written "a/b": year first since 2015 ("(UE)
    2016/679"), number first before ("(CE) n. 1998/2006", "(UE) n. 910/2014")."""
    if len(b) == 4 and 1950 <= int(b) <= 2014:
        return b, a
    return (a, b) if len(a) == 4 else (b, a)


def _clean(num: str | None) -> str | None:
    if num is None:
        return None
    num = re.sub(r"\s+", "", num).lower()
    return re.sub(rf"(\d)-?({_SUF})$", r"\1-\2", num)


def find_act_references(text: str) -> list[ActRef]:
    """Every act reference in `text`, with article/comma attached when cited next to it."""
    acts = _acts(text)
    used: set[int] = set()
    refs: list[ActRef] = []
    before = {m.end(): m for m in _COMMA_OF.finditer(text)}
    for m in _ARTICLE.finditer(text):
        art, comma = _clean(m.group("art")), _clean(m.group("comma"))
        key, span = None, (m.start(), m.end())
        lead = before.get(m.start())
        if lead is not None and comma is None:
            comma, span = _clean(lead.group("comma")), (lead.start(), m.end())
        found = _following(text, m.end(), acts)
        if found is None:
            found = _preceding(text, m.start(), acts)
        if found is not None:
            used.add(found)
            s, e, key = acts[found]
            span = (min(s, span[0]), max(e, span[1]))
        refs.append(ActRef(key, art, comma, span, m.end()))
    refs.extend(ActRef(k, None, None, (s, e)) for i, (s, e, k) in enumerate(acts)
                if i not in used)
    return sorted(refs, key=lambda r: r.span)


# The dots of "lett. c)", "n. 3", "par. 2" between an article and its act end no sentence.
_ABBREVIATION = re.compile(r"\b(?:lett|let|nn|n|num|par|pt|co|c)\.", re.I)


def _following(text: str, end: int, acts: list[tuple[int, int, str]]) -> int | None:
    for i, (s, _, _) in enumerate(acts):
        gap = text[end:s]
        if s >= end and len(gap) <= 40 and not re.search(
                r"[.;?!]\s|\bart", _ABBREVIATION.sub("", gap), re.I):
            return i
    return None


def _preceding(text: str, start: int, acts: list[tuple[int, int, str]]) -> int | None:
    for i, (_, e, _) in enumerate(acts):
        if e <= start and not text[e:start].strip(" ,"):
            return i
    return None


def act_label(key: str) -> str:
    """Human label of an act key: "dlgs:267/2000" → "D.Lgs. 267/2000"."""
    if key == "costituzione":
        return "Costituzione"
    kind, _, rest = key.partition(":")
    return f"{_LABELS.get(kind, kind)} {rest}".strip()


def act_title(key: str) -> str:
    """An act's label with its common name: "D.Lgs. 267/2000 (TUEL)", "D.Lgs. 300/1999"."""
    name = SHORT_NAMES.get(key)
    return f"{act_label(key)} ({name})" if name else act_label(key)


def short_title(meta: DocumentMeta, limit: int = 80) -> str:
    """Short document title for chunk context.

    Acts: "D.Lgs. 267/2000 (TUEL)"; otherwise the title cut at a word boundary to `limit`.
    """
    if meta.act:
        return act_title(meta.act)
    title = " ".join(meta.title.split())
    if len(title) <= limit:
        return title
    cut = title[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-–—")
    return cut + "…"
