"""The one exception hierarchy of Raccordo (ingest is the lowest layer)."""


class RaccordoError(Exception):
    """Base class for every error Raccordo raises on purpose."""


class IngestError(RaccordoError):
    """A file could not be turned into a document; the message is Italian, for users."""


class UnsupportedFormat(IngestError):
    """The file's content is of no format we read."""


class NeedsOCR(IngestError):
    """A PDF without a text layer (scanned)."""


class StoreError(RaccordoError):
    """The SQLite store is unusable."""
