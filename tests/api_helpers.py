"""Helpers of the HTTP API tests: a ready TestClient, a gated embedder, tiny documents."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from fastapi.testclient import TestClient

from bot.api import create_app
from bot.app.appdb import AppDB
from bot.app.service import Raccordo

READY_TIMEOUT_S = 180


@contextmanager
def ready_client(service: Raccordo) -> Iterator[TestClient]:
    """A TestClient over the real app, once the model and index are loaded."""
    app = create_app(service)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert app.state.readiness.wait(READY_TIMEOUT_S), app.state.readiness.error
        yield client


def sibling_service(service: Raccordo, **settings: Any) -> Raccordo:
    """Another service over the same data dir and embedder, with some settings changed."""
    return Raccordo(service.settings.model_copy(update=settings), embedder=service.embedder)


def voted_down(service: Raccordo, question: str, appdb: AppDB | None = None) -> int:
    """Ask, log the answer with its text and vote it 👎, as an official on Telegram would
    (in the service's application tables, or in `appdb`)."""
    answer = service.ask(question)
    db = appdb or service.appdb
    qid = db.log_answer(answer, "telegram", log_questions=True)
    db.add_feedback(channel="telegram", vote=-1, question_id=qid,
                    comment="Non è questo il passo")
    return int(qid)


def bearer(secret: str) -> dict[str, str]:
    """The Authorization header for an API key."""
    return {"Authorization": f"Bearer {secret}"}


class GatedEmbedder:
    """A real embedder whose query embedding waits until `release()` (a fake slow load)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._gate = threading.Event()
        self.model_id: str = inner.model_id
        self.dim: int = inner.dim

    def release(self) -> None:
        """Let embedding calls through."""
        self._gate.set()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Wait for the gate, then embed as the real model does."""
        self._gate.wait(60)
        return np.asarray(self._inner.embed_queries(texts))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Wait for the gate, then embed as the real model does."""
        self._gate.wait(60)
        return np.asarray(self._inner.embed_passages(texts))


UPLOAD_TEXT = """# Regolamento dello sportello zanzariere metropolitano

## Art. 1 - Oggetto

1. Il presente regolamento disciplina lo sportello zanzariere metropolitano, che rilascia
il nulla osta per le zanzariere installate sugli edifici storici dei comuni aderenti.

## Art. 2 - Termini

1. Il nulla osta zanzariere è rilasciato entro quindici giorni dalla domanda completa.
"""


def wait_for_job(client: Any, job: dict[str, Any], secret: str,
                 timeout_s: float = 120.0) -> dict[str, Any]:
    """Poll GET /api/jobs/{id} (TestClient or httpx.Client) until the job has finished."""
    import time

    deadline = time.monotonic() + timeout_s
    while True:
        current: dict[str, Any] = client.get(f"/api/jobs/{job['id']}",
                                             headers=bearer(secret)).json()
        if current["finished"] is not None or time.monotonic() > deadline:
            return current
        time.sleep(0.1)


def upload(client: Any, secret: str, **request: Any) -> dict[str, Any]:
    """POST /api/documents (expects 202) and wait for its job to finish."""
    response = client.post("/api/documents", headers=bearer(secret), **request)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == response.json()["status_url"]
    return wait_for_job(client, response.json()["job"], secret)
