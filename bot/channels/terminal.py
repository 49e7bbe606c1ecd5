"""The terminal chat: numbered choices for a person, one message per line for a program.

When stdin is a terminal the chat is interactive. Otherwise it reads one user message per line:
a choice number, a choice label, free text, a place ("Guéret", "23000", "geo:46.17,1.87") or a
command (/retour, /recommencer, /aide, /langue). With --json every bot reply is one JSON line,
flushed at once. End of input ends the chat cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any, TextIO

from bot.commands.common import parse_today, report_data_error
from bot.dialogue.engine import Engine
from bot.dialogue.replies import Ask, Card, Handoff, Option, PlanFollowUp, Reply, Results, Turn
from bot.dialogue.state import Input
from bot.resources import Resources, load_resources, settle
from bot.service.conversations import Conversations, Incoming, Outcome
from bot.service.delivery import Outbox
from bot.service.keys import TERMINAL, chat_key
from bot.store import SqliteStore
from bot.yamlsrc import DataError

_GEO = re.compile(r"^\s*geo:\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*(\d{1,2})\s*$")


def reply_json(reply: Reply, expects: str | None) -> dict[str, Any]:
    if isinstance(reply, Ask):
        return {
            "step": reply.step,
            "text": reply.text,
            "choices": [o.text for o in reply.options],
            "expects": expects,
        }
    if isinstance(reply, Results):
        return {
            "step": reply.step,
            "text": "\n\n".join([reply.text, *map(card_text, reply.cards)]),
            "choices": [],
            "expects": None,
            "suggestions": [
                {
                    "id": c.offer_id,
                    "title": c.title,
                    "themes": list(c.themes),
                    "distance_km": c.distance_km,
                }
                for c in reply.cards
            ],
        }
    if isinstance(reply, Handoff):
        handoff = {
            "group_chat_id": reply.group_chat_id,
            "department": reply.department,
            "lines": [list(line) for line in reply.lines],
        }
        return _said("", handoff=handoff)
    if isinstance(reply, PlanFollowUp):
        return _said("", followup_in_days=reply.after_days)
    return _said(reply.text)


def _said(text: str, **extra: Any) -> dict[str, Any]:
    """A line that asks nothing: what the bot says, or what it does (handoff, follow-up)."""
    return {"step": None, "text": text, "choices": [], "expects": None, **extra}


def card_text(card: Card) -> str:
    lines = [f"▶ {card.title}"]
    lines += [f"  {card.summary}"] if card.summary else []
    lines.append(f"  {card.reason}")
    lines += [f"  {label} : {value}" for label, value in card.lines]
    lines += [f"  {card.for_volunteer}"] if card.for_volunteer else []
    return "\n".join(lines)


def render_text(reply: Reply) -> str:
    if isinstance(reply, Ask):
        numbered = [f"  {n}. {o.text}" for n, o in enumerate(reply.options, start=1)]
        return "\n".join([reply.text, *numbered])
    if isinstance(reply, Results):
        return "\n\n".join([reply.text, *map(card_text, reply.cards)])
    if isinstance(reply, Handoff | PlanFollowUp):
        return ""  # what only Telegram does (post to the volunteers' group, write again later)
    return reply.text


class TerminalChat:
    """The terminal as a channel of the conversation service: one person ("term:1")."""

    def __init__(self, engine: Engine, today: date, out: TextIO, as_json: bool) -> None:
        self.engine = engine
        self.today = today
        self.out = out
        self.as_json = as_json
        self.options: tuple[Option, ...] = ()
        self.step = ""

    def render(self, outcome: Outcome) -> list[dict[str, Any]]:
        """The lines a turn prints (the service stores them in its outbox first)."""
        if outcome.state is None:
            return []
        turn = Turn(outcome.state, [*outcome.said, *outcome.replies])
        self.step = turn.state.step
        lines: list[dict[str, Any]] = []
        for n, reply in enumerate(turn.replies):
            last = n == len(turn.replies) - 1
            if isinstance(reply, Ask):
                self.options = reply.options
            if self.as_json:
                line = json.dumps(
                    reply_json(reply, turn.expects if last else None), ensure_ascii=False
                )
            else:
                line = render_text(reply) + "\n"
                if line == "\n":
                    continue
            lines.append({"line": line})
        if not turn.replies or turn.state.done:
            self.options = ()
        return lines

    async def deliver(self, key: str, action: dict[str, Any]) -> None:
        print(action["line"], file=self.out, flush=True)

    def to_input(self, line: str, step: str) -> Input:
        if m := _GEO.match(line):
            return Input(location=(float(m.group(1)), float(m.group(2))))
        if (m := _NUMBER.match(line)) and self.options:
            n = int(m.group(1))
            if 1 <= n <= len(self.options):
                return Input(choice=self.options[n - 1].id, step=step)
        return Input(text=line)


def run(args: argparse.Namespace) -> int:
    return run_chat(args, sys.stdin, sys.stdout)


def run_chat(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    try:
        res = load_resources(args.catalogue, args.flows)
    except DataError as exc:
        return report_data_error(exc)
    if args.flow not in res.flows:
        print(f"unknown flow '{args.flow}' (known: {', '.join(res.flows)})", file=sys.stderr)
        return 2
    if args.lang is not None and args.lang not in res.messages.languages:
        known = ", ".join(res.messages.languages)
        print(f"unknown language '{args.lang}' (known: {known})", file=sys.stderr)
        return 2
    settle()
    engine = Engine(res.flows, res)
    chat = TerminalChat(engine, parse_today(args.today), stdout, args.json)
    with tempfile.TemporaryDirectory(prefix="repere-chat-") as tmp:
        return asyncio.run(_converse(res, chat, args, stdin, Path(tmp) / "chat.db"))


async def _converse(
    res: Resources, chat: TerminalChat, args: argparse.Namespace, stdin: TextIO, db: Path
) -> int:
    """The same service as Telegram, on a throw-away store: nothing outlives the chat."""
    store = await SqliteStore.open(db)
    outbox = Outbox(store, chat.deliver)
    noon = datetime.combine(chat.today, time(12), UTC)
    service = Conversations(
        res, store, {TERMINAL: chat.render}, outbox, clock=lambda: noon, keep_finished=True
    )
    key = chat_key(TERMINAL, 1)
    try:
        await service.handle(Incoming(key, start=(args.flow, {}), lang=args.lang))
        await outbox.drain()
        interactive = stdin.isatty() and not args.json
        while True:
            if interactive:
                print("> ", end="", file=chat.out, flush=True)
            line = stdin.readline()
            if not line:
                return 0
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            await service.handle(Incoming(key, inp=chat.to_input(line, chat.step)))
            await outbox.drain()
    finally:
        await outbox.close()
        await store.close()
