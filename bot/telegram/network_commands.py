"""/simili and /confronta: the practice network (similar practices, comparison) in chat."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from telegram import BotCommand, Update
from telegram.ext import CommandHandler, ContextTypes, filters

from bot.network.compare import describe_comparison
from bot.network.similar import (
    describe_similar,
    resolve_document,
    similar_to_document,
    similar_to_text,
)
from bot.telegram.deps import Deps
from bot.telegram.formatting import Block, bold, marked, paragraphs
from bot.telegram.handlers import admit_question, filters_for
from bot.telegram.replies import Target, send_blocks, send_text, typing

SIMILAR_RESULTS = 5


class NetworkCommands:
    """Similar practices and cross-city comparison (blocking work runs in a thread)."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def similar(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/simili ID|file|descrizione: documents similar to a document or a description."""
        ref = " ".join(context.args or []).strip()
        run = self._similar_text if " " in ref else self._similar_doc
        await self._run(update, context, ref, "/simili ID, nome del file o descrizione",
                        lambda: run(ref))

    def _similar_doc(self, ref: str) -> list[Block]:
        service = self.deps.service
        doc = resolve_document(service.store, ref)
        results = similar_to_document(service.network, doc.id, k=SIMILAR_RESULTS)
        return [Block(f"Simili a «{doc.meta.title}»", bold),
                *paragraphs(describe_similar(results))]

    def _similar_text(self, text: str) -> list[Block]:
        results = similar_to_text(self.deps.service.network, text, k=SIMILAR_RESULTS)
        return [Block("Pratiche simili alla descrizione", bold),
                *paragraphs(describe_similar(results))]

    async def compare(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/confronta DOMANDA: the question answered city by city."""
        question = " ".join(context.args or []).strip()
        message = update.effective_message
        assert message is not None
        filters = filters_for(self.deps, message.chat_id)

        def run() -> list[Block]:
            comparison = self.deps.service.compare(question, filters)
            return paragraphs(describe_comparison(comparison), marked)

        await self._run(update, context, question, "/confronta DOMANDA", run)

    async def _run(self, update: Update, context: ContextTypes.DEFAULT_TYPE, text: str,
                   usage: str, work: Callable[[], list[Block]]) -> None:
        message, user = update.effective_message, update.effective_user
        assert message is not None and user is not None
        target = Target.of(message)
        if not text:
            await send_text(context.bot, target, f"Uso: {usage}")
            return
        if not await admit_question(self.deps, context, target, user.id, text):
            return
        async with typing(context.bot, target):
            blocks = await asyncio.to_thread(work)
        await send_blocks(context.bot, target, blocks)


COMMANDS = [BotCommand("simili", "Pratiche simili a un documento o a una descrizione"),
            BotCommand("confronta", "La stessa domanda, città per città")]


def handlers(deps: Deps) -> list[CommandHandler]:
    """The command handlers of this module, for registration."""
    commands = NetworkCommands(deps)
    new = filters.UpdateType.MESSAGE
    return [CommandHandler("simili", commands.similar, filters=new),
            CommandHandler("confronta", commands.compare, filters=new)]
