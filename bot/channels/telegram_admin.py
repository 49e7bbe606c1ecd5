"""Coordinators' commands on Telegram: /stats (anonymous figures) and /reload (or SIGHUP).
Only for REPERE_ADMIN_IDS. A collaborator of the service: it swaps the resources it serves."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bot.channels.telegram_render import Outgoing, plain_messages
from bot.config import Settings
from bot.report import Builder, combine, short_text
from bot.resources import Resources, settle
from bot.service.conversations import Conversations
from bot.yamlsrc import DataError

log = logging.getLogger("repere.telegram")


class Coordination:
    def __init__(
        self, service: Conversations, settings: Settings, load: Callable[[], Resources]
    ) -> None:
        self.service = service
        self.settings = settings
        self.load = load

    async def command(self, name: str, user_id: int | None) -> list[Outgoing]:
        """What /reload or /stats answers (in French: coordinators read French)."""
        m = self.service.res.messages
        if user_id is None or user_id not in self.settings.admin_ids:
            return [Outgoing(m.get("not_admin", "fr"))]
        if name == "stats":
            return await self.stats()
        problems = await self.reload()
        if problems:
            text = m.get("reload_failed", "fr") + "\n" + "\n".join(problems[:20])
        else:
            await self.service.store.announce_reload()  # every other instance too
            res = self.service.res
            text = res.messages.get("reloaded", "fr", offers=len(res.catalogue))
        return [Outgoing(text)]

    async def stats(self) -> list[Outgoing]:
        records = self.service.records
        res = self.service.res
        if records is None:
            return [Outgoing(res.messages.get("not_admin", "fr"))]
        until = self.service.clock().date().isoformat()
        events, monthly = await records.report_rows("0001-01-01", until)
        report = Builder(combine(events, monthly), res.flows, res.messages).build("…", until)
        return plain_messages([short_text(report)])

    async def reload(self) -> list[str]:
        """Load catalogue and flows again; on any error keep the running version."""
        try:
            fresh = await asyncio.to_thread(self.load)
        except DataError as exc:
            problems = [str(p) for p in exc.problems]
            for problem in problems:
                log.error("reload refused: %s", problem)
            return problems
        self.service.use(fresh)
        settle()
        log.info("reloaded: %d offers, %d flows", len(fresh.catalogue), len(fresh.flows))
        return []
