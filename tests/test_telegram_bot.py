"""The real Telegram bot against a fake Bot API server over HTTP (no Telegram)."""

from __future__ import annotations

import html
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_bot_api import BOT_USER, FakeBotAPI
from telegram_harness import (
    ADMIN,
    ALICE,
    FORUM,
    GROUP,
    RunningBot,
    bot_settings,
    has_keyboard,
    new_user_id,
    open_appdb,
)

from bot.answers.markup import plain
from bot.answers.models import Turn
from bot.telegram.formatting import answer_blocks, paginate
from bot.telegram.ratelimit import RateLimiter

QUESTION = "Come funziona la centrale unica di committenza a Torino?"
MENTION = f"@{BOT_USER['username']}"


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeBotAPI]:
    """One fake Bot API server for the module."""
    with FakeBotAPI() as server:
        yield server


@pytest.fixture(scope="module")
def bot(fake: FakeBotAPI, demo_service: Any,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBot]:
    """The real bot over the demo corpus, with its own application tables."""
    data = tmp_path_factory.mktemp("telegram")
    with RunningBot(fake, bot_settings(data, fake), demo_service,
                    open_appdb(data / "bot.db")) as running:
        yield running


def user(bot: RunningBot) -> int:
    """A fresh allowed user (own conversation, own rate-limit window)."""
    uid = new_user_id()
    bot.appdb.add_user(uid)
    return uid


def rendered(answer: Any) -> str:
    """The HTML the bot is expected to send for an answer (single page)."""
    pages = paginate(answer_blocks(answer))
    assert len(pages) == 1
    return pages[0].html


def test_start_tells_what_the_bot_knows(bot: RunningBot, fake: FakeBotAPI,
                                        demo_service: Any) -> None:
    [reply] = bot.say(ALICE, "/start")
    docs = [d for d in demo_service.store.documents() if d.status == "indexed"]
    assert f"Conosco {len(docs)} documenti" in reply.text
    assert "pratiche" in reply.text  # the demo sheets are of kind "practice"
    assert reply.params["parse_mode"] == "HTML"
    assert "/rivedi" not in reply.text  # admin commands only for admins
    [admin_help] = bot.say(ADMIN, "/aiuto")
    assert "Per gli amministratori" in admin_help.text and "/rivedi" in admin_help.text
    commands = fake.calls("setMyCommands")[0].params["commands"]
    assert {"cerca", "filtro", "nuova", "aiuto"} <= {c["command"] for c in commands}


