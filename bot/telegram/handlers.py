"""Command handlers: /start, /aiuto, /nuova, /cerca, /filtro, /invita."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from typing import Any

from telegram import Message, Update
from telegram.ext import ContextTypes

from bot.errors import BadRequest
from bot.telegram.deps import Deps, actor
from bot.telegram.formatting import Block, bold, esc, hit_blocks, italic
from bot.telegram.replies import Target, send_blocks, send_text, typing
from index.models import Filters
from ingest.metadata import METROPOLITAN_CITIES, city_key
from ingest.models import KINDS

KIND_LABELS = {"law": "leggi", "decree": "decreti", "regulation": "regolamenti",
               "statute": "statuti", "plan": "piani", "practice": "pratiche",
               "guideline": "linee guida", "other": "altri documenti"}
FILTER_KEYS = {"tipo": "kind", "kind": "kind", "citta": "city", "città": "city",
               "city": "city", "area": "city", "documento": "document", "doc": "document",
               "document": "document", "tema": "theme", "theme": "theme", "anno": "year",
               "year": "year"}
FILTER_LABELS = {"kind": "tipo", "city": "città", "document": "documento", "theme": "tema",
                 "year": "anno"}
SEARCH_RESULTS = 5
_PAIR = re.compile(r"([^\s=]+)\s*=\s*(.+?)(?=\s+[^\s=]+\s*=|$)")


def chat_key(message: Message) -> tuple[int, int | None]:
    """Conversation key: the chat, and the forum topic when there is one."""
    return (message.chat_id, message.message_thread_id if message.is_topic_message else None)


def filters_for(deps: Deps, chat_id: int) -> Filters:
    """The persisted filters of a chat as search Filters."""
    saved = deps.appdb.chat_filters(chat_id)
    return Filters(**{k: v for k, v in saved.items() if k in FILTER_LABELS})


def parse_filters(deps: Deps, text: str) -> dict[str, Any]:
    """Parse 'tipo=law citta=Bari' into filter values, validating each one."""
    pairs = _PAIR.findall(text)
    if not pairs:
        raise BadRequest("Formato: /filtro tipo=law | citta=Bari | documento=ID | tema=... "
                         "(più di uno separati da spazio), oppure /filtro cancella.")
    out: dict[str, Any] = {}
    for raw_key, raw_value in pairs:
        key = FILTER_KEYS.get(raw_key.lower())
        value = raw_value.strip()
        if key is None:
            raise BadRequest(f"Filtro sconosciuto: {raw_key}. Usa tipo, citta, documento, "
                             "tema o anno.")
        out[key] = _filter_value(deps, key, value)
    return out


def _filter_value(deps: Deps, key: str, value: str) -> Any:
    if key == "kind":
        if value.lower() not in KINDS:
            raise BadRequest(f"Tipo sconosciuto: {value}. Tipi: {', '.join(KINDS)}.")
        return value.lower()
    if key in ("document", "year"):
        if not value.isdigit():
            raise BadRequest(f"Il valore di {FILTER_LABELS[key]} deve essere un numero.")
        if key == "document" and deps.service.store.document(int(value)) is None:
            raise BadRequest(f"Non esiste un documento n. {value}.")
        return int(value)
    return canonical_city(value) if key == "city" else value


def canonical_city(name: str) -> str:
    """'città metropolitana di bari' → 'Bari' for the 14 cities; other names unchanged."""
    key = city_key(name)
    return next((c for c in METROPOLITAN_CITIES if city_key(c) == key), name.strip())


def describe_filters(saved: dict[str, Any]) -> str:
    """'tipo=law, città=Bari' (or a sentence saying there is no filter)."""
    if not saved:
        return "Nessun filtro: cerco in tutti i documenti."
    return "Filtro attivo: " + ", ".join(f"{FILTER_LABELS.get(k, k)}={v}"
                                         for k, v in saved.items())


ADMIN_HELP = [
    Block("Per gli amministratori", bold),
    Block("/invita — link di invito monouso\n"
          "/contributi — documenti inviati in attesa; /approva ID, /rifiuta ID motivo\n"
          "/rivedi — risposte con 👎 da rivedere (in chat privata): indica il passo giusto"),
]


class Commands:
    """Handlers of the everyday commands (constructor-injected dependencies)."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/start and /aiuto: what the bot is, what it knows, how to ask."""
        assert update.effective_message is not None
        user = update.effective_user
        admin = user is not None and self.deps.is_admin(user.id)
        await send_blocks(context.bot, Target.of(update.effective_message),
                          self.help_blocks() + (ADMIN_HELP if admin else []))

    def help_blocks(self) -> list[Block]:
        """The welcome/help text, with live document counts from the store."""
        docs = [d for d in self.deps.service.store.documents() if d.status == "indexed"]
        kinds = Counter(d.meta.kind for d in docs)
        known = ", ".join(f"{n} {KIND_LABELS.get(k, k)}" for k, n in kinds.most_common())
        return [
            Block("Raccordo — risposte citate per le Città metropolitane", bold),
            Block("Rispondo a domande in italiano su norme, regolamenti, piani e buone "
                  "pratiche, citando sempre le fonti: atto, articolo, comma e pagina."),
            Block(f"Conosco {len(docs)} documenti" + (f": {known}." if known else ".")),
            Block("Come chiedere: scrivi la domanda in un messaggio, per esempio «Chi approva "
                  "il bilancio della città metropolitana?». Puoi fare domande di seguito: "
                  "tengo conto delle precedenti; /nuova ricomincia da capo."),
            Block("/cerca TESTO — passaggi pertinenti, senza risposta composta\n"
                  "/filtro — limita la ricerca (tipo=law, citta=Bari, documento=ID, tema=...)\n"
                  "/nuova — nuova conversazione\n/aiuto — questo messaggio"),
            Block("Per contribuire invia un documento (PDF, DOCX, HTML o testo, max "
                  f"{self.deps.settings.max_upload_mb} MB) con la didascalia "
                  "«città: Bari | titolo: ...».", italic),
        ]

    async def new_conversation(self, update: Update,
                               context: ContextTypes.DEFAULT_TYPE) -> None:
        """/nuova: forget the previous turns of this chat."""
        message = update.effective_message
        assert message is not None
        self.deps.memory.reset(chat_key(message))
        await send_text(context.bot, Target.of(message),
                        "Va bene, ricominciamo: la prossima domanda non terrà conto delle "
                        "precedenti.")

    async def search(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/cerca TESTO: ranked passages with their locators."""
        message, user = update.effective_message, update.effective_user
        assert message is not None and user is not None
        target = Target.of(message)
        query = " ".join(context.args or []).strip()
        if not query:
            await send_text(context.bot, target, "Scrivi cosa cercare: /cerca TESTO")
            return
        if not await admit_question(self.deps, context, target, user.id, query):
            return
        filters = filters_for(self.deps, message.chat_id)
        async with typing(context.bot, target):
            hits = await asyncio.to_thread(self.deps.service.search, query, SEARCH_RESULTS,
                                           filters)
        if not hits:
            await send_text(context.bot, target, "Nessun passaggio trovato."
                            + ("" if filters.is_empty() else " (C'è un filtro attivo: /filtro)"))
            return
        await send_blocks(context.bot, target,
                          [Block(f"Passaggi per «{query}»", bold), *hit_blocks(hits)])

    async def filter(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/filtro: show, set (tipo=, citta=, documento=, tema=, anno=) or clear."""
        message = update.effective_message
        assert message is not None
        target = Target.of(message)
        text = " ".join(context.args or []).strip()
        appdb = self.deps.appdb
        if text.lower() in ("cancella", "rimuovi", "nessuno", "off"):
            appdb.set_chat_filters(message.chat_id, {})
            await send_text(context.bot, target, "Filtro rimosso: cerco in tutti i documenti.")
            return
        saved = appdb.chat_filters(message.chat_id)
        if text:
            saved = {**saved, **parse_filters(self.deps, text)}
            appdb.set_chat_filters(message.chat_id, saved)
        await send_blocks(context.bot, target, [
            Block(describe_filters(saved)),
            Block("Imposta con /filtro tipo=law citta=Bari documento=ID tema=..., "
                  "rimuovi con /filtro cancella.", italic)])

    async def unknown(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An unknown command: point to /aiuto (in groups only if it names this bot)."""
        message = update.effective_message
        assert message is not None
        private = message.chat.type == "private"
        if private or f"@{context.bot.username}".lower() in (message.text or "").lower():
            await send_text(context.bot, Target.of(message),
                            "Comando sconosciuto: scrivi /aiuto per l'elenco dei comandi.")

    async def invite(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/invita (admins): a one-time invite link."""
        found = await admin_only(self.deps, update, context,
                                 "Solo gli amministratori possono invitare.")
        if found is None:
            return
        admin, target = found
        code = self.deps.appdb.create_invite(admin)
        self.deps.appdb.audit(actor(admin), "invite_created")
        link = f"https://t.me/{context.bot.username}?start={code}"
        await send_blocks(context.bot, target, [
            Block("Link d'invito (valido una sola volta, per 7 giorni):"),
            Block(link, lambda s: f"<code>{esc(s)}</code>")])


async def admit_question(deps: Deps, context: ContextTypes.DEFAULT_TYPE, target: Target,
                         user_id: int, question: str) -> bool:
    """Check length and rate limit; tell the user and return False when refused."""
    limit = deps.settings.max_question_chars
    if len(question) > limit:
        await send_text(context.bot, target,
                        f"La domanda è troppo lunga ({len(question)} caratteri, massimo "
                        f"{limit}). Prova a riassumerla.")
        return False
    wait = deps.wait_before_question(user_id)
    if wait > 0:
        minutes = max(1, round(wait / 60))
        await send_text(context.bot, target,
                        "Hai fatto molte domande in poco tempo: riprova tra "
                        f"{'un minuto' if minutes == 1 else f'{minutes} minuti'}. Grazie "
                        "della pazienza!")
        return False
    return True


async def admin_only(deps: Deps, update: Update, context: ContextTypes.DEFAULT_TYPE,
                     refusal: str = "Comando riservato agli amministratori.",
                     ) -> tuple[int, Target] | None:
    """(admin id, reply target) for an admin's command; else reply `refusal`, None."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    target = Target.of(message)
    if not deps.is_admin(user.id):
        await send_text(context.bot, target, refusal)
        return None
    return user.id, target
