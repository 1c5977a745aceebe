"""Telegram HTML rendering: escaped blocks, packed into messages of at most 4096 chars.

Text is split at paragraph boundaries (then lines, sentences, words) *before* HTML is
rendered, and each block renders to self-contained HTML, so no tag is ever cut in two.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit

from bot.answers.citations import place_url
from bot.answers.markup import plain
from bot.answers.models import AMENDED_NOTE, Answer, Citation
from index.models import Hit
from ingest.citation import formal_citation
from ingest.storetypes import StoredChunk
from ingest.vigenza import amendment_marked, repeal_message

LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4096
BUDGET = LIMIT - 160  # margin: some clients count UTF-16 units and entities differently
SNIPPET_CHARS = 600
_SEPARATORS = ("\n", ". ", "; ", ", ", " ")
_MARK = re.compile(r"\[(\d{1,3})\]")

Render = Callable[[str], str]


def esc(text: str) -> str:
    """HTML-escape document or user text for Telegram's HTML parse mode."""
    return html.escape(text, quote=False)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class Block:
    """A paragraph: its plain text and how to render (a piece of) it as HTML."""

    plain: str
    render: Render = esc

    @property
    def html(self) -> str:
        """The rendered HTML of the whole block."""
        return self.render(self.plain)


@dataclass(frozen=True)
class Outgoing:
    """One message to send: HTML, and the plain text used if Telegram rejects the HTML."""

    html: str
    plain: str


def paginate(blocks: Sequence[Block], budget: int = BUDGET) -> list[Outgoing]:
    """Pack blocks into messages whose HTML fits `budget` UTF-16 units."""
    out: list[Outgoing] = []
    html_parts: list[str] = []
    plain_parts: list[str] = []

    def flush() -> None:
        if html_parts:
            out.append(Outgoing("\n\n".join(html_parts), "\n\n".join(plain_parts)))
            html_parts.clear()
            plain_parts.clear()

    for block in blocks:
        for piece in _split_block(block, budget):
            rendered = block.render(piece)
            candidate = "\n\n".join([*html_parts, rendered])
            if html_parts and utf16_len(candidate) > budget:
                flush()
            html_parts.append(rendered)
            plain_parts.append(piece)
    flush()
    return out


def _split_block(block: Block, budget: int) -> list[str]:
    def fits(text: str) -> bool:
        return utf16_len(block.render(text)) <= budget

    return [p for p in split_text(block.plain, fits) if p.strip()]


def split_text(text: str, fits: Callable[[str], bool],
               separators: Sequence[str] = _SEPARATORS) -> list[str]:
    """Split plain text into pieces that each `fits`, preferring the earliest separator."""
    if fits(text):
        return [text]
    for i, sep in enumerate(separators):
        parts = text.split(sep)
        if len(parts) == 1:
            continue
        pieces = [p + sep for p in parts[:-1]] + [parts[-1]]
        out: list[str] = []
        current = ""
        for piece in pieces:
            if fits(current + piece):
                current += piece
                continue
            if current:
                out.append(current.rstrip())
            current = ""
            if fits(piece):
                current = piece
            else:
                out.extend(split_text(piece, fits, separators[i + 1:]))
        if current:
            out.append(current.rstrip())
        return out
    return _hard_cut(text, fits)


def _hard_cut(text: str, fits: Callable[[str], bool]) -> list[str]:
    out: list[str] = []
    while text and not fits(text):
        lo, hi = 1, len(text)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits(text[:mid]):
                lo = mid
            else:
                hi = mid - 1
        out.append(text[:lo])
        text = text[lo:]
    if text:
        out.append(text)
    return out


# ---- renderers -------------------------------------------------------------------------
def bold(text: str) -> str:
    """Bold, escaped."""
    return f"<b>{esc(text)}</b>"


def italic(text: str) -> str:
    """Italic, escaped."""
    return f"<i>{esc(text)}</i>"


def quoted(text: str) -> str:
    """A verbatim passage as a blockquote, escaped."""
    return f"<blockquote>{esc(text)}</blockquote>"


def marked(text: str) -> str:
    """Answer prose: escaped, with the [n] citation marks in bold."""
    return _MARK.sub(r"<b>[\1]</b>", esc(text))


def link(url: str | None, label: str = "fonte") -> str:
    """An <a> tag for http(s) URLs only; '' otherwise."""
    if not url or not url.lower().startswith(("http://", "https://")):
        return ""
    return f'<a href="{html.escape(url, quote=True)}">{esc(label)}</a>'


def paragraphs(text: str, render: Render = esc) -> list[Block]:
    """Blocks for each paragraph (blank-line separated) of a text."""
    return [Block(p.strip(), render) for p in re.split(r"\n\s*\n", text) if p.strip()]


# ---- answers, sources, hits ------------------------------------------------------------
def answer_blocks(answer: Answer) -> list[Block]:
    """An answer with its numbered source list underneath; a follow-up says first how it
    was understood, so that a wrong reading shows."""
    blocks = [Block(f"Domanda intesa come: «{answer.rewritten_question}»", italic)] \
        if answer.rewritten_question else []
    blocks.extend(paragraphs(answer.text, marked))
    if answer.abstained and answer.suggestions:
        blocks.append(Block("Potrebbero esserti utili:", bold))
        blocks.extend(hit_blocks(answer.suggestions, snippet=200))
    if answer.citations:
        blocks.append(Block("Fonti", bold))
        blocks.extend(citation_line(c) for c in answer.citations)
    if answer.uncertain and answer.suggestions:
        blocks.append(Block("Da controllare anche:", bold))
        blocks.extend(hit_blocks(answer.suggestions, snippet=200))
    return blocks


