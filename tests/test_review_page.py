"""The review page (/revisione): a network coordinator with an admin key names the right
passage of each answer officials voted 👎, or declares that the sources do not answer it, on
a real data directory over HTTP; `raccordo feedback export` then carries the decisions."""

from __future__ import annotations

import re
from pathlib import Path

from api_helpers import ready_client, sibling_service, voted_down
from typer.testing import CliRunner

from bot.app.feedback import review_path
from bot.app.review import NO_ANSWER, PASSAGE, REVIEWED, is_pending, read_entries
from bot.app.service import Raccordo
from bot.cli.main import app
from index.evaluation import is_relevant, load_questions
from index.models import Filters

QUESTION = "Chi approva il piano strategico metropolitano?"
CHOICE = re.compile(r'name="scelta" value="(\d+)"')


def test_the_coordinator_reviews_answers_on_the_page(fresh_service: Raccordo,
                                                     tmp_path: Path) -> None:
    service = fresh_service
    first = voted_down(service, QUESTION)
    second = voted_down(service, "Quanto costa il parcheggio in centro?")
    third = voted_down(service, "Quali sono le zone omogenee?")
    admin = service.appdb.create_api_key("admin", "coordinamento")
    reader = service.appdb.create_api_key("read")
    with ready_client(service) as client:
        closed = client.get("/revisione", headers={"accept": "text/html"})
        assert closed.status_code == 401 and 'action="/accesso"' in closed.text
        weak = client.get("/revisione", headers={"authorization": f"Bearer {reader}"})
        assert weak.status_code == 403 and "ruolo admin" in weak.text
        client.post("/accesso", data={"chiave": admin, "next": "/revisione"})  # the cookie
        listing = client.get("/revisione")
        assert listing.status_code == 200
        assert QUESTION in listing.text and "Da rivedere: <strong>3</strong>" in listing.text
        page = client.get(f"/revisione/{first}")
        assert page.status_code == 200 and "Non è questo il passo" in page.text
        assert "citato nella risposta con 👎" in page.text  # the wrong citation is marked
        chunk_ids = [int(c) for c in CHOICE.findall(page.text)]
        assert len(chunk_ids) == 5
        picked = client.post(f"/revisione/{first}", data={"scelta": str(chunk_ids[1])},
                             follow_redirects=False)
        assert picked.status_code == 303
        assert picked.headers["location"] == f"/revisione/{second}?fatto={first}"
        declined = client.post(f"/revisione/{second}", data={"scelta": "nessuno"},
                               follow_redirects=False)
        assert declined.headers["location"] == f"/revisione/{third}?fatto={second}"
        bad = client.post(f"/revisione/{third}", data={"scelta": "boh"})
        assert bad.status_code == 400 and "Scelta non valida" in bad.text
        gone = client.post(f"/revisione/{third}", data={"scelta": "999999"})
        assert gone.status_code == 400 and "non è nella base di conoscenza" in gone.text
        assert client.get("/revisione/999999").status_code == 404
        assert client.post(f"/revisione/{third}", data={"scelta": "nessuno"},
                           headers={"origin": "https://altro.example"}).status_code == 403
        assert 'id="da-rivedere"' not in client.get("/dashboard").text  # no text logged
        left = client.get("/revisione")
        assert "Da rivedere: <strong>1</strong>" in left.text
        done = left.text.split('id="h-riviste"')[1]  # decided ones stay reachable, to amend
        assert QUESTION in done and "le fonti non rispondono" in done
    logging = sibling_service(service, log_questions=True)
    with ready_client(logging) as client:  # the dashboard counts what is left, and links it
        board = client.get("/dashboard", headers={"authorization": f"Bearer {admin}"}).text
        assert re.search(r'id="da-rivedere">Risposte con 👎 da rivedere:\s*<strong>1</strong>',
                         board) and 'href="/revisione"' in board
    logging.close()
    decisions = service.appdb.reviews()
    assert decisions[second][:2] == (NO_ANSWER, []) and third not in decisions
    assert [row[2] for row in service.appdb.audit_rows(2)] == ["review", "review"]
    # the export carries the page's decisions into the review file
    out = tmp_path / "domande.jsonl"
    result = CliRunner().invoke(app, ["--data-dir", str(service.settings.data_dir),
                                      "feedback", "export", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 risposte con 👎" in result.output and "1 da rivedere" in result.output
    done, unanswerable, pending = read_entries(review_path(out))
    assert done[REVIEWED] == PASSAGE and unanswerable[REVIEWED] == NO_ANSWER
    assert is_pending(pending)
    hits = service.search(QUESTION, k=5, filters=Filters(vigente=True))
    assert hits[1].chunk.id == chunk_ids[1]
    question = load_questions(review_path(out))[0]
    assert is_relevant(question, hits[1]) and not is_relevant(question, hits[0])


def test_other_words_and_a_changed_mind(fresh_service: Raccordo) -> None:
    service = fresh_service
    qid = voted_down(service, QUESTION)
    admin = service.appdb.create_api_key("admin")
    words = "bilancio di previsione approvato dal consiglio"
    with ready_client(service) as client:
        headers = {"authorization": f"Bearer {admin}"}
        page = client.get(f"/revisione/{qid}", params={"q": words}, headers=headers)
        assert page.status_code == 200 and f'value="{words}"' in page.text
        chunk = int(CHOICE.findall(page.text)[0])
        done = client.post(f"/revisione/{qid}", data={"scelta": str(chunk), "q": words},
                           headers=headers, follow_redirects=False)
        assert done.headers["location"] == f"/revisione?fatto={qid}"  # nothing else left
        finished = client.get(done.headers["location"], headers=headers)
        assert "Non restano altre risposte da rivedere" in finished.text
        again = client.get(f"/revisione/{qid}", headers=headers)
        assert "Già rivista" in again.text
        client.post(f"/revisione/{qid}", data={"scelta": "nessuno"}, headers=headers)
    assert service.appdb.reviews()[qid][:2] == (NO_ANSWER, [])  # the last choice counts
