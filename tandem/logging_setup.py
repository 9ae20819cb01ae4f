"""Logging that never shows a secret.

httpx logs every request URL at INFO, and Bot API URLs contain the token (``…/bot<token>/getMe``);
python-telegram-bot may put URLs into its debug output too. So the noisy HTTP loggers are held at
WARNING (as PTB's own examples do), and a filter on every handler blanks each configured secret
in whatever text a record produces, whichever logger wrote it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

REDACTED = "[REDACTED]"


class SecretRedactingFilter(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        exc_text = record.exc_text or ""
        for secret in self.secrets:
            message = message.replace(secret, REDACTED)
            exc_text = exc_text.replace(secret, REDACTED)
        record.msg, record.args = message, None
        record.exc_text = exc_text or None
        return True


def configure_logging(secrets: Iterable[str], level: int = logging.INFO) -> None:
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=level)
    install_redaction(secrets)
    for noisy in ("httpx", "httpcore", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def install_redaction(secrets: Iterable[str], logger: logging.Logger | None = None) -> SecretRedactingFilter:
    """Add the filter to every handler of ``logger`` (the root logger by default)."""
    redactor = SecretRedactingFilter(secrets)
    for handler in (logger or logging.getLogger()).handlers:
        handler.addFilter(redactor)
    return redactor
