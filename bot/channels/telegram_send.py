"""Sending on Telegram: messages in order, each retried on a network hiccup."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.channels.telegram_render import Outgoing

SEND_TRIES = 3


async def send_all(bot: Bot, chat_id: int, messages: list[Outgoing]) -> None:
    """Send in order; each message retried on a network hiccup."""
    for m in messages:

        def call(m: Outgoing = m) -> Awaitable[Message]:
            return bot.send_message(
                chat_id,
                m.text,
                reply_markup=m.markup,
                parse_mode=ParseMode.HTML if m.html else None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )

        await _retry(call)


async def _retry(call: Callable[[], Awaitable[Any]]) -> Any:
    """Network hiccups are retried with a short back-off; a bad request is not."""
    for attempt in range(SEND_TRIES):
        try:
            return await call()
        except BadRequest:
            raise
        except (NetworkError, TimedOut):
            if attempt == SEND_TRIES - 1:
                raise
            await asyncio.sleep(0.2 * 2**attempt)
    return None
