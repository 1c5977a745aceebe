"""The Telegram application: builder, handler registration, one error handler."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.app.appdb import AppDB
from bot.app.settings import Settings
from bot.errors import BadRequest
from bot.telegram.contributions import Contributions
from bot.telegram.deps import Deps
from bot.telegram.gate import Gate
from bot.telegram.handlers import Commands
from bot.telegram.logs import protect_token
from bot.telegram.network_commands import COMMANDS as NETWORK_COMMANDS
from bot.telegram.network_commands import handlers as network_handlers
from bot.telegram.questions import CALLBACK_PATTERN, Questions
from bot.telegram.replies import Target, send_text
from bot.telegram.review import REVIEW_PATTERN, Reviews
from ingest.errors import RaccordoError

if TYPE_CHECKING:
    from bot.app.service import Raccordo

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand("aiuto", "Cosa so fare e come chiedere"),
    BotCommand("cerca", "Passaggi pertinenti a un testo"),
    BotCommand("filtro", "Mostra, imposta o cancella il filtro della chat"),
    BotCommand("nuova", "Nuova conversazione"),
]
NEW_MESSAGES = filters.UpdateType.MESSAGE


def build_application(settings: Settings, service: Raccordo, *, appdb: AppDB | None = None,
                      ) -> Application:
    """The bot wired to a service; `appdb` defaults to the service's application tables."""
    if settings.telegram_token is None or not settings.telegram_token.get_secret_value():
        raise BadRequest("Manca il token del bot: imposta RACCORDO_TELEGRAM_TOKEN.")
    root = settings.telegram_api_url.rstrip("/")
    protect_token(settings.telegram_token.get_secret_value())
    deps = Deps(settings, service, appdb if appdb is not None else service.appdb)
    application = (
        Application.builder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(f"{root}/bot")
        .base_file_url(f"{root}/file/bot")
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(8)
        .post_init(_post_init)
        .build()
    )
    application.bot_data["deps"] = deps
    register_handlers(application, deps)
    return application


async def _post_init(application: Application) -> None:
    await application.bot.set_my_commands(COMMANDS + NETWORK_COMMANDS)


def register_handlers(application: Application, deps: Deps) -> None:
    """Gatekeeper first (group -1), then commands, documents, text and buttons."""
    application.add_handler(TypeHandler(Update, Gate(deps)), group=-1)
    commands, questions, contributions = Commands(deps), Questions(deps), Contributions(deps)
    reviews = Reviews(deps)
    for names, callback in (
        (("start", "aiuto", "help"), commands.start),
        (("nuova",), commands.new_conversation),
        (("cerca",), commands.search),
        (("filtro",), commands.filter),
        (("invita",), commands.invite),
        (("approva",), contributions.approve),
        (("rifiuta",), contributions.reject),
        (("contributi",), contributions.pending),
        (("rivedi",), reviews.start),
    ):
        application.add_handler(CommandHandler(list(names), callback,
                                               filters=NEW_MESSAGES))
    for handler in network_handlers(deps):
        application.add_handler(handler)
    application.add_handler(MessageHandler(filters.Document.ALL & NEW_MESSAGES,
                                           contributions.receive))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & NEW_MESSAGES,
                                           questions.on_text))
    application.add_handler(MessageHandler(filters.COMMAND & NEW_MESSAGES, commands.unknown))
    application.add_handler(CallbackQueryHandler(questions.on_button,
                                                 pattern=CALLBACK_PATTERN))
    application.add_handler(CallbackQueryHandler(reviews.on_button, pattern=REVIEW_PATTERN))
    application.add_error_handler(on_error)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure (the token is redacted by the log filter) and tell the user."""
    error = context.error
    if isinstance(error, RaccordoError):  # expected: its message is for the user
        text = str(error)
        log.info("richiesta non eseguibile: %s", type(error).__name__)
    else:
        text = ("Qualcosa è andato storto. Riprova tra poco; se succede ancora avvisa un "
                "amministratore.")
        log.error("errore nel bot", exc_info=error)
    if isinstance(update, Update) and update.effective_message is not None:
        try:
            await send_text(context.bot, Target.of(update.effective_message), text)
        except Exception as exc:  # the failure may be Telegram itself
            log.error("impossibile avvisare l'utente: %s", type(exc).__name__)
