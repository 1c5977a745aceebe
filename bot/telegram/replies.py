"""Sending to Telegram: paginated HTML with a plain-text fallback, typing indicator."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest

from bot.telegram.formatting import Block, Outgoing, paginate

log = logging.getLogger(__name__)
Markup = InlineKeyboardMarkup | ForceReply
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


@dataclass(frozen=True)
class Target:
    """Where a reply goes: chat, forum topic, and the message it answers (in groups)."""

    chat_id: int
    thread_id: int | None = None
    reply_to: int | None = None

    @classmethod
    def of(cls, message: Message) -> Target:
        """Reply target for an incoming message (same topic; quoted in groups)."""
        thread = message.message_thread_id if message.is_topic_message else None
        in_group = message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)
        return cls(message.chat_id, thread, message.message_id if in_group else None)


async def send_blocks(bot: Bot, target: Target, blocks: Sequence[Block],
                      markup: Markup | None = None) -> Message | None:
    """Send blocks as ≤4096-char HTML messages; the keyboard goes on the last one."""
    pages = paginate(blocks) or [Outgoing("…", "…")]
    last: Message | None = None
    for i, page in enumerate(pages):
        is_last = i == len(pages) - 1
        last = await send_page(bot, target, page, markup if is_last else None,
                               reply=i == 0)
    return last


async def send_text(bot: Bot, target: Target, text: str,
                    markup: Markup | None = None) -> Message | None:
    """Send a short plain Italian message (escaped, HTML mode)."""
    return await send_blocks(bot, target, [Block(text)], markup)


async def send_page(bot: Bot, target: Target, page: Outgoing,
                    markup: Markup | None, *, reply: bool = True) -> Message:
    """Send one page as HTML; if Telegram cannot parse it, resend it as plain text."""
    reply_params = (ReplyParameters(target.reply_to, allow_sending_without_reply=True)
                    if reply and target.reply_to else None)
    try:
        return await bot.send_message(
            target.chat_id, page.html, parse_mode=ParseMode.HTML,
            message_thread_id=target.thread_id, reply_parameters=reply_params,
            reply_markup=markup, link_preview_options=NO_PREVIEW)
    except BadRequest as exc:
        if "parse entities" not in str(exc).lower():
            raise
        log.warning("HTML rifiutato da Telegram, invio come testo semplice")
        return await bot.send_message(
            target.chat_id, page.plain, message_thread_id=target.thread_id,
            reply_parameters=reply_params, reply_markup=markup,
            link_preview_options=NO_PREVIEW)


@contextlib.asynccontextmanager
async def typing(bot: Bot, target: Target, every_s: float = 4.5) -> AsyncIterator[None]:
    """Show 'sta scrivendo…' while the body runs (renewed every few seconds)."""

    async def loop() -> None:
        while True:
            with contextlib.suppress(Exception):
                await bot.send_chat_action(target.chat_id, ChatAction.TYPING,
                                           message_thread_id=target.thread_id)
            await asyncio.sleep(every_s)

    task = asyncio.create_task(loop())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
