"""Play a conversation through `repere chat --json`, in process (stdin is not a terminal)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from bot.channels.terminal import run_chat
from bot.cli import _parser


def chat(lines: list[str], *args: str, flows: Path | None = None) -> list[dict[str, Any]]:
    argv = ["chat", "--json", "--today", "2026-11-26", *args]
    if flows is not None:
        argv += ["--flows", str(flows)]
    parsed = _parser().parse_args(argv)
    out = io.StringIO()
    code = run_chat(parsed, io.StringIO("".join(f"{line}\n" for line in lines)), out)
    assert code == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def asks(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The replies that wait for an answer, in order."""
    return [r for r in replies if r["expects"] is not None]


def last_ask(replies: list[dict[str, Any]]) -> dict[str, Any]:
    return asks(replies)[-1]


def suggestions(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = [r["suggestions"] for r in replies if "suggestions" in r]
    assert found, "no results were shown"
    return found[-1]
