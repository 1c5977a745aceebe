"""Cross-references inside legal text: which provisions a chunk cites, and of which act.

Builds on `ingest.acts` (acts, "articolo N[, comma M]" and "comma M dell'articolo N"). Rules:
- an article cited with an act ("articolo 14-bis della legge 7 agosto 1990, n. 241", "art. 50
  del TUEL") is a reference to that act (to the chunk's own act when the keys agree);
- a bare article ("ai sensi dell'articolo 5, comma 2") is of the chunk's own act, unless what
  follows names an act the parser cannot key ("del decreto-legge ...", "del regolamento"):
  then the act is unknown; "del medesimo decreto"/"della stessa legge" take the last act named
  before it (else the one act of that kind the document gave a name); "del presente decreto"
  is the own act; "del Regolamento" is the act the document named so ("di seguito
  «Regolamento»", `ingest.acts.defined_acts`, passed as `defined`);
- "articoli 46 e 47 del d.P.R. ..." gives one reference per article, however long the list;
  in "dall'articolo 10, comma 3, e dall'articolo 33 della legge ..." both are of that law;
- a bare "comma 3" is of the chunk's article, a bare "lettera b)" of its comma (or of the comma
  just named: "lettera d) del comma 3");
- nothing bare is read inside Normattiva's amendment notes ("AGGIORNAMENTO (52) Il D.Lgs. ...
  ha disposto (con l'art. 36, comma 1) ..."), where articles belong to the amending act, nor
  in their "(con l'art. N" form when a split note lost its mark;
- an article's own heading line ("Art. 13. - Oggetto") is no reference.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ingest.acts import KIND_WORDS, act_spans, find_act_references
from ingest.legal import SUFFIXES
from ingest.models import Reference

_SUF = "(?:" + "|".join(sorted(SUFFIXES, key=len, reverse=True)) + ")"
_NUM = rf"\d{{1,4}}(?:\s*-\s*{_SUF}|{_SUF})?"
_TAIL = re.compile(r"^(?:\s*,?\s*(?:e|ed)?\s*(?:(?:paragrafo|par\.|comma|commi|lettera|lett\.|"
                   r"numero|n\.|punto)\s*)?(?:\d+(?:\s*-\s*[a-z]+|[a-z]+)?°?|[a-z]{1,3}\)|primo|"
                   r"secondo|terzo|quarto|quinto|sesto|settimo|ottavo)(?=[\s,;.):])\)?)*", re.I)
_EU = re.compile(r"^\s*,?\s*(?:paragrafo|par\.)", re.I)
_CHANGES = re.compile(r"^\s*(?::|,?\s*(?:e'|è|sono)\s+(?:sostituit|abrogat|inserit|aggiunt|"
                      r"soppress|modificat)|,?\s*dopo\s+(?:il|la|le|i)\b|,?\s*(?:al|alla|alle|ai)"
                      r"\s+(?:comma|commi|rubrica|lettera)\b)", re.I)
_HEAD = re.compile(rf"(?:Art\.|Articolo|ARTICOLO|ART\.)\s*{_NUM}\s*\.?\s*(?:[-–—(]|$|[A-Z])")
_AMENDING = re.compile(r"\(\s*con\s+(?:l[’']\s*|gli\s+)$", re.I)
_CUT_NOTE = re.compile(r"\bha(?:nno)?\s+(?:disposto|dichiarato)\b|\(\s*con\s+l[’']\s*art", re.I)
_NOTE = re.compile(r"-{3,}\s*AGGIORNAMENTO|\bAGGIORNAMENTO\s*\(\d+\)|-{5,}")
_PLURAL_HEAD = re.compile(rf"(?:articoli|artt\.?)\s*{_NUM}", re.I)
_PLURAL = re.compile(r"^\s*(?:articoli|artt\.?)", re.I)
_MORE = re.compile(rf"^(?:\s*,\s*(?:comma\s+{_NUM}\s*,\s*)?(?:e\s+|ed\s+)?|\s+e\s+|\s+ed\s+)"
                   rf"(?P<art>{_NUM})\b(?!\s*(?:°|gennaio|febbraio|marzo|aprile|maggio|giugno|"
                   r"luglio|agosto|settembre|ottobre|novembre|dicembre|per\s+cento|%))", re.I)
_LETTER_AFTER = re.compile(r"^\s*,?\s*(?:(?:\w+\s+)?comma\s*,\s*)?(?:lettera|lett\.)\s*"
                           rf"(?P<let>[a-z]{{1,3}}(?:-{_SUF})?)\)", re.I)
_OF = r"\s*,?\s*(?:del|dello|della|dell[’']|di\s+cui\s+al(?:la|l[’'])?)\s*"
_AND_ARTICLE = re.compile(r"^\s*,?\s*(?:e|ed|nonche'|nonché)\s+(?:da|a|di|in)?"
                          r"(?:l|ll[’']|i|gli)?\s*(?:articol[oi]|artt?\.)\s*\d", re.I)
_PRESENT = re.compile(rf"^{_OF}(?:presente|present[ei])\b", re.I)
_SAME = re.compile(rf"^{_OF}(?:medesim[oa]|stess[oa]|citat[oa]|predett[oa]|suddett[oa])\s+"
                   r"(?P<kind>decreto|legge|testo|codice|regolamento)", re.I)
_OTHER = re.compile(
    rf"^{_OF}(?:decret|legge|d\.\s*(?:lgs|l|p\.\s*r|m)\b|dl\b|dpr\b|dpcm\b|regolament|direttiv"
    r"|trattat|codice|testo\s+unico|t\.\s*u\.|costituzione|statuto|convenzione|accordo|"
    r"contratto|ccnl|reg\.|allegato|tabella|[A-Z]{2,})", re.I)
_BARE_COMMA = re.compile(rf"\bcomm[ai]\s+(?P<comma>{_NUM})\b(?!\s*°)", re.I)
_BARE_LETTER = re.compile(rf"\blettera\s+(?P<let>[a-z]{{1,3}}(?:-{_SUF})?)\)"
                          rf"(?:{_OF}comma\s+(?P<comma>{_NUM}))?", re.I)
# "del medesimo codice" is left without act: codes are named by title, not by a kind's key
_KINDS = {**KIND_WORDS, "codice": ()}


def norm_number(raw: str | None) -> str | None:
    """'14 bis' / '14bis' / '14-Bis' → '14-bis' (the form of `Locator.article`)."""
    if raw is None:
        return None
    text = re.sub(r"\s+", "", raw).lower()
    return re.sub(rf"^(\d+)-?({_SUF})$", r"\1-\2", text)


def _notes(text: str) -> list[tuple[int, int]]:
    """Spans of amendment notes: from their mark to the end of their line; and the first line
    when it is the rest of a note cut by the chunker ('... ha disposto (con l'art. 1) ...')."""
    first = text.find("\n")
    first = len(text) if first < 0 else first
    spans = [(0, first)] if _CUT_NOTE.search(text[:first]) else []
    for m in _NOTE.finditer(text):
        end = text.find("\n", m.end())
        spans.append((m.start(), len(text) if end < 0 else end))
    return spans


