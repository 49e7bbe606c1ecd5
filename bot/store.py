"""Durable conversations behind a small interface; SQLite (WAL, bot/dbconn.py) implements it.

Written through on every turn: the state of each chat's conversation, the last update handled
(an update redelivered after a crash is not applied twice), when to send the one gentle
reminder, when to ask how it went (the follow-up), and when the conversation expires.
The live conversation is the only table that holds a Telegram id; everything that outlives
it (`bot/records.py`) is keyed by a pseudonym. Schema changes are versioned migrations.
"""

from __future__ import annotations

import abc
import contextlib
import json
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from bot import store_sql
from bot.dbconn import Connection
from bot.dialogue.state import State
from bot.store_sql import Checkpointer, Lives, add_inbox, iso, write_turn

DEFAULT_EXPIRY = timedelta(days=30)
UNCONSENTED_EXPIRY = timedelta(days=2)  # no consent (yet): the conversation lives this long
REMINDER_AFTER = timedelta(hours=24)
RECENT = 10_000  # chats whose state is kept in memory


@dataclass(frozen=True, slots=True)
class Record:
    """What the store knows about one conversation."""

    state: State | None
    last_update_id: int
    updated_at: datetime | None

    @classmethod
    def read(cls, row: Sequence[Any] | None) -> Record:
        """From a row (state, last_update_id, updated_at) of either engine."""
        if row is None:
            return cls(None, 0, None)
        try:
            state: State | None = State.from_json(row[0])
        except ValueError:  # a state this version cannot read: start afresh, keep the dedup
            state = None
        return cls(state, int(row[1]), datetime.fromisoformat(row[2]))


@dataclass(frozen=True, slots=True)
class Item:
    """One thing to deliver (a message, an action), in the order of `id` for its key."""

    id: int
    key: str
    action: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Write:
    """Everything one turn changes, written in ONE transaction: the inbox row it handled goes,
    the state (or its erasure), the follow-up, the confirmation asked, and the outbox rows."""

    key: str
    now: datetime
    state: State | None = None  # the new state; None: unchanged
    forget: bool = False  # the conversation (and any confirmation) is deleted
    update_id: int | None = None  # what was handled: never applied twice
    inbox: tuple[str, int] | None = None  # (channel, update id) of the inbox row now handled
    outbox: Sequence[dict[str, Any]] = ()
    follow_at: datetime | None = None
    confirm: str | None = None  # a confirmation asked (its nonce); "" consumes it


class Store(abc.ABC):
    """What the conversation service asks of a store (in the manner of aiogram's FSM storage:
    keys are strings, "tg:123"). Each turn is one `commit`, inside `turn(key)`. Two engines
    implement it: SQLite here (one process), PostgreSQL (bot/storage/postgres.py, several)."""

    shared = False  # several processes share it: they adopt what a dead one left

    @contextlib.asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        """Hold `key` against every other process from reading the state to committing (one
        process: the service's own lock is enough)."""
        yield

    @contextlib.asynccontextmanager
    async def lease(self, name: str) -> AsyncIterator[bool]:
        """True if this process may run the scheduled work `name` now (one at a time)."""
        yield True

    async def announce_reload(self) -> None:
        """Tell the other processes to reload the catalogue and flows."""
        return  # one process: no one else to tell

    async def on_reload(self, reload: Callable[[], Awaitable[object]]) -> None:
        """Call `reload` when another process announces one."""
        return  # one process: no one else announces

    @abc.abstractmethod
    async def get(self, key: str) -> Record: ...

    @abc.abstractmethod
    async def commit(self, write: Write) -> list[Item]:
        """Write a turn atomically; returns its outbox rows with their ids."""

    async def set(self, key: str, state: State, update_id: int | None, now: datetime) -> None:
        await self.commit(Write(key, now, state=state, update_id=update_id))

    async def forget(self, key: str) -> None:
        await self.commit(Write(key, datetime.now(UTC), forget=True))

    @abc.abstractmethod
    async def confirmation(self, key: str) -> str | None:
        """The nonce of the confirmation last asked of `key`, if still open."""

    @abc.abstractmethod
    async def due_reminders(self, now: datetime) -> list[str]: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    # what a conversation schedules: the follow-up, the handoff a volunteer will take

    async def plan_followup(self, key: str, at: datetime) -> None:
        await self.commit(Write(key, datetime.now(UTC), follow_at=at))

    @abc.abstractmethod
    async def due_followups(self, now: datetime) -> list[str]: ...

    @abc.abstractmethod
    async def link_handoff(self, key: str | int, handoff_id: int) -> None: ...

    @abc.abstractmethod
    async def chat_of_handoff(self, handoff_id: int) -> int | None: ...

    @abc.abstractmethod
    async def expire(self, now: datetime) -> int: ...

    # the inbox (stored before the channel confirms it) and the outbox (sent after commit)

    @abc.abstractmethod
    async def inbox_add(self, channel: str, rows: Sequence[tuple[int, str]], last: int) -> None:
        """Store received updates and the channel's cursor (`last` id seen) atomically."""

    @abc.abstractmethod
    async def inbox_cursor(self, channel: str) -> int: ...

    @abc.abstractmethod
    async def inbox_pending(self, channel: str) -> list[tuple[int, str]]: ...

    @abc.abstractmethod
    async def inbox_done(self, channel: str, update_id: int) -> None: ...

    @abc.abstractmethod
    async def outbox_pending(self) -> list[Item]: ...

    @abc.abstractmethod
    async def outbox_done(self, ids: Sequence[int]) -> None: ...

    @abc.abstractmethod
    async def scrub(self) -> None:
        """After an erasure (/oubli): leave nothing of what was deleted readable on disk."""


