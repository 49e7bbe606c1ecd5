"""Logging of `repere run`: what happened, never who. No names, texts, ids, phones or token.

Every record that reaches the root logger's handlers (httpx, httpcore and python-telegram-bot
included) is masked: the configured secrets, and anything shaped like a bot token
(`123456:ABC…`, 35 characters after the colon), in the message, its arguments, the text of
the exception it carries and its stack. An exception nobody caught is masked the same way
(and an unusable database file is one line, not a traceback).
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from types import TracebackType

from bot.config import Settings
from bot.dbfile import DatabaseUnusable

TOKEN = re.compile(r"(?<![0-9])[0-9]{3,}:[A-Za-z0-9_-]{35,}")
MASK = "***"


def mask(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """`text` with every bot token and every one of `secrets` replaced by ***."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    return TOKEN.sub(MASK, text)


class RedactSecrets(logging.Filter):
    """Masks the token (and other secrets) in any log line that would quote them."""

    def __init__(self, secrets: list[str | None]) -> None:
        super().__init__()
        kept = [s for s in secrets if s and len(s) >= 8]
        halves = [s.partition(":")[2] for s in kept]  # a token's secret half, quoted alone
        self.secrets = tuple(sorted({*kept, *(h for h in halves if len(h) >= 8)}, key=len))[::-1]

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        masked = mask(text, self.secrets)
        if masked != text:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = mask(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = mask(record.stack_info, self.secrets)
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
    _mask_uncaught(redact)


def _mask_uncaught(redact: RedactSecrets) -> None:
    """An exception that ends the process (an InvalidToken quoting the token…) is printed
    masked."""

    def hook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if isinstance(exc, DatabaseUnusable):  # one line naming the file says it all
            text = f"{exc}\n"
        else:
            text = "".join(traceback.format_exception(kind, exc, tb))
        sys.stderr.write(mask(text, redact.secrets))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            hook(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = hook
    threading.excepthook = thread_hook
