"""/rivedi (admins, private chat): the answers officials voted 👎, reviewed in Telegram.

The same decisions as the review page and `raccordo feedback review` (bot/app/reviewqueue.py):
for each answer still to review the admin sees the question, what officials wrote with their
votes and the first passages in force, and names the right one with a button, or declares
that the sources do not answer it. The next answer follows.
"""

from __future__ import annotations

import asyncio
import textwrap

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.answers.markup import plain
from bot.app.review import Candidate, Entry
from bot.app.reviewqueue import ReviewQueue, review_queue
from bot.telegram.deps import Deps, actor
from bot.telegram.formatting import Block, bold, quoted
from bot.telegram.handlers import admin_only
from bot.telegram.replies import Target, send_blocks, send_text

REVIEW_PATTERN = r"^rv:"
PASSAGES = 5  # as the page and the command line
QUOTE_CHARS = 300
NONE, SKIP = "0", "s"


class Reviews:
    """/rivedi and its buttons (the search runs in a thread)."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def _queue(self) -> ReviewQueue:
        return review_queue(self.deps.service, self.deps.appdb)

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/rivedi: the first answer voted 👎 still to review."""
        found = await admin_only(self.deps, update, context)
        if found is None:
            return
        message = update.effective_message
        assert message is not None
        if message.chat.type != ChatType.PRIVATE:  # the questions are officials' own words
            await send_text(context.bot, found[1], "Le risposte con 👎 si rivedono in chat "
                            "privata con me.")
            return
        await self._show_next(context, found[1], after=0)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A passage, "the sources do not answer it" or "skip" on a question under review."""
        query = update.callback_query
        if query is None or query.data is None or not isinstance(query.message, Message):
            return
        if not self.deps.is_admin(query.from_user.id):
            await query.answer("Riservato agli amministratori.", show_alert=True)
            return
        _, qid_text, choice = query.data.split(":", 2)
        qid, who = int(qid_text), actor(query.from_user.id)
        queue = self._queue()
        if choice == NONE:
            await asyncio.to_thread(queue.decline, qid, who)
        elif choice != SKIP:
            await asyncio.to_thread(queue.pick, qid, int(choice), None, who)
        await query.answer("Saltata." if choice == SKIP else "Scelta registrata.")
        await query.edit_message_reply_markup(None)
        await self._show_next(context, Target.of(query.message), after=qid,
                              wrap=choice != SKIP)

    async def _show_next(self, context: ContextTypes.DEFAULT_TYPE, target: Target, *,
                         after: int, wrap: bool = True) -> None:
        queue = self._queue()
        qid = await asyncio.to_thread(queue.next_after, after, wrap)
        if qid is None:
            counts = await asyncio.to_thread(queue.counts)
            await send_text(context.bot, target, (
                "Nessun'altra risposta con 👎 da rivedere" if after else
                "Nessuna risposta con 👎 da rivedere") + f" ({counts['passage']} con il passo "
                f"giusto, {counts['no_answer']} senza risposta nelle fonti, "
                f"{counts['pending']} in attesa). /rivedi ricomincia dalla prima.")
            return
        entry = await asyncio.to_thread(queue.entry, qid)
        shown = await asyncio.to_thread(queue.candidates, entry, str(entry["question"]),
                                        PASSAGES)
        await send_blocks(context.bot, target, review_blocks(qid, entry, shown),
                          review_keyboard(qid, shown))


def review_blocks(qid: int, entry: Entry, shown: list[Candidate]) -> list[Block]:
    """The question, the officials' comments and the numbered passages to choose from."""
    blocks = [Block(f"Risposta con 👎 n. {qid}", bold), Block(f"«{entry['question']}»")]
    blocks += [Block(f"Commento: {c}") for c in entry.get("comments") or []]
    blocks.append(Block("Quale passo risponde?", bold) if shown else
                  Block("Nessun passo trovato nelle fonti in vigore."))
    for c in shown:
        mark = " ← citato nella risposta con 👎" if c.wrong else ""
        blocks.append(Block(f"{c.citation.n}. {c.citation.locator}{mark}", bold))
        quote = textwrap.shorten(" ".join(plain(c.citation.quote).split()), QUOTE_CHARS,
                                 placeholder=" …")
        blocks.append(Block(quote, quoted))
    return blocks


def review_keyboard(qid: int, shown: list[Candidate]) -> InlineKeyboardMarkup:
    """A button per passage, then "the sources do not answer it" and "skip"."""
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(str(c.citation.n), callback_data=f"rv:{qid}:{c.hit.chunk.id}")
         for c in shown],
        [InlineKeyboardButton("Le fonti non rispondono", callback_data=f"rv:{qid}:{NONE}"),
         InlineKeyboardButton("Salta", callback_data=f"rv:{qid}:{SKIP}")],
    ])
