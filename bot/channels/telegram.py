"""The Telegram adapter (python-telegram-bot 22): handlers, per-chat locks, durable turns.

Every update of a private chat becomes one engine turn under that chat's lock: the state is
read from the store, the turn is played, the new state and the update id are written, then the
replies are sent. An update seen before (redelivered after a crash) is not applied twice; two
fast taps are handled one after the other; a button from an earlier step gets "Ce bouton n'est
plus valable" and the current question. Nothing personal is ever logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.links import VOLUNTEER_SUFFIX
from bot.channels.telegram_admin import Coordination
from bot.channels.telegram_handoff import PREFIX as HANDOFF_PREFIX
from bot.channels.telegram_handoff import Desk
from bot.channels.telegram_jobs import Jobs
from bot.channels.telegram_render import Outgoing, parse_callback, plain_messages, render
from bot.channels.telegram_send import send_all
from bot.config import Settings
from bot.dialogue.engine import Engine
from bot.dialogue.events import where_from
from bot.dialogue.flow import Kind
from bot.dialogue.replies import Handoff, PlanFollowUp, Reply, Say, Turn
from bot.dialogue.state import Command, Input, State
from bot.paths import ROOT
from bot.privacy import Pseudonyms
from bot.records import Records, Retention
from bot.resources import Resources, load_resources
from bot.store import Store

log = logging.getLogger("repere.telegram")

DEFAULT_FLOW = "beneficiary"

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
PRIVACY_FILE = ROOT / "PRIVACY.md"
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Repere(Jobs, Coordination):
    """The bot's behaviour on Telegram, independent of how updates arrive."""

    def __init__(
        self,
        resources: Resources,
        store: Store,
        settings: Settings,
        clock: Clock = utc_now,
        reload: Callable[[], Resources] | None = None,
        records: Records | None = None,
        pseudonyms: Pseudonyms | None = None,
    ) -> None:
        self.res = resources
        self.engine = Engine(resources.flows, resources)
        self.store = store
        self.settings = settings
        self.clock = clock
        self._reload = reload or load_resources
        self._locks: dict[int, asyncio.Lock] = {}
        self._ticker: asyncio.Task[None] | None = None
        # what outlives a conversation (events, handoffs): only with a pseudonym key
        self.records = records
        self.pseudonyms = pseudonyms or Pseudonyms.from_setting(settings.pseudonym_key, settings.db)
        self.retention = Retention(settings.expiry, settings.events_months)
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

    # -- wiring ------------------------------------------------------------------------------

    def install(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        private = filters.ChatType.PRIVATE
        new = filters.UpdateType.MESSAGE
        # in a group (the volunteers' one included) only commands get an answer
        app.add_handler(MessageHandler(filters.ChatType.GROUPS & filters.COMMAND, self.on_group))
        app.add_handler(CommandHandler("start", self.on_start, filters=private))
        app.add_handler(CommandHandler(list(COMMANDS), self.on_command, filters=private))
        app.add_handler(CommandHandler("oubli", self.on_forget, filters=private))
        app.add_handler(CommandHandler("confidentialite", self.on_privacy, filters=private))
        app.add_handler(CommandHandler("reload", self.on_reload, filters=private))
        app.add_handler(CommandHandler("stats", self.on_stats, filters=private))
        app.add_handler(CallbackQueryHandler(self.on_handoff_button, pattern=f"^{HANDOFF_PREFIX}"))
        app.add_handler(CallbackQueryHandler(self.on_button))
        app.add_handler(MessageHandler(private & new & filters.LOCATION, self.on_location))
        app.add_handler(MessageHandler(private & new & filters.CONTACT, self.on_contact))
        app.add_handler(MessageHandler(private & new & filters.TEXT, self.on_text))
        app.add_handler(MessageHandler(private & filters.UpdateType.EDITED, self.on_edited))
        app.add_handler(MessageHandler(private & new, self.on_unreadable))
        app.add_error_handler(self.on_error)

    async def post_init(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        m = self.res.messages
        with contextlib.suppress(NetworkError):  # French by default, then each language's menu
            await app.bot.set_my_commands([BotCommand(n, m.get(k, "fr")) for n, k in MENU])
            for lang in m.languages:
                if lang != "fr":
                    menu = [BotCommand(n, m.get(k, lang)) for n, k in MENU]
                    await app.bot.set_my_commands(menu, language_code=lang)
        self._ticker = asyncio.create_task(self._tick_forever(app))

    async def post_shutdown(self, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        if self.records is not None:
            await self.records.close()  # the counts still waiting
        await self.store.close()

    # -- handlers ----------------------------------------------------------------------------

    async def on_start(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        payload = ctx.args[0] if ctx.args else ""
        flow, context = self._deep_link(payload)
        await self._turn(update, ctx, start=(flow, context))

    async def on_command(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        name = (message.text or "").split()[0].lstrip("/").split("@")[0] if message else ""
        await self._turn(update, ctx, Input(command=COMMANDS.get(name.lower(), "help")))

    async def on_text(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        await self._turn(update, ctx, Input(text=(message.text or "") if message else ""))

    async def on_location(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.location is None:
            return
        where = (message.location.latitude, message.location.longitude)
        await self._turn(update, ctx, Input(location=where))

    async def on_contact(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.contact is None:
            return
        await self._turn(update, ctx, Input(contact=message.contact.phone_number))

    async def on_handoff_button(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        if self.desk is not None:
            await self.desk.on_button(update, ctx.bot, self.clock())

    async def on_privacy(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        lang = await self._lang(chat.id)
        try:
            text = PRIVACY_FILE.read_text(encoding="utf-8")
        except OSError:
            text = ""
        intro = [] if lang == "fr" else [self.res.messages.get("privacy_french_only", lang)]
        await self._send(ctx, chat.id, plain_messages([*intro, text]))

    async def on_edited(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        await self._turn(update, ctx, note="edited_ignored")

    async def on_unreadable(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        await self._turn(update, ctx, note="not_readable")

    async def on_button(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        data = query.data or ""
        if data.startswith("oubli:"):
            await self._forget_answer(update, ctx, data == "oubli:yes")
            return
        parsed = parse_callback(data)
        await self._turn(update, ctx, button=parsed)

    async def on_group(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        # a group's id is not personal: coordinators need it for catalogue/centres.yaml
        log.info("a command in group %s (its id for 'groups' in centres.yaml)", chat.id)
        m = self.res.messages
        link = f"https://t.me/{ctx.bot.username}"
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(m.get("private_button", "fr"), url=link)]]
        )
        await self._send(ctx, chat.id, [Outgoing(m.get("private_only", "fr"), markup)])

    async def on_forget(self, update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        lang = await self._lang(chat.id)
        m = self.res.messages
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        "🗑️ " + m.get("forget_yes", lang), callback_data="oubli:yes"
                    ),
                    InlineKeyboardButton("↩️ " + m.get("forget_no", lang), callback_data="oubli:no"),
                ]
            ]
        )
        await self._send(ctx, chat.id, [Outgoing(m.get("forget_question", lang), markup)])

    async def on_error(self, update: object, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        error = ctx.error
        update_id = update.update_id if isinstance(update, Update) else None
        # the update id, the error's type and where it happened: never its message, which may
        # quote what the person wrote, nor a name, nor the token
        where = ""
        if error is not None and error.__traceback__ is not None:
            frame = traceback.extract_tb(error.__traceback__)[-1]
            where = f" at {Path(frame.filename).name}:{frame.lineno} in {frame.name}"
        log.error("update %s failed: %s%s", update_id, type(error).__name__, where)
        if isinstance(update, Update) and update.effective_chat is not None:
            lang = await self._lang(update.effective_chat.id)
            with contextlib.suppress(Exception):
                await ctx.bot.send_message(
                    update.effective_chat.id, self.res.messages.get("something_wrong", lang)
                )

    # -- the turn ----------------------------------------------------------------------------

    async def _turn(
        self,
        update: Update,
        ctx: ContextTypes.DEFAULT_TYPE,
        inp: Input | None = None,
        *,
        start: tuple[str, dict[str, str]] | None = None,
        note: str | None = None,
        button: tuple[str, int, str, str] | None = None,
    ) -> None:
        chat = update.effective_chat
        if chat is None or chat.type != ChatType.PRIVATE:
            return
        query = update.callback_query
        async with self._lock(chat.id):
            record = await self.store.get(chat.id)
            if update.update_id <= record.last_update_id:
                if query is not None:
                    await self._answer(query)
                return  # seen before: a redelivery after a crash
            now = self.clock()
            today = now.date()
            engine = self.engine
            state = record.state
            before = state
            said: list[Reply] = []
            if start is not None or state is None:
                flow, context = start or (DEFAULT_FLOW, {})
                turn = engine.start(
                    flow if flow in engine.flows else DEFAULT_FLOW, today, None, context
                )
            elif note is not None:
                turn = engine.current(state, today)
                said = [Say(self.res.messages.get(note, state.lang))]
            elif button is not None:
                flow, version, step, choice = button
                if (flow, version, step) != (state.flow, state.version, state.step):
                    await self._answer(query, self.res.messages.get("stale_short", state.lang))
                    await self._retire_buttons(query)
                    turn = engine.current(state, today)
                    said = [Say(self.res.messages.get("stale_button", state.lang))]
                    query = None
                else:
                    turn = engine.handle(state, Input(choice=choice, step=step), today)
            else:
                turn = engine.handle(state, inp or Input(text=""), today)
            turn = await self._keep(chat.id, turn, update.update_id, now)
            if query is not None:
                await self._answer(query)
            replies = await self._act(ctx.bot, chat.id, turn, now)
            await self._send(ctx, chat.id, self._render(Turn(turn.state, replies), said, before))

    async def _keep(self, chat_id: int, turn: Turn, update_id: int | None, now: datetime) -> Turn:
        """Write the turn through; what outlives it only if the person agreed."""
        state = turn.state
        if not state.run:  # a new conversation: a fresh opaque id for its counts
            state = state.model_copy(update={"run": secrets.token_hex(8)})
        if state.done and not state.keep:
            await self.store.forget(chat_id)  # "je ne garde rien": nothing, not even the state
        else:
            await self.store.set(chat_id, state, update_id, now)
        if state.keep and self.records is not None and turn.events:
            flow = self.engine.flows.get(state.flow)
            department, centre = where_from(flow, state) if flow else (None, None)
            await self.records.add_events(
                self.pseudonyms.person(chat_id),
                state.run,
                state.flow,
                turn.events,
                now.date(),
                department,
                centre,
            )
        return Turn(state, turn.replies, turn.events)

    async def _act(self, bot: Bot, chat_id: int, turn: Turn, now: datetime) -> list[Reply]:
        """Carry out what the replies ask of the channel; what is left is shown."""
        shown: list[Reply] = []
        failed: str | None = None
        for reply in turn.replies:
            if isinstance(reply, PlanFollowUp):
                await self.store.plan_followup(chat_id, now + timedelta(days=reply.after_days))
            elif isinstance(reply, Handoff):
                if reply.group_chat_id is not None and turn.state.keep:
                    posted = self.desk is not None and await self.desk.post(
                        bot, chat_id, reply, now
                    )
                    if not posted:
                        failed = reply.fallback
            elif failed is not None and isinstance(reply, Say):
                note = self.res.messages.get("handoff_not_sent", turn.state.lang)
                shown.append(Say(f"{note}\n{failed}"))  # instead of "c'est envoyé"
                failed = None
            else:
                shown.append(reply)
        return shown

    def _render(self, turn: Turn, said: list[Reply], before: State | None) -> list[Outgoing]:
        state = turn.state
        flow = self.engine.flows[state.flow]
        leaving = (
            before is not None
            and flow.has_step(before.step)
            and flow.step(before.step).kind in (Kind.PLACE, Kind.PHONE)
            and state.step != before.step
        )
        return render(
            [*said, *turn.replies],
            state.flow,
            state.version,
            self.res.messages,
            state.lang,
            leaving_place=leaving,
        )

    async def _retire_buttons(self, query: Any) -> None:
        """Take the buttons off a message that was tapped too late, so it cannot happen again.

        Only on this rare path: editing every answered question would cost a request per tap.
        """
        message = query.message if query is not None else None
        if not isinstance(message, Message) or message.reply_markup is None:
            return
        with contextlib.suppress(BadRequest):
            await message.edit_text(message.text or "…", reply_markup=None)

    async def _answer(self, query: Any, text: str | None = None) -> None:
        if query is None:
            return
        with contextlib.suppress(BadRequest, TimedOut):  # an old query cannot be answered
            await query.answer(text=text[:200] if text else None)

    async def _forget_answer(
        self, update: Update, ctx: ContextTypes.DEFAULT_TYPE, yes: bool
    ) -> None:
        chat, query = update.effective_chat, update.callback_query
        if chat is None or query is None:
            return
        lang = await self._lang(chat.id)
        await self._answer(query)
        async with self._lock(chat.id):
            if yes:
                await self.store.forget(chat.id)
                if self.records is not None:
                    shown = await self.records.erase(self.pseudonyms.person(chat.id))
                    for group, message_id in shown:  # the request in the volunteers' group
                        with contextlib.suppress(BadRequest, Forbidden):
                            await ctx.bot.delete_message(group, message_id)
        key = "forget_done" if yes else "forget_kept"
        await self._send(ctx, chat.id, [Outgoing(self.res.messages.get(key, lang))])

    # -- sending -----------------------------------------------------------------------------

    async def _send(
        self, ctx: ContextTypes.DEFAULT_TYPE, chat_id: int, messages: list[Outgoing]
    ) -> None:
        await send_all(ctx.bot, chat_id, messages)

    # -- reload ------------------------------------------------------------------------------

    # -- helpers -----------------------------------------------------------------------------

    def _lock(self, chat_id: int) -> asyncio.Lock:
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = self._locks[chat_id] = asyncio.Lock()
        return lock

    async def _tell(self, bot: Bot, chat_id: int, key: str) -> None:
        lang = await self._lang(chat_id)
        await send_all(bot, chat_id, [Outgoing(self.res.messages.get(key, lang))])

    def _department_name(self, code: str) -> str:
        return f"{self.res.gazetteer.department_name(code)} ({code})" if code else ""

    async def _lang(self, chat_id: int) -> str:
        record = await self.store.get(chat_id)
        return record.state.lang if record.state is not None else "fr"

    def _deep_link(self, payload: str) -> tuple[str, dict[str, str]]:
        flow = DEFAULT_FLOW
        code = payload.strip().lower()
        if code.endswith(VOLUNTEER_SUFFIX):
            flow, code = "volunteer", code.removesuffix(VOLUNTEER_SUFFIX)
        centre = self.res.centres.get(code)
        if centre is None:
            return flow, {}
        return flow, {"department": centre.department, "source": code}


def build_application(
    repere: Repere,
    settings: Settings,
    rate_limit: bool = True,
    concurrent: bool = True,
    pool_size: int = 64,
    pool_timeout: float = 30.0,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The PTB application. A burst waits for a free connection rather than failing."""
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = ApplicationBuilder().token(
        settings.token or ""
    )
    if settings.base_url:
        builder = builder.base_url(settings.base_url)
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    builder = builder.connection_pool_size(pool_size).pool_timeout(pool_timeout)
    builder = builder.concurrent_updates(concurrent).post_init(repere.post_init)
    builder = builder.post_shutdown(repere.post_shutdown)
    app = builder.build()
    repere.install(app)
    return app
