"""The volunteers' buttons obey only the group they were posted to: a table of forged taps,
each of which must change nothing (no row, no group message, no word to the person)."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, Update

from bot.channels.telegram_handoff import Desk
from bot.dialogue.replies import Handoff
from bot.dialogue.state import State
from bot.records import Records
from bot.resources import Resources
from bot.store import SqliteStore
from tests.channels.telegram_helpers import NOW, PSEUDONYMS, button, keyboard_of
from tests.fake_bot_api import FakeBotApi

CHAT = 606162636
GROUP, OTHER_GROUP = -1005550023, -1005550087
MARIE = {"id": 777, "is_bot": False, "first_name": "Marie"}
STRANGER = {"id": 999, "is_bot": False, "first_name": "Eve"}
READS = ("answerCallbackQuery", "getChatMember")
HANDOFF = Handoff(GROUP, "23", None, (("Besoin", "Lire"),), "0612345678", "the centre")


@dataclass
class Posted:
    desk: Desk
    bot: Bot
    db: Path
    told: list[tuple[int, str]]
    message_id: int
    take: str
    done: str
    text: str
    keyboard: list[list[dict[str, Any]]]

    async def tap(self, update: dict[str, Any]) -> None:
        await self.desk.on_button(
            Update.de_json({"update_id": 1, **update}, self.bot), self.bot, NOW
        )
        await self.desk.records.flush()


@asynccontextmanager
async def posted(api: FakeBotApi, resources: Resources, db: Path) -> AsyncIterator[Posted]:
    """A request posted to GROUP for CHAT, through the desk, with a real PTB Bot."""
    store = await SqliteStore.open(db)
    records = Records(store.db)
    told: list[tuple[int, str]] = []

    async def tell(_bot: Bot, chat_id: int, key: str) -> None:
        told.append((chat_id, key))

    desk = Desk(records, store, PSEUDONYMS, lambda: resources.messages, str, tell)
    await store.set(
        f"tg:{CHAT}", State(flow="beneficiary", version=1, step="when", keep=True), 1, NOW
    )
    try:
        async with Bot("123:TEST", base_url=api.base_url) as bot:
            assert await desk.post(bot, CHAT, HANDOFF, NOW)
            await records.flush()
            (post,) = api.sent(GROUP)
            with sqlite3.connect(db) as conn:
                (message_id,) = conn.execute("SELECT message_id FROM handoffs").fetchone()
            keyboard = keyboard_of(post)
            take, done = (b["callback_data"] for b in keyboard[0])
            yield Posted(
                desk, bot, db, told, message_id, take, done, str(post.params["text"]), keyboard
            )
    finally:
        await records.close()
        await store.close()


def snapshot(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(db) as conn:
        return {
            t: conn.execute(f"SELECT * FROM {t}").fetchall()
            for t in ("handoffs", "events", "conversations")
        }


def changes(api: FakeBotApi) -> list[str]:
    """Every call that changes something a person or the group sees."""
    return [c.method for c in api.calls if not c.method.startswith(READS)]


async def test_the_groups_members_take_and_close_a_request(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    async with posted(api, resources, tmp_path / "r.db") as p:
        assert len(p.take.encode()) <= 64 and len(p.take.split(":")[-1]) >= 16
        await p.tap(button(GROUP, p.take, p.text, p.keyboard, by=MARIE, message_id=p.message_id))
        assert "Pris en charge par Marie" in str(api.sent(GROUP, "editMessageText")[-1].params)
        assert p.told == [(CHAT, "handoff_taken")]
        await p.tap(button(GROUP, p.done, p.text, by=MARIE, message_id=p.message_id))
        assert snapshot(p.db)["handoffs"][0][7] == "done"


Forgery = Callable[[Posted, FakeBotApi], dict[str, Any]]


def from_private_chat(p: Posted, api: FakeBotApi) -> dict[str, Any]:
    return button(STRANGER["id"], p.take, p.text, by=STRANGER)


def from_another_group(p: Posted, api: FakeBotApi) -> dict[str, Any]:
    return button(OTHER_GROUP, p.take, p.text, by=MARIE, message_id=p.message_id)


def on_another_message(p: Posted, api: FakeBotApi) -> dict[str, Any]:
    return button(GROUP, p.take, p.text, by=MARIE, message_id=p.message_id + 1)


def by_someone_who_left(p: Posted, api: FakeBotApi) -> dict[str, Any]:
    api.members[(GROUP, STRANGER["id"])] = "left"
    return button(GROUP, p.take, p.text, by=STRANGER, message_id=p.message_id)


def by_someone_kicked(p: Posted, api: FakeBotApi) -> dict[str, Any]:
    api.members[(GROUP, STRANGER["id"])] = "kicked"
    return button(GROUP, p.done, p.text, by=STRANGER, message_id=p.message_id)


def by_someone_restricted_out(p: Posted, api: FakeBotApi) -> dict[str, Any]:
    api.members[(GROUP, STRANGER["id"])] = "restricted-out"
    return button(GROUP, p.take, p.text, by=STRANGER, message_id=p.message_id)


def when_membership_is_unknown(p: Posted, api: FakeBotApi) -> dict[str, Any]:
    api.fail("getChatMember", 400, {"ok": False, "error_code": 400, "description": "no"})
    return button(GROUP, p.take, p.text, by=STRANGER, message_id=p.message_id)


def with_a_sequential_id(p: Posted, api: FakeBotApi) -> dict[str, Any]:
    return button(GROUP, "ho:take:1", p.text, by=MARIE, message_id=p.message_id)


def with_a_guessed_token(p: Posted, api: FakeBotApi) -> dict[str, Any]:
    return button(GROUP, "ho:take:AAAAAAAAAAAAAAAA", p.text, by=MARIE, message_id=p.message_id)


def with_an_unknown_action(p: Posted, api: FakeBotApi) -> dict[str, Any]:
    forged = p.take.replace("ho:take:", "ho:erase:")
    return button(GROUP, forged, p.text, by=MARIE, message_id=p.message_id)


FORGERIES: dict[str, Forgery] = {
    f.__name__: f
    for f in (
        from_private_chat,
        from_another_group,
        on_another_message,
        by_someone_who_left,
        by_someone_kicked,
        by_someone_restricted_out,
        when_membership_is_unknown,
        with_a_sequential_id,
        with_a_guessed_token,
        with_an_unknown_action,
    )
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
async def test_a_forged_tap_changes_nothing(
    forgery: str, api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    async with posted(api, resources, tmp_path / "r.db") as p:
        before, calls = snapshot(p.db), len(changes(api))
        await p.tap(FORGERIES[forgery](p, api))
        assert snapshot(p.db) == before
        assert changes(api)[calls:] == []
        assert p.told == []
        answer = api.sent(method="answerCallbackQuery")[-1]
        assert answer.params.get("text") in (
            "Ce bouton n'est pas pour vous.",
            "Cette demande n'existe plus.",
        )


async def test_a_tap_replayed_after_done_changes_nothing(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    async with posted(api, resources, tmp_path / "r.db") as p:
        await p.tap(button(GROUP, p.done, p.text, by=MARIE, message_id=p.message_id))
        before, calls, told = snapshot(p.db), len(changes(api)), list(p.told)
        for data in (p.take, p.done):
            await p.tap(button(GROUP, data, p.text, by=MARIE, message_id=p.message_id))
        assert snapshot(p.db) == before and changes(api)[calls:] == [] and p.told == told


async def test_a_member_in_a_restricted_role_may_still_take_it(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    async with posted(api, resources, tmp_path / "r.db") as p:
        api.members[(GROUP, STRANGER["id"])] = "restricted"
        await p.tap(button(GROUP, p.take, p.text, by=STRANGER, message_id=p.message_id))
        assert snapshot(p.db)["handoffs"][0][7] == "taken"


async def test_membership_is_asked_once_a_minute_and_a_refusal_soon_forgotten(
    api: FakeBotApi, resources: Resources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.channels.telegram_handoff as handoff

    monkeypatch.setattr(handoff, "OUTSIDER_SECONDS", 0.0)
    async with posted(api, resources, tmp_path / "r.db") as p:
        api.members[(GROUP, STRANGER["id"])] = "left"
        await p.tap(button(GROUP, p.take, p.text, by=STRANGER, message_id=p.message_id))
        assert snapshot(p.db)["handoffs"][0][7] == "asked"
        del api.members[(GROUP, STRANGER["id"])]  # added to the group since
        await p.tap(button(GROUP, p.take, p.text, by=STRANGER, message_id=p.message_id))
        await p.tap(button(GROUP, p.done, p.text, by=STRANGER, message_id=p.message_id))
        assert snapshot(p.db)["handoffs"][0][7] == "done"
        assert len(api.sent(method="getChatMember")) == 2