def citation_line(c: Citation) -> Block:
    """'[n] short title, place (testo vigente al …)' with a link to the source when there is
    one."""
    text = f"[{c.n}] {c.locator}" + (f" ({c.version})" if c.version else "")
    if not link(c.url):
        return Block(text, marked)
    return _linked(f"{text} — {c.url}", f"{marked(text)} — {link(c.url)}", marked)


def source_blocks(c: Citation, passage: str, act: str | None) -> list[Block]:
    """📄 Fonti: one cited passage, verbatim, with act, locator, page and link."""
    head = f"[{c.n}] {c.title}"
    details = [d for d in (f"atto: {act}" if act else "", c.place,
                           f"p. {c.page}" if c.page is not None and "p." not in c.place
                           else "") if d]
    blocks = [Block(head, bold)]
    if details:
        blocks.append(Block(" · ".join(details), italic))
    blocks.append(Block(plain(passage), quoted))
    # the whole passage is shown: its marks need the note even when the quote has none
    blocks.extend(legal_blocks(replace(c, amended=c.amended or amendment_marked(passage))))
    if c.url and link(c.url):
        blocks.append(_link_block(c.url))
    else:
        blocks.append(Block(f"Fonte: {c.url or c.file}", italic))
    return blocks


def legal_blocks(c: Citation) -> list[Block]:
    """Formal citation, version of the text, OCR warning and the provisions the quote cites
    (in the archive or not)."""
    blocks: list[Block] = []
    if c.formal:
        blocks.append(Block(f"Cita come: {c.formal}", italic))
    if c.version_notice:
        blocks.append(_version_block(c.version_notice, c.current_url))
    if c.amended:
        blocks.append(Block(AMENDED_NOTE, italic))
    if c.ocr:
        blocks.append(Block("Testo da OCR: verificare sull'originale.", italic))
    if c.references:
        blocks.append(_references_block(c.references))
    return blocks


def _references_block(references: Sequence[dict[str, object]]) -> Block:
    """'Rinvii: …', a provision outside the archive linked to its public text when it has
    one (the plain text, sent if Telegram refuses the HTML, carries the address)."""
    def outside(r: dict[str, object]) -> str:
        return "" if r.get("chunk_id") else " (non in archivio)"

    def url(r: dict[str, object]) -> str | None:
        found = r.get("url")
        return found if isinstance(found, str) and link(found) else None

    def name(r: dict[str, object]) -> str:
        return " ".join(str(r.get("name") or r["text"]).split())

    full = "Rinvii: " + "; ".join(
        f"{name(r)}{outside(r)}" + (f": {url(r)}" if url(r) else "") for r in references)
    parts = [(link(url(r), name(r)) if url(r) else esc(name(r))) + esc(outside(r))
             for r in references]
    return _linked(full, "<i>Rinvii: " + "; ".join(parts) + "</i>", italic)


def _version_block(notice: str, today: str | None) -> Block:
    """The version notice, with a link to today's text when there is one."""
    if not today or not link(today):
        return Block(notice, italic)
    return _linked(f"{notice} Testo vigente oggi: {today}",
                   f"{italic(notice)} {link(today, 'testo vigente oggi')}", italic)


def _linked(full: str, whole: str, piece: Render) -> Block:
    """A block whose whole text renders as the HTML `whole` (with its links), and a piece of
    it, when a long block is split across messages, with `piece`; the plain text, sent if
    Telegram refuses the HTML, carries the addresses."""
    return Block(full, lambda text: whole if text == full else piece(text))


def reference_keyboard(answer: Answer, most: int = 6) -> InlineKeyboardMarkup | None:
    """One button for each provision the quotes cite that is in the archive (to open it)."""
    buttons: list[list[InlineKeyboardButton]] = []
    seen: set[object] = set()
    for c in answer.citations:
        for ref in c.references:
            target = ref.get("chunk_id")
            if target is None or target in seen or len(buttons) >= most:
                continue
            seen.add(target)
            label = f"↪ [{c.n}] {ref['text']}"
            buttons.append([InlineKeyboardButton(label[:60], callback_data=f"ref:{target}")])
    return InlineKeyboardMarkup(buttons) if buttons else None


def reference_blocks(stored: StoredChunk) -> list[Block]:
    """A cited provision opened from a button: where it is, how to cite it, its text."""
    chunk, meta = stored.chunk, stored.document.meta
    where = chunk.locator.label()
    blocks = [Block(f"{meta.title}" + (f" — {where}" if where else ""), bold)]
    formal = formal_citation(chunk.locator, meta)
    if formal:
        blocks.append(Block(f"Cita come: {formal}", italic))
    if not chunk.vigente:
        blocks.append(Block(repeal_message(chunk.repeal_note), italic))
    blocks.append(Block(plain(chunk.text.strip()), quoted))
    return blocks


def _link_block(url: str) -> Block:
    return _linked(url, link(url, "Apri la fonte"), esc)


def hit_blocks(hits: Sequence[Hit], start: int = 1, snippet: int = SNIPPET_CHARS) -> list[Block]:
    """Ranked passages with their locators (for /cerca and 🔎 Altri risultati)."""
    blocks: list[Block] = []
    for n, hit in enumerate(hits, start=start):
        head = f"{n}. {hit.document.meta.title}"
        if hit.locator:
            head += f" — {hit.locator}"
        if not hit.chunk.vigente:
            head += " (non in vigore)"
        blocks.append(Block(head, bold))
        text = hit.chunk.text.strip()
        if len(text) > snippet:
            text = text[:snippet].rsplit(" ", 1)[0] + " …"
        blocks.append(Block(text, quoted))
        url = place_url(hit)
        if url and link(url):
            blocks.append(_link_block(url))
    return blocks
