"""The SQL of the store's transactions, each one call on the connection (see `SqliteStore`).

SQLite's automatic checkpoint ran in the commit that crossed 1,000 pages of WAL, with two
fsyncs, and made the slowest turns (5-25 ms). The `Checkpointer` writes the WAL back into the
file from its own connection, in another thread, every `CHECKPOINT_EVERY` turns, while turns
go on committing (a PASSIVE checkpoint never blocks a writer). The WAL starts again from its
beginning at the first turn after a checkpoint that caught up with it; under a load that never
pauses that long, the turns' connection checkpoints itself at `WAL_LIMIT` pages (the automatic
checkpoint, a safety net), so the WAL stays bounded. A checkpoint's fsyncs still slow down the
one or two commits that write the WAL meanwhile: checkpointing every 1,000 turns rather than
every 150 leaves fewer turns so slowed (`bench_service` p99 1.57 -> 1.22 ms, medians of four
interleaved pairs on a lightly loaded machine). What a commit guarantees (synchronous=NORMAL)
is unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic_core import to_json

from bot.dbconn import transaction

if TYPE_CHECKING:
    from bot.dialogue.state import State
    from bot.store import Write


log = logging.getLogger("repere.store")

CHECKPOINT_EVERY = 1000  # turns (about 7 pages of WAL each) between two checkpoints
WAL_LIMIT = 10_000  # pages (40 MB): the turns' own connection checkpoints (a safety net)


class Checkpointer:
    """The WAL written back into the database file off the turn's path: its own connection
    (it only ever checkpoints), used from a worker thread, one checkpoint at a time."""

    def __init__(self, path: Path | str, every: int = CHECKPOINT_EVERY) -> None:
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.every = every
        self.writes = 0
        self.task: asyncio.Task[None] | None = None

    def wrote(self) -> None:
        """A transaction was committed: after `every` of them, a checkpoint starts."""
        self.writes += 1
        if self.writes >= self.every and self.task is None:
            self.writes = 0
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            await asyncio.to_thread(self._checkpoint)
        except sqlite3.Error as exc:  # harmless: the next one writes everything back
            log.warning("WAL checkpoint failed: %s", type(exc).__name__)
        finally:
            self.task = None

    def _checkpoint(self) -> None:
        self.db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def close(self) -> None:
        if self.task is not None:
            await asyncio.wait({self.task})
        self.db.close()


@dataclass(frozen=True, slots=True)
class Lives:
    """How long a conversation lives, and when its reminder goes."""

    remind_after: timedelta
    expiry: timedelta
    unconsented: timedelta


UPSERT = """
    INSERT INTO conversations
        (key, flow, state, last_update_id, updated_at, remind_at, expires_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET
        flow = excluded.flow, state = excluded.state,
        last_update_id = max(conversations.last_update_id, excluded.last_update_id),
        updated_at = excluded.updated_at, remind_at = excluded.remind_at,
        expires_at = max(excluded.expires_at, coalesce(conversations.follow_at, ''))
"""


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def state_row(write: Write, state: State, lives: Lives) -> tuple[object, ...]:
    """The conversation's row a turn writes (both engines): key, flow, state, last update,
    updated, reminder due, expiry."""
    now = write.now
    remind = None if state.done else iso(now + lives.remind_after)
    life = lives.expiry if state.keep else lives.unconsented
    return (
        write.key,
        state.flow,
        state.to_json(),
        write.update_id or 0,
        iso(now),
        remind,
        iso(now + life),
    )


def write_turn(db: sqlite3.Connection, write: Write, lives: Lives) -> list[int]:
    """A turn's writes: BEGIN … COMMIT, or nothing at all. Returns the ids of its outbox rows."""
    key = write.key
    ids: list[int] = []
    with transaction(db):
        if write.inbox is not None:
            db.execute("DELETE FROM inbox WHERE channel = ? AND update_id = ?", write.inbox)
        if write.forget:
            db.execute("DELETE FROM conversations WHERE key = ?", (key,))
        elif write.state is not None:
            db.execute(UPSERT, state_row(write, write.state, lives))
        if write.follow_at is not None:
            db.execute(
                "UPDATE conversations SET follow_at = ?, expires_at = max(expires_at, ?)"
                " WHERE key = ?",
                (iso(write.follow_at), iso(write.follow_at + timedelta(days=7)), key),
            )
        if write.forget or write.confirm == "":
            db.execute("DELETE FROM confirmations WHERE key = ?", (key,))
        elif write.confirm is not None:
            db.execute(
                "INSERT INTO confirmations (key, nonce) VALUES (?, ?) ON CONFLICT (key)"
                " DO UPDATE SET nonce = excluded.nonce",
                (key, write.confirm),
            )
        if write.outbox:  # one statement; ids grow in the order of the rows (AUTOINCREMENT)
            marks = ", ".join(["(?, ?)"] * len(write.outbox))
            rows = [v for action in write.outbox for v in (key, to_json(action).decode())]
            sql = f"INSERT INTO outbox (key, action) VALUES {marks} RETURNING id"
            ids = sorted(int(row[0]) for row in db.execute(sql, rows).fetchall())
    return ids


def add_inbox(
    db: sqlite3.Connection, channel: str, rows: Sequence[tuple[int, str]], last: int
) -> None:
    """Received updates and the channel's cursor, in one transaction."""
    with transaction(db):
        for update_id, payload in rows:
            db.execute(
                "INSERT OR IGNORE INTO inbox (channel, update_id, payload) VALUES (?, ?, ?)",
                (channel, update_id, payload),
            )
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET"
            " value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
            (f"inbox:{channel}", str(last)),
        )
