"""The process's SQLite connection, used on the event loop's own thread.

In WAL mode with synchronous=NORMAL a commit writes into the operating system's cache and never
waits for the disk: 0.1-0.3 ms for a turn. Handing each statement to a worker thread
(aiosqlite) cost more than the statement itself — a queue, the loop woken through its
self-pipe, a core to be scheduled on twice — and made the slowest turns. So a statement runs
where it is awaited, and its rows are fetched whole at once: no cursor stays open across an
await, where another coroutine's statement could come in between.

What may take long runs elsewhere: opening and the integrity check in a worker thread, bounded
(bot/dbfile.py), the WAL written back by the store's Checkpointer from its own connection. A
write lock held by another process is waited for (busy_timeout), as it was in the worker
thread, where every other statement queued behind it.

The face is aiosqlite's (`await db.execute(...)`, `async with db.execute(...) as cur`), so
that the store and the records read the same as with it, and as their PostgreSQL twins.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

Params = Sequence[Any] | dict[str, Any]
P = ParamSpec("P")
T = TypeVar("T")


class Rows:
    """What a statement gave, fetched whole (the cursor is already closed)."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount

    async def fetchone(self) -> Any | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    async def fetchall(self) -> list[Any]:
        rest, self._next = self._rows[self._next :], len(self._rows)
        return rest

    async def __aiter__(self) -> AsyncIterator[Any]:
        while self._next < len(self._rows):
            self._next += 1
            yield self._rows[self._next - 1]


class Statement:
    """`await` it, or `async with` it: either runs it, once, and gives its `Rows`."""

    def __init__(self, run: Callable[[], Rows]) -> None:
        self._run = run

    def __await__(self) -> Generator[None, None, Rows]:
        return self._run()
        yield  # a generator that never suspends: the statement ran when awaited

    async def __aenter__(self) -> Rows:
        return self._run()

    async def __aexit__(self, *exc: object) -> None:
        return


@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any error (unless SQLite already rolled back,
    as after a full disk: then the original error is the one raised). Synchronous on purpose:
    an await inside would let another coroutine's statements into this transaction."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


def _rows(cursor: sqlite3.Cursor) -> Rows:
    try:
        return Rows(cursor.fetchall(), cursor.rowcount)
    finally:
        cursor.close()


class Connection:
    """One sqlite3 connection in autocommit mode, used from the event loop's thread only."""

    def __init__(self, conn: sqlite3.Connection, path: str = "") -> None:
        self.conn = conn
        self.path = path  # the file (absolute): long reads open it again, in a worker thread
        self._reading = 0
        self._no_reader = asyncio.Event()
        self._no_reader.set()

    async def readers_gone(self, timeout: float) -> bool:
        """Wait (up to `timeout` seconds) until no long read of `read_aside` is under way."""
        try:
            async with asyncio.timeout(timeout):
                await self._no_reader.wait()
        except TimeoutError:
            return False
        return True

    async def read_aside(self, *queries: tuple[str, Params]) -> list[list[Any]]:
        """Long reads (a report over months of events) in one snapshot, from a read-only
        connection of their own in a worker thread: turns go on meanwhile (in WAL mode a
        reader never blocks the writer). Only what is committed is seen."""
        if not self.path:
            return [await self.execute_fetchall(sql, params) for sql, params in queries]
        uri = Path(self.path).as_uri() + "?mode=ro"

        def read() -> list[list[Any]]:
            reader = sqlite3.connect(uri, uri=True, isolation_level=None)
            try:
                reader.execute("BEGIN")  # one snapshot for all the queries
                return [reader.execute(sql, params).fetchall() for sql, params in queries]
            finally:
                reader.close()

        self._reading += 1
        self._no_reader.clear()
        try:
            return await asyncio.to_thread(read)
        finally:
            self._reading -= 1
            if not self._reading:
                self._no_reader.set()

    def execute(self, sql: str, params: Params = ()) -> Statement:
        return Statement(lambda: _rows(self.conn.execute(sql, params)))

    def executemany(self, sql: str, params: Iterable[Params]) -> Statement:
        return Statement(lambda: _rows(self.conn.executemany(sql, params)))

    async def execute_fetchall(self, sql: str, params: Params = ()) -> list[Any]:
        return _rows(self.conn.execute(sql, params))._rows

    async def executescript(self, script: str) -> None:
        self.conn.executescript(script).close()

    def call(
        self, fn: Callable[Concatenate[sqlite3.Connection, P], T], *args: P.args, **kw: P.kwargs
    ) -> T:
        """`fn(connection, ...)` now: several statements that nothing can come between (a
        transaction), since nothing else runs on this thread meanwhile."""
        return fn(self.conn, *args, **kw)

    async def close(self) -> None:
        self.conn.close()

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
