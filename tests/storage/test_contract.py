"""The Store and Records contract, the same tests on both engines (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from bot.dialogue.replies import Event
from bot.dialogue.state import State
from bot.records import HANDOFF_DONE, HANDOFF_TAKEN, Retention
from bot.store import Write
from tests.storage.conftest import Open

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def state(step: str = "need", done: bool = False, keep: bool | None = True) -> State:
    return State(
        flow="beneficiary", version=1, step=step, answers={"consent": "yes"}, done=done, keep=keep
    )


async def test_a_turn_is_written_through_and_read_back_after_a_restart(engine: Open) -> None:
    store, _ = await engine()
    assert (await store.get("tg:1")).state is None
    await store.set("tg:1", state(), 41, NOW)
    await store.close()
    again, _ = await engine()
    record = await again.get("tg:1")
    assert record.state == state() and record.last_update_id == 41
    assert record.updated_at == NOW


async def test_last_update_id_never_goes_back(engine: Open) -> None:
    store, _ = await engine()
    await store.set("tg:1", state(), 50, NOW)
    await store.set("tg:1", state("age"), None, NOW)
    await store.set("tg:1", state("age"), 12, NOW)
    assert (await store.get("tg:1")).last_update_id == 50


async def test_one_commit_holds_inbox_state_confirmation_and_outbox(engine: Open) -> None:
    store, _ = await engine()
    await store.inbox_add("tg", [(7, '{"update_id": 7}'), (8, '{"update_id": 8}')], 8)
    write = Write(
        "tg:1",
        NOW,
        state=state(),
        update_id=7,
        inbox=("tg", 7),
        outbox=[{"send": "a"}, {"send": "b"}],
        confirm="n1",
    )
    async with store.turn("tg:1"):
        items = await store.commit(write)
    assert [i.action for i in items] == [{"send": "a"}, {"send": "b"}]
    assert items[0].id < items[1].id
    assert await store.confirmation("tg:1") == "n1"
    await store.close()
    store, _ = await engine()  # a restart: what is left undelivered or unhandled
    assert [i.id for i in await store.outbox_pending()] == [i.id for i in items]
    assert [uid for uid, _ in await store.inbox_pending("tg")] == [8]
    await store.outbox_done([items[0].id])
    await store.inbox_done("tg", 8)
    await store.close()
    store, _ = await engine()
    assert [i.action for i in await store.outbox_pending()] == [{"send": "b"}]
    assert await store.inbox_pending("tg") == []
    assert await store.inbox_cursor("tg") == 8


async def test_the_inbox_cursor_never_goes_back_and_a_row_is_stored_once(engine: Open) -> None:
    store, _ = await engine()
    await store.inbox_add("tg", [(5, "x")], 9)
    await store.inbox_add("tg", [(5, "x")], 3)
    assert await store.inbox_cursor("tg") == 9
    await store.close()
    store, _ = await engine()
    assert await store.inbox_pending("tg") == [(5, "x")]


async def test_forget_deletes_the_conversation_and_its_confirmation(engine: Open) -> None:
    store, _ = await engine()
    await store.commit(Write("tg:1", NOW, state=state(), confirm="n"))
    await store.commit(Write("tg:1", NOW, confirm=""))
    assert await store.confirmation("tg:1") is None
    await store.commit(Write("tg:1", NOW, confirm="m"))
    await store.forget("tg:1")
    assert (await store.get("tg:1")).state is None
    assert await store.confirmation("tg:1") is None


async def test_reminders_and_follow_ups_are_due_once(engine: Open) -> None:
    store, _ = await engine(remind_after=timedelta(hours=24))
    await store.set("tg:1", state(), 1, NOW)
    await store.set("tg:2", state(done=True), 1, NOW)
    await store.plan_followup("tg:2", NOW + timedelta(days=3))
    assert await store.due_reminders(NOW + timedelta(hours=23)) == []
    assert await store.due_reminders(NOW + timedelta(hours=25)) == ["tg:1"]
    assert await store.due_reminders(NOW + timedelta(hours=26)) == []
    assert await store.due_followups(NOW + timedelta(days=2)) == []
    await store.close()
    store, _ = await engine()  # due while the bot was down: still sent, once
    assert await store.due_followups(NOW + timedelta(days=9)) == ["tg:2"]
    assert await store.due_followups(NOW + timedelta(days=9)) == []


async def test_expiry_keeps_a_planned_follow_up_and_drops_the_rest(engine: Open) -> None:
    store, _ = await engine(expiry=timedelta(days=30))
    await store.set("tg:1", state(), 1, NOW)
    await store.set("tg:2", state(keep=None), 1, NOW)  # no consent: a shorter life
    await store.set("tg:3", state(done=True), 1, NOW)
    await store.plan_followup("tg:3", NOW + timedelta(days=40))
    assert await store.expire(NOW + timedelta(days=3)) == 1
    assert await store.expire(NOW + timedelta(days=31)) == 1
    assert (await store.get("tg:3")).state is not None


async def test_a_handoff_is_linked_to_its_chat(engine: Open) -> None:
    store, _ = await engine()
    await store.set("tg:42", state(), 1, NOW)
    await store.link_handoff(42, 7)
    assert await store.chat_of_handoff(7) == 42
    assert await store.chat_of_handoff(8) is None


async def test_events_counts_erasure_and_purge(engine: Open) -> None:
    _, records = await engine()
    old, recent = date(2024, 1, 10), date(2026, 11, 20)
    for person, day in (("p1", old), ("p2", old), ("p1", recent)):
        events = [Event("started"), Event("answered", step="need", value="lire")]
        run = f"run-{person}-{day}"
        await records.add_events(person, run, "beneficiary", events, day, "23", None)
    events, monthly = await records.report_rows("0001-01-01", "2026-12-31")
    assert len(events) == 6 and monthly == []
    gone = await records.purge(NOW, Retention(timedelta(days=30), events_months=24))
    assert gone["events"] == 4
    events, monthly = await records.report_rows("0001-01-01", "2026-12-31")
    assert [e[0] for e in events] == ["p1", "p1"]  # only the recent ones keep a pseudonym
    assert monthly and all("p1" not in map(str, row) for row in monthly)
    assert sum(int(str(r[-1])) for r in monthly if r[1] == "started") == 2
    await records.purged(NOW.date())
    assert await records.last_purge() == NOW.date().isoformat()
    assert await records.erase("p1") == []
    events, _ = await records.report_rows("0001-01-01", "2026-12-31")
    assert events == []


async def test_a_handoff_is_taken_once_erased_with_its_person_and_purged(engine: Open) -> None:
    _, records = await engine()
    row = await records.open_handoff("p1", -100, "23", None, NOW)
    assert (await records.handoff(row.token)) == row
    await records.posted(row.id, 555)
    results = await asyncio.gather(
        records.move_handoff(row.id, HANDOFF_TAKEN, "v1", NOW),
        records.move_handoff(row.id, HANDOFF_TAKEN, "v2", NOW),
    )
    assert sorted(r is None for r in results) == [False, True]  # the first tap wins
    assert await records.move_handoff(row.id, HANDOFF_DONE, "v1", NOW) == ("p1", "23")
    assert await records.erase("p1") == [(-100, 555)]
    assert await records.handoff(row.token) is None
    other = await records.open_handoff("p2", -100, None, None, NOW - timedelta(days=40))
    assert (await records.purge(NOW, Retention()))["handoffs"] == 1
    assert await records.handoff(other.token) is None


async def test_scheduled_work_has_a_lease(engine: Open) -> None:
    store, _ = await engine()
    async with store.lease("jobs") as mine:
        assert mine
    async with store.lease("jobs") as again:  # released: taken again
        assert again
