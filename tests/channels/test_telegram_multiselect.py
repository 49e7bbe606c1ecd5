"""A multiple-choice question on Telegram: each tap edits the question in place (its ticks),
instead of sending the whole question again; "Valider" moves on with a new message."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.dialogue.flow import load_flow
from bot.resources import Resources
from tests.channels.telegram_helpers import bot_app, button, callback_for, feed, keyboard_of
from tests.channels.telegram_helpers import message as text_message
from tests.fake_bot_api import FakeBotApi

CHAT = 7771
FLOW = """
id: beneficiary
version: 1
audience: beneficiary
languages: [fr]
title: {fr: "Test"}
start: papers
steps:
  - id: papers
    kind: choices
    text: {fr: "Q-papers"}
    choices:
      - {id: one, label: {fr: "L-one"}}
      - {id: two, label: {fr: "L-two"}}
      - {id: three, label: {fr: "L-three"}}
    next: bye
  - id: bye
    kind: info
    text: {fr: "T-bye"}
"""


@pytest.fixture
def small(resources: Resources, tmp_path: Path) -> Resources:
    path = tmp_path / "beneficiary.yaml"
    path.write_text(FLOW, encoding="utf-8")
    flow, _ = load_flow(path)
    return dataclasses.replace(resources, flows={flow.id: flow})


async def test_ticks_edit_the_question_in_place(
    api: FakeBotApi, small: Resources, tmp_path: Path
) -> None:
    async with bot_app(api, small, tmp_path / "r.db") as (_repere, app):
        await feed(app, api, text_message(CHAT, "/start"))
        (question,) = api.sent(CHAT)
        shown_as = 900001  # the id Telegram gave the question's message
        for label in ("L-one", "L-three", "L-one"):
            data, call = callback_for(api, CHAT, label)
            keyboard = keyboard_of(call)
            await feed(app, api, button(CHAT, data, "Q-papers", keyboard, message_id=shown_as))
        assert api.sent(CHAT) == [question]  # no new message for a tick
        edits = api.sent(CHAT, "editMessageText")
        assert [int(e.params["message_id"]) for e in edits] == [shown_as] * 3
        last = [b["text"] for row in keyboard_of(edits[-1]) for b in row]
        assert any(t.startswith("✅") and "L-three" in t for t in last)
        assert not any(t.startswith("✅") and "L-one" in t for t in last)
        data, call = callback_for(api, CHAT, "Valider")
        await feed(app, api, button(CHAT, data, "Q-papers", keyboard_of(call), message_id=shown_as))
        assert "T-bye" in str(api.sent(CHAT)[-1].params["text"])
