"""Durable conversations behind a small interface; SQLite (aiosqlite, WAL) implements it.

Written through on every turn: the state of each chat's conversation, the last update handled
(an update redelivered after a crash is not applied twice), when to send the one gentle
reminder, when to ask how it went (the follow-up), and when the conversation expires.
The live conversation is the only table that holds a Telegram id; everything that outlives
it (`bot/records.py`) is keyed by a pseudonym. Schema changes are versioned migrations.
"""

from __future__ import annotations

import abc
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import aiosqlite

from bot.dialogue.state import State

DEFAULT_EXPIRY = timedelta(days=30)
UNCONSENTED_EXPIRY = timedelta(days=2)  # no consent (yet): the conversation lives this long
REMINDER_AFTER = timedelta(hours=24)
RECENT = 10_000  # chats whose state is kept in memory


@dataclass(frozen=True, slots=True)
class Record:
    """What the store knows about one chat."""

    state: State | None
    last_update_id: int
    updated_at: datetime | None


class Store(abc.ABC):
    """What the bot asks of a store: five things per turn (in the manner of aiogram's FSM
    storage), then what a conversation schedules."""

    @abc.abstractmethod
    async def get(self, chat_id: int) -> Record: ...

    @abc.abstractmethod
    async def set(
        self, chat_id: int, state: State, update_id: int | None, now: datetime
    ) -> None: ...

    @abc.abstractmethod
    async def forget(self, chat_id: int) -> None: ...

    @abc.abstractmethod
    async def due_reminders(self, now: datetime) -> list[int]: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    # what a conversation schedules: the follow-up, the handoff a volunteer will take

    @abc.abstractmethod
    async def plan_followup(self, chat_id: int, at: datetime) -> None: ...

    @abc.abstractmethod
    async def due_followups(self, now: datetime) -> list[int]: ...

    @abc.abstractmethod
    async def link_handoff(self, chat_id: int, handoff_id: int) -> None: ...

    @abc.abstractmethod
    async def chat_of_handoff(self, handoff_id: int) -> int | None: ...

    @abc.abstractmethod
    async def expire(self, now: datetime) -> int: ...


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
)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class SqliteStore(Store):
    def __init__(
        self,
        db: aiosqlite.Connection,
        expiry: timedelta,
        remind_after: timedelta,
        unconsented_expiry: timedelta = UNCONSENTED_EXPIRY,
    ):
        self.db = db
        self.expiry = expiry
        self.remind_after = remind_after
        self.unconsented_expiry = min(unconsented_expiry, expiry)
        self._open = True
        # What this process last wrote, so a turn reads without a trip to the database thread.
        # Only this process writes (Telegram serves one poller per token), so it stays true.
        self._recent: OrderedDict[int, Record] = OrderedDict()

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
        except sqlite3.Error as exc:  # damage the quick check could not see
            await db.close()
            raise DatabaseUnusable(path, str(exc)) from exc
        return cls(db, expiry, remind_after, unconsented_expiry)

    async def get(self, chat_id: int) -> Record:
        if (known := self._recent.get(chat_id)) is not None:
            self._recent.move_to_end(chat_id)
            return known
        async with self.db.execute(
            "SELECT state, last_update_id, updated_at FROM conversations WHERE chat_id = ?",
            (chat_id,),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return Record(None, 0, None)
        try:
            state: State | None = State.from_json(row[0])
        except ValueError:  # a state this version cannot read: start afresh, keep the dedup
            state = None
        record = Record(state, int(row[1]), datetime.fromisoformat(row[2]))
        if len(self._recent) < RECENT:
            self._recent[chat_id] = record
        return record

    async def set(self, chat_id: int, state: State, update_id: int | None, now: datetime) -> None:
        remind = None if state.done else _iso(now + self.remind_after)
        life = self.expiry if state.keep else self.unconsented_expiry
        await self.db.execute(
            """
            INSERT INTO conversations
                (chat_id, flow, state, last_update_id, updated_at, remind_at, expires_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (chat_id) DO UPDATE SET
                flow = excluded.flow, state = excluded.state,
                last_update_id = max(conversations.last_update_id, excluded.last_update_id),
                updated_at = excluded.updated_at, remind_at = excluded.remind_at,
                expires_at = max(excluded.expires_at, coalesce(conversations.follow_at, ''))
            """,
            (
                chat_id,
                state.flow,
                state.to_json(),
                update_id or 0,
                _iso(now),
                remind,
                _iso(now + life),
            ),
        )
        old = self._recent.pop(chat_id, None)
        last = max(update_id or 0, old.last_update_id if old else 0)
        if old is not None or len(self._recent) < RECENT:  # never a partial guess
            self._recent[chat_id] = Record(state, last, now)
        if len(self._recent) > RECENT:
            self._recent.popitem(last=False)

    async def forget(self, chat_id: int) -> None:
        self._recent.pop(chat_id, None)
        await self.db.execute("DELETE FROM conversations WHERE chat_id = ?", (chat_id,))

    async def due_reminders(self, now: datetime) -> list[int]:
        """Chats silent since the reminder delay; each is returned once (then cleared)."""
        return await self._take_due("remind_at", now)

    async def plan_followup(self, chat_id: int, at: datetime) -> None:
        """Ask how it went at `at`; the conversation is kept until then (and a week more)."""
        await self.db.execute(
            "UPDATE conversations SET follow_at = ?, expires_at = max(expires_at, ?)"
            " WHERE chat_id = ?",
            (_iso(at), _iso(at + timedelta(days=7)), chat_id),
        )

    async def due_followups(self, now: datetime) -> list[int]:
        """Chats whose follow-up is due, each returned once (then cleared): even if it fell
        due while the bot was down."""
        return await self._take_due("follow_at", now)

    async def _take_due(
        self, column: Literal["remind_at", "follow_at"], now: datetime
    ) -> list[int]:
        """Chats whose `column` time has come, cleared in the same statement (one UPDATE …
        RETURNING: never sqlite3's executemany on the shared connection, see records.py)."""
        async with self.db.execute(
            f"UPDATE conversations SET {column} = NULL"
            f" WHERE {column} IS NOT NULL AND {column} <= ? RETURNING chat_id",
            (_iso(now),),
        ) as cur:
            chats = [int(row[0]) async for row in cur]
        return sorted(chats)

    async def link_handoff(self, chat_id: int, handoff_id: int) -> None:
        await self.db.execute(
            "UPDATE conversations SET handoff = ? WHERE chat_id = ?", (handoff_id, chat_id)
        )

    async def chat_of_handoff(self, handoff_id: int) -> int | None:
        async with self.db.execute(
            "SELECT chat_id FROM conversations WHERE handoff = ?", (handoff_id,)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else None

    async def expire(self, now: datetime) -> int:
        """Delete conversations past their expiry; returns how many."""
        async with self.db.execute(
            "DELETE FROM conversations WHERE expires_at <= ? RETURNING chat_id", (_iso(now),)
        ) as cur:
            gone = [int(row[0]) async for row in cur]
        for chat_id in gone:
            self._recent.pop(chat_id, None)
        return len(gone)

    async def close(self) -> None:
        if self._open:
            self._open = False
            await self.db.close()


async def migrate(db: aiosqlite.Connection) -> int:
    """Bring the schema up to date; returns the version reached."""
    async with db.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    version = int(row[0]) if row else 0
    for n, script in enumerate(MIGRATIONS[version:], start=version + 1):
        await db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {n};\nCOMMIT;")
    return len(MIGRATIONS)
