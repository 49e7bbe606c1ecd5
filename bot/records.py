"""What outlives a conversation, keyed by pseudonyms: anonymous events and handoffs.

Kept only for people who agreed (the channel checks `State.keep`), erased by /oubli, and
purged on a schedule: handoffs after the conversation retention (30 days), events rolled up
into monthly counts without any pseudonym after 24 months.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.dbconn import Connection, transaction
from bot.dbfile import scrub
from bot.dialogue.replies import Event
from bot.report import COUNTS_SQL, EVENT_COLUMNS, EVENTS_SQL, Key, rollup

HANDOFF_ASKED, HANDOFF_TAKEN, HANDOFF_DONE = "asked", "taken", "done"
log = logging.getLogger("repere.records")


@dataclass(frozen=True, slots=True)
class Retention:
    conversations: timedelta = timedelta(days=30)  # handoffs live as long
    events_months: int = 24  # then only monthly counts remain


@dataclass(frozen=True, slots=True)
class HandoffRow:
    id: int
    group_chat_id: int
    message_id: int | None
    status: str
    token: str  # what the group's buttons carry: random, so that no one can guess another's


TOKEN_BYTES = 12  # 96 bits


def _month_start(day: date, months_back: int) -> date:
    total = day.year * 12 + (day.month - 1) - months_back
    return date(total // 12, total % 12 + 1, 1)


EventRow = tuple[
    str, str, str, str, str, str | None, str | None, str | None, str | None, str | None, str | None
]
FLUSH_AFTER = 0.5  # seconds: events are written in batches, off the turn's path
FLUSH_ROWS = 500  # …or as soon as this many wait


PURGE_CHUNK = 5_000  # events deleted in one transaction (a few tens of milliseconds)
ROLLED_UP = "rolled_up"  # meta: the last month whose events became counts
SET_META = (  # one row of the meta table, written or replaced
    "INSERT INTO meta (key, value) VALUES (?, ?)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)


def _month_after(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


def _add_counts(db: sqlite3.Connection, month: str, counts: Counter[Key]) -> None:
    """A month's counts and the watermark that says they are in, in one transaction."""
    with transaction(db):
        for key, n in counts.items():
            db.execute(
                "INSERT INTO event_counts (month, flow, name, step, value, department,"
                " centre, theme, offer, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (month, *key, n),
            )
        db.execute(SET_META, (ROLLED_UP, month))


