"""Repère on Telegram under load: simulated users over real HTTP, against a bare echo bot.

    python -m bench.bench_telegram [--users 1000] [--turns 10] [--quick]

Both bots run python-telegram-bot's real HTTP stack against the same fake Bot API server on
127.0.0.1 (in a process of its own), by long polling, with concurrent updates, the same
connection pool and no rate limiter (Telegram's own cap of about 30 messages a second would
otherwise set both figures). Each user sends its next message
as soon as the bot has asked its next question. Reported: updates per second, p99 latency from
an update's arrival to the question that answers it, lost and duplicated replies (both must be
0), the ratio to the echo bot (goal >= 0.8x), and one turn in process including the SQLite
write (goal p99 <= 2 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bench.bench_service import measure
from bench.stats import percentile
from bot.channels.telegram import Repere, make_bot
from bot.channels.telegram_poll import polling
from bot.config import Settings
from bot.dialogue.flow import load_flows
from bot.paths import FLOWS_DIR
from bot.records import Records
from bot.resources import Resources, load_resources, settle
from bot.store import SqliteStore
from tests.fake_bot_api import FakeBotApi

FIRST_CHAT = 10_000_000
# Both bots get the same connection pool; a burst waits for a connection instead of failing
POOL = 64
POOL_TIMEOUT = 60.0
# Ten turns, each answered by a question: (kind, payload)
FLOW_VERSION = load_flows(FLOWS_DIR)["beneficiary"].version
SCRIPT: list[tuple[str, str]] = [
    ("text", "/start"),
    ("button", "language:fr"),
    ("button", "consent:yes"),
    ("text", "Guéret"),
    ("button", "need:french"),
    ("button", "age:age_26_49"),
    ("button", "jobseeker:yes"),
    ("button", "mobility:car"),
    ("button", "results:continue"),
    ("text", "/retour"),
]


@dataclass
class Load:
    name: str
    turns: int
    seconds: float
    p50_ms: float
    p99_ms: float
    lost: int
    duplicated: int

    @property
    def per_second(self) -> float:
        return self.turns / self.seconds

    def line(self) -> str:
        return (
            f"{self.name}: {self.turns} updates in {self.seconds:.1f} s · "
            f"{self.per_second:.0f} updates/s · latency p50 {self.p50_ms:.1f} ms · "
            f"p99 {self.p99_ms:.1f} ms · lost {self.lost} · duplicated {self.duplicated}"
        )


def is_question(method: str, params: dict[str, Any]) -> bool:
    """A message that waits for the user: buttons to tap, or the location keyboard."""
    if method != "sendMessage":
        return False
    markup = params.get("reply_markup") or {}
    if "keyboard" in markup:
        return True
    rows = markup.get("inline_keyboard") or []
    return any("callback_data" in b for row in rows for b in row)


def update_for(chat_id: int, turn: int) -> dict[str, Any]:
    kind, payload = SCRIPT[turn]
    who = {"id": chat_id, "is_bot": False, "first_name": "U"}
    where = {"id": chat_id, "type": "private"}
    now = int(time.time())
    if kind == "text":
        message: dict[str, Any] = {
            "message_id": turn + 1,
            "date": now,
            "chat": where,
            "from": who,
            "text": payload,
        }
        if payload.startswith("/"):
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(payload.split()[0])}
            ]
        return {"message": message}
    step, choice = payload.split(":")
    return {
        "callback_query": {
            "id": f"{chat_id}-{turn}",
            "from": who,
            "chat_instance": "x",
            "data": f"beneficiary.{FLOW_VERSION}:{step}:{choice}",
            "message": {"message_id": turn, "date": now, "chat": where, "text": "?"},
        }
    }


class Driver:
    """Plays every user's script: the next update goes out when a question comes back."""

    def __init__(self, api: FakeBotApi, users: int, turns: int) -> None:
        self.api, self.users, self.turns = api, users, turns
        self.progress: dict[int, int] = {}
        self.sent_at: dict[int, float] = {}
        self.latencies: list[float] = []
        self.duplicated = 0
        self.seen: dict[int, set[str]] = {}  # what each user was sent since its last update
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.finished = 0

    def start(self) -> None:
        self.api.record = False
        self.api.on_call = self.on_call
        for n in range(self.users):
            chat_id = FIRST_CHAT + n
            self.progress[chat_id] = 0
            self.sent_at[chat_id] = time.perf_counter()
            self.api.push(update_for(chat_id, 0))

    def on_call(self, method: str, params: dict[str, Any]) -> None:
        if method != "sendMessage":
            return
        chat_id = int(params.get("chat_id") or 0)
        with self.lock:
            # every message is checked: the same one twice in a turn, or one after the end,
            # is a duplicate (a reply sent again)
            turn = self.progress.get(chat_id)
            said = json.dumps([params.get("text"), params.get("reply_markup")], sort_keys=True)
            seen = self.seen.setdefault(chat_id, set())
            if turn is None or turn >= self.turns or said in seen:
                self.duplicated += 1
                return
            seen.add(said)
            if not is_question(method, params):
                return
            seen.clear()
            self.latencies.append((time.perf_counter() - self.sent_at[chat_id]) * 1000)
            turn += 1
            self.progress[chat_id] = turn
            if turn == self.turns:
                self.finished += 1
                if self.finished == self.users:
                    self.done.set()
                return
            self.sent_at[chat_id] = time.perf_counter()
        self.api.push(update_for(chat_id, turn))

    def lost(self) -> int:
        return sum(self.turns - t for t in self.progress.values())


