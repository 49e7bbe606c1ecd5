"""`repere report` reads a PostgreSQL database as it reads a SQLite file."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from bot.cli import main
from bot.dialogue.replies import Event

pytest.importorskip("asyncpg")
from bot.storage.pg_records import PgRecords
from bot.storage.postgres import PostgresStore


async def test_repere_report_reads_postgresql(
    pg_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = await PostgresStore.open(pg_dsn)
    records = PgRecords(store.pool)
    for n in range(7):  # seven people start; six reach the need question (October)
        steps = [Event("started")] + ([Event("step", step="need")] if n else [])
        await records.add_events(
            f"p{n}", f"r{n}", "beneficiary", steps, date(2026, 10, 2), "23", None
        )
    await records.add_events(
        "late", "r9", "beneficiary", [Event("started")], date(2026, 11, 20), "23", None
    )
    await records.flush()
    await store.close()
    # the command runs its own event loop: in a thread, away from the test's
    code = await asyncio.to_thread(main, ["report", "--db", pg_dsn, "--until", "2026-10-31"])
    assert code == 0
    out = capsys.readouterr().out
    started = next(line for line in out.splitlines() if line.strip().startswith("Mon orient"))
    assert started.split()[-1] == "7"  # November's start is left out
    assert pg_dsn.split("@")[-1] not in out


def test_a_server_out_of_reach_is_one_line_without_the_address(
    capsys: pytest.CaptureFixture[str],
) -> None:
    dsn = "postgresql://repere:s3cret@127.0.0.1:9/repere"
    assert main(["report", "--db", dsn]) == 1
    err = capsys.readouterr().err
    assert "PostgreSQL cannot be used" in err and "s3cret" not in err
