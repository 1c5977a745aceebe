"""Contributed documents: upload with a caption, pending review, /approva and /rifiuta."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
from pathlib import Path

from telegram import Document, Message, Update, User
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.app.appdb import Contribution
from bot.errors import BadRequest
from bot.telegram.deps import Deps, actor
from bot.telegram.formatting import Block, bold
from bot.telegram.handlers import admin_only, canonical_city
from bot.telegram.replies import Target, send_blocks, send_text, typing
from ingest.errors import IngestError, RaccordoError

log = logging.getLogger(__name__)
_TEXTUAL = frozenset({"text", "markdown", "rst", "html"})
FORMATS_BY_EXTENSION = {".pdf": frozenset({"pdf"}), ".docx": frozenset({"docx"}),
                        ".html": frozenset({"html"}), ".htm": frozenset({"html"}),
                        ".txt": _TEXTUAL, ".text": _TEXTUAL, ".md": _TEXTUAL}
CAPTION_HELP = ("Aggiungi una didascalia con la città e il titolo, per esempio: "
                "«città: Bari | titolo: Regolamento del verde urbano».")
_CAPTION_PART = re.compile(r"^\s*([^:=]+?)\s*[:=]\s*(.+?)\s*$")
_CITY_KEYS = {"città", "citta", "city", "comune", "area", "ente"}
_TITLE_KEYS = {"titolo", "title", "nome"}


def parse_caption(caption: str | None) -> tuple[str, str]:
    """(city, title) from 'città: Bari | titolo: ...'; BadRequest when either is missing."""
    city = title = None
    for part in re.split(r"[|\n;]", caption or ""):
        match = _CAPTION_PART.match(part)
        if not match:
            continue
        key, value = match.group(1).lower(), match.group(2)
        if key in _CITY_KEYS:
            city = canonical_city(value[:100])
        elif key in _TITLE_KEYS:
            title = value[:300]
    if not city or not title:
        raise BadRequest("Mancano la città o il titolo. " + CAPTION_HELP)
    return city, title


def validate_file(data: bytes, name: str) -> str:
    """The sniffed format of an upload, parsed once to be sure it is readable."""
    from ingest.readers import read_bytes
    from ingest.sandbox import parse_isolated
    from ingest.sniff import sniff

    fmt = sniff(data, name)
    suffix = Path(name).suffix.lower()
    if fmt not in FORMATS_BY_EXTENSION.get(suffix, frozenset()):
        raise IngestError(f"il contenuto ({fmt}) non corrisponde all'estensione {suffix}")
    if fmt in ("pdf", "docx"):  # parsed in a child process with time and memory limits
        parsed = parse_isolated(data, fmt, timeout_s=60)
    else:
        try:
            parsed = read_bytes(data, fmt)
        except IngestError:
            raise
        except Exception as exc:  # any reader failure on user data is a bad file
            raise IngestError(f"file illeggibile ({type(exc).__name__})") from exc
    if not any(b.text.strip() for b in parsed.blocks):
        raise IngestError("il file non contiene testo leggibile (una scansione richiede OCR)")
    return fmt


class Contributions:
    """Receive documents from allowed users; admins approve or reject them."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    @property
    def pending_dir(self) -> Path:
        """Where pending contributions wait for a decision."""
        return self.deps.settings.uploads_dir / "pending"

    @property
    def approved_dir(self) -> Path:
        """Where approved contributions live (the ingest source folder)."""
        return self.deps.settings.uploads_dir / "telegram"

    async def receive(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A document message: check size, type, caption and content, then store it."""
        message, user = update.message, update.effective_user
        if message is None or message.document is None or user is None:
            return
        target = Target.of(message)
        if message.chat.type != ChatType.PRIVATE:
            await send_text(context.bot, target, "Per contribuire invia il documento in "
                            "chat privata con me.")
            return
        problem = self._precheck(message.document, message.caption)
        if problem:
            await send_text(context.bot, target, problem)
            return
        city, title = parse_caption(message.caption)
        try:
            data = bytes(await (await message.document.get_file()).download_as_bytearray())
        except TelegramError as exc:  # e.g. "file is too big" when no size was announced
            log.info("download del contributo non riuscito: %s", type(exc).__name__)
            await send_text(context.bot, target, "Non riesco a scaricare il file da Telegram "
                            f"(massimo {self.deps.settings.max_upload_mb} MB). Nulla è stato "
                            "salvato.")
            return
        name = message.document.file_name or "documento"
        try:
            await asyncio.to_thread(self._check_content, data, name)
        except IngestError as exc:
            await send_text(context.bot, target, f"Non posso accettare il file: {exc}. "
                            "Nulla è stato salvato.")
            return
        await self._store(context, message, user, data, name, city, title)

    def _precheck(self, doc: Document, caption: str | None) -> str | None:
        """A reason to refuse before downloading anything, or None."""
        limit_mb = self.deps.settings.max_upload_mb
        if doc.file_size is not None and doc.file_size > limit_mb * 1024 * 1024:
            return (f"Il file è troppo grande ({doc.file_size / 1048576:.1f} MB): il limite "
                    f"è {limit_mb} MB. Nulla è stato salvato.")
        if Path(doc.file_name or "").suffix.lower() not in FORMATS_BY_EXTENSION:
            return ("Formato non supportato: accetto solo PDF, DOCX, HTML o testo (.txt, "
                    ".md). Nulla è stato salvato.")
        try:
            parse_caption(caption)
        except BadRequest as exc:
            return str(exc)
        return None

    def _check_content(self, data: bytes, name: str) -> None:
        if len(data) > self.deps.settings.max_upload_mb * 1024 * 1024:
            raise IngestError("il file supera il limite di dimensione")
        validate_file(data, name)

    async def _store(self, context: ContextTypes.DEFAULT_TYPE, message: Message, user: User,
                     data: bytes, name: str, city: str, title: str) -> None:
        from bot.app.files import safe_name

        target = Target.of(message)
        sha = hashlib.sha256(data).hexdigest()
        appdb = self.deps.appdb
        for earlier in appdb.contributions("pending"):
            if earlier.sha256 == sha:
                await send_text(context.bot, target, "Questo file è già in attesa di "
                                f"approvazione (contributo n. {earlier.id}).")
                return
        self.pending_dir.mkdir(parents=True, exist_ok=True)
        path = self.pending_dir / f"{sha[:12]}-{safe_name(name)}"
        tmp = path.with_name("." + path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
        cid = appdb.add_contribution(user_id=user.id, chat_id=message.chat_id,
                                     file_name=safe_name(name), stored_path=str(path),
                                     sha256=sha, city=city, title=title)
        appdb.audit(actor(user.id), "contribution_received", id=cid, file=safe_name(name),
                    city=city, bytes=len(data))
        await send_text(context.bot, target, f"Grazie! Ho ricevuto «{title}» (città: {city}). "
                        f"È il contributo n. {cid}: ti avviserò quando sarà approvato.")
        await self._notify_admins(context, cid, user, title, city, name, len(data))

    async def _notify_admins(self, context: ContextTypes.DEFAULT_TYPE, cid: int, user: User,
                             title: str, city: str, name: str, size: int) -> None:
        blocks = [Block(f"Nuovo contributo n. {cid}", bold),
                  Block(f"Da: {user.full_name} ({user.id})\nTitolo: {title}\nCittà: {city}\n"
                        f"File: {name} ({size / 1024:.0f} KB)"),
                  Block(f"/approva {cid} oppure /rifiuta {cid} motivo")]
        for admin in self.deps.admin_ids():
            try:
                await send_blocks(context.bot, Target(admin), blocks)
            except TelegramError as exc:  # an admin who never opened the bot
                log.warning("avviso all'amministratore non recapitato: %s",
                            type(exc).__name__)

    # ---- decisions ---------------------------------------------------------------------
    async def approve(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/approva ID: ingest the contribution, rebuild the index, tell the contributor."""
        found = await self._pending_from_args(update, context)
        if found is None:
            return
        contribution, admin, target = found
        await send_text(context.bot, target, f"Acquisisco il contributo n. {contribution.id}…")
        try:
            async with typing(context.bot, target):
                doc_id = await asyncio.to_thread(self._ingest, contribution)
        except RaccordoError as exc:  # unreadable file, or the ingest refused it
            self.deps.appdb.decide_contribution(contribution.id, status="rejected",
                                                decided_by=admin, reason=str(exc))
            await send_text(context.bot, target, f"Non riesco ad acquisire il contributo n. "
                            f"{contribution.id}: {exc}. L'ho segnato come rifiutato.")
            return
        self.deps.appdb.decide_contribution(contribution.id, status="approved",
                                            decided_by=admin, doc_id=doc_id)
        self.deps.appdb.audit(actor(admin), "contribution_approved", id=contribution.id,
                              doc_id=doc_id)
        await send_text(context.bot, target, f"Contributo n. {contribution.id} approvato: è "
                        f"il documento n. {doc_id}, già consultabile.")
        await self._tell_contributor(context, contribution,
                                     f"Il tuo contributo «{contribution.title}» è stato "
                                     "approvato ed è ora consultabile. Grazie!")

    def _ingest(self, contribution: Contribution) -> int:
        pending = Path(contribution.stored_path)
        if not pending.is_file():
            raise IngestError("il file del contributo non c'è più")
        self.approved_dir.mkdir(parents=True, exist_ok=True)
        path = self.approved_dir / f"{contribution.id}-{contribution.file_name}"
        pending.replace(path)
        meta = {"title": contribution.title or contribution.file_name,
                "city": contribution.city or "",
                "contributor": f"telegram:{contribution.user_id}"}
        return self.deps.service.add_file(path, meta).id

    async def reject(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/rifiuta ID motivo: reject, delete the file, tell the contributor why."""
        found = await self._pending_from_args(update, context, need_reason=True)
        if found is None:
            return
        contribution, admin, target = found
        reason = " ".join((context.args or [])[1:])
        self.deps.appdb.decide_contribution(contribution.id, status="rejected",
                                            decided_by=admin, reason=reason)
        Path(contribution.stored_path).unlink(missing_ok=True)
        self.deps.appdb.audit(actor(admin), "contribution_rejected", id=contribution.id,
                              reason=reason)
        await send_text(context.bot, target, f"Contributo n. {contribution.id} rifiutato.")
        await self._tell_contributor(context, contribution,
                                     f"Il tuo contributo «{contribution.title}» non è stato "
                                     f"accettato. Motivo: {reason}")

    async def pending(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/contributi (admins): the contributions waiting for a decision."""
        found = await admin_only(self.deps, update, context)
        if found is None:
            return
        target = found[1]
        waiting = self.deps.appdb.contributions("pending")
        lines = [f"n. {c.id} — {c.title} ({c.city}) — {c.file_name}" for c in waiting]
        await send_blocks(context.bot, target, [
            Block(f"Contributi in attesa: {len(waiting)}", bold),
            *(Block(line) for line in lines)])

    async def _pending_from_args(self, update: Update, context: ContextTypes.DEFAULT_TYPE,
                                 *, need_reason: bool = False,
                                 ) -> tuple[Contribution, int, Target] | None:
        found = await admin_only(self.deps, update, context)
        if found is None:
            return None
        admin, target = found
        args = context.args or []
        usage = "/rifiuta ID motivo" if need_reason else "/approva ID"
        if not args or not args[0].isdigit() or (need_reason and len(args) < 2):
            await send_text(context.bot, target, f"Uso: {usage}")
            return None
        contribution = self.deps.appdb.contribution(int(args[0]))
        if contribution is None or contribution.status != "pending":
            state = "inesistente" if contribution is None else f"già {_STATUS[contribution.status]}"
            await send_text(context.bot, target, f"Contributo n. {args[0]} {state}.")
            return None
        return contribution, admin, target

    async def _tell_contributor(self, context: ContextTypes.DEFAULT_TYPE,
                                contribution: Contribution, text: str) -> None:
        with contextlib.suppress(TelegramError):
            await send_text(context.bot, Target(contribution.chat_id or contribution.user_id),
                            text)


_STATUS = {"approved": "approvato", "rejected": "rifiutato", "pending": "in attesa"}