def serve(users: int, turns: int, timeout: float) -> None:
    """The fake Bot API and the simulated users, in a process of their own.

    Prints the server's base URL, then, when every user is done (or the time is up), one JSON
    line of figures. Run apart so that the bot under test has a core to itself.
    """
    api = FakeBotApi()
    with api.running():
        driver = Driver(api, users, turns)
        print(api.base_url, flush=True)
        sys.stdin.readline()  # the bot is polling: go
        started = time.perf_counter()
        driver.start()
        driver.done.wait(timeout)
        seconds = time.perf_counter() - started
        time.sleep(0.3)  # late duplicates would show up here
        ordered = sorted(driver.latencies) or [0.0]
        print(
            json.dumps(
                {
                    "turns": len(driver.latencies),
                    "seconds": seconds,
                    "p50": statistics.median(ordered),
                    "p99": percentile(ordered, 0.99),
                    "lost": driver.lost(),
                    "duplicated": driver.duplicated,
                }
            ),
            flush=True,
        )
        sys.stdin.readline()  # the bot has stopped polling: the server may go


Runner = Callable[[str], AbstractAsyncContextManager[object]]


async def drive(run_bot: Runner, name: str, users: int, turns: int, timeout: float) -> Load:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.bench_telegram",
            "--serve",
            str(users),
            str(turns),
            str(timeout),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    base_url = server.stdout.readline().strip()
    async with run_bot(base_url):
        server.stdin.write("go\n")
        server.stdin.flush()
        line = await asyncio.to_thread(server.stdout.readline)
    server.stdin.write("bye\n")
    server.stdin.flush()
    server.wait(30)
    f = json.loads(line)
    return Load(name, f["turns"], f["seconds"], f["p50"], f["p99"], f["lost"], f["duplicated"])


@asynccontextmanager
async def echo_bot(base_url: str) -> AsyncIterator[object]:
    app = echo_app(base_url)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        yield app
        await app.updater.stop()
        await app.stop()


def repere_bot(resources: Resources, db: Path) -> Runner:
    @asynccontextmanager
    async def running(base_url: str) -> AsyncIterator[object]:
        settings = Settings(
            token="123:BENCH", base_url=base_url, db=db, pseudonym_key="bench-pseudonym-key-0123"
        )
        store = await SqliteStore.open(db)
        bot = make_bot(settings, rate_limit=False, pool_size=POOL, pool_timeout=POOL_TIMEOUT)
        await bot.initialize()
        repere = Repere(resources, store, settings, bot, records=Records(store.db))
        await repere.start(tick_every=None)
        try:
            async with polling(repere, timeout=1):
                yield repere
        finally:
            await repere.stop()
            await bot.shutdown()

    return running


def echo_app(base_url: str) -> Application[Any, Any, Any, Any, Any, Any]:
    """The baseline: a bare bot that answers every update with one question."""
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])

    async def echo(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        if update.callback_query is not None:
            await update.callback_query.answer()
        if update.effective_chat is not None:
            text = update.effective_message.text if update.effective_message else ""
            await ctx.bot.send_message(update.effective_chat.id, text or "?", reply_markup=keyboard)

    app = ApplicationBuilder().token("1:ECHO").base_url(base_url).concurrent_updates(True).build()
    app.add_handler(MessageHandler(filters.ALL, echo))
    app.add_handler(CallbackQueryHandler(echo))
    return app


async def run(
    users: int, turns: int, timeout: float = 600.0, service_turns: int = 3000
) -> tuple[Load, Load, float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        resources = load_resources()
        settle()
        echo = await drive(echo_bot, "echo baseline", users, turns, timeout)
        ours = await drive(
            repere_bot(resources, Path(tmp) / "bench.db"), "repere", users, turns, timeout
        )
    figures = measure(service_turns, 3)  # fresh processes: the median of 3
    return (
        ours,
        echo,
        statistics.median(f[0] for f in figures),
        statistics.median(f[1] for f in figures),
    )


def report(ours: Load, echo: Load, p50: float, p99: float) -> str:
    return "\n".join(
        [
            ours.line(),
            echo.line(),
            f"throughput ratio repere/echo {ours.per_second / echo.per_second:.2f}x (goal >= 0.8x)",
            f"one turn in process with the durable writes: p50 {p50:.3f} ms · p99 {p99:.3f} ms, "
            "median of 3 runs "
            "(goal p99 <= 2 ms; `python -m bench.bench_service` for several runs)",
        ]
    )


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
        return
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--users", type=int, default=1000)
    p.add_argument("--turns", type=int, default=len(SCRIPT))
    p.add_argument("--quick", action="store_true", help="20 users")
    args = p.parse_args()
    users = 20 if args.quick else args.users
    print(report(*asyncio.run(run(users, min(args.turns, len(SCRIPT))))))


if __name__ == "__main__":
    main()
