"""`repere run` killed with SIGKILL at random instants of its turns, restarted on the same
database: no reply lost, no answer applied twice, no update lost.

Several lanes run side by side, each its own fake Bot API, database and bot process; in each,
simulated people answer each question as soon as it arrives (a new person starts when one
finishes), and the bot is killed at a random delay, then restarted. One lane in three has a
slow Bot API (every sendMessage takes 300 ms), so kills land while replies are on the wire.
The RNG is seeded: a failure replays.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.channels.telegram_helpers import button, message
from tests.fake_bot_api import FakeBotApi

LANES = 5
TRIALS_PER_LANE = 10  # 50 kills in all
USERS = 4  # at once, per lane
SLOW_SEND = 0.3
SEED = 12
# (answer, the step of the question it must bring); "keyboard": the location keyboard
SCRIPT: list[tuple[str, str]] = [
    ("/start", "language"),
    ("language:fr", "consent"),
    ("consent:yes", "keyboard"),
    ("Guéret", "need"),
    ("need:french", "age"),
    ("age:age_26_49", "jobseeker"),
    ("jobseeker:yes", "mobility"),
    ("mobility:car", "results"),
]


def step_of(params: dict[str, Any]) -> str | None:
    """The step a sent message asks (from its buttons), or None when it asks nothing."""
    markup = params.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    if "keyboard" in markup:
        return "keyboard"
    for row in markup.get("inline_keyboard") or []:
        for b in row:
            if "callback_data" in b:
                return str(b["callback_data"]).split(":")[1]
    return None


@dataclass
class Person:
    chat: int
    answered: int = 0  # answers sent; the next question expected is SCRIPT[answered - 1][1]
    duplicates: int = 0


@dataclass
class Lane:
    api: FakeBotApi
    db: Path
    rng: random.Random
    flow_version: int
    people: dict[int, Person] = field(default_factory=dict)
    finished: list[Person] = field(default_factory=list)
    next_chat: int = 0
    seen: int = 0  # calls of the fake API already looked at
    errors: list[str] = field(default_factory=list)
    accepting: bool = True  # new people start
    bots: list[asyncio.subprocess.Process] = field(default_factory=list)  # all started

    def start_person(self) -> None:
        chat = self.next_chat
        self.next_chat += 1
        person = self.people[chat] = Person(chat)
        self.answer(person)

    def answer(self, person: Person) -> None:
        text, _ = SCRIPT[person.answered]
        if ":" in text:
            step, choice = text.split(":")
            data = f"beneficiary.{self.flow_version}:{step}:{choice}"
            self.api.push(button(person.chat, data))
        else:
            self.api.push(message(person.chat, text))
        person.answered += 1

    def look(self) -> None:
        """Each new message: the question expected moves the person on; one asked before,
        again, is a duplicate (allowed after a crash); a question not yet due (an answer
        applied twice, or skipped) is a fault."""
        calls = self.api.calls[self.seen :]
        self.seen += len(calls)
        for call in calls:
            if call.method != "sendMessage":
                continue
            person = self.people.get(int(call.params.get("chat_id") or 0))
            text = str(call.params.get("text") or "")
            if "plus valable" in text:
                self.errors.append(f"an answer applied twice (stale) for {call.params}")
            step = step_of(call.params)
            if person is None or step is None:
                continue
            expected = SCRIPT[person.answered - 1][1]
            # delivered rows are marked in batches: a crash may send again the last few
            earlier = {s for _, s in SCRIPT[: person.answered - 1]}
            if step == expected:
                if person.answered == len(SCRIPT):
                    del self.people[person.chat]
                    self.finished.append(person)
                    if self.accepting:
                        self.start_person()
                else:
                    self.answer(person)
            elif step in earlier:
                person.duplicates += 1
            else:
                self.errors.append(f"chat {person.chat}: asked {step}, expected {expected}")


async def start_bot(lane: Lane) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "123:TEST",
        "REPERE_BASE_URL": lane.api.base_url,
        "REPERE_DB": str(lane.db),
        "REPERE_PSEUDONYM_KEY": "crash-test-pseudonym-key-0123456789",
    }
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    lane.bots.append(bot)
    return bot


async def until_up(lane: Lane, polls_before: int, timeout: float = 90.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while lane.api.polls <= polls_before:
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the bot did not start polling")
        lane.look()
        await asyncio.sleep(0.01)


async def run_lane(lane: Lane, trials: int) -> None:
    for _ in range(USERS):
        lane.start_person()
    for _ in range(trials):
        bot = await start_bot(lane)
        await until_up(lane, lane.api.polls)
        deadline = asyncio.get_running_loop().time() + lane.rng.uniform(0.02, 0.8)
        while asyncio.get_running_loop().time() < deadline:
            lane.look()
            await asyncio.sleep(0.005)
        bot.send_signal(signal.SIGKILL)  # at any instant of a turn: no goodbye, no flush
        await bot.wait()
        lane.look()
    # the last restart: everyone in the middle of the script finishes it
    lane.accepting = False
    bot = await start_bot(lane)
    try:
        end = asyncio.get_running_loop().time() + 40
        while lane.people and asyncio.get_running_loop().time() < end:
            lane.look()
            await asyncio.sleep(0.01)
    finally:
        bot.send_signal(signal.SIGTERM)
        await bot.wait()
    lane.look()


def final_states(db: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT state FROM conversations").fetchall()
    states = [json.loads(r[0]) for r in rows]
    for state in states:
        state.pop("run", None)  # each conversation's own id for its counts
    return states


async def test_kill_minus_nine_at_any_instant_loses_nothing_and_applies_nothing_twice(
    tmp_path: Path,
) -> None:
    from bot.dialogue.flow import load_flows
    from bot.paths import FLOWS_DIR

    version = load_flows(FLOWS_DIR)["beneficiary"].version
    rng = random.Random(SEED)
    apis = [FakeBotApi() for _ in range(LANES)]
    lanes = [
        Lane(api, tmp_path / f"lane{n}.db", random.Random(rng.random()), version)
        for n, api in enumerate(apis)
    ]
    for n, lane in enumerate(lanes):
        lane.next_chat = 1000 * (n + 1)
        if n % 3 == 2:
            lane.api.delays["sendMessage"] = SLOW_SEND
    servers = [api.running() for api in apis]
    for server in servers:
        server.__enter__()
    try:
        await asyncio.wait_for(
            asyncio.gather(*(run_lane(lane, TRIALS_PER_LANE) for lane in lanes)), 400
        )
    finally:
        for bot in (bot for lane in lanes for bot in lane.bots if bot.returncode is None):
            bot.kill()  # a failed or timed-out run leaves no bot behind
            await bot.wait()
        for server in servers:
            server.__exit__(None, None, None)
    for lane in lanes:
        assert lane.errors == [], lane.errors[:3]
        assert lane.people == {}, f"left waiting for a question: {sorted(lane.people)}"
        assert len(lane.finished) >= USERS
        # every finished conversation holds the same answers and the same number of turns:
        # an answer applied twice would show as one more turn, or another answer
        states = final_states(lane.db)
        assert len(states) == len(lane.finished)
        assert all(s == states[0] for s in states), "some conversation differs"
    assert sum(len(lane.finished) for lane in lanes) >= LANES * USERS
