"""What outlives a conversation (bot/records.py), on PostgreSQL: the same behaviour, its SQL.
Events are batched the same way; erasure needs no scrub (no WAL file to rewrite here)."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any

import asyncpg

from bot.records import (
    HANDOFF_ASKED,
    HANDOFF_TAKEN,
    TOKEN_BYTES,
    HandoffRow,
    Records,
    Retention,
    _month_start,
)
from bot.report import EVENT_COLUMNS, rollup

EVENT_INSERT = (
    "INSERT INTO events (day, person, run, flow, name, step, value, department, centre, theme,"
    " offer) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
)


PG_EVENTS_SQL = (
    f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE day >= $1 AND day <= $2 ORDER BY id"
)
PG_COUNTS_SQL = (
    "SELECT flow, name, step, value, department, centre, theme, offer, count"
    " FROM event_counts WHERE month >= $1 AND month <= $2"
)


async def report_rows(
    db: Any, since: str, until: str
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Events and monthly counts between two days, from a pool or a connection: what
    `/stats` and `repere report` count."""
    events = await db.fetch(PG_EVENTS_SQL, since, until)
    monthly = await db.fetch(PG_COUNTS_SQL, since[:7], until[:7])
    return [tuple(r) for r in events], [tuple(r) for r in monthly]


class PgRecords(Records):
    def __init__(self, pool: asyncpg.Pool) -> None:  # no SQLite connection here
        self.pool = pool
        self._batching()

    async def flush(self) -> None:
        rows, self._pending = self._pending, []
        if rows:
            await self.pool.executemany(EVENT_INSERT, rows)

    async def open_handoff(
        self,
        person: str,
        group_chat_id: int,
        department: str | None,
        centre: str | None,
        now: datetime,
    ) -> HandoffRow:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        handoff_id = await self.pool.fetchval(
            "INSERT INTO handoffs (day, person, department, centre, group_chat_id, status,"
            " updated_at, token) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            now.date().isoformat(),
            person,
            department,
            centre,
            group_chat_id,
            HANDOFF_ASKED,
            now.isoformat(),
            token,
        )
        return HandoffRow(int(handoff_id), group_chat_id, None, HANDOFF_ASKED, token)

    async def erase_handoff(self, handoff_id: int) -> None:
        await self.pool.execute("DELETE FROM handoffs WHERE id = $1", handoff_id)

    async def posted(self, handoff_id: int, message_id: int) -> None:
        await self.pool.execute(
            "UPDATE handoffs SET message_id = $1 WHERE id = $2", message_id, handoff_id
        )

    async def handoff(self, token: str) -> HandoffRow | None:
        row = await self.pool.fetchrow(
            "SELECT id, group_chat_id, message_id, status, token FROM handoffs WHERE token = $1",
            token,
        )
        if row is None:
            return None
        return HandoffRow(int(row[0]), int(row[1]), row[2], str(row[3]), str(row[4]))

    async def move_handoff(
        self, handoff_id: int, to: str, volunteer: str, now: datetime
    ) -> tuple[str, str] | None:
        allowed = [HANDOFF_ASKED] if to == HANDOFF_TAKEN else [HANDOFF_ASKED, HANDOFF_TAKEN]
        row = await self.pool.fetchrow(
            "UPDATE handoffs SET status = $1, taken_by = coalesce(taken_by, $2), updated_at = $3"
            " WHERE id = $4 AND status = ANY($5::text[])"
            " RETURNING person, coalesce(department, '')",
            to,
            volunteer,
            now.isoformat(),
            handoff_id,
            allowed,
        )
        return (str(row[0]), str(row[1])) if row else None

    async def erase(self, person: str) -> list[tuple[int, int]]:
        self._pending = [row for row in self._pending if row[1] != person]
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "DELETE FROM handoffs WHERE person = $1 RETURNING group_chat_id, message_id",
                person,
            )
            await conn.execute("DELETE FROM events WHERE person = $1", person)
        return [(int(r[0]), int(r[1])) for r in rows if r[1] is not None]

    async def purge(self, now: datetime, keep: Retention) -> dict[str, int]:
        await self.flush()
        today = now.astimezone(UTC).date()
        before = (today - keep.conversations).isoformat()
        cutoff = _month_start(today, keep.events_months).isoformat()
        async with self.pool.acquire() as conn, conn.transaction():
            handoffs = await conn.fetch("DELETE FROM handoffs WHERE day < $1 RETURNING id", before)
            old = await conn.fetch(
                f"SELECT substr(day, 1, 7), {', '.join(EVENT_COLUMNS)} FROM events"
                " WHERE day < $1 ORDER BY id",
                cutoff,
            )
            by_month: dict[str, list[tuple[object, ...]]] = {}
            for row in old:
                by_month.setdefault(str(row[0]), []).append(tuple(row)[1:])
            counts = [
                (month, *key, n)
                for month, rows in by_month.items()
                for key, n in rollup(rows).items()
            ]
            await conn.executemany(
                "INSERT INTO event_counts (month, flow, name, step, value, department, centre,"
                " theme, offer, count) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                counts,
            )
            await conn.execute("DELETE FROM events WHERE day < $1", cutoff)
        return {"handoffs": len(handoffs), "events": len(old)}

    async def report_rows(
        self, since: str, until: str
    ) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
        await self.flush()
        return await report_rows(self.pool, since, until)

    async def last_purge(self) -> str | None:
        value = await self.pool.fetchval("SELECT value FROM meta WHERE key = 'last_purge'")
        return str(value) if value is not None else None

    async def purged(self, day: date) -> None:
        await self.pool.execute(
            "INSERT INTO meta (key, value) VALUES ('last_purge', $1)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            day.isoformat(),
        )