class Records:
    """Events are anonymous counts: they are written in batches (at most FLUSH_AFTER seconds
    late), between turns, so that a turn pays one write, its own. A crash may lose that last
    half second of counts, never a conversation. Everything that reads or erases events
    flushes first."""

    def __init__(self, db: Connection) -> None:
        self.db = db
        self._batching()

    def _batching(self) -> None:
        """The events waiting to be written (both engines)."""
        self._pending: list[EventRow] = []
        self._flusher: asyncio.Task[None] | None = None
        self._full = asyncio.Event()  # FLUSH_ROWS wait: no need to wait longer

    # -- events ------------------------------------------------------------------------------

    async def add_events(
        self,
        person: str,
        run: str,
        flow: str,
        events: Iterable[Event],
        day: date,
        department: str | None,
        centre: str | None,
    ) -> None:
        at = day.isoformat()
        self._pending += [
            (at, person, run, flow, e.name, e.step, e.value, department, centre, e.theme, e.offer)
            for e in events
        ]
        if len(self._pending) >= FLUSH_ROWS:
            self._full.set()  # written right after this turn, not within it
        if self._pending and self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FLUSH_AFTER):
                    await self._full.wait()
        finally:
            if self._flusher is asyncio.current_task():  # not one close() cancelled
                self._flusher = None
                self._full.clear()
        try:
            await self.flush()
        except Exception as exc:  # closed without close(), a server gone: say so, once
            log.error("anonymous events not written: %s", type(exc).__name__)

    async def flush(self) -> None:
        """Write the waiting events now (before a report, an erasure, a purge, shutting down)."""
        rows, self._pending = self._pending, []
        for start in range(0, len(rows), FLUSH_ROWS):
            chunk = rows[start : start + FLUSH_ROWS]
            # one statement for the whole batch
            marks = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(chunk))
            sql = (
                "INSERT INTO events (day, person, run, flow, name, step, value, department,"
                f" centre, theme, offer) VALUES {marks}"
            )
            async with self.db.execute(sql, [v for row in chunk for v in row]):
                pass

    async def close(self) -> None:
        if (flusher := self._flusher) is not None:
            self._flusher = None
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
        await self.flush()

    # -- handoffs ----------------------------------------------------------------------------

    async def open_handoff(
        self,
        person: str,
        group_chat_id: int,
        department: str | None,
        centre: str | None,
        now: datetime,
    ) -> HandoffRow:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        async with self.db.execute(
            "INSERT INTO handoffs (day, person, department, centre, group_chat_id, status,"
            " updated_at, token) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                now.date().isoformat(),
                person,
                department,
                centre,
                group_chat_id,
                HANDOFF_ASKED,
                now.isoformat(),
                token,
            ),
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        return HandoffRow(int(row[0]), group_chat_id, None, HANDOFF_ASKED, token)

    async def erase_handoff(self, handoff_id: int) -> None:
        await self.db.execute("DELETE FROM handoffs WHERE id = ?", (handoff_id,))

    async def posted(self, handoff_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE handoffs SET message_id = ? WHERE id = ?", (message_id, handoff_id)
        )

    async def handoff(self, token: str) -> HandoffRow | None:
        """The handoff a button names (by its token)."""
        async with self.db.execute(
            "SELECT id, group_chat_id, message_id, status, token FROM handoffs WHERE token = ?",
            (token,),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return HandoffRow(int(row[0]), int(row[1]), row[2], str(row[3]), str(row[4]))

    async def move_handoff(
        self, handoff_id: int, to: str, volunteer: str, now: datetime
    ) -> tuple[str, str] | None:
        """Take or finish a handoff; returns (person, its department) when it moved, None when
        it was already there (two volunteers tapping at once: the first one wins)."""
        allowed = (HANDOFF_ASKED,) if to == HANDOFF_TAKEN else (HANDOFF_ASKED, HANDOFF_TAKEN)
        marks = ", ".join("?" for _ in allowed)
        async with self.db.execute(
            f"UPDATE handoffs SET status = ?, taken_by = coalesce(taken_by, ?), updated_at = ?"
            f" WHERE id = ? AND status IN ({marks}) RETURNING person, coalesce(department, '')",
            (to, volunteer, now.isoformat(), handoff_id, *allowed),
        ) as cur:
            row = await cur.fetchone()
        return (str(row[0]), str(row[1])) if row else None

    # -- erasure and retention -----------------------------------------------------------------

    async def erase(self, person: str) -> list[tuple[int, int]]:
        """Every row tied to the person; returns the group messages that still show them.
        Call it after deleting their conversation: it ends with `scrub`, so that none of it
        stays readable on disk."""
        self._pending = [row for row in self._pending if row[1] != person]
        async with self.db.execute(
            "DELETE FROM handoffs WHERE person = ? RETURNING group_chat_id, message_id", (person,)
        ) as cur:
            messages = [(int(r[0]), int(r[1])) async for r in cur if r[1] is not None]
        await self.db.execute("DELETE FROM events WHERE person = ?", (person,))
        await scrub(self.db)  # nothing of them left in the WAL either
        return messages

    async def purge(self, now: datetime, keep: Retention) -> dict[str, int]:
        """Handoffs past the retention go; events older than `events_months` become monthly
        counts with no pseudonym. Returns how many rows of each went."""
        await self.flush()
        today = now.astimezone(UTC).date()
        before = (today - keep.conversations).isoformat()
        async with self.db.execute(
            "DELETE FROM handoffs WHERE day < ? RETURNING id", (before,)
        ) as cur:
            handoffs = len([r async for r in cur])
        cutoff = _month_start(today, keep.events_months).isoformat()
        events = 0
        while first := (
            await self.db.execute_fetchall("SELECT min(day) FROM events WHERE day < ?", (cutoff,))
        )[0][0]:
            gone = await self._roll_up(str(first)[:7])
            if not gone:  # never a loop on a day this code did not write
                break
            events += gone
        return {"handoffs": handoffs, "events": events}

    async def _roll_up(self, month: str) -> int:
        """One month of events becomes counts, then goes; returns how many events went.
        Counted off the event loop (a month may hold hundreds of thousands of events), the
        counts written with a watermark, the events deleted in chunks, turns going on in
        between: a crash in between deletes the rest at the next purge without counting
        them twice."""
        start, end = f"{month}-01", f"{_month_after(month)}-01"
        done = await self.db.execute_fetchall("SELECT value FROM meta WHERE key = ?", (ROLLED_UP,))
        if not done or str(done[0][0]) < month:
            (rows,) = await self.db.read_aside(
                (
                    f"SELECT {', '.join(EVENT_COLUMNS)} FROM events"
                    " WHERE day >= ? AND day < ? ORDER BY rowid",
                    (start, end),
                )
            )
            self.db.call(_add_counts, month, await asyncio.to_thread(rollup, rows))
        gone = 0
        while True:
            n = (
                await self.db.execute(
                    "DELETE FROM events WHERE rowid IN (SELECT rowid FROM events"
                    " WHERE day >= ? AND day < ? LIMIT ?)",
                    (start, end, PURGE_CHUNK),
                )
            ).rowcount
            gone += n
            if n < PURGE_CHUNK:
                return gone
            await asyncio.sleep(0)

    async def report_rows(
        self, since: str, until: str
    ) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        """Events (EVENT_COLUMNS, oldest first) and monthly counts between two days."""
        await self.flush()
        events, monthly = await self.db.read_aside(
            (EVENTS_SQL, (since, until)), (COUNTS_SQL, (since[:7], until[:7]))
        )
        return [tuple(r) for r in events], [tuple(r) for r in monthly]

    async def last_purge(self) -> str | None:
        async with self.db.execute("SELECT value FROM meta WHERE key = 'last_purge'") as cur:
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def purged(self, day: date) -> None:
        await self.db.execute(SET_META, ("last_purge", day.isoformat()))
