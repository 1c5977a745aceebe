"""What the practice-network features read: store, embedder, embedding cache and taxonomy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.network.taxonomy import Taxonomy, load_taxonomy
from index.embedders import Embedder
from ingest.storeapi import DocumentStore


@dataclass(frozen=True)
class Sources:
    """The parts of a deployment the network features need (never the whole application)."""

    store: DocumentStore
    embedder: Embedder
    cache_dir: Path
    taxonomy_file: Path | None = None  # a deployment's own themes.yaml, when it has one
    theme_threshold: float | None = None  # calibrated for the embedder's weights (None: default)

    @property
    def taxonomy(self) -> Taxonomy:
        """The deployment's taxonomy (its own file when present, else the packaged one)."""
        local = self.taxonomy_file
        return load_taxonomy(local if local is not None and local.exists() else None)
