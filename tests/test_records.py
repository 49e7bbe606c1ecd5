"""What outlives a conversation: pseudonymised, erased by person, purged on schedule."""

from __future__ import annotations

import os
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.dbfile import open_database
from bot.dialogue.replies import Event
from bot.privacy import Pseudonyms
from bot.records import HANDOFF_DONE, HANDOFF_TAKEN, Records, Retention
from bot.store import SqliteStore

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


async def count(store: SqliteStore, table: str) -> int:
    async with store.db.execute(f"SELECT count(*) FROM {table}") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def test_purge_rolls_old_events_into_monthly_counts_and_drops_old_handoffs(
    tmp_path: Path,
) -> None:
    store = await SqliteStore.open(tmp_path / "r.db")
    records = Records(store.db)
    old, recent = date(2024, 10, 15), date(2026, 11, 1)  # 25 months ago, this month
    for person in ("a", "b"):
        await records.add_events(person, "r", "beneficiary", [Event("started")], old, "23", None)
    await records.add_events("c", "r", "beneficiary", [Event("started")], recent, "87", None)
    await records.open_handoff("a", -100, "23", None, NOW - timedelta(days=31))
    kept = await records.open_handoff("c", -100, "87", None, NOW - timedelta(days=3))

    gone = await records.purge(NOW, Retention())
    assert gone == {"handoffs": 1, "events": 2}
    async with store.db.execute("SELECT * FROM event_counts") as cur:
        monthly = [tuple(r) async for r in cur]
    assert monthly == [("2024-10", "beneficiary", "started", None, None, "23", None, None, None, 2)]
    async with store.db.execute("SELECT person FROM events") as cur:
        assert [r[0] async for r in cur] == ["c"]
    assert (await records.handoff(kept.token)) is not None and await count(store, "handoffs") == 1
    assert await records.purge(NOW, Retention()) == {"handoffs": 0, "events": 0}  # idempotent
    await store.close()


async def test_a_purge_cut_short_deletes_the_rest_later_without_counting_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Old months go in chunks, turns going on in between; a crash after a month's counts are
    written and before all its events are gone must not count that month twice."""
    import asyncio

    import bot.records

    async def rolled_up(path: Path, cut_short: bool) -> list[tuple[object, ...]]:
        store = await SqliteStore.open(path)
        records = Records(store.db)
        for n in range(7):  # two old months, several conversations
            day = date(2024, 9 + n % 2, 3 + n)
            events = [Event("started"), Event("step", step="need")]
            await records.add_events(f"p{n}", f"r{n}", "beneficiary", events, day, "23", None)
        await records.flush()
        if cut_short:
            real_sleep = asyncio.sleep

            async def crash(delay: float) -> None:
                if delay == 0:
                    raise KeyboardInterrupt  # the process dies between two chunks
                await real_sleep(delay)

            monkeypatch.setattr(bot.records.asyncio, "sleep", crash)
            with pytest.raises(KeyboardInterrupt):
                await records.purge(NOW, Retention())
            monkeypatch.setattr(bot.records.asyncio, "sleep", real_sleep)
            assert 0 < await count(store, "events") < 14  # some went, not all
        gone = await records.purge(NOW, Retention())
        assert await count(store, "events") == 0 and gone["events"] > 0
        counts = await store.db.execute_fetchall(
            "SELECT month, name, step, sum(count) FROM event_counts GROUP BY 1, 2, 3 ORDER BY 1, 2"
        )
        await store.close()
        return [tuple(r) for r in counts]

    monkeypatch.setattr(bot.records, "PURGE_CHUNK", 3)
    whole = await rolled_up(tmp_path / "a.db", cut_short=False)
    assert ("2024-09", "started", None, 4) in whole
    assert await rolled_up(tmp_path / "b.db", cut_short=True) == whole


async def test_unconsented_conversations_expire_sooner(tmp_path: Path) -> None:
    from bot.dialogue.state import State

    store = await SqliteStore.open(tmp_path / "r.db")
    await store.set("tg:1", State(flow="b", version=1, step="consent"), 1, NOW)
    await store.set("tg:2", State(flow="b", version=1, step="need", keep=True), 1, NOW)
    assert await store.expire(NOW + timedelta(days=3)) == 1
    assert (await store.get("tg:2")).state is not None
    await store.close()


async def test_a_handoff_is_taken_once_and_closed_once(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "r.db")
    records = Records(store.db)
    hid = (await records.open_handoff("p", -100, "23", "gueret", NOW)).id
    assert await records.move_handoff(hid, HANDOFF_TAKEN, "v1", NOW) == ("p", "23")
    assert await records.move_handoff(hid, HANDOFF_TAKEN, "v2", NOW) is None
    assert await records.move_handoff(hid, HANDOFF_DONE, "v2", NOW) == ("p", "23")
    assert await records.move_handoff(hid, HANDOFF_DONE, "v2", NOW) is None
    async with store.db.execute("SELECT taken_by, status FROM handoffs") as cur:
        assert [tuple(r) async for r in cur] == [("v1", "done")]
    await store.close()


async def test_follow_ups_are_returned_once_and_keep_the_conversation(tmp_path: Path) -> None:
    from bot.dialogue.state import State

    store = await SqliteStore.open(tmp_path / "r.db", expiry=timedelta(days=10))
    await store.set("tg:5", State(flow="b", version=1, step="x", keep=True, done=True), 1, NOW)
    await store.plan_followup("tg:5", NOW + timedelta(days=14))
    assert await store.due_followups(NOW + timedelta(days=13)) == []
    assert await store.expire(NOW + timedelta(days=12)) == 0  # kept past its 10 days
    assert await store.due_followups(NOW + timedelta(days=15)) == ["tg:5"]
    assert await store.due_followups(NOW + timedelta(days=16)) == []
    await store.close()


def test_pseudonyms_are_keyed_stable_and_not_the_id() -> None:
    a, b = Pseudonyms(b"k" * 32), Pseudonyms(b"j" * 32)
    assert a.person(123456789) == a.person(123456789) != b.person(123456789)
    assert "123456789" not in a.person(123456789) and len(a.person(1)) == 32
    assert a.person("tg:123456789") == a.person(123456789)  # a chat key with its channel
    with pytest.raises(ValueError, match="16 bytes"):
        Pseudonyms(b"short")


def test_without_a_configured_key_one_is_made_once_and_private(tmp_path: Path) -> None:
    db = tmp_path / "repere.db"
    first = Pseudonyms.from_setting(None, db)
    key = tmp_path / "repere.db.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    assert Pseudonyms.from_setting(None, db).person(7) == first.person(7)
    assert Pseudonyms.from_setting("a configured key, long enough", db).person(7) != first.person(7)
    key.chmod(0o644)  # opened up by hand: closed again on the next start
    assert Pseudonyms.from_setting(None, db).person(7) == first.person(7)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600


async def test_many_conversations_at_once_share_the_connection_safely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hundreds of turns interleaved on one connection, as under load; sqlite3's
    executemany failed here with "bad parameter or other API misuse"."""
    import asyncio

    from bot.dialogue.state import State

    monkeypatch.setattr("bot.store.RECENT", 0)  # every read goes to the database
    store = await SqliteStore.open(tmp_path / "r.db")
    records = Records(store.db)

    async def person(i: int) -> None:
        for t in range(10):
            await store.get(f"tg:{i}")
            await store.set(
                f"tg:{i}", State(flow="b", version=1, step=f"s{t}", keep=True), t + 1, NOW
            )
            events = [Event("step", step=f"s{t}")]
            await records.add_events(f"p{i}", "r", "b", events, NOW.date(), "23", None)

    await asyncio.gather(*(person(i) for i in range(800)))
    await records.flush()
    assert await count(store, "events") == 800 * 10
    await store.close()


