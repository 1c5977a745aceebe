"""The fake Bot API itself: long polling, offsets, errors, files (so bot tests can trust it)."""

from __future__ import annotations

import time

import httpx
from fake_bot_api import TOKEN, FakeBotAPI


def test_long_polling_offsets_errors_and_files() -> None:
    with FakeBotAPI() as fake, httpx.Client(base_url=f"{fake.url}/bot{TOKEN}") as api:
        started = time.monotonic()
        assert api.post("/getUpdates", data={"timeout": "1"}).json()["result"] == []
        assert time.monotonic() - started >= 0.9  # waited for the long-poll timeout
        fake.push_message(1, "/start")
        fake.push_message(1, "ciao")
        updates = api.post("/getUpdates", data={"timeout": "5"}).json()["result"]
        assert [u["message"]["text"] for u in updates] == ["/start", "ciao"]
        assert updates[0]["message"]["entities"][0]["type"] == "bot_command"
        confirmed = updates[-1]["update_id"] + 1
        assert api.post("/getUpdates", data={"offset": confirmed}).json()["result"] == []
        assert api.post("/getUpdates", data={"offset": 0}).json()["result"] == []  # dropped

        fake.fail_next("sendMessage", 429, retry_after=1)
        refused = api.post("/sendMessage", data={"chat_id": "1", "text": "x"})
        assert refused.status_code == 429 and refused.json()["parameters"]["retry_after"] == 1
        sent = api.post("/sendMessage", data={"chat_id": "1", "text": "x"}).json()["result"]
        assert sent["chat"]["id"] == 1 and [c.result for c in fake.calls("sendMessage")] == \
            [None, sent]

        doc = fake.document("a.txt", b"contenuto")
        path = api.post("/getFile", data={"file_id": doc["file_id"]}).json()["result"]
        assert httpx.get(f"{fake.url}/file/bot{TOKEN}/{path['file_path']}").content == \
            b"contenuto"
        big = fake.document("b.pdf", b"x", size=21 * 1024 * 1024)
        assert api.post("/getFile", data={"file_id": big["file_id"]}).status_code == 400
        assert httpx.post(f"{fake.url}/botWRONG/getMe").status_code == 401
