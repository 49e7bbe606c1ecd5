"""What an attacker or a broken client sends: forged confirmations, someone else's contact
card, updates that cannot be read, a rejected token."""

from __future__ import annotations

import dataclasses
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.catalogue.centres import Centres, CentresFile
from bot.channels.telegram_poll import receive
from bot.resources import Resources
from tests.channels.telegram_helpers import (
    Feeder,
    bot_app,
    button,
    callback_for,
    feed,
    keyboard_of,
    message,
    texts,
)
from tests.channels.test_telegram_privacy import (
    CHAT,
    GROUP_23,
    say,
    tap,
    to_phone,
    to_results,
)
from tests.fake_bot_api import FakeBotApi


@pytest.fixture(scope="module")
def with_groups(resources: Resources) -> Resources:
    """The bundled centres, with a volunteers' group for Creuse."""
    data = CentresFile.model_validate({"groups": {"23": GROUP_23}, "centres": {}})
    return dataclasses.replace(resources, centres=Centres(data))


async def forget_nonce(app: Feeder, api: FakeBotApi) -> str:
    await say(app, api, "/oubli")
    data, _ = callback_for(api, CHAT, "Oui, tout effacer")
    return data.rsplit(":", 1)[1]


@pytest.mark.parametrize(
    "forged",
    [
        "oubli:yes",  # the old form, no nonce
        "oubli:yes:",  # empty
        "oubli:yes:AAAAAAAAAAA",  # a guess
        "OLD",  # the confirmation shown before the last one
        "oubli:yes:{nonce}x",  # the right one, altered
    ],
)
async def test_a_forged_oubli_erases_nothing(
    api: FakeBotApi, resources: Resources, tmp_path: Path, forged: str
) -> None:
    async with bot_app(api, resources, tmp_path / "r.db") as (repere, app):
        await say(app, api, "/start")
        old = await forget_nonce(app, api)
        nonce = await forget_nonce(app, api)
        data = f"oubli:yes:{old}" if forged == "OLD" else forged.format(nonce=nonce)
        await feed(app, api, button(CHAT, data))
        assert (await repere.store.get(f"tg:{CHAT}")).state is not None
        assert "C'est effacé" not in texts(api, CHAT)[-1]
        await feed(app, api, button(CHAT, f"oubli:yes:{nonce}"))  # the real one still works
        assert (await repere.store.get(f"tg:{CHAT}")).state is None


async def test_a_forged_oubli_before_any_question_erases_nothing(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    async with bot_app(api, resources, tmp_path / "r.db") as (repere, app):
        await say(app, api, "/start")
        await feed(app, api, button(CHAT, "oubli:yes:whatever"))
        assert (await repere.store.get(f"tg:{CHAT}")).state is not None


def contact(chat_id: int, phone: str, user_id: int | None) -> dict[str, Any]:
    card: dict[str, Any] = {"phone_number": phone, "first_name": "X"}
    if user_id is not None:
        card["user_id"] = user_id
    return message(chat_id, contact=card)


@pytest.mark.parametrize("owner", [CHAT + 1, None])
async def test_someone_elses_contact_card_is_not_taken_as_the_phone(
    api: FakeBotApi, with_groups: Resources, tmp_path: Path, owner: int | None
) -> None:
    async with bot_app(api, with_groups, tmp_path / "r.db") as (repere, app):
        await to_results(app, api)
        await to_phone(app, api)
        step = (await repere.store.get(f"tg:{CHAT}")).state.step  # type: ignore[union-attr]
        await feed(app, api, contact(CHAT, "+33 6 98 76 54 32", owner))
        assert texts(api, CHAT)[-1].startswith("Cette fiche est le numéro d'une autre personne.")
        state = (await repere.store.get(f"tg:{CHAT}")).state
        assert state is not None and state.step == step and "98 76" not in state.to_json()
        await feed(app, api, contact(CHAT, "+33 6 12 34 56 78", CHAT))  # their own: accepted
        assert (await repere.store.get(f"tg:{CHAT}")).state.step != step  # type: ignore[union-attr]


async def test_an_unreadable_update_is_skipped_counted_and_logged_without_content(
    api: FakeBotApi, resources: Resources, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    poison = {"update_id": 500, "message": {"chat": "Jean Dupont", "text": "06 11 22 33 44"}}
    good = {"update_id": 501, **message(CHAT, "/start")}
    async with bot_app(api, resources, tmp_path / "r.db") as (repere, _app):
        with caplog.at_level(logging.WARNING):
            assert await receive(repere, [poison, good]) == 501
            await repere.idle(5)
        assert repere.skipped == 1
        assert texts(api, CHAT)[0].startswith("Bonjour")  # the next one is served
        assert await repere.store.inbox_cursor("tg") == 501  # never fetched again
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "update 500 skipped" in logged
    assert "Dupont" not in logged and "06 11" not in logged


async def test_a_stale_button_tap_retires_its_buttons(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    async with bot_app(api, resources, tmp_path / "r.db") as (_repere, app):
        await say(app, api, "/start")
        old, call = callback_for(api, CHAT, "Français")
        await tap(app, api, "Français")
        await feed(app, api, button(CHAT, old, "Question ?", keyboard_of(call)))
    assert api.sent(method="editMessageText")  # the old keyboard is taken off


def test_a_rejected_token_is_one_line_without_the_token(api: FakeBotApi, tmp_path: Path) -> None:
    api.fail("getMe", 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        env={
            **os.environ,
            "TELEGRAM_BOT_TOKEN": "999:VERY-SECRET",
            "REPERE_BASE_URL": api.base_url,
            "REPERE_DB": str(tmp_path / "r.db"),
            "REPERE_PSEUDONYM_KEY": "k" * 32,
        },
        capture_output=True,
        timeout=60,
    )
    assert done.returncode != 0
    out = done.stdout + done.stderr
    assert b"VERY-SECRET" not in out and b"Traceback" not in out
    assert b"Telegram refused the token" in out
