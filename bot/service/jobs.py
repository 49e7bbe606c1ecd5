"""Scheduled work on the service's clock: the daily retention purge, follow-ups due (even
those that fell due while the bot was down), gentle reminders, expiry."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.records import Retention
from bot.service.conversations import Conversations

log = logging.getLogger("repere.jobs")


class Jobs:
    def __init__(self, service: Conversations, retention: Retention) -> None:
        self.service = service
        self.retention = retention

    async def run_forever(
        self, every: float = 60.0, before: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        """Each round: `before` (on every instance), then the scheduled work."""
        while True:
            try:
                if before is not None:
                    await before()
                await self.tick()
            except Exception as exc:  # the loop must survive one bad tick
                log.error("scheduled work failed: %s", type(exc).__name__)
            await asyncio.sleep(every)

    async def tick(self) -> int:
        """Purge once a day, queue due follow-ups and reminders (once each), drop expired
        conversations. Returns how many follow-ups and reminders were queued. One instance at
        a time (the store's lease): the others skip the round."""
        async with self.service.store.lease("jobs") as mine:
            if not mine:  # another instance is at it
                return 0
            return await self._tick()

    async def _tick(self) -> int:
        service = self.service
        now = service.clock()
        await self.purge(now)
        queued = 0
        for key in await service.store.due_followups(now):
            queued += await service.follow_up(key, now)
            await asyncio.sleep(0)  # after a night down, thousands: updates go on in between
        await service.store.expire(now)
        for key in await service.store.due_reminders(now):
            queued += await service.remind(key, now)
            await asyncio.sleep(0)
        return queued

    async def purge(self, now: datetime, force: bool = False) -> dict[str, int]:
        """The retention purge: at start, then once a day."""
        records = self.service.records
        if records is None:
            return {}
        today = now.date()
        if not force and await records.last_purge() == today.isoformat():
            return {}
        gone = await records.purge(now, self.retention)
        gone["conversations"] = await self.service.store.expire(now)
        await records.purged(today)
        log.info("purge: %s", ", ".join(f"{k} {v}" for k, v in sorted(gone.items())))
        return gone
