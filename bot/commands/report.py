"""`repere report`: the evaluation figures from the bot's database, small counts hidden."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from datetime import date
from pathlib import Path

from bot.commands.common import report_data_error
from bot.dialogue.flow import load_flows
from bot.messages import Messages
from bot.report import COUNTS_SQL, EVENTS_SQL, Builder, Report, as_csv, as_text, combine
from bot.yamlsrc import DataError


def read_report(db: Path, flows_dir: Path, since: str, until: str, by: str | None) -> Report:
    """Raises FileNotFoundError for a missing database, sqlite3 errors for a foreign one."""
    if not db.exists():
        raise FileNotFoundError(db)
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        events = conn.execute(EVENTS_SQL, (since, until)).fetchall()
        monthly = conn.execute(COUNTS_SQL, (since[:7], until[:7])).fetchall()
    counts = combine(events, monthly)
    flows = load_flows(flows_dir)
    messages = Messages.load(flows_dir / "messages.yaml")
    return Builder(counts, flows, messages).build(since, until, by)


def run(args: argparse.Namespace) -> int:
    db = Path(args.db or os.environ.get("REPERE_DB") or "repere.db")
    try:
        since = date.fromisoformat(args.since).isoformat() if args.since else "0001-01-01"
        until = (
            date.fromisoformat(args.until).isoformat() if args.until else date.today().isoformat()
        )
    except ValueError as exc:
        print(f"bad date: {exc}. Write dates as YYYY-MM-DD.", file=sys.stderr)
        return 2
    if args.format == "png" and args.out is None:
        print("a PNG report needs --out FILE.png", file=sys.stderr)
        return 2
    try:
        report = read_report(db, args.flows, since, until, args.by)
    except FileNotFoundError:
        print(f"{db}: no such database. Give the bot's with --db or REPERE_DB.", file=sys.stderr)
        return 1
    except sqlite3.Error as exc:
        print(f"{db}: not a Repère database with events ({exc}).", file=sys.stderr)
        return 1
    except DataError as exc:
        return report_data_error(exc)
    if args.format == "png":
        from bot.report_chart import ChartsUnavailable, draw

        try:
            draw(report, args.out)
        except ChartsUnavailable as exc:
            print(exc, file=sys.stderr)
            return 1
        print(f"{args.out}: written")
        return 0
    text = as_csv(report) if args.format == "csv" else as_text(report)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"{args.out}: written")
    else:
        sys.stdout.write(text)
    return 0