def _heading(text: str, start: int) -> bool:
    """True when the match opens a line that is an article heading."""
    if start and text[start - 1] != "\n":
        return False
    return _HEAD.match(text, start) is not None


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= pos < e for s, e in spans)


def _quotes(text: str) -> list[tuple[int, int]]:
    """Spans of quoted text: «...» and "..." (amending acts quote the text they insert)."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"«[^»]*(?:»|$)", text)]
    spans += [(m.start(), m.end()) for m in re.finditer(r'"[^"\n]*"', text)]
    return spans


def _bare_act(text: str, end: int, own: str | None, defined: Mapping[str, str]
              ) -> tuple[str | None, bool]:
    """(act, same_act) for an article cited without a keyed act, from the words after it."""
    tail = _TAIL.match(text[end:])
    rest = end + (tail.end() if tail else 0)
    after = text[rest:rest + 80]
    of = re.match(_OF, after)
    name = _defined_name(after[of.end():], defined) if of else None
    if name is not None:  # "articolo 6, paragrafo 1, del Regolamento", so named by the act
        return name, name == own
    if _EU.match(text[end:end + 20]) or _CHANGES.match(text[end:end + 40]):
        return None, False  # an EU act's paragraph, of an act not named; "all'art. 114:"
    end = rest
    if _AND_ARTICLE.match(after):  # "dall'articolo 10, comma 3, e dall'articolo 33 della legge"
        nxt = find_act_references(text[end:end + 200])
        if nxt and nxt[0].article and nxt[0].act:
            return nxt[0].act, nxt[0].act == own
    if _PRESENT.match(after):
        return own, True
    follows = act_spans(text[end + of.end():end + of.end() + 160]) if of else []
    if follows and follows[0][0] == 0:  # "articoli 2, 3, 8, … e 43 del decreto legislativo …"
        return follows[0][2], follows[0][2] == own
    same = _SAME.match(after)
    if same:
        kinds = _KINDS[same.group("kind").lower()]
        named = [k for _, _, k in act_spans(text[:end]) if k.split(":")[0] in kinds]
        if named:
            return named[-1], named[-1] == own
        given = {k for k in defined.values() if k.split(":")[0] in kinds}
        if len(given) == 1:  # "del medesimo regolamento": the one the document named
            key = given.pop()
            return key, key == own
        if same.group("kind").lower() == "testo" and own and own.split(":")[0] in kinds:
            return own, True  # "del medesimo testo unico" in a testo unico
        return None, False
    if _OTHER.match(after):
        return None, False
    return own, True


def _defined_name(rest: str, defined: Mapping[str, str]) -> str | None:
    """The act of a name the document defined ("Regolamento"), when `rest` opens with it."""
    for term in sorted(defined, key=len, reverse=True):
        if re.match(re.escape(term) + r"(?![\w(])(?!\s*(?:\(|di\s+cui|recante|n\.))", rest,
                    re.I):
            return defined[term]
    return None


def find_references(text: str, *, act: str | None, article: str | None = None,
                    comma: str | None = None, defined: Mapping[str, str] | None = None
                    ) -> list[Reference]:
    """The provisions a chunk of act `act` (in `article`, `comma` when known) cites, in order;
    `defined`: the names the whole document gave acts (`ingest.acts.defined_acts`)."""
    notes = _notes(text) + _quotes(text)
    out: list[tuple[int, Reference]] = []
    taken: list[tuple[int, int]] = []
    for ref in find_act_references(text):
        start, end = ref.span
        if ref.article is None:
            if ref.act is not None:
                out.append((start, Reference(text[start:end], ref.act, None,
                                             same_act=ref.act == act, start=start, end=end)))
            taken.append((start, end))
            continue
        if _heading(text, start):
            taken.append((start, end))
            continue
        key: str | None = ref.act
        same = ref.act is not None and ref.act == act
        if ref.act is None and (_inside(start, notes)
                                or _AMENDING.search(text[max(0, start - 12):start])):
            taken.append((start, end))
            continue
        if ref.act is None:
            key, same = _bare_act(text, _list_end(text, end) if _PLURAL.match(
                text[start:end]) else end, act, defined or {})
        after = end if ref.article_end is None else ref.article_end
        letter = _LETTER_AFTER.match(text[after:])
        if letter is not None:
            end = max(end, after + letter.end())
        out.append((start, Reference(text[start:end], key, norm_number(ref.article),
                                     norm_number(ref.comma),
                                     letter.group("let").lower() if letter else None, same,
                                     start, end)))
        taken.append((start, end))
        head = _PLURAL_HEAD.match(text, start)
        if head is not None:
            out.extend(_more(text, head.end(), key, same, taken))
    out.extend(_bare_commi(text, notes, taken, act, article, comma))
    return _without_repeats(text, [r for _, r in sorted(out, key=lambda item: item[0])])


def _without_repeats(text: str, refs: list[Reference]) -> list[Reference]:
    """Drops the act named right after its articles' list ("… e 43 del decreto legislativo …
    n. 51"): the articles already carry it."""
    out: list[Reference] = []
    for ref in refs:
        prev = out[-1] if out else None
        if (ref.article is None and prev is not None and prev.article is not None
                and prev.act == ref.act and re.fullmatch(_OF, text[prev.end:ref.start])):
            continue
        out.append(ref)
    return out


