"""The loop-thread SQLite connection: aiosqlite's face, rows fetched whole, long reads aside."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.dbfile import open_database


async def test_statements_run_when_awaited_and_give_all_their_rows(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "c.db")
    await db.execute("CREATE TABLE t (n INTEGER)")
    await db.executemany("INSERT INTO t VALUES (?)", [(n,) for n in range(5)])
    async with db.execute("SELECT n FROM t ORDER BY n") as rows:
        assert await rows.fetchone() == (0,)
        assert [r async for r in rows] == [(1,), (2,), (3,), (4,)]
        assert await rows.fetchone() is None
    assert await db.execute_fetchall("SELECT count(*) FROM t") == [(5,)]
    await db.close()


async def test_a_statement_that_fails_raises_and_leaves_the_connection_usable(
    tmp_path: Path,
) -> None:
    db = await open_database(tmp_path / "c.db")
    with pytest.raises(sqlite3.OperationalError):
        await db.execute("SELECT * FROM missing")
    assert await db.execute_fetchall("SELECT 1") == [(1,)]
    await db.close()


async def test_long_reads_run_aside_in_one_snapshot_and_cannot_write(tmp_path: Path) -> None:
    db = await open_database(tmp_path / "with space?#.db")  # a path a URI must escape
    await db.execute("CREATE TABLE t (n INTEGER)")
    await db.execute("INSERT INTO t VALUES (1)")
    threads: list[str] = []

    def spy() -> int:
        threads.append(threading.current_thread().name)
        return 1

    db.conn.create_function("spy", 0, spy)
    assert await db.read_aside(("SELECT n FROM t", ()), ("SELECT count(*) FROM t", ())) == [
        [(1,)],
        [(1,)],
    ]
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await db.read_aside(("INSERT INTO t VALUES (2)", ()))
    await db.execute("SELECT spy()")
    assert threads == [threading.current_thread().name]  # turns' statements: this thread
    assert await db.execute_fetchall("SELECT count(*) FROM t") == [(1,)]
    await asyncio.sleep(0)
    await db.close()
