"""Telegram rendering: HTML escaping, splitting into ≤4096-char messages, rate limit."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fake_bot_api import TOKEN, FakeBotAPI
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.answers.models import Answer, Citation
from bot.telegram.formatting import LIMIT, Block, answer_blocks, paginate, source_blocks, utf16_len
from bot.telegram.ratelimit import RateLimiter
from bot.telegram.replies import Target, send_blocks

NASTY = "Se a < b & c > d, l'art. 3 <b>non</b> si applica"


def citation(n: int, title: str = "Regolamento", quote: str = "testo") -> Citation:
    """A citation with made-up metadata."""
    return Citation(n=n, file=f"doc{n}.md", title=title, kind="regulation",
                    locator=f"{title}, art. {n}, comma 2", page=n, quote=quote,
                    url=f"https://example.org/doc?id={n}&v=1", chunk_id=n, doc_id=n,
                    place=f"art. {n}, comma 2")


class TagChecker(HTMLParser):
    """Checks that tags are properly nested and all closed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_page(page_html: str) -> str:
    """Assert the page's tags are balanced; return its visible text."""
    checker = TagChecker()
    checker.feed(page_html)
    checker.close()
    assert checker.stack == []
    return "".join(checker.text)


def long_answer() -> Answer:
    """An answer far over 4096 characters: many paragraphs, one huge, UTF-16 heavy."""
    paragraphs = [f"Paragrafo {i}: {NASTY} [1]. " + "Il consiglio delibera. " * 20
                  for i in range(25)]
    paragraphs.append("🏛️" * 3000)  # one paragraph with no separators, 2 UTF-16 units each
    citations = tuple(citation(n, title=f"Atto <{n}> & allegati") for n in range(1, 40))
    return Answer(question="domanda", text="\n\n".join(paragraphs), citations=citations,
                  abstained=False)


def test_long_answer_is_split_into_balanced_messages_under_the_limit() -> None:
    answer = long_answer()
    pages = paginate(answer_blocks(answer))
    assert len(pages) > 3
    visible = []
    for page in pages:
        assert len(page.html) <= LIMIT and utf16_len(page.html) <= LIMIT
        visible.append(check_page(page.html))
        assert "&lt;" not in page.plain  # the plain fallback is not escaped
    joined = "\n".join(visible)
    for i in range(25):  # short paragraphs are never cut: each lies whole in one page
        paragraph = f"Paragrafo {i}: {NASTY} [1]. " + "Il consiglio delibera. " * 20
        assert any(paragraph.strip() in text for text in visible)
    assert joined.count("🏛️") == 3000
    assert all(f"Atto <{n}> & allegati" in joined for n in range(1, 40))


def test_document_text_is_escaped() -> None:
    c = citation(1, title="Titolo <i>con</i> & simboli", quote=NASTY)
    answer = Answer(question="q", text=f"Risposta: {NASTY} [1]", citations=(c,),
                    abstained=False)
    [page] = paginate(answer_blocks(answer))
    assert "a &lt; b &amp; c &gt; d" in page.html
    assert "&lt;b&gt;non&lt;/b&gt;" in page.html and "<b>non</b>" not in page.html
    assert "Titolo &lt;i&gt;con&lt;/i&gt; &amp; simboli" in page.html
    assert 'href="https://example.org/doc?id=1&amp;v=1"' in page.html
    assert "<b>[1]</b>" in page.html  # our own markup survives
    assert NASTY in check_page(page.html)
    [sources] = paginate(source_blocks(c, NASTY, "dlgs:267/2000"))
    assert f"<blockquote>{'Se a &lt; b &amp; c &gt; d'}" in sources.html
    assert "atto: dlgs:267/2000 · art. 1, comma 2 · p. 1" in sources.html


def test_sources_name_the_version_and_explain_amendment_marks() -> None:
    quote = "Il sindaco ((e il presidente della provincia)) nomina i responsabili."
    c = Citation(n=1, file="tuel.md", title="TUEL", kind="decree", locator="art. 50",
                 page=None, quote=quote, url=None, chunk_id=1, in_force="2024-01-01",
                 amended=True)
    [sources] = paginate(source_blocks(c, quote, "dlgs:267/2000"))
    assert ("Testo vigente al 1° gennaio 2024: verificare eventuali modifiche successive."
            in sources.html)
    assert "Tra (( )) le parole modificate o aggiunte da atti successivi" in sources.html
    # the view shows the whole passage: marks outside the quote get the note too
    unmarked = Citation(n=1, file="tuel.md", title="TUEL", kind="decree", locator="art. 50",
                        page=None, quote="Il sindaco nomina.", url=None, chunk_id=1)
    [whole] = paginate(source_blocks(unmarked, "Il sindaco nomina. ((Il presidente)) anche.",
                                     "dlgs:267/2000"))
    assert "Tra (( )) le parole modificate" in whole.html
    plain_source = Citation(n=1, file="g.md", title="Guida", kind="guideline", locator="",
                            page=None, quote="q", url=None, chunk_id=2)
    [other] = paginate(source_blocks(plain_source, "q", None))
    assert "vigente" not in other.html and "((" not in other.html


