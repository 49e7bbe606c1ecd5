"""A turn's outcome as outbox actions (plain JSON), and each action as Bot API calls.

Actions: `send` a message, `edit` the multiple-choice question a tap changed (its ticks),
`answer` a button's query, `retire` an old message's buttons,
`delete` a message (the volunteers' group after /oubli), `handoff` (post the request to the
volunteers' group, then tell the person whether it went). They are stored with the turn's
state and delivered by the outbox worker, at least once.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.channels.telegram_render import (
    Keyboard,
    Markup,
    Outgoing,
    button,
    inline,
    plain_messages,
    render,
)
from bot.dialogue.flow import Kind
from bot.dialogue.replies import Ask, Handoff, Reply, Say
from bot.messages import Messages
from bot.privacy_notice import FRENCH_NOTICE, notice_path
from bot.service.conversations import Outcome
from bot.service.delivery import RetryLater, Undeliverable
from bot.service.keys import telegram_id

PRIVACY_FILE = FRENCH_NOTICE
FORGET = "oubli:"

_MARKUPS: dict[str, Any] = {
    "inline": InlineKeyboardMarkup,
    "reply": ReplyKeyboardMarkup,
    "remove": ReplyKeyboardRemove,
}


def send(chat_id: int, message: Outgoing) -> dict[str, Any]:
    markup = markup_dict(message.markup)
    return {
        "do": "send",
        "chat": chat_id,
        "text": message.text,
        "html": message.html,
        "markup": markup,
        "markup_kind": _kind(markup),  # read by older versions, at a restart after an upgrade
    }


def markup_dict(markup: Keyboard) -> dict[str, Any] | None:
    """A keyboard as the Bot API's JSON (the render builds it so; PTB's object, from a caller
    outside the turn, through its to_dict)."""
    if markup is None or isinstance(markup, dict):
        return markup
    return dict(markup.to_dict())


def _kind(markup: dict[str, Any] | None) -> str:
    if markup is not None and "inline_keyboard" in markup:
        return "inline"
    if markup is not None and "keyboard" in markup:
        return "reply"
    return "remove"


class Renderer:
    """The service's outcomes as Telegram actions. `handoffs`: whether a desk can post them."""

    def __init__(self, messages: Callable[[], Messages], flows: Callable[[], Any]) -> None:
        self._messages = messages
        self._flows = flows
        self.handoffs = False

    def __call__(self, outcome: Outcome) -> list[dict[str, Any]]:
        chat = telegram_id(outcome.key)
        assert chat is not None
        m, lang = self._messages(), outcome.lang
        inc = outcome.incoming
        meta = inc.meta if inc is not None else {}
        out: list[dict[str, Any]] = []
        if "query" in meta:
            short = m.get("stale_short", lang)[:200] if outcome.stale else None
            out.append({"do": "answer", "query": meta["query"], "text": short})
        if outcome.stale and "retire" in meta:
            out.append({"do": "retire", **meta["retire"]})
        if outcome.failed:
            return [*out, send(chat, Outgoing(m.get("something_wrong", lang)))]
        if inc is not None and inc.show == "privacy":
            return out + [send(chat, o) for o in self._privacy(m, lang)]
        if outcome.forget == "ask":
            return [*out, send(chat, self._forget_question(m, lang, outcome.nonce))]
        if outcome.forget in ("done", "kept"):
            gone = [{"do": "delete", "chat": g, "message": mid} for g, mid in outcome.erased]
            key = "forget_done" if outcome.forget == "done" else "forget_kept"
            return out + gone + [send(chat, Outgoing(m.get(key, lang)))]
        return out + self._turn(chat, outcome, m, lang)

    def _turn(self, chat: int, outcome: Outcome, m: Messages, lang: str) -> list[dict[str, Any]]:
        state = outcome.state
        if state is None:
            return []
        replies = [*outcome.said, *outcome.replies]
        flow = self._flows()[state.flow]
        before = outcome.before
        leaving = (
            before is not None
            and flow.has_step(before.step)
            and flow.step(before.step).kind in (Kind.PLACE, Kind.PHONE)
            and state.step != before.step
        )

        def shown(rs: list[Reply]) -> list[dict[str, Any]]:
            outs = render(rs, state.flow, state.version, m, lang, leaving_place=leaving)
            return [send(chat, o) for o in outs]

        if (tapped := _toggled_in_place(outcome, flow)) is not None:
            # a tap on a multiple choice: the same question, its ticks changed, edited in place
            messages = render(replies, state.flow, state.version, m, lang)
            if len(messages) == 1:
                return [{**send(chat, messages[0]), "do": "edit", "message": tapped}]

        for n, reply in enumerate(replies):
            if not isinstance(reply, Handoff) or reply.group_chat_id is None:
                continue
            if not (state.keep and self.handoffs):
                continue
            rest = replies[n + 1 :]
            failed = _instead_of_first_say(rest, m.get("handoff_not_sent", lang), reply)
            handoff = {
                "do": "handoff",
                "chat": chat,
                "handoff": asdict(reply),
                "ok": shown(rest),
                "failed": shown(failed),
            }
            return [*shown(replies[:n]), handoff]
        return shown(replies)

    @staticmethod
    def _privacy(m: Messages, lang: str) -> list[Outgoing]:
        """The notice in the person's language (flows/privacy/<lang>.md), else in French."""
        try:
            path = notice_path(lang)
            text = path.read_text(encoding="utf-8")
        except OSError:
            path, text = PRIVACY_FILE, ""
        in_french = lang != "fr" and path.resolve() == PRIVACY_FILE.resolve()
        intro = [m.get("privacy_french_only", lang)] if in_french else []
        return plain_messages([*intro, text])

    @staticmethod
    def _forget_question(m: Messages, lang: str, nonce: str) -> Outgoing:
        yes = button("🗑️ " + m.get("forget_yes", lang), f"{FORGET}yes:{nonce}")
        no = button("↩️ " + m.get("forget_no", lang), f"{FORGET}no:{nonce}")
        return Outgoing(m.get("forget_question", lang), inline([[yes, no]]))


