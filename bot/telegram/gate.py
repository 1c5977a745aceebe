"""The gatekeeper: runs before every handler (group -1) and keys on the numeric user id."""

from __future__ import annotations

import logging

from telegram import Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.telegram.deps import Deps, actor
from bot.telegram.formatting import Block, bold, esc
from bot.telegram.ratelimit import RateLimiter
from bot.telegram.replies import Target, send_blocks

log = logging.getLogger(__name__)
GROUPS = (ChatType.GROUP, ChatType.SUPERGROUP)
REFUSALS_PER_HOUR = 3


def refusal_blocks(user_id: int) -> list[Block]:
    """The polite refusal for an unknown user, showing the id to pass to an admin."""
    return [
        Block("Ciao! Sono Raccordo, l'assistente delle Città metropolitane per norme, "
              "regolamenti e piani."),
        Block("Il tuo accesso non è ancora abilitato. Comunica a un amministratore questo "
              "numero, che ti identifica:"),
        Block(str(user_id), lambda s: f"<code>{esc(s)}</code>"),
        Block("Se hai ricevuto un link d'invito, aprilo di nuovo per attivare l'accesso."),
    ]


def addressed(message: Message, bot_id: int, username: str) -> bool:
    """True when a group message is for this bot: a command, a mention or a reply."""
    handle = f"@{username}".lower()
    entities = message.parse_entities() or message.parse_caption_entities()
    for entity, text in entities.items():
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            return "@" not in text or text.lower().endswith(handle)
        if entity.type == MessageEntity.MENTION and text.lower() == handle:
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and \
                entity.user.id == bot_id:
            return True
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == bot_id)


class Gate:
    """Lets allowed users through; refuses others politely; applies group etiquette."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.refusals = RateLimiter(REFUSALS_PER_HOUR, 3600)  # unknown users can't flood us

    async def __call__(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Raise ApplicationHandlerStop for every update that must go no further."""
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or user.is_bot or chat.type == ChatType.CHANNEL:
            raise ApplicationHandlerStop
        if chat.type in GROUPS and not self._group_ok(update, context):
            raise ApplicationHandlerStop
        if self.deps.is_allowed(user.id):
            return
        if await self._redeemed(update, context):
            return
        await self._refuse(update, context)
        raise ApplicationHandlerStop

    def _group_ok(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        chat = update.effective_chat
        assert chat is not None
        if chat.id not in self.deps.settings.telegram_allowed_chats:
            log.info("aggiornamento ignorato da un gruppo non autorizzato")
            return False
        if update.callback_query is not None:
            return True
        message = update.message
        if message is None:
            return False
        return addressed(message, context.bot.id, context.bot.username)

    async def _redeemed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
        """Redeem `/start <code>` in a private chat; True when the user is now allowed."""
        message, user = update.message, update.effective_user
        if message is None or user is None or message.chat.type != ChatType.PRIVATE:
            return False
        parts = (message.text or "").split()
        if len(parts) != 2 or parts[0] != "/start":
            return False
        if not self.deps.appdb.redeem_invite(parts[1], user.id):
            invalid = Block("Questo codice d'invito non è valido, è scaduto o è già stato usato.")
            await send_blocks(context.bot, Target.of(message),
                              [invalid, *refusal_blocks(user.id)[1:]])
            raise ApplicationHandlerStop
        self.deps.appdb.audit(actor(user.id), "invite_redeemed", user=user.id)
        await send_blocks(context.bot, Target.of(message),
                          [Block("Benvenuto! Il tuo accesso a Raccordo è attivo.", bold)])
        return True

    async def _refuse(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        assert user is not None
        if update.callback_query is not None:
            await update.callback_query.answer("Accesso non abilitato.", show_alert=True)
            return
        if update.message is None or self.refusals.check(user.id) > 0:
            return
        log.info("utente non abilitato respinto")
        await send_blocks(context.bot, Target.of(update.message), refusal_blocks(user.id))
