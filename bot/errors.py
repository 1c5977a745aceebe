"""Application errors (subclasses of the one hierarchy rooted in ingest.errors)."""

from ingest.errors import RaccordoError


class BadRequest(RaccordoError):
    """The user's input is unusable (empty, too long, bad filter); Italian message."""

    code = "richiesta_non_valida"


class NotFound(RaccordoError):
    """An id that names nothing."""

    code = "non_trovato"


class Forbidden(RaccordoError):
    """Missing or insufficient rights."""

    code = "accesso_negato"


class Busy(RaccordoError):
    """Too much work queued (searches or uploads): retry shortly."""

    code = "occupato"

    def __init__(self, message: str, retry_after_s: int = 5) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s