# Each migration moves the schema one version up; never edit one that has shipped.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE conversations (
        chat_id INTEGER PRIMARY KEY,
        flow TEXT NOT NULL,
        state TEXT NOT NULL,
        last_update_id INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        remind_at TEXT,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX conversations_remind ON conversations (remind_at);
    CREATE INDEX conversations_expires ON conversations (expires_at);
    """,
    # 2: the follow-up and the open handoff of a conversation; what outlives conversations,
    # keyed by pseudonyms (see bot/records.py)
    """
    ALTER TABLE conversations ADD COLUMN follow_at TEXT;
    ALTER TABLE conversations ADD COLUMN handoff INTEGER;
    CREATE INDEX conversations_follow ON conversations (follow_at);
    CREATE TABLE events (
        day TEXT NOT NULL,
        person TEXT NOT NULL,
        run TEXT NOT NULL,
        flow TEXT NOT NULL,
        name TEXT NOT NULL,
        step TEXT,
        value TEXT,
        department TEXT,
        centre TEXT,
        theme TEXT,
        offer TEXT
    );
    CREATE INDEX events_day ON events (day);
    CREATE INDEX events_person ON events (person);
    CREATE TABLE event_counts (
        month TEXT NOT NULL,
        flow TEXT NOT NULL,
        name TEXT NOT NULL,
        step TEXT,
        value TEXT,
        department TEXT,
        centre TEXT,
        theme TEXT,
        offer TEXT,
        count INTEGER NOT NULL
    );
    CREATE TABLE handoffs (
        id INTEGER PRIMARY KEY,
        day TEXT NOT NULL,
        person TEXT NOT NULL,
        department TEXT,
        centre TEXT,
        group_chat_id INTEGER NOT NULL,
        message_id INTEGER,
        status TEXT NOT NULL,
        taken_by TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX handoffs_person ON handoffs (person);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 3: the random token a handoff's buttons carry (requests posted before keep their number)
    """
    ALTER TABLE handoffs ADD COLUMN token TEXT;
    UPDATE handoffs SET token = CAST(id AS TEXT);
    CREATE UNIQUE INDEX handoffs_token ON handoffs (token);
    """,
    # 4: conversations keyed by a channel's string key ("tg:123"), so a second channel fits;
    # the inbox (updates stored before the channel is told they arrived) and the outbox
    # (replies written with the state, deleted once delivered); /oubli's confirmation
    """
    CREATE TABLE conversations_v3 (
        key TEXT PRIMARY KEY,
        flow TEXT NOT NULL,
        state TEXT NOT NULL,
        last_update_id INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL,
        remind_at TEXT,
        expires_at TEXT NOT NULL,
        follow_at TEXT,
        handoff INTEGER
    );
    INSERT INTO conversations_v3
        SELECT 'tg:' || chat_id, flow, state, last_update_id, updated_at, remind_at,
               expires_at, follow_at, handoff
        FROM conversations;
    DROP TABLE conversations;
    ALTER TABLE conversations_v3 RENAME TO conversations;
    CREATE INDEX conversations_remind ON conversations (remind_at);
    CREATE INDEX conversations_expires ON conversations (expires_at);
    CREATE INDEX conversations_follow ON conversations (follow_at);
    CREATE INDEX conversations_handoff ON conversations (handoff);
    CREATE TABLE inbox (
        channel TEXT NOT NULL,
        update_id INTEGER NOT NULL,
        payload TEXT NOT NULL,
        PRIMARY KEY (channel, update_id)
    ) WITHOUT ROWID;
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        action TEXT NOT NULL
    );
    CREATE TABLE confirmations (key TEXT PRIMARY KEY, nonce TEXT NOT NULL);
    """,
)


