"""The Telegram adapter: an Update becomes the service's Incoming, an outcome becomes Bot API
calls (`telegram_actions`). Updates arrive through `telegram_poll` (own getUpdates loop, or a
webhook), stored in the inbox before Telegram is told they arrived; the turn, its state and
its replies are the service's (`bot/service`). Nothing personal is ever logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any

from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import NetworkError
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.channels.links import VOLUNTEER_SUFFIX
from bot.channels.telegram_actions import FORGET, Deliverer, Renderer, send
from bot.channels.telegram_admin import Coordination
from bot.channels.telegram_handoff import PREFIX as HANDOFF_PREFIX
from bot.channels.telegram_handoff import Desk
from bot.channels.telegram_render import Outgoing, parse_callback
from bot.config import Settings
from bot.dialogue.state import Command, Input
from bot.privacy import Pseudonyms
from bot.records import Records, Retention
from bot.resources import Resources, load_resources
from bot.service.conversations import DEFAULT_FLOW, Clock, Conversations, Incoming, utc_now
from bot.service.delivery import Outbox
from bot.service.jobs import Jobs
from bot.service.keys import TELEGRAM, chat_key, telegram_id
from bot.store import Store

log = logging.getLogger("repere.telegram")

COMMANDS: dict[str, Command] = {
    "aide": "help",
    "help": "help",
    "retour": "back",
    "back": "back",
    "recommencer": "restart",
    "restart": "restart",
    "langue": "language",
    "language": "language",
    "stop": "stop",
}
MENU = [
    ("start", "command_start"),
    ("aide", "command_help"),
    ("retour", "command_back"),
    ("recommencer", "command_restart"),
    ("langue", "command_language"),
    ("oubli", "command_forget"),
    ("confidentialite", "command_privacy"),
]
ADMIN = ("reload", "stats")
__all__ = ["COMMANDS", "DEFAULT_FLOW", "Repere", "make_bot", "utc_now"]


def make_bot(
    settings: Settings, rate_limit: bool = True, pool_size: int = 64, pool_timeout: float = 30.0
) -> ExtBot[Any]:
    """The Bot API client. A burst waits for a free connection rather than failing."""
    request = HTTPXRequest(connection_pool_size=pool_size, pool_timeout=pool_timeout)
    polling = HTTPXRequest(connection_pool_size=1, read_timeout=40.0)
    limiter: AIORateLimiter | None = AIORateLimiter(max_retries=3) if rate_limit else None
    return ExtBot(
        settings.token or "",
        base_url=settings.base_url or "https://api.telegram.org/bot",
        request=request,
        get_updates_request=polling,
        rate_limiter=limiter,
    )


class Repere:
    """The bot on Telegram: the service, its outbox and jobs, the desk and the coordinators'
    commands, composed."""

    def __init__(
        self,
        resources: Resources,
        store: Store,
        settings: Settings,
        bot: Bot,
        clock: Clock = utc_now,
        reload: Callable[[], Resources] | None = None,
        records: Records | None = None,
        pseudonyms: Pseudonyms | None = None,
    ) -> None:
        self.bot = bot
        self.store = store
        self.settings = settings
        self.records = records
        self.pseudonyms = pseudonyms or Pseudonyms.from_setting(settings.pseudonym_key, settings.db)
        self.deliverer = Deliverer(bot, clock)
        self.outbox = Outbox(store, self.deliverer)
        self.renderer = Renderer(lambda: self.service.res.messages, lambda: self.engine.flows)
        self.service = Conversations(
            resources,
            store,
            {TELEGRAM: self.renderer},
            self.outbox,
            records=records,
            person=self._person,
            clock=clock,
        )
        self.jobs = Jobs(self.service, Retention(settings.expiry, settings.events_months))
        self.admin = Coordination(self.service, settings, reload or load_resources)
        self.desk = (
            Desk(
                records,
                store,
                self.pseudonyms,
                lambda: self.res.messages,
                self._department_name,
                self._tell,
            )
            if records is not None
            else None
        )
        if self.desk is not None:
            self.deliverer.post_handoff = self.desk.post
            self.renderer.handoffs = True
        self.skipped = 0  # updates that could not be read
        self._tasks: set[asyncio.Task[None]] = set()
        self._ticker: asyncio.Task[None] | None = None

    @property
    def res(self) -> Resources:
        return self.service.res

    @property
    def engine(self) -> Any:
        return self.service.engine

    # -- life --------------------------------------------------------------------------------

    async def start(self, tick_every: float | None = 60.0) -> None:
        """The menu, what a previous run left (undelivered replies, unhandled updates), the
        scheduled work."""
        m = self.res.messages
        with contextlib.suppress(NetworkError):  # French by default, then each language's menu
            await self.bot.set_my_commands([BotCommand(n, m.get(k, "fr")) for n, k in MENU])
            for lang in m.languages:
                if lang != "fr":
                    menu = [BotCommand(n, m.get(k, lang)) for n, k in MENU]
                    await self.bot.set_my_commands(menu, language_code=lang)
        await self.adopt()
        await self.store.on_reload(self.admin.reload)  # another instance's /reload or SIGHUP
        if tick_every is not None:
            self._ticker = asyncio.create_task(self.jobs.run_forever(tick_every, self._round))

    async def adopt(self) -> None:
        """Replies not delivered and updates not handled by a run (or an instance) gone."""
        await self.outbox.load()
        for update_id, payload in await self.store.inbox_pending(TELEGRAM):
            update = self.parse(update_id, payload)
            if update is None:
                await self.store.inbox_done(TELEGRAM, update_id)
            else:
                self.dispatch(update)

    async def _round(self) -> None:
        if self.store.shared:  # an instance may have died since the last round
            await self.adopt()

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        await self.idle(5.0)
        await self.outbox.close()
        if self.records is not None:
            await self.records.close()  # the counts still waiting
        await self.store.close()

    async def idle(self, timeout: float | None = None) -> None:
        """Wait until every dispatched update is handled and its replies delivered."""
        while self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
            if timeout is not None:
                break
        await self.outbox.drain(timeout)

    async def tick(self) -> int:
        return await self.jobs.tick()

    async def reload(self) -> list[str]:
        """Reload here and, if it worked, on every other instance (SIGHUP)."""
        problems = await self.admin.reload()
        if not problems:
            await self.store.announce_reload()
        return problems

    # -- updates -----------------------------------------------------------------------------

    def parse(self, update_id: int, payload: str | dict[str, Any]) -> Update | None:
        """An update as PTB reads it; one it cannot read is skipped, counted and logged with
        only its id and the error's type (never its content)."""
        try:
            data = json.loads(payload) if isinstance(payload, str) else payload
            update = Update.de_json(data, self.bot)
            if update is None:
                raise ValueError("empty update")
            return update
        except Exception as exc:
            self.skipped += 1
            log.warning("update %s skipped: %s", update_id, type(exc).__name__)
            return None

    def dispatch(self, update: Update) -> None:
        """Handle an update stored in the inbox; one key's updates in the order they came."""
        task = asyncio.get_running_loop().create_task(self.process(update))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def process(self, update: Update) -> None:
        try:
            inc = self.incoming(update)
            if inc is not None:
                await self.service.handle(inc)
                return
            await self._outside_turn(update)
        except Exception as exc:  # the row stays in the inbox: tried again at next start
            log.error("update %s not handled: %s", update.update_id, type(exc).__name__)

    async def _outside_turn(self, update: Update) -> None:
        """Group commands, the volunteers' buttons, coordinators' commands, other kinds."""
        chat, message, query = update.effective_chat, update.message, update.callback_query
        uid = update.update_id
        if query is not None and (query.data or "").startswith(HANDOFF_PREFIX):
            if self.desk is not None:
                await self.desk.on_button(update, self.bot, self.service.clock())
        elif chat is not None and message is not None and _command(message.text) is not None:
            inc = Incoming(chat_key(TELEGRAM, chat.id), uid)
            if chat.type != ChatType.PRIVATE:
                await self.service.say(inc.key, [send(chat.id, self._private_only(chat.id))], inc)
                return
            user = update.effective_user
            name = _command(message.text) or ""
            texts = await self.admin.command(name, user.id if user else None)
            await self.service.say(inc.key, [send(chat.id, o) for o in texts], inc)
            return
        await self.store.inbox_done(TELEGRAM, uid)

    def incoming(self, update: Update) -> Incoming | None:
        """What a person did in their private chat, for the service; None: not a turn."""
        chat, uid = update.effective_chat, update.update_id
        if chat is None or chat.type != ChatType.PRIVATE:
            return None
        key = chat_key(TELEGRAM, chat.id)
        if update.callback_query is not None:
            return self._button(key, update)
        if update.edited_message is not None:
            return Incoming(key, uid, note="edited_ignored")
        message = update.message
        if message is None:
            return None
        name = _command(message.text)
        if name is not None:
            args = (message.text or "").split()[1:]
            if name == "start":
                return Incoming(key, uid, start=self._deep_link(args[0] if args else ""))
            if name in COMMANDS:
                return Incoming(key, uid, Input(command=COMMANDS[name]))
            if name == "oubli":
                return Incoming(key, uid, forget="ask")
            if name == "confidentialite":
                return Incoming(key, uid, show="privacy")
            if name in ADMIN:
                return None
        if message.location is not None:
            where = (message.location.latitude, message.location.longitude)
            return Incoming(key, uid, Input(location=where))
        if message.contact is not None:
            sender = message.from_user.id if message.from_user else None
            if message.contact.user_id is None or message.contact.user_id != sender:
                return Incoming(key, uid, note="contact_not_yours")  # someone else's card
            return Incoming(key, uid, Input(contact=message.contact.phone_number))
        if message.text is not None:
            return Incoming(key, uid, Input(text=message.text))
        return Incoming(key, uid, note="not_readable")

    def _button(self, key: str, update: Update) -> Incoming:
        query = update.callback_query
        assert query is not None
        meta: dict[str, Any] = {"query": query.id}
        message = query.message
        if message is not None and getattr(message, "reply_markup", None) is not None:
            text = getattr(message, "text", None)
            meta["retire"] = {"chat": message.chat.id, "message": message.message_id, "text": text}
        data = query.data or ""
        uid = update.update_id
        if data.startswith(FORGET):
            answer, _, nonce = data.removeprefix(FORGET).partition(":")
            if answer in ("yes", "no") and nonce:
                return Incoming(key, uid, forget=answer, nonce=nonce, meta=meta)  # type: ignore[arg-type]
            return Incoming(key, uid, stale=True, meta=meta)
        parsed = parse_callback(data)
        if parsed is None:
            return Incoming(key, uid, stale=True, meta=meta)
        return Incoming(key, uid, button=parsed, meta=meta)

    # -- helpers -----------------------------------------------------------------------------

    def _private_only(self, chat_id: int) -> Outgoing:
        # a group's id is not personal: coordinators need it for catalogue/centres.yaml
        log.info("a command in group %s (its id for 'groups' in centres.yaml)", chat_id)
        m = self.res.messages
        link = f"https://t.me/{self.bot.username}"
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(m.get("private_button", "fr"), url=link)]]
        )
        return Outgoing(m.get("private_only", "fr"), markup)

    def _person(self, key: str) -> str:
        ident = telegram_id(key)
        return self.pseudonyms.person(ident) if ident is not None else key

    async def _tell(self, bot: Bot, chat_id: int, key: str) -> None:
        """A message to a person outside their turn (a volunteer took the request)."""
        lang = await self.service.lang(chat_key(TELEGRAM, chat_id))
        action = send(chat_id, Outgoing(self.res.messages.get(key, lang)))
        await self.service.say(chat_key(TELEGRAM, chat_id), [action], None)

    def _department_name(self, code: str) -> str:
        return f"{self.res.gazetteer.department_name(code)} ({code})" if code else ""

    def _deep_link(self, payload: str) -> tuple[str, dict[str, str]]:
        flow = DEFAULT_FLOW
        code = payload.strip().lower()
        if code.endswith(VOLUNTEER_SUFFIX):
            flow, code = "volunteer", code.removesuffix(VOLUNTEER_SUFFIX)
        centre = self.res.centres.get(code)
        if centre is None:
            return flow, {}
        return flow, {"department": centre.department, "source": code}


def _command(text: str | None) -> str | None:
    """The command's name ("/start@repere_bot x" -> "start"), or None."""
    if not text or not text.startswith("/"):
        return None
    name = text.split()[0].lstrip("/").split("@")[0].lower()
    return name or None
