"""Coordinators' commands on Telegram: /stats (anonymous figures) and /reload (or SIGHUP).
Only for REPERE_ADMIN_IDS. Part of `Repere`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.channels.telegram_render import Outgoing, plain_messages
from bot.config import Settings
from bot.dialogue.engine import Engine
from bot.records import Records
from bot.report import COUNTS_SQL, EVENTS_SQL, Builder, combine, short_text
from bot.resources import Resources, settle
from bot.yamlsrc import DataError

log = logging.getLogger("repere.telegram")


class Coordination:
    res: Resources
    engine: Engine
    settings: Settings
    records: Records | None
    clock: Callable[..., Any]
    _reload: Callable[[], Resources]

    async def _send(
        self, ctx: ContextTypes.DEFAULT_TYPE, chat_id: int, messages: list[Outgoing]
    ) -> None:
        raise NotImplementedError

    async def on_stats(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        user, chat = update.effective_user, update.effective_chat
        if chat is None:
            return
        m = self.res.messages
        if user is None or user.id not in self.settings.admin_ids or self.records is None:
            await self._send(ctx, chat.id, [Outgoing(m.get("not_admin", "fr"))])
            return
        until = self.clock().date().isoformat()
        await self.records.flush()
        db = self.records.db
        async with db.execute(EVENTS_SQL, ("0001-01-01", until)) as cur:
            events = [tuple(r) async for r in cur]
        async with db.execute(COUNTS_SQL, ("0001-01", until[:7])) as cur:
            monthly = [tuple(r) async for r in cur]
        report = Builder(combine(events, monthly), self.res.flows, m).build("…", until)
        await self._send(ctx, chat.id, plain_messages([short_text(report)]))

    async def on_reload(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        user, chat = update.effective_user, update.effective_chat
        if chat is None:
            return
        m = self.res.messages
        if user is None or user.id not in self.settings.admin_ids:
            await self._send(ctx, chat.id, [Outgoing(m.get("not_admin", "fr"))])
            return
        problems = await self.reload()
        if problems:
            text = m.get("reload_failed", "fr") + "\n" + "\n".join(problems[:20])
        else:
            text = self.res.messages.get("reloaded", "fr", offers=len(self.res.catalogue))
        await self._send(ctx, chat.id, [Outgoing(text)])

    async def reload(self) -> list[str]:
        """Load catalogue and flows again; on any error keep the running version."""
        try:
            fresh = await asyncio.to_thread(self._reload)
        except DataError as exc:
            problems = [str(p) for p in exc.problems]
            for problem in problems:
                log.error("reload refused: %s", problem)
            return problems
        self.res = fresh
        self.engine = Engine(fresh.flows, fresh)
        settle()
        log.info("reloaded: %d offers, %d flows", len(fresh.catalogue), len(fresh.flows))
        return []
