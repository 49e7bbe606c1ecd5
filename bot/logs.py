"""Logging of `repere run`: what happened, never who. No names, texts, ids, phones or token."""

from __future__ import annotations

import logging

from bot.config import Settings


class RedactSecrets(logging.Filter):
    """Masks the token (and other secrets) in any log line that would quote them."""

    def __init__(self, secrets: list[str | None]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s and len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        text = record.getMessage()
        masked = text
        for secret in self._secrets:
            masked = masked.replace(secret, "***")
        if masked != text:
            record.msg, record.args = masked, None
        return True


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request URL at INFO, and the URL holds the token
    logging.getLogger("httpx").setLevel(logging.WARNING)
    redact = RedactSecrets([settings.token, settings.secret_token, settings.pseudonym_key])
    for handler in logging.getLogger().handlers:  # should any other line quote a secret
        handler.addFilter(redact)