def test_a_quoted_version_links_to_todays_text_and_names_itself_in_the_answer() -> None:
    url = ("https://www.normattiva.it/uri-res/N2Ls?urn:nir:stato:decreto.legislativo:"
           "2000-08-18;267~art50!vig=2025-11-04")
    c = Citation(n=1, file="tuel.md", title="TUEL", kind="decree", locator="TUEL, art. 50",
                 page=None, quote="Il sindaco nomina.", url=url, chunk_id=1,
                 in_force="2025-11-04")
    [sources] = paginate(source_blocks(c, c.quote, "dlgs:267/2000"))
    assert (f'<i>Testo vigente al 4 novembre 2025: verificare eventuali modifiche successive.'
            f'</i> <a href="{url[:-len("2025-11-04")]}">testo vigente oggi</a>') in sources.html
    [answer] = paginate(answer_blocks(Answer("q", "Il sindaco [1].", (c,), False)))
    assert "[1]</b> TUEL, art. 50 (testo vigente al 4 novembre 2025) — <a " in answer.html
    guide = replace(c, url=None, in_force=None)
    assert "vigente" not in paginate(answer_blocks(Answer("q", "r [1]", (guide,), False)))[0].html


def test_only_http_links_are_rendered() -> None:
    c = Citation(n=1, file="f", title="T", kind="other", locator="", page=None, quote="q",
                 url="javascript:alert(1)", chunk_id=1)
    [page] = paginate(answer_blocks(Answer("q", "r [1]", (c,), False)))
    assert "<a " not in page.html and "javascript" not in page.html


def test_pages_are_sent_over_http_with_the_keyboard_on_the_last() -> None:
    blocks = [Block(f"Blocco {i} " + "parola " * 300) for i in range(12)]
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("👍", callback_data="up:x")]])
    with FakeBotAPI() as fake:
        async def send() -> None:
            async with Bot(TOKEN, base_url=f"{fake.url}/bot") as bot:
                await send_blocks(bot, Target(42), blocks, markup)

        asyncio.run(send())
        sent = fake.calls("sendMessage")
    assert len(sent) == len(paginate(blocks)) > 1
    assert all(len(c.text) <= LIMIT for c in sent)
    assert [("reply_markup" in c.params) for c in sent] == [False] * (len(sent) - 1) + [True]
    assert "Blocco 11" in sent[-1].text and "Blocco 0" in sent[0].text


def test_sliding_window_rate_limit() -> None:
    now = [0.0]
    limiter = RateLimiter(3, 60, clock=lambda: now[0])
    assert [limiter.check(1) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.check(1) == pytest.approx(60)
    assert limiter.check(2) == 0.0  # per user
    now[0] = 30.0
    assert limiter.check(1) == pytest.approx(30)
    now[0] = 60.5  # the first three events left the window
    assert limiter.check(1) == 0.0


def test_rate_limit_comes_from_settings(tmp_path: Path) -> None:
    from conftest import make_settings
    from telegram_harness import open_appdb

    from bot.telegram.deps import Deps

    settings = make_settings(tmp_path, rate_limit_questions=2, rate_limit_window_s=90)
    deps = Deps(settings, service=None, appdb=open_appdb(tmp_path / "bot.db"))  # type: ignore[arg-type]
    assert [deps.wait_before_question(5) for _ in range(2)] == [0.0, 0.0]
    assert 89 < deps.wait_before_question(5) <= 90


def test_how_a_followup_was_understood_comes_first_and_escaped() -> None:
    answer = Answer(question="e <b>se</b>?", text="Dalle fonti: nulla.", citations=(),
                    abstained=True, rewritten_question="Chi nomina <b>il</b> segretario?")
    html = paginate(answer_blocks(answer))[0].html
    assert html.startswith("<i>Domanda intesa come: «Chi nomina &lt;b&gt;il&lt;/b&gt; "
                           "segretario?»</i>")
    plain = Answer(question="Chi nomina il segretario?", text="Dalle fonti: nulla.",
                   citations=(), abstained=True)
    assert "intesa come" not in paginate(answer_blocks(plain))[0].html