def test_question_gets_cited_answer_with_buttons(bot: RunningBot, fake: FakeBotAPI,
                                                 demo_service: Any) -> None:
    uid = user(bot)
    mark = fake.mark()
    reply = bot.ask(uid, QUESTION)
    expected = demo_service.ask(QUESTION)
    assert not expected.abstained and expected.citations
    assert reply.text == rendered(expected)
    assert "<b>Fonti</b>" in reply.text
    assert html.escape(expected.citations[0].title, quote=False) in reply.text
    typing = fake.calls("sendChatAction", after=mark)
    assert typing and typing[0].params["action"] == "typing"
    assert typing[0].index < reply.index
    labels = [b["text"] for row in reply.params["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["📄 Fonti", "🔎 Altri risultati", "👍", "👎"]
    for row in reply.params["reply_markup"]["inline_keyboard"]:
        assert all(len(b["callback_data"].encode()) <= 64 for b in row)
    logged = bot.appdb.question_rows()[-1]
    assert logged[2] == "telegram" and logged[7] is None  # text not stored by default
    assert json.loads(logged[6]) == []  # nor any of its terms (question logging is off)


def test_sources_button_expands_cited_passages(bot: RunningBot, fake: FakeBotAPI,
                                               demo_service: Any) -> None:
    uid = user(bot)
    sources = bot.tap(uid, bot.ask(uid, QUESTION), "Fonti")
    answer = demo_service.ask(QUESTION)
    chunks = demo_service.store.chunks_by_ids([c.chunk_id for c in answer.citations])
    for c in answer.citations:
        passage = chunks[c.chunk_id].chunk.text
        shown = html.escape(plain(passage), quote=False)
        assert f"<blockquote>{shown}</blockquote>" in sources.text
        assert f"[{c.n}] {html.escape(c.title, quote=False)}" in sources.text
        assert html.escape(c.place, quote=False) in sources.text
        assert html.escape(f"Fonte: {c.url or c.file}", quote=False) in sources.text


def test_more_results_shows_other_passages(bot: RunningBot, fake: FakeBotAPI,
                                           demo_service: Any) -> None:
    uid = user(bot)
    reply = bot.ask(uid, QUESTION)
    more = bot.tap(uid, reply, "Altri risultati")
    answer = demo_service.ask(QUESTION)
    cited = {c.chunk_id for c in answer.citations}
    others = [h for h in demo_service.search(QUESTION, 10) if h.chunk.id not in cited]
    assert more.text.startswith("<b>Altri risultati</b>")
    assert html.escape(f"1. {others[0].document.meta.title}", quote=False) in more.text
    page2 = bot.tap(uid, reply, "Altri risultati")  # the next page continues numbering
    assert "<b>4. " in page2.text


def test_feedback_is_stored_and_thumbs_down_asks_what_was_missing(
        bot: RunningBot, fake: FakeBotAPI) -> None:
    uid = user(bot)
    reply = bot.ask(uid, QUESTION)
    question_id = bot.appdb.question_rows()[-1][0]
    mark = bot.press(uid, reply, "👍")
    [edit] = fake.wait_for("editMessageReplyMarkup", after=mark)
    assert [b["text"] for row in edit.params["reply_markup"]["inline_keyboard"]
            for b in row] == ["📄 Fonti", "🔎 Altri risultati"]
    assert bot.appdb.feedback_rows()[-1][3:5] == (question_id, 1)

    prompt = bot.tap(uid, bot.ask(uid, QUESTION), "👎")
    assert "Cosa mancava" in prompt.text and prompt.params["reply_markup"]["force_reply"]
    assert bot.appdb.feedback_rows()[-1][4] == -1
    [thanks] = bot.say(uid, "Mancava il riferimento alla convenzione", reply_to=prompt.result)
    assert "Grazie" in thanks.text
    assert bot.appdb.feedback_rows()[-1][5] == "Mancava il riferimento alla convenzione"


def test_follow_up_uses_previous_turns_until_nuova(bot: RunningBot,
                                                   demo_service: Any) -> None:
    uid = user(bot)
    follow_up = "E a Napoli?"
    first = demo_service.ask(QUESTION)
    with_history = demo_service.ask(follow_up, history=(Turn(QUESTION, first.text),))
    alone = demo_service.ask(follow_up)
    assert rendered(with_history) != rendered(alone)  # the corpus makes history matter
    bot.ask(uid, QUESTION)
    reply = bot.ask(uid, follow_up).text
    assert reply == rendered(with_history)
    assert with_history.rewritten_question  # the official sees how the bot read the question
    assert reply.startswith(f"<i>Domanda intesa come: «{with_history.rewritten_question}»</i>")
    [reset] = bot.say(uid, "/nuova")
    assert "ricominciamo" in reset.text
    assert bot.ask(uid, follow_up).text == rendered(alone)


def test_cerca_lists_ranked_passages_with_locators(bot: RunningBot,
                                                   demo_service: Any) -> None:
    [reply] = bot.say(user(bot), "/cerca zone omogenee e unioni di comuni")
    hits = demo_service.search("zone omogenee e unioni di comuni", 5)
    assert hits
    heads = [f"{n}. {h.document.meta.title}" + (f" — {h.locator}" if h.locator else "")
             for n, h in enumerate(hits, start=1)]
    positions = [reply.text.index(html.escape(head, quote=False)) for head in heads]
    assert positions == sorted(positions)
    assert not has_keyboard(reply)


def test_filtro_sets_shows_applies_and_clears(bot: RunningBot, demo_service: Any) -> None:
    uid = user(bot)
    [shown] = bot.say(uid, "/filtro citta=città metropolitana di genova")
    assert "città=Genova" in shown.text
    assert bot.appdb.chat_filters(uid) == {"city": "Genova"}
    reply = bot.ask(uid, QUESTION)  # a Torino question, restricted to Genova
    answer = demo_service.ask(QUESTION, filters=demo_service_filters(city="Genova"))
    assert reply.text == rendered(answer)
    # nothing from Genova answers a Torino question: no Torino source, and the reply says why
    assert answer.abstained and not answer.citations
    assert "Nessuno dei passi trovati riguarda la Città metropolitana di Torino." in reply.text
    assert "Torino" not in reply.text.split("Potrebbero esserti utili")[-1]
    [bad] = bot.say(uid, "/filtro tipo=sconosciuto")
    assert "Tipo sconosciuto" in bad.text
    assert bot.appdb.chat_filters(uid) == {"city": "Genova"}
    [cleared] = bot.say(uid, "/filtro cancella")
    assert "rimosso" in cleared.text and bot.appdb.chat_filters(uid) == {}


def demo_service_filters(**values: Any) -> Any:
    """Search filters (imported lazily, like the service)."""
    from index.models import Filters

    return Filters(**values)


def test_unknown_user_is_refused_politely_with_their_id(bot: RunningBot,
                                                        fake: FakeBotAPI) -> None:
    stranger = 4242424
    mark = fake.mark()
    [reply] = bot.say(stranger, QUESTION)
    assert "non è ancora abilitato" in reply.text and f"<code>{stranger}</code>" in reply.text
    assert not fake.calls("sendChatAction", after=mark)
    assert bot.appdb.user_role(stranger) is None
    for _ in range(4):  # a stranger who insists is refused a few times, then ignored
        fake.push_message(stranger, "ciao?")
    bot.say(ALICE, "/nuova")  # a probe: once answered, the stranger's updates were fetched
    bot.settle()  # ... and handled
    refusals = [c for c in fake.calls("sendMessage", after=mark)
                if c.params["chat_id"] == stranger]
    assert len(refusals) == 3


def test_invite_code_admits_a_new_user_once(bot: RunningBot, fake: FakeBotAPI) -> None:
    [refused] = bot.say(ALICE, "/invita")
    assert "Solo gli amministratori" in refused.text
    [invite] = bot.say(ADMIN, "/invita")
    prefix = f"https://t.me/{BOT_USER['username']}?start="
    code = invite.text.split(prefix)[1].split("<")[0]
    newcomer, latecomer = 5151001, 5151002
    welcome = bot.say(newcomer, f"/start {code}", count=2)
    assert "Benvenuto" in welcome[0].text and "Conosco" in welcome[1].text
    assert bot.appdb.user_role(newcomer) == "user"
    assert has_keyboard(bot.ask(newcomer, QUESTION))
    [reused] = bot.say(latecomer, f"/start {code}")
    assert "non è valido" in reused.text and str(latecomer) in reused.text
    actions = [row[2] for row in bot.appdb.audit_rows()]
    assert "invite_created" in actions and "invite_redeemed" in actions


def test_group_etiquette(bot: RunningBot, fake: FakeBotAPI) -> None:
    mark = fake.mark()
    fake.push_message(ALICE, QUESTION, chat_id=GROUP, chat_type="supergroup")
    fake.push_message(ALICE, f"{MENTION} {QUESTION}", chat_id=-100999, chat_type="group")
    fake.push_message(ALICE, "/cerca@altro_bot committenza", chat_id=GROUP,
                      chat_type="supergroup")
    asked = fake.push_message(ALICE, f"{MENTION} {QUESTION}", chat_id=FORUM,
                              chat_type="supergroup", thread_id=77)
    [reply] = fake.wait_for("sendMessage", after=mark, where=has_keyboard)
    assert reply.params["chat_id"] == FORUM and reply.params["message_thread_id"] == 77
    assert reply.params["reply_parameters"]["message_id"] == asked["message_id"]
    [command] = bot.say(ALICE, f"/cerca@{BOT_USER['username']} committenza", chat_id=GROUP,
                        chat_type="supergroup")
    assert command.params["chat_id"] == GROUP and "Passaggi" in command.text
    replied = fake.push_message(ALICE, "E a Napoli?", chat_id=FORUM, chat_type="supergroup",
                                thread_id=77, reply_to=reply.result)
    follow = fake.wait_for("sendMessage", after=command.index + 1, where=has_keyboard)[0]
    assert follow.params["reply_parameters"]["message_id"] == replied["message_id"]
    bot.settle()  # every update pushed above has been handled: nothing more will be sent
    sent = fake.calls("sendMessage", after=mark)
    assert {c.params["chat_id"] for c in sent} == {FORUM, GROUP}  # never the foreign group
    group = [c for c in sent if c.params["chat_id"] == GROUP]
    assert group[0].text.startswith("<b>Passaggi")  # only the /cerca addressed to this bot
    assert not any(has_keyboard(c) for c in group)  # the unmentioned question got nothing
    assert sum(has_keyboard(c) for c in sent) == 2


def test_rate_limit_is_friendly(bot: RunningBot) -> None:
    deps = bot.application.bot_data["deps"]
    saved, deps.limiter = deps.limiter, RateLimiter(2, 600)
    try:
        uid = user(bot)
        bot.ask(uid, QUESTION)
        bot.ask(uid, "Chi gestisce il SUAP associato?")
        [limited] = bot.say(uid, QUESTION)
        assert "molte domande" in limited.text and not has_keyboard(limited)
        assert has_keyboard(bot.ask(user(bot), QUESTION))  # other users are not affected
    finally:
        deps.limiter = saved


def test_too_long_question_is_refused(bot: RunningBot, demo_service: Any) -> None:
    limit = demo_service.settings.max_question_chars
    [reply] = bot.say(user(bot), "parola " * (limit // 7 + 1))
    assert "troppo lunga" in reply.text and str(limit) in reply.text


def test_flood_limit_429_is_retried(bot: RunningBot, fake: FakeBotAPI) -> None:
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    mark = fake.mark()
    started = time.monotonic()
    fake.push_message(ALICE, "/aiuto")
    failed, delivered = fake.wait_for("sendMessage", after=mark, count=2)
    assert failed.result is None and delivered.result is not None
    assert failed.text == delivered.text and "Raccordo" in delivered.text
    assert time.monotonic() - started >= 1.0


def test_rejected_html_is_resent_as_plain_text(bot: RunningBot, fake: FakeBotAPI) -> None:
    fake.fail_next("sendMessage", 400, "Bad Request: can't parse entities: unexpected end tag",
                   retry_after=None)
    mark = fake.mark()
    fake.push_message(ALICE, "/aiuto")
    failed, plain = fake.wait_for("sendMessage", after=mark, count=2)
    assert failed.params["parse_mode"] == "HTML" and "<b>" in failed.text
    assert "parse_mode" not in plain.params and "<b>" not in plain.text
    assert "Raccordo — risposte citate" in plain.text


def test_errors_reach_the_user_in_italian(bot: RunningBot) -> None:
    [reply] = bot.say(user(bot), "/filtro documento=987654")
    assert reply.text == "Non esiste un documento n. 987654."
    [unknown] = bot.say(user(bot), "/boh")
    assert "Comando sconosciuto" in unknown.text


def test_simili_and_confronta(bot: RunningBot, demo_service: Any) -> None:
    from bot.network.similar import similar_to_document

    doc = next(d for d in demo_service.store.documents() if "Torino" in d.meta.title)
    [similar] = bot.say(user(bot), f"/simili {doc.id}")
    best = similar_to_document(demo_service.network, doc.id, k=5)[0]
    assert html.escape(doc.meta.title, quote=False) in similar.text
    assert html.escape(f"1. {best.title}", quote=False) in similar.text
    question = "Come si organizza una centrale di committenza?"
    [compared] = bot.say(user(bot), f"/confronta {question}")
    comparison = demo_service.compare(question)
    assert compared.text.startswith(html.escape(f"Confronto tra città: {question}", quote=False))
    for item in comparison.answers:
        assert f"■ {item.city}" in compared.text


def upload(bot: RunningBot, user_id: int, name: str, content: bytes,
           caption: str | None = "città: Bari | titolo: Prova", size: int | None = None) -> Any:
    """Send a document and return the bot's first reply."""
    mark = bot.fake.mark()
    bot.fake.push_message(user_id, document=bot.fake.document(name, content, size=size),
                          caption=caption)
    return bot.fake.wait_for("sendMessage", after=mark,
                             where=lambda c: c.params["chat_id"] == user_id)[0]


def pending_files(bot: RunningBot) -> list[Path]:
    """Files waiting in the bot's uploads/pending folder."""
    folder = bot.application.bot_data["deps"].settings.uploads_dir / "pending"
    return sorted(folder.iterdir()) if folder.is_dir() else []


@pytest.mark.parametrize(("name", "content", "size", "caption", "expected"), [
    ("piano.pdf", b"%PDF-1.4", 21 * 1024 * 1024, "città: Bari | titolo: Piano",
     "troppo grande"),
    ("programma.exe", b"MZ\x90\x00", None, "città: Bari | titolo: Piano", "non supportato"),
    ("rotto.pdf", b"%PDF-1.7\n1 0 obj <<>> rotto", None, "città: Bari | titolo: Piano",
     "Non posso accettare il file"),
    ("finto.pdf", b"solo testo, non un PDF", None, "città: Bari | titolo: Piano",
     "non corrisponde"),
    ("nota.txt", b"Testo valido.", None, "un documento utile", "Mancano la città"),
])
def test_bad_uploads_get_a_clear_reply_and_nothing_is_stored(
        bot: RunningBot, fake: FakeBotAPI, name: str, content: bytes, size: int | None,
        caption: str, expected: str) -> None:
    before = len(bot.appdb.contributions())
    mark = fake.mark()
    reply = upload(bot, user(bot), name, content, caption, size)
    assert expected in reply.text
    assert len(bot.appdb.contributions()) == before and not pending_files(bot)
    if size is not None:  # over the limit: refused before asking Telegram for the file
        assert not fake.calls("getFile", after=mark)


def test_rejected_contribution_is_deleted_and_the_contributor_told(
        bot: RunningBot, fake: FakeBotAPI) -> None:
    author = user(bot)
    received = upload(bot, author, "nota.txt", b"Nota operativa sul SUAP.")
    cid = int(received.text.split("contributo n. ")[1].split(":")[0])
    [stored] = pending_files(bot)
    fake.wait_for("sendMessage", where=lambda c: c.params["chat_id"] == ADMIN
                  and f"Nuovo contributo n. {cid}" in c.text)
    [listing] = bot.say(ADMIN, "/contributi")
    assert "Contributi in attesa: 1" in listing.text and f"n. {cid} — Prova (Bari)" in listing.text
    [refused] = bot.say(author, f"/approva {cid}")
    assert "riservato agli amministratori" in refused.text
    [usage] = bot.say(ADMIN, f"/rifiuta {cid}")
    assert "/rifiuta ID motivo" in usage.text
    mark = fake.mark()
    fake.push_message(ADMIN, f"/rifiuta {cid} doppione di un atto già presente")
    told = fake.wait_for("sendMessage", after=mark,
                         where=lambda c: c.params["chat_id"] == author)[0]
    assert "Motivo: doppione di un atto già presente" in told.text
    assert bot.appdb.contribution(cid).status == "rejected" and not stored.exists()
    [again] = bot.say(ADMIN, f"/approva {cid}")
    assert "già rifiutato" in again.text


def test_unannounced_oversized_upload_fails_cleanly(bot: RunningBot, fake: FakeBotAPI) -> None:
    uid = user(bot)
    document = fake.document("grande.pdf", b"%PDF-1.4", size=25 * 1024 * 1024)
    del document["file_size"]  # Telegram may omit it: the download then fails
    mark = fake.mark()
    fake.push_message(uid, document=document, caption="città: Bari | titolo: Piano")
    [reply] = fake.wait_for("sendMessage", after=mark, where=lambda c: c.params["chat_id"] == uid)
    assert "Non riesco a scaricare" in reply.text and fake.calls("getFile", after=mark)
    assert all(c.user_id != uid for c in bot.appdb.contributions())
