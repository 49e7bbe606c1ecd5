"""The database file: opened safely, kept private, scrubbed after an erasure.

`open_database` refuses, within seconds, a file SQLite cannot use (random bytes, a truncated
or damaged database, a folder, no permission): it raises `DatabaseUnusable`, whose text is
one line naming the path, and leaves no thread behind (aiosqlite's, left open, kept the process
alive forever). The file, its WAL and shared-memory files are readable by their owner only, and
deleted rows are overwritten (`secure_delete`); `scrub` moves the WAL back into the file and
empties it, so that what /oubli erased cannot be read on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

from bot.dbconn import Connection

log = logging.getLogger("repere.db")
HEADER = b"SQLite format 3\x00"
PRIVATE = 0o600
CHECK_SECONDS = 3.0  # quick_check of a healthy file larger than that is left to finish later
OPEN_SECONDS = 10.0  # a lock held by another process: busy_timeout is 5 s
BUSY_MS = 5000  # a write lock held by another process is waited for this long
SCRUB_SECONDS = 2.0  # how long an erasure waits for another checkpoint to end
READERS_SECONDS = 30.0  # …and first for this process's long reads (a report) to end
SCRUB_RETRY = 0.01
SIDE_FILES = ("-wal", "-shm")


class DatabaseUnusable(Exception):
    """The database file cannot be used; `str()` is one line naming the path and why."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: database unusable: {reason}")


@contextlib.contextmanager
def private_files() -> Iterator[None]:
    """Files created inside are readable and writable by their owner only."""
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def make_private(path: Path) -> None:
    """chmod 600 the database and its side files (a file made by an older version too)."""
    for name in (path, *(path.with_name(path.name + s) for s in SIDE_FILES)):
        with contextlib.suppress(FileNotFoundError):
            if stat.S_IMODE(name.stat().st_mode) & 0o077:
                name.chmod(PRIVATE)


def precheck(path: Path) -> None:
    """What can be told without SQLite: a folder, no permission, not a database at all."""
    if path.is_dir():
        raise DatabaseUnusable(path, "this is a folder, not a file")
    if not path.exists():
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise DatabaseUnusable(path, f"the folder {parent} does not exist")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise DatabaseUnusable(path, f"no permission to create a file in {parent}")
        return
    if not os.access(path, os.R_OK | os.W_OK):
        raise DatabaseUnusable(path, "no permission to read and write it")
    try:
        with path.open("rb") as f:
            head = f.read(len(HEADER))
    except OSError as exc:
        raise DatabaseUnusable(path, f"cannot read it ({exc.strerror})") from exc
    if head and head != HEADER:
        raise DatabaseUnusable(path, "not a SQLite database (damaged or another kind of file)")


async def open_database(path: Path | str) -> Connection:
    """A checked connection in autocommit mode (WAL, secure delete); or DatabaseUnusable.
    Opened and checked in a worker thread (a lock held elsewhere, a long check), bounded."""
    path = Path(path)
    precheck(path)
    with private_files():
        try:
            conn = await asyncio.wait_for(asyncio.to_thread(_connect, path), OPEN_SECONDS)
        except (sqlite3.Error, TimeoutError) as exc:
            raise DatabaseUnusable(path, _reason(exc)) from exc
        try:
            await _quick_check(conn)
        except (sqlite3.Error, TimeoutError) as exc:
            conn.close()
            raise DatabaseUnusable(path, _reason(exc)) from exc
        except BaseException:
            conn.close()
            raise
    make_private(path)
    return Connection(conn, str(path.resolve()))


def _connect(path: Path) -> sqlite3.Connection:
    """In a worker thread: the connection is then used from the event loop's thread only."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute("PRAGMA journal_mode=WAL").fetchall()
        conn.execute("PRAGMA synchronous=NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


async def _quick_check(conn: sqlite3.Connection) -> None:
    """PRAGMA quick_check, bounded: damage is refused; a huge healthy file is not held up."""

    def check() -> str:
        row = conn.execute("PRAGMA quick_check(1)").fetchone()
        return str(row[0]) if row else "ok"

    task = asyncio.ensure_future(asyncio.to_thread(check))
    try:
        done, _pending = await asyncio.wait({task}, timeout=CHECK_SECONDS)
    except asyncio.CancelledError:  # stop the check before the connection is closed
        conn.interrupt()
        await asyncio.wait({task})
        raise
    if not done:
        conn.interrupt()
        with contextlib.suppress(sqlite3.Error):
            await task
        log.warning("database check cut short after %.0f s (a large file)", CHECK_SECONDS)
        return
    verdict = task.result()
    if verdict != "ok":
        raise sqlite3.DatabaseError("damaged: " + " ".join(verdict.split())[:160])


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer (locked by another process?)"
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


async def scrub(db: Connection) -> bool:
    """After an erasure: the WAL written back into the file and emptied, so that the erased
    rows survive nowhere on disk (`secure_delete` zeroes them in the file). False when a
    reader held the WAL all that time (it is emptied at a later checkpoint).

    SQLite answers busy at once, without waiting, when another connection is checkpointing
    (the store's background `Checkpointer` does every 1,000 turns, for a few milliseconds): the
    checkpoint is tried again for up to SCRUB_SECONDS, without SQLite's own busy wait (it
    would hold the event loop): after this process's long reads (`read_aside`) have ended."""
    if not await db.readers_gone(READERS_SECONDS):
        log.warning("WAL checkpoint after an erasure: a report still reads, trying anyway")
    deadline = asyncio.get_running_loop().time() + SCRUB_SECONDS
    while True:
        await db.execute("PRAGMA busy_timeout=0")
        try:
            async with db.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur:
                row = await cur.fetchone()
        finally:
            await db.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        if not (row and row[0]):
            return True
        if asyncio.get_running_loop().time() >= deadline:
            log.warning(
                "WAL checkpoint after an erasure was held up by a reader or another checkpoint"
            )
            return False
        await asyncio.sleep(SCRUB_RETRY)
