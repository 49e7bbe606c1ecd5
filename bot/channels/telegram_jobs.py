"""What the Telegram bot does on its own clock: the daily retention purge, follow-ups due
(even those that fell due while it was down), gentle reminders, expiry. Part of `Repere`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from typing import Any

from telegram import Bot
from telegram.error import Forbidden
from telegram.ext import Application

from bot.channels.telegram_render import Outgoing, render
from bot.channels.telegram_send import send_all
from bot.dialogue.engine import Engine
from bot.dialogue.replies import Reply, Say, Turn
from bot.dialogue.state import State
from bot.records import Records, Retention
from bot.resources import Resources
from bot.store import Store

log = logging.getLogger("repere.telegram")


class Jobs:
    """The scheduled work; the bot supplies what a turn needs."""

    res: Resources
    engine: Engine
    store: Store
    records: Records | None
    retention: Retention
    clock: Any

    def _lock(self, chat_id: int) -> asyncio.Lock:
        raise NotImplementedError

    async def _keep(self, chat_id: int, turn: Turn, update_id: int | None, now: datetime) -> Turn:
        raise NotImplementedError

    def _render(self, turn: Turn, said: list[Reply], before: State | None) -> list[Outgoing]:
        raise NotImplementedError

    async def _tick_forever(
        self, app: Application[Any, Any, Any, Any, Any, Any], every: float = 60.0
    ) -> None:
        while True:
            try:
                await self.tick(app)
            except Exception:  # the loop must survive one bad tick
                log.exception("reminder tick failed")
            await asyncio.sleep(every)

    async def tick(self, app: Application[Any, Any, Any, Any, Any, Any]) -> int:
        """Purge once a day, send due follow-ups and reminders (once each, even those that fell
        due while the bot was down), drop expired conversations. Returns messages sent."""
        now = self.clock()
        await self.purge(now)
        sent = await self._followups(app.bot, now)
        await self.store.expire(now)
        for chat_id in await self.store.due_reminders(now):
            async with self._lock(chat_id):
                record = await self.store.get(chat_id)
                if record.state is None or record.state.done:
                    continue
                turn = self.engine.current(record.state, now.date())
                said: list[Reply] = [Say(self.res.messages.get("reminder", record.state.lang))]
                messages = render(
                    [*said, *turn.replies],
                    turn.state.flow,
                    turn.state.version,
                    self.res.messages,
                    turn.state.lang,
                )
                with contextlib.suppress(Forbidden):  # the person blocked the bot
                    await send_all(app.bot, chat_id, messages)
                    sent += 1
        return sent

    async def purge(self, now: datetime, force: bool = False) -> dict[str, int]:
        """The retention purge: at start, then once a day."""
        if self.records is None:
            return {}
        today = now.date()
        if not force and await self.records.last_purge() == today.isoformat():
            return {}
        gone = await self.records.purge(now, self.retention)
        gone["conversations"] = await self.store.expire(now)
        await self.records.purged(today)
        log.info("purge: %s", ", ".join(f"{k} {v}" for k, v in sorted(gone.items())))
        return gone

    async def _followups(self, bot: Bot, now: datetime) -> int:
        sent = 0
        for chat_id in await self.store.due_followups(now):
            async with self._lock(chat_id):
                record = await self.store.get(chat_id)
                if record.state is None or not record.state.keep:
                    continue
                turn = self.engine.follow_up(record.state, now.date())
                if turn is None:
                    continue
                turn = await self._keep(chat_id, turn, None, now)
                with contextlib.suppress(Forbidden):
                    await send_all(bot, chat_id, self._render(turn, [], None))
                    sent += 1
        return sent
