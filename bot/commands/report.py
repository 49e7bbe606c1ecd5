"""`repere report`: the evaluation figures from the bot's database, small counts hidden."""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
from datetime import date
from pathlib import Path

from bot.commands.common import report_data_error
from bot.config import Settings
from bot.dialogue.flow import load_flows
from bot.messages import Messages
from bot.report import COUNTS_SQL, EVENTS_SQL, Builder, Report, as_csv, as_text, combine
from bot.report_labels import Labels
from bot.storage.open import StorageUnreachable
from bot.yamlsrc import DataError

BEGINNING = "0001-01-01"


def labels_of(catalogue: Path) -> Labels:
    """French names of departments, themes, centres and offers (raises DataError)."""
    from bot.catalogue.centres import load_centres
    from bot.catalogue.load import load_catalogue
    from bot.paths import CATALOGUE_DIR
    from bot.resources import load_base

    gazetteer, lexicon = load_base(catalogue)
    centres_path = catalogue / "centres.yaml"
    centres = load_centres(
        centres_path if centres_path.exists() else CATALOGUE_DIR / "centres.yaml"
    )
    offers = {}
    for offer in load_catalogue(catalogue, gazetteer).offers():
        communes = [gazetteer.by_insee(p.insee) for p in offer.places]
        department = next((c.department for c in communes if c is not None), "")
        offers[offer.id] = (offer.title, department)
    return Labels(
        departments={code: name for code, (name, _inside) in gazetteer.departments.items()},
        themes={theme: lexicon.label(theme) for theme in lexicon.names},
        centres={code: c.name for code in centres if (c := centres.get(code)) is not None},
        offers=offers,
    )


def read_report(
    db: Path | str,
    flows_dir: Path,
    since: str | None,
    until: str,
    by: str | None,
    labels: Labels | None = None,
) -> Report:
    """`db`: a SQLite file, or a postgresql:// address. Raises FileNotFoundError for a missing
    file, sqlite3 errors for a foreign one, StorageUnreachable for a server out of reach."""
    first = since or BEGINNING
    _file, dsn = Settings.database(str(db))
    if dsn is not None:
        events, monthly = asyncio.run(_postgres_rows(dsn, first, until))
    else:
        db = Path(db)
        if not db.exists():
            raise FileNotFoundError(db)
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            events = conn.execute(EVENTS_SQL, (first, until)).fetchall()
            monthly = conn.execute(COUNTS_SQL, (first[:7], until[:7])).fetchall()
    counts = combine(events, monthly)
    flows = load_flows(flows_dir)
    m = Messages.load(flows_dir / "messages.yaml")
    shown_since = _french(date.fromisoformat(since), m) if since else None
    return Builder(counts, flows, m, labels).build(
        shown_since, _french(date.fromisoformat(until), m), by
    )


async def _postgres_rows(
    dsn: str, since: str, until: str
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The events of a PostgreSQL database, read in a read-only transaction."""
    import asyncpg

    from bot.storage.pg_records import report_rows

    try:
        conn = await asyncpg.connect(dsn)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise StorageUnreachable(
            f"PostgreSQL cannot be used ({type(exc).__name__}): check --db or REPERE_DB."
        ) from exc
    try:
        async with conn.transaction(readonly=True):
            return await report_rows(conn, since, until)
    finally:
        await conn.close()


def _french(day: date, m: Messages) -> str:
    return f"{day.day} {m.month(day.month)} {day.year}"


def period(args: argparse.Namespace, m: Messages) -> tuple[str | None, str] | str:
    """(since, until) as ISO dates, or the error to print."""
    days: list[date | None] = []
    for text in (args.since, args.until):
        try:
            days.append(date.fromisoformat(text) if text else None)
        except ValueError:
            return m.staff("report_date_bad", text=text)
    since, until = days[0], days[1] or date.today()
    if since and since > until:
        return m.staff("report_date_order", since=since.isoformat(), until=until.isoformat())
    return (since.isoformat() if since else None), until.isoformat()


def run(args: argparse.Namespace) -> int:
    file, dsn = Settings.database(args.db or os.environ.get("REPERE_DB"))
    db: Path | str = dsn or file
    m = Messages.load(args.flows / "messages.yaml")
    dates = period(args, m)
    if isinstance(dates, str):
        print(dates, file=sys.stderr)
        return 2
    if args.format == "png" and args.out is None:
        print(
            "a PNG report needs --out FILE.png (or a folder: one chart per table)", file=sys.stderr
        )
        return 2
    try:
        labels = labels_of(args.catalogue)
        report = read_report(db, args.flows, *dates, args.by, labels)
    except FileNotFoundError:
        print(f"{db}: no such database. Give the bot's with --db or REPERE_DB.", file=sys.stderr)
        return 1
    except sqlite3.Error as exc:
        print(f"{db}: not a Repère database with events ({exc}).", file=sys.stderr)
        return 1
    except StorageUnreachable as exc:  # its address is not repeated: it may hold a password
        print(exc, file=sys.stderr)
        return 1
    except DataError as exc:
        return report_data_error(exc)
    return write(report, args, m)


def write(report: Report, args: argparse.Namespace, m: Messages) -> int:
    out: Path | None = args.out
    per_table = out is not None and (out.is_dir() or not out.suffix)
    if args.format == "png":
        from bot.report_chart import ChartsUnavailable, draw, draw_tables

        try:
            written = draw_tables(report, out) if per_table else [draw(report, out)]  # type: ignore[arg-type]
        except ChartsUnavailable as exc:
            print(exc, file=sys.stderr)
            return 1
    elif args.format == "csv" and per_table:
        from bot.report_files import csv_tables

        written = csv_tables(report, out)  # type: ignore[arg-type]
    else:
        if args.format == "html":
            from bot.report_html import as_html

            text = as_html(report)
        else:
            text = as_csv(report) if args.format == "csv" else as_text(report)
        if out is None:
            sys.stdout.write(text)
            return 0
        out.write_text(text, encoding="utf-8")
        written = [out]
    for path in written:
        print(m.staff("report_written", path=path))
    return 0