def _list_end(text: str, end: int) -> int:
    """Where a list of articles ends: 'articoli 13[ e 14] del Regolamento'."""
    while (m := _MORE.match(text[end:])) is not None:
        end += m.end()
    return end


def _more(text: str, end: int, act: str | None, same: bool,
          taken: list[tuple[int, int]]) -> list[tuple[int, Reference]]:
    """The further articles of a list: 'articoli 46 e 47', 'artt. 14-bis, comma 7, e 14-ter'."""
    out = []
    while (m := _MORE.match(text[end:])) is not None:
        start = end + m.start("art")
        end += m.end()
        out.append((start, Reference(text[start:end], act, norm_number(m.group("art")),
                                     same_act=same, start=start, end=end)))
        taken.append((start, end))
    return out


def _bare_commi(text: str, notes: list[tuple[int, int]], taken: list[tuple[int, int]],
                act: str | None, article: str | None, comma: str | None
                ) -> list[tuple[int, Reference]]:
    """'comma 3' and 'lettera b)' of the chunk's own article."""
    if article is None:
        return []
    out: list[tuple[int, Reference]] = []
    for m in _BARE_LETTER.finditer(text):
        if _skip(text, m, notes, taken):
            continue
        own = norm_number(m.group("comma")) or comma
        out.append((m.start(), Reference(m.group(0), act, article, own,
                                         m.group("let").lower(), True, m.start(), m.end())))
        taken.append((m.start(), m.end()))
    for m in _BARE_COMMA.finditer(text):
        if _skip(text, m, notes, taken):
            continue
        out.append((m.start(), Reference(m.group(0), act, article,
                                         norm_number(m.group("comma")), None, True,
                                         m.start(), m.end())))
    return out


def _skip(text: str, m: re.Match[str], notes: list[tuple[int, int]],
          taken: list[tuple[int, int]]) -> bool:
    """A bare mention already read, inside a note, or followed by another act's name."""
    return (_inside(m.start(), taken) or _inside(m.start(), notes)
            or _OTHER.match(text[m.end():m.end() + 80]) is not None)
