"""Questions in chat: cited answers, follow-ups, and the answer's inline buttons."""

from __future__ import annotations

import asyncio
import logging
import re

from telegram import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.ext import ContextTypes

from bot.answers.models import Answer, Citation, Turn
from bot.telegram.deps import CHANNEL, Deps
from bot.telegram.formatting import (
    Block,
    answer_blocks,
    bold,
    hit_blocks,
    reference_blocks,
    reference_keyboard,
    source_blocks,
)
from bot.telegram.handlers import admit_question, chat_key, filters_for
from bot.telegram.replies import Target, send_blocks, send_text, typing
from bot.telegram.state import AnswerRecord, CommentRequest
from index.models import Hit

log = logging.getLogger(__name__)
MORE_PAGE = 3
CALLBACK_PATTERN = r"^(src|more|up|down|ref):"


def keyboard(key: str, answer: Answer, *, votes: bool = True) -> InlineKeyboardMarkup:
    """📄 Fonti / 🔎 Altri risultati, and 👍 / 👎 until the user has voted."""
    first = [InlineKeyboardButton("🔎 Altri risultati", callback_data=f"more:{key}")]
    if answer.citations:
        first.insert(0, InlineKeyboardButton("📄 Fonti", callback_data=f"src:{key}"))
    rows = [first]
    if votes:
        rows.append([InlineKeyboardButton("👍", callback_data=f"up:{key}"),
                     InlineKeyboardButton("👎", callback_data=f"down:{key}")])
    return InlineKeyboardMarkup(rows)


def strip_mention(text: str, username: str) -> str:
    """The question without the bot's @mention (group messages)."""
    return re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.IGNORECASE).strip()


