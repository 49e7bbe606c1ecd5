"""How updates arrive: our own getUpdates loop, or a webhook server. Either way an update is in
the inbox (committed) before Telegram is told it was received: the next offset is asked only
after the batch is stored; the webhook answers 200 only after the update is stored. An update
that cannot be read is skipped and counted; polling goes on."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram.error import InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBUserWarning

from bot.channels.telegram import Repere
from bot.channels.telegram_actions import retry_seconds
from bot.service.keys import TELEGRAM

log = logging.getLogger("repere.telegram")

LONG_POLL = 25  # seconds Telegram holds a getUpdates open
MAX_BODY = 1 << 20  # a webhook body over 1 MB is refused before it is read
SECRET_HEADER = "x-telegram-bot-api-secret-token"
HEAD_TIMEOUT = 10.0


async def receive(repere: Repere, batch: list[Any]) -> int | None:
    """Store a batch in the inbox (one transaction, with the cursor), then hand it over.
    Returns the last update id seen (None: the batch held none)."""
    rows: list[tuple[int, str]] = []
    updates = []
    last: int | None = None
    for raw in batch:
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        if not isinstance(update_id, int):
            repere.skipped += 1
            log.warning("update without an id skipped")
            continue
        last = update_id if last is None else max(last, update_id)
        update = repere.parse(update_id, raw)
        if update is not None:
            rows.append((update_id, json.dumps(raw, ensure_ascii=False)))
            updates.append(update)
    if last is None:
        return None
    await repere.store.inbox_add(TELEGRAM, rows, last)
    for update in updates:
        repere.dispatch(update)
    return last


async def poll(repere: Repere, timeout: int = LONG_POLL) -> None:
    """Long polling until cancelled. The offset is only moved past what the inbox holds."""
    bot = repere.bot
    with contextlib.suppress(NetworkError):
        await bot.delete_webhook()
    offset = await repere.store.inbox_cursor(TELEGRAM) + 1
    backoff = 0.5
    while True:
        try:
            with warnings.catch_warnings():
                # raw on purpose: Bot.get_updates parses, and one bad update fails the batch
                warnings.simplefilter("ignore", PTBUserWarning)
                batch = await bot.do_api_request(
                    "getUpdates",
                    api_kwargs={"offset": offset, "timeout": timeout},
                    read_timeout=timeout + 10,
                )
        except InvalidToken:
            raise
        except RetryAfter as exc:
            await asyncio.sleep(retry_seconds(exc))
            continue
        except (NetworkError, TimedOut) as exc:
            log.warning("getUpdates failed: %s", type(exc).__name__)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        backoff = 0.5
        if not isinstance(batch, list) or not batch:
            continue
        last = await receive(repere, batch)
        if last is not None:
            offset = last + 1


@asynccontextmanager
async def polling(repere: Repere, timeout: int = LONG_POLL) -> AsyncIterator[asyncio.Task[None]]:
    """Long polling in the background while the block runs; its fault (a rejected token)
    surfaces when the block ends."""
    task = asyncio.create_task(poll(repere, timeout))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Webhook:
    """A small HTTP server for Telegram's webhook: the secret header first, the size before
    the body, 400 for what is not JSON, 200 once the update is in the inbox."""

    def __init__(self, repere: Repere, path: str, secret: str, max_body: int = MAX_BODY):
        self.repere = repere
        self.path = "/" + path.lstrip("/")
        self.secret = secret.encode()
        self.max_body = max_body
        self.server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> None:
        self.server = await asyncio.start_server(self._serve, host, port)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            status = await asyncio.wait_for(self._answer(reader), HEAD_TIMEOUT)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            status = 400
        except Exception as exc:  # the inbox could not be written: Telegram will try again
            log.error("webhook update not stored: %s", type(exc).__name__)
            status = 500
        with contextlib.suppress(ConnectionError):
            writer.write(
                f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\nContent-Length: 0\r\n"
                "Connection: close\r\n\r\n".encode()
            )
            await writer.drain()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader) -> int:
        request = (await reader.readuntil(b"\r\n")).decode("latin-1").split()
        headers: dict[str, str] = {}
        while True:
            line = await reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
            if len(headers) > 100:
                return 400
        if len(request) < 2 or request[0] != "POST" or request[1].split("?")[0] != self.path:
            return 404
        given = headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            return 403
        length_text = headers.get("content-length")
        if length_text is None or not length_text.isdigit():
            return 411
        length = int(length_text)
        if length > self.max_body:
            return 413
        body = await reader.readexactly(length)
        try:
            update = json.loads(body)
        except ValueError:
            return 400
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return 400
        await receive(self.repere, [update])
        return 200


_REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    411: "Length Required",
    413: "Payload Too Large",
    500: "Internal Server Error",
}
