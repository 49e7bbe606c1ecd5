from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite

from bot.dialogue.state import State
from bot.store import MIGRATIONS, SqliteStore, migrate

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def state(step: str = "need", done: bool = False, keep: bool | None = True) -> State:
    return State(
        flow="beneficiary",
        version=1,
        step=step,
        answers={"consent": "yes"},
        done=done,
        keep=keep,
    )


async def test_write_through_and_read_back_from_a_new_connection(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    store = await SqliteStore.open(db)
    assert (await store.get(1)).state is None
    await store.set(1, state(), 41, NOW)
    await store.close()
    again = await SqliteStore.open(db)  # nothing from memory: straight from the file
    record = await again.get(1)
    assert record.state == state() and record.last_update_id == 41
    async with aiosqlite.connect(db) as raw, raw.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone()) == ("wal",)
    await again.close()


async def test_last_update_id_never_goes_back(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "r.db")
    await store.set(1, state(), 50, NOW)
    await store.set(1, state("age"), None, NOW)  # a reminder, say: no update behind it
    assert (await store.get(1)).last_update_id == 50
    await store.close()
    reopened = await SqliteStore.open(tmp_path / "r.db")
    assert (await reopened.get(1)).last_update_id == 50
    await reopened.close()


async def test_one_reminder_after_the_delay_surviving_a_restart(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "r.db", remind_after=timedelta(hours=24))
    await store.set(1, state(), 1, NOW)
    await store.set(2, state(done=True), 1, NOW)  # finished: no reminder
    assert await store.due_reminders(NOW + timedelta(hours=23)) == []
    await store.close()
    store = await SqliteStore.open(tmp_path / "r.db")
    assert await store.due_reminders(NOW + timedelta(hours=25)) == [1]
    assert await store.due_reminders(NOW + timedelta(hours=26)) == []  # only once
    await store.close()


async def test_expiry_and_forget(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "r.db", expiry=timedelta(days=30))
    await store.set(1, state(), 1, NOW)
    await store.set(2, state(), 1, NOW + timedelta(days=20))
    assert await store.expire(NOW + timedelta(days=31)) == 1
    assert (await store.get(1)).state is None and (await store.get(2)).state is not None
    await store.forget(2)
    assert (await store.get(2)).state is None
    await store.close()


async def test_migrations_are_versioned_and_idempotent(tmp_path: Path) -> None:
    async with aiosqlite.connect(tmp_path / "m.db") as db:
        assert await migrate(db) == len(MIGRATIONS)
        assert await migrate(db) == len(MIGRATIONS)
        async with db.execute("PRAGMA user_version") as cur:
            assert (await cur.fetchone()) == (len(MIGRATIONS),)


async def test_an_unreadable_state_starts_afresh_but_keeps_the_dedup(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "r.db")
    await store.db.execute(
        "INSERT INTO conversations (chat_id, flow, state, last_update_id, updated_at, expires_at)"
        " VALUES (9, 'beneficiary', '{broken', 12, ?, ?)",
        (NOW.isoformat(), (NOW + timedelta(days=1)).isoformat()),
    )
    record = await store.get(9)
    assert record.state is None and record.last_update_id == 12
    await store.close()
