"""Helpers shared by the sub-commands."""

from __future__ import annotations

import sys
from datetime import date
from typing import TYPE_CHECKING

from bot.yamlsrc import DataError

if TYPE_CHECKING:  # aiosqlite, asyncio: not for the commands that never open the database
    from bot.dbfile import DatabaseUnusable


def parse_today(text: str | None) -> date:
    return date.fromisoformat(text) if text else date.today()


def report_data_error(exc: DataError) -> int:
    for problem in exc.problems:
        print(problem, file=sys.stderr)
    print(f"{len(exc.problems)} error(s)", file=sys.stderr)
    return 1


def report_unusable_database(exc: DatabaseUnusable) -> int:
    """`repere run` and friends on a damaged or unreadable database: one line, exit 1."""
    print(exc, file=sys.stderr)
    return 1
