"""End to end through python-telegram-bot's real HTTP stack and a fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.channels.telegram_poll import Webhook
from bot.channels.telegram_poll import polling as receiving
from bot.resources import Resources
from tests.channels.telegram_helpers import (
    bot_app,
    button,
    callback_for,
    keyboard_of,
    location,
    message,
    texts,
)
from tests.fake_bot_api import FakeBotApi

CHAT = 7001


async def until(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the bot did not answer in time")
        await asyncio.sleep(0.02)


@asynccontextmanager
async def polling(
    api: FakeBotApi, resources: Resources, db: Path, rate_limit: bool = False
) -> AsyncIterator[Any]:
    async with (
        bot_app(api, resources, db, rate_limit=rate_limit) as (repere, _app),
        receiving(repere, timeout=1),
    ):
        yield repere
        await repere.idle(5.0)


async def say(api: FakeBotApi, update: dict[str, Any], chat_id: int = CHAT) -> None:
    """Send an update through getUpdates and wait for the bot's answer to it."""
    before = len(api.sent(chat_id))
    api.push(update)
    await until(lambda: len(api.sent(chat_id)) > before)
    await settle(api)


async def settle(api: FakeBotApi, quiet: float = 0.15) -> None:
    """Wait until the bot has sent nothing for `quiet` seconds: the turn is over."""
    count = len(api.calls)
    while True:
        await asyncio.sleep(quiet)
        if len(api.calls) == count:
            return
        count = len(api.calls)


async def tap(api: FakeBotApi, label: str, chat_id: int = CHAT) -> None:
    data, call = callback_for(api, chat_id, label)
    await say(api, button(chat_id, data, str(call.params.get("text")), keyboard_of(call)), chat_id)


async def test_whole_conversation_over_http(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    async with polling(api, resources, tmp_path / "r.db"):
        await say(api, message(CHAT, "/start"))
        await tap(api, "Français")
        await tap(api, "D'accord")
        await say(api, location(CHAT, 45.83, 1.26))
        await tap(api, "Lire, écrire")
        await tap(api, "Oui, en France")
        await tap(api, "26 à 49 ans")
        await tap(api, "Oui")
        await tap(api, "En bus")
        await until(lambda: any(c.params.get("parse_mode") == "HTML" for c in api.sent(CHAT)))
        await tap(api, "Continuer")
        await tap(api, "Voir le résumé")
    said = texts(api, CHAT)
    assert "📍 Limoges (Haute-Vienne)" in said
    assert any(t.startswith("📋 Résumé") and "Commune : Limoges" in t for t in said)
    assert len(api.sent(method="answerCallbackQuery")) == 9
    commands = api.sent(method="setMyCommands")
    assert commands and "recommencer" in json.dumps(commands[0].params, ensure_ascii=False)
    assert not api.sent(method="sendMessage!429")


async def test_a_stale_button_over_http(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    async with polling(api, resources, tmp_path / "r.db"):
        await say(api, message(CHAT, "/start"))
        old, _ = callback_for(api, CHAT, "Français")
        await tap(api, "Français")
        await say(api, button(CHAT, old))
    assert texts(api, CHAT)[-1].startswith("Ce bouton n'est plus valable.\n\n")
    answers = [c.params.get("text") for c in api.sent(method="answerCallbackQuery")]
    assert "Ce bouton n'est plus valable." in answers


async def test_retry_after_429_is_honoured(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    api.fail(
        "sendMessage",
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 1",
            "parameters": {"retry_after": 1},
        },
    )
    async with polling(api, resources, tmp_path / "r.db", rate_limit=True):
        started = time.monotonic()
        await say(api, message(CHAT, "/start"))
        waited = time.monotonic() - started
    assert [c.method for c in api.calls if c.method.startswith("sendMessage")][:2] == [
        "sendMessage!429",
        "sendMessage",
    ]
    assert waited >= 1.0  # the bot waited retry_after before sending again
    assert texts(api, CHAT)[0].startswith("Bonjour ! Je suis Repère.")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _post(port: int, body: bytes, secret: str, length: str | None = None) -> int:
    """POST to the webhook; the status it answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        head = (
            f"POST /hook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\n"
            f"Content-Length: {length if length is not None else len(body)}\r\n\r\n"
        )
        conn.sendall(head.encode() + body)
        answer = conn.recv(200).decode("latin-1")
    return int(answer.split()[1])


async def test_webhook_checks_the_secret_then_the_size_then_the_json(
    api: FakeBotApi, resources: Resources, tmp_path: Path
) -> None:
    port = _free_port()
    async with bot_app(api, resources, tmp_path / "r.db") as (repere, _app):
        hook = Webhook(repere, "hook", "s3cret-token", max_body=10_000)
        await hook.start("127.0.0.1", port)
        try:
            start = json.dumps({"update_id": 2, **message(CHAT, "/start")}).encode()
            assert await asyncio.to_thread(_post, port, start, "wrong") == 403
            huge = b"x" * 64  # the body is never read: the announced size is refused
            assert await asyncio.to_thread(_post, port, huge, "s3cret-token", "90000000") == 413
            assert await asyncio.to_thread(_post, port, b"{not json", "s3cret-token") == 400
            await asyncio.sleep(0.2)
            assert api.sent(CHAT) == []
            assert await asyncio.to_thread(_post, port, start, "s3cret-token") == 200
            await until(lambda: len(api.sent(CHAT)) == 1)
        finally:
            await hook.close()


def test_webhook_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--webhook", "https://example.org/hook"],
        env={**os.environ, "TELEGRAM_BOT_TOKEN": "123:SECRET", "REPERE_DB": str(tmp_path / "r")},
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert b"--secret-token" in done.stderr and b"123:SECRET" not in done.stderr


def _run_bot(api: FakeBotApi, db: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "123:TEST",
        "REPERE_BASE_URL": api.base_url,
        "REPERE_DB": str(db),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def test_killed_mid_conversation_resumes_on_the_same_database(
    api: FakeBotApi, tmp_path: Path
) -> None:
    db = tmp_path / "r.db"
    first = _run_bot(api, db)
    try:
        await say(api, message(CHAT, "/start"))
        await tap(api, "Français")
        await tap(api, "D'accord")
        await say(api, message(CHAT, "Guéret"))
        await tap(api, "Parler français")
    finally:
        first.send_signal(signal.SIGKILL)  # no goodbye, no flush
        first.wait(10)
    asked_age = texts(api, CHAT)[-1]
    assert asked_age == "🎂 Quel âge avez-vous ?"
    second = _run_bot(api, db)
    try:
        await tap(api, "26 à 49 ans")  # the button sent by the killed process still works
        await tap(api, "Oui")
        await tap(api, "En voiture")
        await until(lambda: any(c.params.get("parse_mode") == "HTML" for c in api.sent(CHAT)))
        await tap(api, "Continuer")
        await tap(api, "Voir le résumé")
    finally:
        second.terminate()
        _out, err = second.communicate(timeout=15)
    summary = next(t for t in texts(api, CHAT) if t.startswith("📋 Résumé"))
    for expected in (
        "Commune : Guéret",
        "Besoin : Parler français",
        "Âge : 26 à 49 ans",
        "France Travail : Oui",
        "Déplacement : En voiture",
    ):
        assert expected in summary
    assert b"123:TEST" not in err  # the token is never logged