class Questions:
    """Free-text questions and the callbacks of the answer buttons."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A text message: a 'cosa mancava?' reply, or a question to answer."""
        message, user = update.message, update.effective_user
        if message is None or user is None or message.text is None:
            return
        if await self._took_comment(message, user.id, context):
            return
        question = strip_mention(message.text, context.bot.username)
        target = Target.of(message)
        if not question:
            await send_text(context.bot, target, "Scrivimi la domanda, per esempio: «Chi "
                            "nomina il segretario generale?»")
            return
        if not await admit_question(self.deps, context, target, user.id, question):
            return
        await self.answer(context, target, chat_key(message), question)

    async def answer(self, context: ContextTypes.DEFAULT_TYPE, target: Target,
                     key: tuple[int, int | None], question: str) -> None:
        """Compose a cited answer, log it, and send it with its buttons."""
        deps = self.deps
        filters = filters_for(deps, target.chat_id)
        history = deps.memory.history(key)
        async with typing(context.bot, target):
            answer = await asyncio.to_thread(deps.service.ask, question, history, filters)
        question_id = await asyncio.to_thread(deps.log_answer, answer)
        deps.memory.add_turn(key, Turn(question, answer.text))
        record_id = deps.memory.remember_answer(
            AnswerRecord(answer, filters, target.chat_id, question_id))
        await send_blocks(context.bot, target, answer_blocks(answer),
                          keyboard(record_id, answer))

    async def _took_comment(self, message: Message, user_id: int,
                            context: ContextTypes.DEFAULT_TYPE) -> bool:
        replied = message.reply_to_message
        if replied is None:
            return False
        request = self.deps.memory.comments.get((message.chat_id, user_id))
        if request is None or request.prompt_message_id != replied.message_id:
            return False
        self.deps.memory.comments.pop((message.chat_id, user_id))
        self.deps.appdb.set_feedback_comment(request.feedback_id, (message.text or "")[:2000])
        await send_text(context.bot, Target.of(message), "Grazie, ne terremo conto.")
        return True

    # ---- buttons ---------------------------------------------------------------------
    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Dispatch 📄 Fonti, 🔎 Altri risultati, 👍 and 👎."""
        query = update.callback_query
        if query is None or query.data is None or not isinstance(query.message, Message):
            return
        action, _, key = query.data.partition(":")
        if action == "ref":
            await self._reference(query, context, key)
            return
        record = self.deps.memory.answers.get(key)
        if record is None or record.chat_id != query.message.chat_id:
            await query.answer("Questa risposta non è più disponibile: ripeti la domanda.",
                               show_alert=True)
            return
        target = Target.of(query.message)
        if action == "src":
            await query.answer()
            await send_blocks(context.bot, target, await self._sources(record.answer),
                              reference_keyboard(record.answer))
        elif action == "more":
            await self._more(query, context, target, record)
        else:
            await self._vote(query, context, target, record, key, 1 if action == "up" else -1)

    async def _sources(self, answer: Answer) -> list[Block]:
        blocks: list[Block] = []
        for c in answer.citations:
            passage, act = await self._passage(answer, c)
            blocks.extend(source_blocks(c, passage, act))
        return blocks

    async def _reference(self, query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE,
                         key: str) -> None:
        """↪ a provision a quote cites: the passage it points to, from the store."""
        await query.answer()
        assert isinstance(query.message, Message)
        target = Target.of(query.message)
        chunk_id = int(key) if key.isdigit() else -1
        found = await asyncio.to_thread(self.deps.service.store.chunks_by_ids, [chunk_id])
        if chunk_id not in found:
            await send_text(context.bot, target, "Il passo citato non è più in archivio.")
            return
        await send_blocks(context.bot, target, reference_blocks(found[chunk_id]))

    async def _passage(self, answer: Answer, c: Citation) -> tuple[str, str | None]:
        """The full verbatim passage of a citation and its act (hits first, then store)."""
        for hit in answer.hits:
            if hit.chunk.id == c.chunk_id:
                return hit.chunk.text, hit.document.meta.act
        found = await asyncio.to_thread(self.deps.service.store.chunks_by_ids, [c.chunk_id])
        if c.chunk_id in found:
            stored = found[c.chunk_id]
            return stored.chunk.text, stored.document.meta.act
        return c.quote, None

    async def _more(self, query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE,
                    target: Target, record: AnswerRecord) -> None:
        answer = record.answer
        cited = {c.chunk_id for c in answer.citations}
        wanted = len(cited) + record.shown + MORE_PAGE
        question = answer.rewritten_question or answer.question
        hits: list[Hit] = await asyncio.to_thread(self.deps.service.search, question, wanted,
                                                  record.filters)
        fresh = [h for h in hits if h.chunk.id not in cited][record.shown:]
        page = fresh[:MORE_PAGE]
        if not page:
            await query.answer("Non ci sono altri risultati.")
            return
        await query.answer()
        start = record.shown + 1
        record.shown += len(page)
        await send_blocks(context.bot, target,
                          [Block("Altri risultati", bold), *hit_blocks(page, start=start)])

    async def _vote(self, query: CallbackQuery, context: ContextTypes.DEFAULT_TYPE,
                    target: Target, record: AnswerRecord, key: str, vote: int) -> None:
        if record.voted:
            await query.answer("Hai già votato questa risposta, grazie!")
            return
        record.voted = True
        feedback_id = self.deps.appdb.add_feedback(channel=CHANNEL, vote=vote,
                                                   question_id=record.question_id)
        await query.answer("Grazie per il riscontro!")
        await query.edit_message_reply_markup(keyboard(key, record.answer, votes=False))
        if vote < 0 and query.from_user is not None:
            prompt = await send_text(
                context.bot, target, "Cosa mancava? Rispondi a questo messaggio se vuoi "
                "aiutarci a migliorare (facoltativo).",
                ForceReply(selective=True, input_field_placeholder="Cosa mancava?"))
            if prompt is not None:
                self.deps.memory.comments.put(
                    (target.chat_id, query.from_user.id),
                    CommentRequest(feedback_id, prompt.message_id))
