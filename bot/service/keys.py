"""Conversation keys: a channel prefix and the channel's own id ("tg:123", "term:1")."""

from __future__ import annotations

TELEGRAM = "tg"
TERMINAL = "term"


def chat_key(channel: str, ident: int | str) -> str:
    return f"{channel}:{ident}"


def channel_of(key: str) -> str:
    return key.partition(":")[0]


def telegram_id(key: str) -> int | None:
    """The Telegram chat id of a Telegram key, else None."""
    channel, _, ident = key.partition(":")
    if channel != TELEGRAM:
        return None
    try:
        return int(ident)
    except ValueError:
        return None
