"""Updates as Telegram sends them, and a bot wired to the fake Bot API server."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from telegram import Update

from bot.channels.telegram import Repere, make_bot
from bot.channels.telegram_poll import receive
from bot.config import Settings
from bot.privacy import Pseudonyms
from bot.records import Records
from bot.resources import Resources
from bot.store import SqliteStore
from tests.fake_bot_api import FakeBotApi

_ids = itertools.count(1000)
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
KEY = "test-pseudonym-key-0123456789"
PSEUDONYMS = Pseudonyms(KEY.encode())


def user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Test", "language_code": "fr"}


def chat(chat_id: int, kind: str = "private") -> dict[str, Any]:
    return {"id": chat_id, "type": kind, **({"title": "Bénévoles"} if kind != "private" else {})}


def message(
    chat_id: int, text: str | None = None, kind: str = "private", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "message_id": next(_ids),
        "date": int(time.time()),
        "chat": chat(chat_id, kind),
        "from": user(chat_id),
        **extra,
    }
    if text is not None:
        body["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"message": body}


def location(chat_id: int, lat: float, lon: float) -> dict[str, Any]:
    return message(chat_id, location={"latitude": lat, "longitude": lon})


def photo(chat_id: int) -> dict[str, Any]:
    return message(
        chat_id, photo=[{"file_id": "x", "file_unique_id": "y", "width": 1, "height": 1}]
    )


def edited(chat_id: int, text: str) -> dict[str, Any]:
    body = message(chat_id, text)["message"]
    body["edit_date"] = int(time.time())
    return {"edited_message": body}


def button(
    chat_id: int,
    data: str,
    text: str = "Question ?",
    keyboard: list[list[dict[str, Any]]] | None = None,
    *,
    by: dict[str, Any] | None = None,
    message_id: int | None = None,
) -> dict[str, Any]:
    """A tap on a button of a message the bot sent in `chat_id` (by its person, or `by`)."""
    msg: dict[str, Any] = {
        "message_id": message_id or next(_ids),
        "date": int(time.time()),
        "chat": chat(chat_id, "private" if chat_id > 0 else "supergroup"),
        "from": {"id": 424242, "is_bot": True, "first_name": "Repère"},
        "text": text,
    }
    if keyboard:
        msg["reply_markup"] = {"inline_keyboard": keyboard}
    return {
        "callback_query": {
            "id": str(next(_ids)),
            "from": by or user(chat_id),
            "chat_instance": "ci",
            "data": data,
            "message": msg,
        }
    }


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Feeder:
    """Updates handed to the bot as the poller does (inbox first), waiting for the replies."""

    def __init__(self, repere: Repere) -> None:
        self.repere = repere
        self.bot = repere.bot

    async def process_update(self, update: Update) -> None:
        await receive(self.repere, [update.to_dict()])
        await self.repere.idle()

    async def tick(self) -> int:
        queued = await self.repere.tick()
        await self.repere.idle()
        return queued


@asynccontextmanager
async def bot_app(
    api: FakeBotApi,
    resources: Resources,
    db: Path,
    clock: Clock | None = None,
    admin_ids: frozenset[int] = frozenset(),
    rate_limit: bool = False,
) -> AsyncIterator[tuple[Repere, Feeder]]:
    settings = Settings(
        token="123:TEST", db=db, base_url=api.base_url, admin_ids=admin_ids, pseudonym_key=KEY
    )
    store = await SqliteStore.open(db)
    bot = make_bot(settings, rate_limit=rate_limit)
    await bot.initialize()
    repere = Repere(
        resources, store, settings, bot, clock=clock or Clock(), records=Records(store.db)
    )
    await repere.start(tick_every=None)
    try:
        yield repere, Feeder(repere)
    finally:
        await repere.stop()
        await bot.shutdown()


async def feed(app: Feeder, api: FakeBotApi, data: dict[str, Any]) -> int:
    """Process one update directly (no polling); returns its update_id."""
    update_id = api.next_update_id
    api.next_update_id += 1
    await app.process_update(Update.de_json({"update_id": update_id, **data}, app.bot))
    return update_id


def texts(api: FakeBotApi, chat_id: int) -> list[str]:
    return [str(c.params.get("text", "")) for c in api.sent(chat_id)]


def keyboard_of(call: Any) -> list[list[dict[str, Any]]]:
    markup = call.params.get("reply_markup") or {}
    return list(markup.get("inline_keyboard") or [])


def callback_for(api: FakeBotApi, chat_id: int, label_part: str) -> tuple[str, Any]:
    """The callback data of the latest button whose label contains `label_part`."""
    for call in reversed(api.sent(chat_id)):
        for row in keyboard_of(call):
            for b in row:
                if label_part in b.get("text", "") and "callback_data" in b:
                    return str(b["callback_data"]), call
    raise AssertionError(f"no button '{label_part}' was sent")
