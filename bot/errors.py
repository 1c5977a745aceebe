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
