"""Errors of the retrieval layer (subclasses of the one Raccordo hierarchy)."""

from ingest.errors import RaccordoError

MISSING_MESSAGE = "Nessun indice: esegui `raccordo ingest <cartella>`."


class RetrievalError(RaccordoError):
    """Base class of index and search errors; messages are Italian, for users."""


class IndexMissing(RetrievalError):
    """No index generation has been published yet."""

    def __init__(self, message: str = MISSING_MESSAGE) -> None:
        super().__init__(message)


class ModelMismatch(RetrievalError):
    """The published index was built with another embedding model."""

    def __init__(self, index_model: str, current_model: str) -> None:
        super().__init__(
            f"L'indice è stato costruito con il modello «{index_model}», ma il modello "
            f"configurato è «{current_model}». Ricalcola gli embedding con "
            "`raccordo ingest --reembed <cartella>`."
        )
        self.index_model = index_model
        self.current_model = current_model


class IndexCorrupt(RetrievalError):
    """An index generation failed its checksum or could not be read."""


class EmbedderUnavailable(RetrievalError):
    """The configured embedding backend cannot be loaded."""