async def test_events_are_written_soon_and_erasure_reaches_those_waiting(tmp_path: Path) -> None:
    import asyncio

    from bot.records import FLUSH_AFTER

    store = await SqliteStore.open(tmp_path / "r.db")
    records = Records(store.db)
    await records.add_events("a", "r", "b", [Event("started")], NOW.date(), None, None)
    await records.add_events("b", "r", "b", [Event("started")], NOW.date(), None, None)
    assert await count(store, "events") == 0  # off the turn's path…
    await records.erase("a")  # …yet /oubli reaches them
    await asyncio.sleep(FLUSH_AFTER + 0.2)
    async with store.db.execute("SELECT person FROM events") as cur:
        assert [r[0] async for r in cur] == ["b"]
    await records.add_events("c", "r", "b", [Event("started")], NOW.date(), None, None)
    await records.close()  # shutting down writes what waits
    assert await count(store, "events") == 2
    await store.close()


async def test_requests_posted_before_tokens_keep_answering_to_their_number(
    tmp_path: Path,
) -> None:
    from bot.store import MIGRATIONS

    path = tmp_path / "r.db"
    async with await open_database(path) as db:  # a database of the version before tokens
        for n, script in enumerate(MIGRATIONS[:2], start=1):
            await db.executescript(f"BEGIN;\n{script}\nPRAGMA user_version = {n};\nCOMMIT;")
        await db.execute(
            "INSERT INTO handoffs (day, person, group_chat_id, message_id, status, updated_at)"
            " VALUES ('2026-11-20', 'p', -100, 5, 'asked', '2026-11-20')"
        )
    store = await SqliteStore.open(path)
    records = Records(store.db)
    old = await records.handoff("1")
    assert old is not None and old.message_id == 5
    new = await records.open_handoff("q", -100, "23", None, NOW)
    assert new.token != str(new.id) and await records.handoff(new.token) == new
    await store.close()


async def test_a_full_batch_of_events_is_written_right_after_the_turn_not_within_it(
    tmp_path: Path,
) -> None:
    """The turn that fills the batch does not pay for writing it (a few milliseconds): the
    batch goes as soon as the turn has given the event loop back, without waiting FLUSH_AFTER."""
    import asyncio

    from bot.records import FLUSH_ROWS

    store = await SqliteStore.open(tmp_path / "r.db")
    records = Records(store.db)
    many = [Event("step", step=f"s{n}") for n in range(FLUSH_ROWS)]
    await records.add_events("a", "r", "b", many, NOW.date(), None, None)
    assert await count(store, "events") == 0  # not within the turn…
    for _ in range(3):
        await asyncio.sleep(0)  # …but right after it, long before FLUSH_AFTER
    assert await count(store, "events") == FLUSH_ROWS
    await records.close()
    await store.close()
