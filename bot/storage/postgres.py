"""The Store contract on PostgreSQL (asyncpg and its pool), for several instances at once.

- A turn holds its key across processes: `pg_advisory_xact_lock(hashtext(key))` inside the
  turn's transaction, so reading the state, the update-id check and the write are one unit and
  an update delivered to two instances is applied once.
- Nothing is cached in memory: another instance may have written since.
- Inbox and outbox rows carry the instance that holds them; each instance refreshes its row in
  `instances`, and rows of an instance silent for `lease` seconds are adopted by another
  (`inbox_pending`, `outbox_pending`), each row by exactly one (a single UPDATE … RETURNING).
- Scheduled work takes a session advisory lock (`lease`): one instance at a time.
- /reload and SIGHUP reach every instance by LISTEN/NOTIFY.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any, Literal

import asyncpg

from bot.storage.pg_schema import migrate
from bot.store import (
    DEFAULT_EXPIRY,
    REMINDER_AFTER,
    TELEGRAM,
    UNCONSENTED_EXPIRY,
    Item,
    Record,
    Store,
    Write,
    _key,
)
from bot.store_sql import Lives, iso, state_row

log = logging.getLogger("repere.postgres")

RELOAD_CHANNEL = "repere_reload"
LEASE = 10.0  # seconds: an instance silent this long is gone; its rows are adopted
_turn: ContextVar[asyncpg.Connection | None] = ContextVar("repere_pg_turn", default=None)

UPSERT = """
    INSERT INTO conversations
        (key, flow, state, last_update_id, updated_at, remind_at, expires_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    ON CONFLICT (key) DO UPDATE SET
        flow = excluded.flow, state = excluded.state,
        last_update_id = greatest(conversations.last_update_id, excluded.last_update_id),
        updated_at = excluded.updated_at, remind_at = excluded.remind_at,
        expires_at = greatest(excluded.expires_at, coalesce(conversations.follow_at, ''))
"""
GONE = "owner IS NULL OR owner NOT IN (SELECT id FROM instances WHERE seen > now() - $2::interval)"


class PostgresStore(Store):
    shared = True

    def __init__(
        self, pool: asyncpg.Pool, lives: Lives, lease: float = LEASE, turns: int = 8
    ) -> None:
        self.pool = pool
        # turns hold a connection each: a few stay free for the rest (an erasure inside a
        # turn, the heartbeat, the outbox), so the pool can never be all held by waiting turns
        self._turns = asyncio.Semaphore(turns)
        self.lives = lives
        self.lease_seconds = lease
        self.instance = uuid.uuid4().hex
        self._beat: asyncio.Task[None] | None = None
        self._listener: asyncpg.Connection | None = None
        self._reloads: set[asyncio.Future[object]] = set()
        self._heard: Callable[..., None] | None = None

    @classmethod
    async def open(
        cls,
        dsn: str,
        expiry: timedelta = DEFAULT_EXPIRY,
        remind_after: timedelta = REMINDER_AFTER,
        unconsented_expiry: timedelta = UNCONSENTED_EXPIRY,
        lease: float = LEASE,
        max_size: int = 10,
    ) -> PostgresStore:
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=max_size)
        async with pool.acquire() as conn:
            await migrate(conn)
        lives = Lives(remind_after, expiry, min(unconsented_expiry, expiry))
        store = cls(pool, lives, lease, turns=max(1, max_size - 3))
        await store._alive()
        store._beat = asyncio.get_running_loop().create_task(store._heartbeat())
        return store

    # -- liveness --------------------------------------------------------------------------

    async def _alive(self) -> None:
        await self.pool.execute(
            "INSERT INTO instances (id, seen) VALUES ($1, now())"
            " ON CONFLICT (id) DO UPDATE SET seen = now()",
            self.instance,
        )

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 4)
            try:
                await self._alive()
            except (asyncpg.PostgresError, OSError) as exc:
                log.error("heartbeat failed: %s", type(exc).__name__)

    def _gone_after(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)

    # -- turns ---------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        async with self._turns, self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", key)
            token = _turn.set(conn)
            try:
                yield
            finally:
                _turn.reset(token)

    @contextlib.asynccontextmanager
    async def _conn(self) -> AsyncIterator[asyncpg.Connection]:
        """The turn's connection if inside one, else one from the pool."""
        conn = _turn.get()
        if conn is not None:
            yield conn
        else:
            async with self.pool.acquire() as own:
                yield own

    async def get(self, key: str) -> Record:
        async with self._conn() as conn:
            row = await conn.fetchrow(
                "SELECT state, last_update_id, updated_at FROM conversations WHERE key = $1", key
            )
        return Record.read(row)

    async def commit(self, write: Write) -> list[Item]:
        async with self._conn() as conn, conn.transaction():
            if _turn.get() is None:  # a write outside a turn still waits for the key
                await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", write.key)
            ids = await self._write(conn, write)
        return [Item(i, write.key, a) for i, a in zip(ids, write.outbox, strict=True)]

    async def _write(self, conn: asyncpg.Connection, write: Write) -> list[int]:
        key, lives = write.key, self.lives
        if write.inbox is not None:
            await conn.execute(
                "DELETE FROM inbox WHERE channel = $1 AND update_id = $2", *write.inbox
            )
        if write.forget:
            await conn.execute("DELETE FROM conversations WHERE key = $1", key)
        elif write.state is not None:
            await conn.execute(UPSERT, *state_row(write, write.state, lives))
        if write.follow_at is not None:
            await conn.execute(
                "UPDATE conversations SET follow_at = $1, expires_at = greatest(expires_at, $2)"
                " WHERE key = $3",
                iso(write.follow_at),
                iso(write.follow_at + timedelta(days=7)),
                key,
            )
        if write.forget or write.confirm == "":
            await conn.execute("DELETE FROM confirmations WHERE key = $1", key)
        elif write.confirm is not None:
            await conn.execute(
                "INSERT INTO confirmations (key, nonce) VALUES ($1, $2) ON CONFLICT (key)"
                " DO UPDATE SET nonce = excluded.nonce",
                key,
                write.confirm,
            )
        return [
            int(
                await conn.fetchval(
                    "INSERT INTO outbox (key, action, owner) VALUES ($1, $2, $3) RETURNING id",
                    key,
                    json.dumps(action, ensure_ascii=False),
                    self.instance,
                )
            )
            for action in write.outbox
        ]

    async def confirmation(self, key: str) -> str | None:
        async with self._conn() as conn:
            nonce = await conn.fetchval("SELECT nonce FROM confirmations WHERE key = $1", key)
        return str(nonce) if nonce is not None else None

    # -- scheduled -----------------------------------------------------------------------------

    async def due_reminders(self, now: datetime) -> list[str]:
        return await self._take_due("remind_at", now)

    async def due_followups(self, now: datetime) -> list[str]:
        return await self._take_due("follow_at", now)

    async def _take_due(
        self, column: Literal["remind_at", "follow_at"], now: datetime
    ) -> list[str]:
        """Keys due, cleared in the same statement: each returned once, to one instance."""
        rows = await self.pool.fetch(
            f"UPDATE conversations SET {column} = NULL"
            f" WHERE {column} IS NOT NULL AND {column} <= $1 RETURNING key",
            iso(now),
        )
        return sorted(str(r[0]) for r in rows)

    async def link_handoff(self, key: str | int, handoff_id: int) -> None:
        await self.pool.execute(
            "UPDATE conversations SET handoff = $1 WHERE key = $2", handoff_id, _key(key)
        )

    async def chat_of_handoff(self, handoff_id: int) -> int | None:
        key = await self.pool.fetchval(
            "SELECT key FROM conversations WHERE handoff = $1", handoff_id
        )
        if key is None or not str(key).startswith(TELEGRAM):
            return None
        return int(str(key).removeprefix(TELEGRAM))

    async def expire(self, now: datetime) -> int:
        rows = await self.pool.fetch(
            "DELETE FROM conversations WHERE expires_at <= $1 RETURNING key", iso(now)
        )
        return len(rows)

    @contextlib.asynccontextmanager
    async def lease(self, name: str) -> AsyncIterator[bool]:
        async with self.pool.acquire() as conn:
            lock = f"repere:{name}"
            mine = bool(await conn.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", lock))
            try:
                yield mine
            finally:
                if mine:
                    await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", lock)

    # -- inbox and outbox ----------------------------------------------------------------------

    async def inbox_add(self, channel: str, rows: Sequence[tuple[int, str]], last: int) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.executemany(
                "INSERT INTO inbox (channel, update_id, payload, owner) VALUES ($1, $2, $3, $4)"
                " ON CONFLICT DO NOTHING",
                [(channel, uid, payload, self.instance) for uid, payload in rows],
            )
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET"
                " value = greatest(meta.value::bigint, excluded.value::bigint)::text",
                f"inbox:{channel}",
                str(last),
            )

    async def inbox_cursor(self, channel: str) -> int:
        value = await self.pool.fetchval(
            "SELECT value FROM meta WHERE key = $1", f"inbox:{channel}"
        )
        return int(value) if value is not None else 0

    async def inbox_pending(self, channel: str) -> list[tuple[int, str]]:
        """The rows of instances gone (or of none), now this one's."""
        rows = await self.pool.fetch(
            f"UPDATE inbox SET owner = $3 WHERE channel = $1 AND ({GONE})"
            " RETURNING update_id, payload",
            channel,
            self._gone_after(),
            self.instance,
        )
        return sorted((int(r[0]), str(r[1])) for r in rows)

    async def inbox_done(self, channel: str, update_id: int) -> None:
        async with self._conn() as conn:
            await conn.execute(
                "DELETE FROM inbox WHERE channel = $1 AND update_id = $2", channel, update_id
            )

    async def outbox_pending(self) -> list[Item]:
        """The undelivered rows of instances gone (or of none), now this one's."""
        rows = await self.pool.fetch(
            f"UPDATE outbox SET owner = $1 WHERE ({GONE}) RETURNING id, key, action",
            self.instance,
            self._gone_after(),
        )
        return sorted(
            (Item(int(r[0]), str(r[1]), json.loads(r[2])) for r in rows), key=lambda i: i.id
        )

    async def outbox_done(self, ids: Sequence[int]) -> None:
        await self.pool.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", list(ids))

    async def scrub(self) -> None:
        """Deleted rows are left to autovacuum (PostgreSQL has no secure_delete)."""

    # -- reload --------------------------------------------------------------------------------

    async def announce_reload(self) -> None:
        await self.pool.execute("SELECT pg_notify($1, $2)", RELOAD_CHANNEL, self.instance)

    async def on_reload(self, reload: Callable[[], Awaitable[object]]) -> None:
        conn = self._listener = await self.pool.acquire()
        loop = asyncio.get_running_loop()

        def heard(_conn: Any, _pid: int, _channel: str, sender: str) -> None:
            if sender != self.instance:
                task = asyncio.ensure_future(reload(), loop=loop)
                self._reloads.add(task)
                task.add_done_callback(self._reloads.discard)

        self._heard = heard
        await conn.add_listener(RELOAD_CHANNEL, heard)

    async def close(self) -> None:
        if self._beat is not None:
            self._beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beat
            self._beat = None
            with contextlib.suppress(asyncpg.PostgresError, OSError):
                await self.pool.execute("DELETE FROM instances WHERE id = $1", self.instance)
        if self._listener is not None:
            with contextlib.suppress(asyncpg.PostgresError, OSError):
                await self._listener.remove_listener(RELOAD_CHANNEL, self._heard)
            await self.pool.release(self._listener)
            self._listener = None
        await self.pool.close()