def _toggled_in_place(outcome: Outcome, flow: Any) -> int | None:
    """The id of the message to edit when a button only ticked or unticked an answer of a
    multiple-choice question (same step, nothing said): else None, and a new message goes."""
    inc, state, before = outcome.incoming, outcome.state, outcome.before
    if inc is None or inc.button is None or outcome.stale or outcome.said:
        return None
    if state is None or before is None or state.step != before.step or state.flow != before.flow:
        return None
    if not flow.has_step(state.step) or flow.step(state.step).kind is not Kind.CHOICES:
        return None
    tapped = inc.meta.get("retire")
    if not tapped or tapped.get("chat") != telegram_id(outcome.key):
        return None
    if len(outcome.replies) != 1 or not isinstance(outcome.replies[0], Ask):
        return None
    return int(tapped["message"])


def _instead_of_first_say(replies: list[Reply], note: str, handoff: Handoff) -> list[Reply]:
    """The replies told when the group cannot be reached: "c'est envoyé" becomes where the
    centre is."""
    out = list(replies)
    for n, reply in enumerate(out):
        if isinstance(reply, Say):
            out[n] = Say(f"{note}\n{handoff.fallback}")
            break
    return out


def retry_seconds(exc: RetryAfter) -> float:
    """How long Telegram's 429 asks to wait (PTB gives seconds or a timedelta)."""
    after = exc.retry_after
    return float(after.total_seconds() if hasattr(after, "total_seconds") else after)


PostHandoff = Callable[[Bot, int, Handoff, datetime], Awaitable[bool]]


class Deliverer:
    """Outbox actions as Bot API calls; Telegram's errors as the worker's."""

    def __init__(self, bot: Bot, clock: Callable[[], datetime]) -> None:
        self.bot = bot
        self.clock = clock
        self.post_handoff: PostHandoff | None = None

    async def __call__(self, key: str, action: dict[str, Any]) -> None:
        try:
            await self._do(action)
        except RetryAfter as exc:
            raise RetryLater(retry_seconds(exc)) from None
        except (TimedOut, NetworkError) as exc:
            if isinstance(exc, BadRequest | Forbidden):
                raise Undeliverable(type(exc).__name__) from None
            raise RetryLater(0) from None

    async def _do(self, action: dict[str, Any]) -> None:
        bot, do = self.bot, action.get("do")
        if do == "send":
            await self._send(action)
        elif do == "answer":
            with contextlib.suppress(BadRequest):  # an old query cannot be answered
                await bot.answer_callback_query(action["query"], text=action.get("text"))
        elif do == "edit":
            await self._edit(action)
        elif do == "retire":
            with contextlib.suppress(BadRequest):
                await bot.edit_message_text(
                    action.get("text") or "…", action["chat"], action["message"]
                )
        elif do == "delete":
            with contextlib.suppress(BadRequest, Forbidden):
                await bot.delete_message(action["chat"], action["message"])
        elif do == "handoff":
            await self._handoff(action)

    def _markup(self, action: dict[str, Any]) -> Markup:
        """The keyboard an action carries, as python-telegram-bot's object (or None)."""
        data = action.get("markup")
        if data is None:
            return None
        markup: Markup = _MARKUPS[_kind(data)].de_json(data, self.bot)
        return markup

    async def _send(self, action: dict[str, Any]) -> None:
        markup = self._markup(action)
        try:
            await self.bot.send_message(
                action["chat"],
                action["text"],
                reply_markup=markup,
                parse_mode=ParseMode.HTML if action.get("html") else None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except (BadRequest, Forbidden) as exc:  # blocked, or refused: never again
            raise Undeliverable(type(exc).__name__) from None

    async def _edit(self, action: dict[str, Any]) -> None:
        """A multiple choice's ticks, changed in the message tapped; if it cannot be edited
        (too old, deleted), the question comes as a new message."""
        markup = self._markup(action)
        try:
            await self.bot.edit_message_text(
                action["text"],
                action["chat"],
                action["message"],
                reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
                parse_mode=ParseMode.HTML if action.get("html") else None,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except BadRequest as exc:
            if "not modified" in str(exc).lower():  # the same ticks: nothing to change
                return
            await self._send(action)

    async def _handoff(self, action: dict[str, Any]) -> None:
        data = dict(action["handoff"])
        data["lines"] = tuple(tuple(line) for line in data["lines"])
        handoff = Handoff(**data)
        posted = False
        if self.post_handoff is not None:
            posted = await self.post_handoff(self.bot, action["chat"], handoff, self.clock())
        for message in action["ok" if posted else "failed"]:
            with contextlib.suppress(Undeliverable):
                await self._send(message)
