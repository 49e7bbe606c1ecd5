"""Pseudonyms: Telegram ids never enter a table other than the live conversation.

A keyed HMAC-SHA256 turns an id into a pseudonym that cannot be reversed without the key,
and that is the same on every run (so /oubli finds a person's rows again). The key comes
from the configuration (REPERE_PSEUDONYM_KEY); without one, a random key is made once and
kept beside the database, readable by its owner only.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from bot.dbfile import PRIVATE, make_private, private_files

log = logging.getLogger("repere.privacy")
KEY_BYTES = 32


class Pseudonyms:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the pseudonym key must be at least 16 bytes")
        self._key = key

    def person(self, chat: int | str) -> str:
        """The pseudonym of a Telegram id, or of a chat key with its channel ("tg:123"):
        the same for both, so keys may carry their channel without changing a pseudonym."""
        key = chat if isinstance(chat, str) else f"tg:{chat}"
        digest = hmac.new(self._key, key.encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

    @classmethod
    def from_setting(cls, key: str | None, db: Path) -> Pseudonyms:
        if key:
            return cls(key.encode())
        return cls(_key_file(db.with_name(db.name + ".key")))


def _key_file(path: Path) -> bytes:
    if path.exists():
        make_private(path)  # made readable by others, by hand or by an older version
        return bytes.fromhex(path.read_text().strip())
    key = secrets.token_bytes(KEY_BYTES)
    with private_files():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    with os.fdopen(fd, "w") as f:
        os.fchmod(fd, PRIVATE)
        f.write(key.hex())
    log.warning("no REPERE_PSEUDONYM_KEY: made one in %s (keep it with the database)", path)
    return key
