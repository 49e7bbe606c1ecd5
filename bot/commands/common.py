"""Helpers shared by the sub-commands."""

from __future__ import annotations

import sys
from datetime import date

from bot.yamlsrc import DataError


def parse_today(text: str | None) -> date:
    return date.fromisoformat(text) if text else date.today()


def report_data_error(exc: DataError) -> int:
    for problem in exc.problems:
        print(problem, file=sys.stderr)
    print(f"{len(exc.problems)} error(s)", file=sys.stderr)
    return 1
