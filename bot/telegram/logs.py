"""Keep the bot token out of the logs (PTB logs its API URLs at DEBUG level)."""

from __future__ import annotations

import logging

REDACTED = "<token>"
# loggers that see URLs holding the token; the root handlers catch everything else
_LOGGERS = ("telegram", "telegram.Bot", "telegram.ext.ExtBot", "telegram.ext.Updater",
            "telegram.ext.Application", "httpx", "httpcore")


class TokenRedactor(logging.Filter):
    """Replaces a secret in log messages and formatted tracebacks."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record in place; never drops it."""
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = message.replace(self.secret, REDACTED), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and self.secret in record.exc_text:
            record.exc_text = record.exc_text.replace(self.secret, REDACTED)
        return True


def protect_token(token: str) -> None:
    """Install the redactor on the token-seeing loggers and on the root handlers."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines are request URLs
    targets: list[logging.Filterer] = [logging.getLogger(n) for n in _LOGGERS]
    targets += logging.getLogger().handlers
    for target in targets:
        if not any(isinstance(f, TokenRedactor) and f.secret == token for f in target.filters):
            target.addFilter(TokenRedactor(token))
