"""What several instances on one PostgreSQL rely on: per-key serialisation across processes,
update ids applied once, rows of a dead instance adopted once, one lease holder, reloads."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.dialogue.state import State
from bot.store import Write

pytest.importorskip("asyncpg")
from bot.storage.postgres import PostgresStore

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def counter(n: int) -> State:
    return State(flow="beneficiary", version=1, step="need", answers={"n": str(n)}, keep=True)


async def test_turns_on_one_key_from_two_instances_never_lose_an_update(pg_dsn: str) -> None:
    a, b = await PostgresStore.open(pg_dsn), await PostgresStore.open(pg_dsn)

    async def bump(store: PostgresStore, update_id: int) -> None:
        async with store.turn("tg:1"):
            record = await store.get("tg:1")
            n = int(record.state.answers["n"]) if record.state else 0
            await asyncio.sleep(0.001)  # let the other instance try to interleave
            await store.commit(Write("tg:1", NOW, state=counter(n + 1), update_id=update_id))

    await asyncio.gather(*(bump(a if i % 2 else b, i) for i in range(1, 41)))
    record = await a.get("tg:1")
    assert record.state is not None and record.state.answers["n"] == "40"
    assert record.last_update_id == 40
    await a.close()
    await b.close()


async def test_one_update_delivered_to_two_instances_is_applied_once(pg_dsn: str) -> None:
    a, b = await PostgresStore.open(pg_dsn), await PostgresStore.open(pg_dsn)
    applied: list[str] = []

    async def handle(store: PostgresStore, name: str) -> None:
        async with store.turn("tg:1"):
            if (await store.get("tg:1")).last_update_id >= 9:
                return  # seen: the other instance had it
            applied.append(name)
            await store.commit(Write("tg:1", NOW, state=counter(1), update_id=9, outbox=[{}]))

    await asyncio.gather(handle(a, "a"), handle(b, "b"))
    assert len(applied) == 1
    await a.close()
    await b.close()


async def test_the_rows_of_a_dead_instance_are_adopted_by_exactly_one(pg_dsn: str) -> None:
    dead = await PostgresStore.open(pg_dsn, lease=0.5)
    await dead.inbox_add("tg", [(1, "u1"), (2, "u2")], 2)
    await dead.commit(Write("tg:1", NOW, outbox=[{"send": 1}, {"send": 2}]))
    alive = [await PostgresStore.open(pg_dsn, lease=0.5) for _ in range(2)]
    # while its owner beats, nobody takes its rows
    assert [await s.outbox_pending() for s in alive] == [[], []]
    assert [await s.inbox_pending("tg") for s in alive] == [[], []]
    assert dead._beat is not None
    dead._beat.cancel()  # as if SIGKILLed: no more heartbeats, no goodbye
    await asyncio.sleep(0.8)
    outs = await asyncio.gather(*(s.outbox_pending() for s in alive))
    ins = await asyncio.gather(*(s.inbox_pending("tg") for s in alive))
    assert sorted(i.action["send"] for out in outs for i in out) == [1, 2]
    assert sorted(uid for rows in ins for uid, _ in rows) == [1, 2]
    # adopted rows belong to a live instance now: not adopted again
    assert [await s.outbox_pending() for s in alive] == [[], []]
    for s in [*alive, dead]:
        await s.close()


async def test_only_one_instance_holds_the_jobs_lease(pg_dsn: str) -> None:
    a, b = await PostgresStore.open(pg_dsn), await PostgresStore.open(pg_dsn)
    async with a.lease("jobs") as first, b.lease("jobs") as second:
        assert first and not second
    async with b.lease("jobs") as later:
        assert later
    await a.close()
    await b.close()


async def test_a_reload_announced_reaches_the_other_instances_only(pg_dsn: str) -> None:
    a, b = await PostgresStore.open(pg_dsn), await PostgresStore.open(pg_dsn)
    heard: dict[str, int] = {"a": 0, "b": 0}
    done = asyncio.Event()

    async def on(name: str) -> None:
        heard[name] += 1
        done.set()

    await a.on_reload(lambda: on("a"))
    await b.on_reload(lambda: on("b"))
    await a.announce_reload()
    await asyncio.wait_for(done.wait(), 5)
    await asyncio.sleep(0.1)
    assert heard == {"a": 0, "b": 1}
    await a.close()
    await b.close()


async def test_migrations_run_once_when_instances_start_together(pg_dsn: str) -> None:
    stores = await asyncio.gather(*(PostgresStore.open(pg_dsn) for _ in range(3)))
    versions = await stores[0].pool.fetch("SELECT version FROM repere_schema")
    assert [r[0] for r in versions] == [1]
    for s in stores:
        await s.close()


async def test_follow_ups_due_go_to_one_instance_each(pg_dsn: str) -> None:
    stores = [await PostgresStore.open(pg_dsn) for _ in range(3)]
    keys = [f"tg:{n}" for n in range(60)]
    for key in keys:
        await stores[0].set(key, counter(0), 1, NOW)
        await stores[0].plan_followup(key, NOW)
    later = NOW.replace(day=27)
    taken = await asyncio.gather(*(s.due_followups(later) for s in stores for _ in range(3)))
    every = [key for batch in taken for key in batch]
    assert sorted(every) == sorted(keys)  # each once, none lost
    for s in stores:
        await s.close()
