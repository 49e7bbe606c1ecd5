"""Handoffs on Telegram: the summary posted to the volunteers' group, and its two buttons.

"Je m'en occupe" records who took it (as a pseudonym) and tells the person; "Fait" closes it
and takes the phone number out of the group message. Two volunteers tapping at once: the
first wins, the second is told. The volunteer's first name shows in the group, never in the
database.

Any client can send any callback data, so a tap counts only when it comes from the very
message the request was posted as, in its group, from a member of that group; the data
names the request by a random token, not by its number. Anything else changes nothing.
"""

from __future__ import annotations

import contextlib
import html
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from telegram import (
    Bot,
    CallbackQuery,
    ChatMemberRestricted,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, TelegramError, TimedOut

from bot.channels.telegram_render import international
from bot.dialogue.replies import Event, Handoff
from bot.messages import Messages
from bot.privacy import Pseudonyms
from bot.records import HANDOFF_DONE, HANDOFF_TAKEN, HandoffRow, Records
from bot.store import Store

log = logging.getLogger("repere.handoff")
PREFIX = "ho:"


MEMBER_SECONDS = 60.0  # how long a member check is trusted…
OUTSIDER_SECONDS = 5.0  # …and a refusal (someone just added to the group is not kept out long)
IN_GROUP = frozenset({"creator", "administrator", "member"})


def group_text(handoff: Handoff, handoff_id: int, m: Messages, department_name: str) -> str:
    def line(label: str, value: str) -> str:
        return f"<b>{html.escape(label, quote=False)}</b> : {html.escape(value, quote=False)}"

    lines = [f"<b>{html.escape(m.staff('handoff_title'), quote=False)}</b> #{handoff_id}"]
    if handoff.department:
        lines.append(line(m.staff("handoff_department"), department_name))
    lines += [line(label, value) for label, value in handoff.lines]
    lines.append(line(m.staff("handoff_phone"), international(handoff.phone)))
    return "\n".join(lines)


def buttons(token: str, m: Messages, taken: bool = False) -> InlineKeyboardMarkup:
    row = (
        []
        if taken
        else [InlineKeyboardButton(m.staff("handoff_take"), callback_data=f"{PREFIX}take:{token}")]
    )
    row.append(InlineKeyboardButton(m.staff("handoff_done"), callback_data=f"{PREFIX}done:{token}"))
    return InlineKeyboardMarkup([row])


class Desk:
    """Posts handoffs and answers the group's buttons."""

    def __init__(
        self,
        records: Records,
        store: Store,
        pseudonyms: Pseudonyms,
        messages: Callable[[], Messages],
        department_name: Callable[[str], str],
        tell: Callable[[Bot, int, str], Awaitable[None]],
    ) -> None:
        self.records = records
        self.store = store
        self.pseudonyms = pseudonyms
        self._messages = messages
        self._department_name = department_name
        self._tell = tell  # tell(bot, chat_id, message key): in the person's language
        self._members: dict[tuple[int, int], tuple[bool, float]] = {}

    async def post(self, bot: Bot, chat_id: int, handoff: Handoff, now: datetime) -> bool:
        """Post to the group; False when it cannot be reached (the person is then told where
        the centre is). Nothing is left behind on failure."""
        assert handoff.group_chat_id is not None
        m = self._messages()
        person = self.pseudonyms.person(chat_id)
        row = await self.records.open_handoff(
            person, handoff.group_chat_id, handoff.department, handoff.centre, now
        )
        text = group_text(handoff, row.id, m, self._department_name(handoff.department))
        try:
            sent = await bot.send_message(
                handoff.group_chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=buttons(row.token, m),
            )
        except TelegramError as exc:  # not a member, kicked, flood control, network…
            log.error("handoff %s not posted: %s", row.id, type(exc).__name__)
            await self.records.erase_handoff(row.id)
            return False
        await self.records.posted(row.id, sent.message_id)
        await self.store.link_handoff(chat_id, row.id)
        return True

    async def on_button(self, update: Update, bot: Bot, now: datetime) -> None:
        query = update.callback_query
        if query is None or query.data is None:
            return
        m = self._messages()
        action, _, token = query.data.removeprefix(PREFIX).partition(":")
        volunteer = query.from_user
        row = await self.records.handoff(token) if token else None
        if row is None:
            await _answer(query, m.staff("handoff_gone"))
            return
        if action not in ("take", "done") or not await self._allowed(bot, query, row):
            log.warning("handoff button refused")
            await _answer(query, m.staff("handoff_not_allowed"))
            return
        to = HANDOFF_TAKEN if action == "take" else HANDOFF_DONE
        moved = await self.records.move_handoff(
            row.id, to, self.pseudonyms.person(volunteer.id), now
        )
        if moved is None:
            await _answer(query, m.staff("handoff_already_taken"))
            return
        person, department = moved
        await _answer(query, m.staff("handoff_thanks"))
        name = volunteer.first_name or m.staff("volunteer_someone")
        text = (query.message.text if isinstance(query.message, Message) else None) or ""
        if to == HANDOFF_TAKEN:
            text += "\n\n" + m.staff("handoff_taken_by", name=name)
            markup: InlineKeyboardMarkup | None = buttons(row.token, m, taken=True)
        else:
            phone = m.staff("handoff_phone") + " :"
            text = "\n".join(
                m.staff("handoff_phone_erased") if _untagged(line).startswith(phone) else line
                for line in text.splitlines()
            )
            text += "\n\n" + m.staff("handoff_done_by", name=name)
            markup = None
        with contextlib.suppress(BadRequest):
            await bot.edit_message_text(
                text, row.group_chat_id, row.message_id, reply_markup=markup
            )
        await self.records.add_events(
            person,
            f"handoff-{row.id}",
            "handoff",
            [Event("handoff_taken" if to == HANDOFF_TAKEN else "handoff_done")],
            now.date(),
            department or None,
            None,
        )
        if (
            to == HANDOFF_TAKEN
            and (chat_id := await self.store.chat_of_handoff(row.id)) is not None
        ):
            with contextlib.suppress(Forbidden, BadRequest):
                await self._tell(bot, chat_id, "handoff_taken")

    async def _allowed(self, bot: Bot, query: CallbackQuery, row: HandoffRow) -> bool:
        """Pressed on the request's own message, in its group, by a member of the group."""
        message = query.message
        if message is None or row.message_id is None:
            return False
        if message.chat.id != row.group_chat_id or message.message_id != row.message_id:
            return False
        return await self._is_member(bot, row.group_chat_id, query.from_user.id)

    async def _is_member(self, bot: Bot, group: int, user: int) -> bool:
        now = time.monotonic()
        known = self._members.get((group, user))
        if known is not None and known[1] > now:
            return known[0]
        try:
            member = await bot.get_chat_member(group, user)
        except TelegramError as exc:  # not found, the bot was removed, network…
            log.warning("group membership unknown: %s", type(exc).__name__)
            return False
        inside = member.status in IN_GROUP or (
            isinstance(member, ChatMemberRestricted) and member.is_member
        )
        if len(self._members) > 10_000:
            self._members.clear()
        self._members[(group, user)] = (
            inside,
            now + (MEMBER_SECONDS if inside else OUTSIDER_SECONDS),
        )
        return inside


async def _answer(query: CallbackQuery, text: str) -> None:
    with contextlib.suppress(BadRequest, TimedOut):  # an old query cannot be answered
        await query.answer(text)


def _untagged(line: str) -> str:
    return line.replace("<b>", "").replace("</b>", "")
