"""A cluster of `repere run --webhook` processes behind a round-robin proxy, driven like
Telegram drives a bot (each update POSTed until a 200): for the end-to-end test and
`python -m bench.bench_cluster`."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.channels.telegram_helpers import button, message
from tests.channels.test_crash_points import SCRIPT, Lane, Person
from tests.fake_bot_api import FakeBotApi

AT_ONCE = 40  # conversations under way at the same time
SECRET = "cluster-secret-0123456789"
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RoundRobin:
    """A tiny TCP proxy: each connection to the next backend that accepts one."""

    def __init__(self, backends: list[int]) -> None:
        self.backends = backends
        self.turn = itertools.cycle(range(len(backends)))
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in self.backends:
            port = self.backends[next(self.turn)]
            try:
                up_r, up_w = await asyncio.open_connection("127.0.0.1", port)
                break
            except OSError:
                continue
        else:
            writer.close()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while chunk := await src.read(65536):
                    dst.write(chunk)
                    await dst.drain()
            except OSError:
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_w), pipe(up_r, writer))

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()


@dataclass
class Telegram(Lane):
    """The crash test's people, their updates sent by webhook rather than getUpdates."""

    outgoing: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    started: int = 0

    limit: int = 300  # people in all

    def start_person(self) -> None:
        if self.started < self.limit:
            self.started += 1
            super().start_person()

    def answer(self, person: Person) -> None:
        text, _ = SCRIPT[person.answered]
        if ":" in text:
            step, choice = text.split(":")
            update = button(person.chat, f"beneficiary.{self.flow_version}:{step}:{choice}")
        else:
            update = message(person.chat, text)
        self.outgoing.put_nowait({"update_id": next(self.ids), **update})
        person.answered += 1


async def post(port: int, update: dict[str, Any]) -> int:
    body = json.dumps(update).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            (
                f"POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
            + body
        )
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 10)
        parts = line.split()
        return int(parts[1]) if len(parts) > 1 else 0
    finally:
        writer.close()


async def sender(telegram: Telegram, port: int) -> None:
    """Telegram's side: every update until a 200, whatever instance answers."""
    while True:
        update = await telegram.outgoing.get()
        while True:
            try:
                if await post(port, update) == 200:
                    break
            except (OSError, TimeoutError, ValueError):
                pass
            await asyncio.sleep(0.05)


async def start_instance(api: FakeBotApi, dsn: str, port: int, proxy: int) -> Any:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": "123:TEST",
        "REPERE_BASE_URL": api.base_url,
        "REPERE_DB": dsn,
        "REPERE_PSEUDONYM_KEY": "cluster-test-pseudonym-key-0123456789",
        "REPERE_TICK_SECONDS": "1",
        "REPERE_PG_LEASE": "3",
    }
    return await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "bot", "run", "--webhook", f"http://127.0.0.1:{proxy}/hook"],
        *["--listen", "127.0.0.1", "--port", str(port), "--secret-token", SECRET],
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def until_listening(port: int, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.1)


@dataclass
class Run:
    telegram: Telegram
    seconds: float  # from the first update to the last conversation finished
    killed: bool

    @property
    def updates(self) -> int:
        return len(SCRIPT) * len(self.telegram.finished)


async def drive(
    api: FakeBotApi,
    db: str,
    instances: int,
    people: int,
    kill_midway: bool = False,
    at_once: int = AT_ONCE,
    timeout: float = 120.0,
) -> Run:
    """Start the instances on `db` (a DSN or a SQLite file), let `people` conversations run
    to their end (SIGKILL one instance midway if asked), stop them."""
    from bot.dialogue.flow import load_flows
    from bot.paths import FLOWS_DIR

    version = load_flows(FLOWS_DIR)["beneficiary"].version
    ports = [free_port() for _ in range(instances)]
    proxy = RoundRobin(ports)
    await proxy.start()
    bots: list[Any] = []
    senders: list[asyncio.Task[None]] = []
    telegram = Telegram(api, Path("unused"), None, version, limit=people)  # type: ignore[arg-type]
    telegram.next_chat = 5000
    killed = False
    try:
        for port in ports:
            bots.append(await start_instance(api, db, port, proxy.port))
            await until_listening(port)  # one after the other: migrations under a lock
        senders = [asyncio.create_task(sender(telegram, proxy.port)) for _ in range(at_once)]
        begin = time.monotonic()
        for _ in range(at_once):
            telegram.start_person()
        deadline = begin + timeout
        while telegram.people or telegram.started < people:
            if time.monotonic() > deadline:
                waiting = sorted(telegram.people)[:5]
                raise TimeoutError(f"{len(telegram.finished)} finished, waiting: {waiting}")
            telegram.look()
            if kill_midway and not killed and len(telegram.finished) >= people // 2:
                bots[1].send_signal(signal.SIGKILL)  # no goodbye: its rows are adopted
                killed = True
            await asyncio.sleep(0.01)
        seconds = time.monotonic() - begin
    finally:
        for task in senders:
            task.cancel()
        for bot in bots:
            if bot.returncode is None:
                bot.send_signal(signal.SIGTERM)
        for bot in bots:
            await bot.wait()
        await proxy.close()
    return Run(telegram, seconds, killed)
