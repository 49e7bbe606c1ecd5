from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.dbfile import open_database
from bot.dialogue.state import State
from bot.store import MIGRATIONS, SqliteStore, Write, migrate

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
    assert (await store.get("tg:1")).state is None
    await store.set("tg:1", state(), 41, NOW)
    await store.close()
    again = await SqliteStore.open(db)  # nothing from memory: straight from the file
    record = await again.get("tg:1")
    assert record.state == state() and record.last_update_id == 41
    async with await open_database(db) as raw, raw.execute("PRAGMA journal_mode") as cur:
        assert (await cur.fetchone()) == ("wal",)
    await again.close()


async def test_last_update_id_never_goes_back(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "r.db")
    await store.set("tg:1", state(), 50, NOW)
    await store.set("tg:1", state("age"), None, NOW)  # a reminder, say: no update behind it
    assert (await store.get("tg:1")).last_update_id == 50
    await store.close()
    reopened = await SqliteStore.open(tmp_path / "r.db")
    assert (await reopened.get("tg:1")).last_update_id == 50
    await reopened.close()


async def test_one_reminder_after_the_delay_surviving_a_restart(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "r.db", remind_after=timedelta(hours=24))
    await store.set("tg:1", state(), 1, NOW)
    await store.set("tg:2", state(done=True), 1, NOW)  # finished: no reminder
    assert await store.due_reminders(NOW + timedelta(hours=23)) == []
    await store.close()
    store = await SqliteStore.open(tmp_path / "r.db")
    assert await store.due_reminders(NOW + timedelta(hours=25)) == ["tg:1"]
    assert await store.due_reminders(NOW + timedelta(hours=26)) == []  # only once
    await store.close()


async def test_expiry_and_forget(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "r.db", expiry=timedelta(days=30))
    await store.set("tg:1", state(), 1, NOW)
    await store.set("tg:2", state(), 1, NOW + timedelta(days=20))
    assert await store.expire(NOW + timedelta(days=31)) == 1
    assert (await store.get("tg:1")).state is None and (await store.get("tg:2")).state is not None
    await store.forget("tg:2")
    assert (await store.get("tg:2")).state is None
    await store.close()


async def test_migrations_are_versioned_and_idempotent(tmp_path: Path) -> None:
    async with await open_database(tmp_path / "m.db") as db:
        assert await migrate(db) == len(MIGRATIONS)
        assert await migrate(db) == len(MIGRATIONS)
        async with db.execute("PRAGMA user_version") as cur:
            assert (await cur.fetchone()) == (len(MIGRATIONS),)


async def test_an_unreadable_state_starts_afresh_but_keeps_the_dedup(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "r.db")
    await store.db.execute(
        "INSERT INTO conversations (key, flow, state, last_update_id, updated_at, expires_at)"
        " VALUES ('tg:9', 'beneficiary', '{broken', 12, ?, ?)",
        (NOW.isoformat(), (NOW + timedelta(days=1)).isoformat()),
    )
    record = await store.get("tg:9")
    assert record.state is None and record.last_update_id == 12
    await store.close()


async def test_migration_3_keys_conversations_by_channel_and_keeps_them(tmp_path: Path) -> None:
    async with await open_database(tmp_path / "m.db") as db:
        for n, script in enumerate(MIGRATIONS[:2], start=1):  # a database of the last release
            await db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {n};\nCOMMIT;")
        await db.execute(
            "INSERT INTO conversations (chat_id, flow, state, last_update_id, updated_at,"
            " expires_at, follow_at) VALUES (77, 'beneficiary', ?, 5, ?, ?, ?)",
            (state().to_json(), NOW.isoformat(), "2099-01-01", "2026-12-10"),
        )
    store = await SqliteStore.open(tmp_path / "m.db")
    record = await store.get("tg:77")
    assert record.state == state() and record.last_update_id == 5
    assert await store.due_followups(NOW + timedelta(days=30)) == ["tg:77"]
    await store.close()


async def test_a_turn_is_one_transaction_with_its_inbox_and_outbox_rows(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "r.db")
    await store.inbox_add("tg", [(10, "{}"), (11, "{}")], 12)
    assert await store.inbox_cursor("tg") == 12
    items = await store.commit(
        Write("tg:1", NOW, state=state(), update_id=10, inbox=("tg", 10), outbox=[{"a": 1}])
    )
    assert [i.action for i in items] == [{"a": 1}]
    assert await store.inbox_pending("tg") == [(11, "{}")]
    with pytest.raises(OverflowError):  # a failing write leaves nothing behind
        await store.commit(
            Write(
                "tg:2",
                NOW,
                state=state(),
                inbox=("tg", 11),
                confirm=None,
                outbox=[{"b": 2}],
                follow_at=NOW,
                update_id=2**70,
            )
        )
    assert await store.inbox_pending("tg") == [(11, "{}")]
    assert (await store.get("tg:2")).state is None
    assert [i.action for i in await store.outbox_pending()] == [{"a": 1}]
    await store.outbox_done([items[0].id])
    assert await store.outbox_pending() == []
    await store.close()


async def test_the_wal_is_written_back_into_the_file_off_the_turns_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Turns never checkpoint (an fsync in the middle of a turn); the Checkpointer does, every
    so many turns, and the WAL stays bounded."""
    import asyncio
    import shutil
    import sqlite3

    db = tmp_path / "r.db"
    monkeypatch.setattr("bot.store_sql.WAL_LIMIT", 500)  # pages
    store = await SqliteStore.open(db)
    store.checkpointer.every = 10
    for n in range(25):
        await store.set(f"tg:{n}", state(), n + 1, NOW)
        if store.checkpointer.task is not None:
            await asyncio.wait({store.checkpointer.task})
    alone = tmp_path / "alone.db"
    shutil.copy(db, alone)  # the database file without its WAL: what was written back
    with sqlite3.connect(alone) as raw:
        assert raw.execute("SELECT count(*) FROM conversations").fetchone()[0] >= 20
    for n in range(1000):  # a load that never pauses: the WAL restarts all the same
        await store.set(f"tg:{n % 50}", state(step=f"s{n}"), 100 + n, NOW)
    assert (tmp_path / "r.db-wal").stat().st_size < 500 * 4096 * 1.5
    await store.close()
