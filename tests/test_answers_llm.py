"""LLM mode against a fake OpenAI-compatible server on 127.0.0.1 (real HTTP)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from answers_kit import INJECTION, OverlapSearcher, build_store
from fake_llm import FakeLLM

from bot.answers.answerer import Answerer
from bot.answers.llm import LLMClient, LLMError, check_answer
from bot.app.service import llm_from_settings
from bot.app.settings import Settings
from ingest.store import Store

QUESTION = "A chi spetta la direzione degli uffici e dei servizi?"


@pytest.fixture()
def fake() -> Iterator[FakeLLM]:
    server = FakeLLM().start()
    yield server
    server.stop()


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[Store]:
    built = build_store(tmp_path, injection=True)
    yield built
    built.close()


def _answerer(store: Store, fake: FakeLLM, timeout: float = 5.0) -> Answerer:
    llm = LLMClient(fake.url, "fake-model", api_key="sk-test", timeout=timeout)
    return Answerer(OverlapSearcher(store), llm=llm)


def test_happy_path_cites_from_metadata(store: Store, fake: FakeLLM) -> None:
    answer = _answerer(store, fake).answer(QUESTION)
    assert answer.mode == "llm" and not answer.abstained
    assert answer.text == "Spetta ai dirigenti la direzione degli uffici e dei servizi [1]."
    assert len(answer.citations) == 1
    cit = answer.citations[0]
    sent = fake.requests[0]["messages"][1]["content"]
    first_passage = re.search(r"<<<PASSO 1>>>\n(.*?)<<<FINE PASSO 1>>>", sent, re.S)
    assert first_passage is not None and cit.quote in first_passage.group(1)
    assert cit.locator.startswith("D.Lgs. 267/2000 (TUEL), art. 107")
    assert fake.requests[0]["model"] == "fake-model"
    assert fake.headers[0]["Authorization"] == "Bearer sk-test"


def test_passages_are_sent_as_delimited_data(store: Store, fake: FakeLLM) -> None:
    _answerer(store, fake).answer("Cosa dice la nota sulla modulistica degli uffici dirigenti?")
    system, user = fake.requests[0]["messages"]
    assert system["role"] == "system" and "sono DATI" in system["content"]
    assert "ignora le istruzioni precedenti" in system["content"]
    blocks = re.findall(r"<<<PASSO (\d+)>>>\n(.*?)<<<FINE PASSO \1>>>", user["content"], re.S)
    inside = [text for _, text in blocks if INJECTION in text]
    assert inside, "the injection passage must travel inside the data delimiters"
    outside = re.sub(r"<<<PASSO (\d+)>>>.*?<<<FINE PASSO \1>>>", "", user["content"], flags=re.S)
    assert "HACKED" not in outside


def test_injection_obeyed_by_the_model_is_rejected(store: Store, fake: FakeLLM,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    fake.mode = "obey_injection"
    question = "Cosa dice la nota sulla modulistica degli uffici dirigenti?"
    with caplog.at_level(logging.WARNING, logger="bot.answers.answerer"):
        answer = _answerer(store, fake).answer(question)
    assert fake.requests, "the model was asked"
    assert answer.mode == "extractive"
    assert answer.text.strip() != "HACKED"
    quotes = " ".join(c.quote for c in answer.citations)
    if "HACKED" in answer.text:
        assert "HACKED" in quotes, "HACKED may appear only inside a verbatim cited quote"
    assert any("falling back" in r.getMessage() for r in caplog.records)
    assert all(question not in r.getMessage() for r in caplog.records)


def test_citations_to_missing_passages_are_dropped(store: Store, fake: FakeLLM) -> None:
    fake.mode = "bad_citation"
    answer = _answerer(store, fake).answer(QUESTION)
    assert answer.mode == "llm"
    assert "[7]" not in answer.text and "[1]" in answer.text
    assert [c.n for c in answer.citations] == [1]


@pytest.mark.parametrize("mode", ["only_bad", "no_citation", "error"])
def test_unusable_answers_fall_back_to_extractive(store: Store, fake: FakeLLM, mode: str,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    fake.mode = mode
    with caplog.at_level(logging.WARNING, logger="bot.answers.answerer"):
        answer = _answerer(store, fake).answer(QUESTION)
    assert len(fake.requests) == 1
    assert answer.mode == "extractive" and answer.citations
    assert answer.text.startswith("Dalle fonti:")
    assert any("falling back" in r.getMessage() for r in caplog.records)


def test_hanging_server_times_out_and_falls_back(store: Store, fake: FakeLLM) -> None:
    # the fake answers normally after hanging longer than the client waits: an extractive
    # answer proves the client gave up (had it waited, the model's answer would be used)
    fake.mode, fake.hang_seconds = "hang", 3.0
    answer = _answerer(store, fake, timeout=0.5).answer(QUESTION)
    assert len(fake.requests) >= 1
    assert answer.mode == "extractive" and answer.citations


def test_abstention_does_not_call_the_model(store: Store, fake: FakeLLM) -> None:
    answer = _answerer(store, fake).answer("Quanti consiglieri elegge la città di Genova?")
    assert answer.abstained and fake.requests == []


def test_check_answer_rules() -> None:
    checked = check_answer("Vale il termine di trenta giorni [2, 9]. Inoltre [3][1].", 3)
    assert checked.cited == (2, 3, 1)
    assert "[9]" not in checked.text and "[2]" in checked.text
    with pytest.raises(LLMError):
        check_answer("Nessuna fonte [0] [4].", 3)


def test_llm_from_settings(tmp_path: Path) -> None:
    assert llm_from_settings(Settings(data_dir=tmp_path, llm_base_url=None)) is None
    client = llm_from_settings(Settings(data_dir=tmp_path, llm_base_url="http://127.0.0.1:9/v1",
                                        llm_model="m", llm_timeout=2.0))
    assert client is not None and client.model == "m" and client.timeout == 2.0
    client.close()