TELEGRAM = "tg:"


def _key(key: str | int) -> str:
    return f"{TELEGRAM}{key}" if isinstance(key, int) else key


class SqliteStore(Store):
    def __init__(
        self,
        db: Connection,
        checkpointer: Checkpointer,
        expiry: timedelta,
        remind_after: timedelta,
        unconsented_expiry: timedelta = UNCONSENTED_EXPIRY,
    ):
        self.db = db
        self.checkpointer = checkpointer  # the WAL written back, off the turn's path
        self.expiry = expiry
        self.remind_after = remind_after
        self.unconsented_expiry = min(unconsented_expiry, expiry)
        self.lives = Lives(remind_after, expiry, self.unconsented_expiry)
        self._open = True
        # What this process last wrote, so a turn reads without asking SQLite.
        # Only this process writes (Telegram serves one poller per token), so it stays true.
        self._recent: OrderedDict[str, Record] = OrderedDict()

    @classmethod
    async def open(
        cls,
        path: Path | str,
        expiry: timedelta = DEFAULT_EXPIRY,
        remind_after: timedelta = REMINDER_AFTER,
        unconsented_expiry: timedelta = UNCONSENTED_EXPIRY,
    ) -> SqliteStore:
        """Raises bot.dbfile.DatabaseUnusable (one line naming the path) on a file SQLite
        cannot use, within seconds."""
        import sqlite3

        from bot.dbfile import DatabaseUnusable, open_database

        db = await open_database(path)  # autocommit: each write commits
        try:
            await migrate(db)
            await db.execute(f"PRAGMA wal_autocheckpoint={store_sql.WAL_LIMIT}")  # see there
            checkpointer = Checkpointer(path)
        except sqlite3.Error as exc:  # damage the quick check could not see
            await db.close()
            raise DatabaseUnusable(path, str(exc)) from exc
        return cls(db, checkpointer, expiry, remind_after, unconsented_expiry)

    async def get(self, key: str) -> Record:
        if (known := self._recent.get(key)) is not None:
            self._recent.move_to_end(key)
            return known
        async with self.db.execute(
            "SELECT state, last_update_id, updated_at FROM conversations WHERE key = ?", (key,)
        ) as cur:
            row = await cur.fetchone()
        record = Record.read(row)
        if row is not None and len(self._recent) < RECENT:
            self._recent[key] = record
        return record

    async def commit(self, write: Write) -> list[Item]:
        # one transaction, on this thread: nothing else runs in between
        ids = self.db.call(write_turn, write, self.lives)
        self.checkpointer.wrote()
        self._remember(write)
        return [Item(i, write.key, action) for i, action in zip(ids, write.outbox, strict=True)]

    def _remember(self, write: Write) -> None:
        """What this process last wrote, so a turn reads without a trip to the database."""
        key = write.key
        if write.forget:
            self._recent.pop(key, None)
            return
        if write.state is None:
            return
        old = self._recent.pop(key, None)
        last = max(write.update_id or 0, old.last_update_id if old else 0)
        if old is not None or len(self._recent) < RECENT:  # never a partial guess
            self._recent[key] = Record(write.state, last, write.now)
        if len(self._recent) > RECENT:
            self._recent.popitem(last=False)

    async def confirmation(self, key: str) -> str | None:
        async with self.db.execute("SELECT nonce FROM confirmations WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def due_reminders(self, now: datetime) -> list[str]:
        """Conversations silent since the reminder delay; each returned once (then cleared)."""
        return await self._take_due("remind_at", now)

    async def due_followups(self, now: datetime) -> list[str]:
        """Conversations whose follow-up is due, each returned once (then cleared): even if it
        fell due while the bot was down."""
        return await self._take_due("follow_at", now)

    async def _take_due(
        self, column: Literal["remind_at", "follow_at"], now: datetime
    ) -> list[str]:
        """Keys whose `column` time has come, cleared in the same statement."""
        async with self.db.execute(
            f"UPDATE conversations SET {column} = NULL"
            f" WHERE {column} IS NOT NULL AND {column} <= ? RETURNING key",
            (iso(now),),
        ) as cur:
            keys = [str(row[0]) async for row in cur]
        return sorted(keys)

    async def link_handoff(self, key: str | int, handoff_id: int) -> None:
        """The handoff a volunteer will take (a bare int is a Telegram chat id)."""
        await self.db.execute(
            "UPDATE conversations SET handoff = ? WHERE key = ?", (handoff_id, _key(key))
        )

    async def chat_of_handoff(self, handoff_id: int) -> int | None:
        """The Telegram chat of an open handoff (the volunteers' buttons are Telegram's)."""
        async with self.db.execute(
            "SELECT key FROM conversations WHERE handoff = ?", (handoff_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None or not str(row[0]).startswith(TELEGRAM):
            return None
        return int(str(row[0]).removeprefix(TELEGRAM))

    async def expire(self, now: datetime) -> int:
        """Delete conversations past their expiry; returns how many."""
        async with self.db.execute(
            "DELETE FROM conversations WHERE expires_at <= ? RETURNING key", (iso(now),)
        ) as cur:
            gone = [str(row[0]) async for row in cur]
        for key in gone:
            self._recent.pop(key, None)
        return len(gone)

    async def inbox_add(self, channel: str, rows: Sequence[tuple[int, str]], last: int) -> None:
        self.db.call(add_inbox, channel, rows, last)

    async def inbox_cursor(self, channel: str) -> int:
        async with self.db.execute(
            "SELECT value FROM meta WHERE key = ?", (f"inbox:{channel}",)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def inbox_pending(self, channel: str) -> list[tuple[int, str]]:
        async with self.db.execute(
            "SELECT update_id, payload FROM inbox WHERE channel = ? ORDER BY update_id",
            (channel,),
        ) as cur:
            return [(int(r[0]), str(r[1])) async for r in cur]

    async def inbox_done(self, channel: str, update_id: int) -> None:
        await self.db.execute(
            "DELETE FROM inbox WHERE channel = ? AND update_id = ?", (channel, update_id)
        )

    async def outbox_pending(self) -> list[Item]:
        async with self.db.execute("SELECT id, key, action FROM outbox ORDER BY id") as cur:
            return [Item(int(r[0]), str(r[1]), json.loads(r[2])) async for r in cur]

    async def outbox_done(self, ids: Sequence[int]) -> None:
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ", ".join("?" * len(chunk))
            await self.db.execute(f"DELETE FROM outbox WHERE id IN ({marks})", chunk)

    async def scrub(self) -> None:
        from bot.dbfile import scrub

        await scrub(self.db)  # the WAL written back (secure_delete zeroed the rows) and emptied

    async def close(self) -> None:
        if self._open:
            self._open = False
            await self.checkpointer.close()
            await self.db.close()


async def migrate(db: Connection) -> int:
    """Bring the schema up to date; returns the version reached."""
    async with db.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    version = int(row[0]) if row else 0
    for n, script in enumerate(MIGRATIONS[version:], start=version + 1):
        await db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {n};\nCOMMIT;")
    return len(MIGRATIONS)
