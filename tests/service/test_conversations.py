"""The conversation service on its own: a recording channel, a real SQLite store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.dialogue.replies import Ask, Say
from bot.dialogue.state import Input
from bot.records import Records, Retention
from bot.resources import Resources
from bot.service.conversations import Conversations, Incoming, Outcome
from bot.service.delivery import Outbox, RetryLater, Undeliverable
from bot.service.jobs import Jobs
from bot.store import SqliteStore, Write

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
KEY = "term:1"


class Channel:
    """Renders an outcome as one action per reply; delivers into a list."""

    def __init__(self) -> None:
        self.delivered: list[tuple[str, dict[str, Any]]] = []
        self.outcomes: list[Outcome] = []
        self.fail_next: list[Exception] = []

    def render(self, outcome: Outcome) -> list[dict[str, Any]]:
        self.outcomes.append(outcome)
        out: list[dict[str, Any]] = []
        for reply in [*outcome.said, *outcome.replies]:
            if isinstance(reply, Ask):
                out.append({"ask": reply.step})
            elif isinstance(reply, Say):
                out.append({"say": reply.text})
        if outcome.forget:
            out.append({"forget": outcome.forget, "nonce": outcome.nonce})
        if outcome.failed:
            out.append({"failed": True})
        return out

    async def deliver(self, key: str, action: dict[str, Any]) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)
        self.delivered.append((key, action))

    def asked(self) -> list[str]:
        return [a["ask"] for _, a in self.delivered if "ask" in a]


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def setup(
    resources: Resources, tmp_path: Path
) -> AsyncIterator[tuple[Conversations, Channel, SqliteStore]]:
    store = await SqliteStore.open(tmp_path / "s.db")
    channel = Channel()
    outbox = Outbox(store, channel.deliver)
    service = Conversations(
        resources,
        store,
        {"term": channel.render},
        outbox,
        records=Records(store.db),
        clock=Clock(),
    )
    yield service, channel, store
    await outbox.close()
    await store.close()


async def test_a_turn_writes_state_inbox_and_outbox_together_then_delivers(
    setup: tuple[Conversations, Channel, SqliteStore],
) -> None:
    service, channel, store = setup
    await store.inbox_add("term", [(1, "{}")], 1)
    items = await service.handle(Incoming(KEY, 1, start=("beneficiary", {})))
    assert items and [i.key for i in items] == [KEY] * len(items)
    assert await store.inbox_pending("term") == []  # handled in the same transaction
    assert (await store.get(KEY)).state is not None
    await service.outbox.drain(5)
    assert channel.asked() == ["language"]
    assert await store.outbox_pending() == []  # delivered rows are marked (deleted)


async def test_an_update_seen_before_is_not_applied_twice(
    setup: tuple[Conversations, Channel, SqliteStore],
) -> None:
    service, _channel, store = setup
    await service.handle(Incoming(KEY, 1, start=("beneficiary", {})))
    await service.handle(Incoming(KEY, 2, Input(choice="fr", step="language")))
    turns = (await store.get(KEY)).state.turns  # type: ignore[union-attr]
    assert await service.handle(Incoming(KEY, 2, Input(choice="fr", step="language"))) == []
    assert (await store.get(KEY)).state.turns == turns  # type: ignore[union-attr]


async def test_one_keys_turns_run_in_arrival_order_others_in_parallel(
    setup: tuple[Conversations, Channel, SqliteStore],
) -> None:
    service, channel, _store = setup
    await asyncio.gather(
        service.handle(Incoming(KEY, 1, start=("beneficiary", {}))),
        service.handle(Incoming(KEY, 2, Input(choice="fr", step="language"))),
        service.handle(Incoming(KEY, 3, Input(choice="yes", step="consent"))),
        service.handle(Incoming("term:2", 4, start=("beneficiary", {}))),
    )
    await service.outbox.drain(5)
    mine = [a["ask"] for k, a in channel.delivered if k == KEY and "ask" in a]
    assert mine == ["language", "consent", "where"]
    assert not any("say" in a and "plus valable" in a["say"] for _, a in channel.delivered)


async def test_undelivered_rows_are_sent_again_at_start_and_429_waits(
    setup: tuple[Conversations, Channel, SqliteStore],
) -> None:
    _service, channel, store = setup
    # a crash after the commit, before delivery: the rows are in the outbox
    await store.commit(Write(KEY, NOW, outbox=[{"say": "one"}, {"say": "two"}]))
    channel.fail_next = [RetryLater(0.2), Undeliverable("blocked")]
    fresh = Outbox(store, channel.deliver)
    started = asyncio.get_running_loop().time()
    assert await fresh.load() == 2
    await fresh.drain(5)
    assert asyncio.get_running_loop().time() - started >= 0.2  # retry_after honoured
    # "one": retried after the wait, then refused for good; "two" goes through
    assert channel.delivered == [(KEY, {"say": "two"})]
    assert fresh.dropped == 1 and await store.outbox_pending() == []


async def test_forget_only_with_the_confirmation_last_shown_and_only_once(
    setup: tuple[Conversations, Channel, SqliteStore],
) -> None:
    service, channel, store = setup
    await service.handle(Incoming(KEY, 1, start=("beneficiary", {})))
    # no question shown: a forged yes changes nothing
    await service.handle(Incoming(KEY, 2, forget="yes", nonce="guess"))
    assert (await store.get(KEY)).state is not None and channel.outcomes[-1].stale
    await service.handle(Incoming(KEY, 3, forget="ask"))
    old = channel.outcomes[-1].nonce
    await service.handle(Incoming(KEY, 4, forget="ask"))
    nonce = channel.outcomes[-1].nonce
    assert nonce and nonce != old
    for forged in (old, "", nonce[:-1] + "x"):  # an earlier question, none, a guess
        await service.handle(Incoming(KEY, 5 + len(forged), forget="yes", nonce=forged))
        assert (await store.get(KEY)).state is not None
    await service.handle(Incoming(KEY, 20, forget="yes", nonce=nonce))
    assert (await store.get(KEY)).state is None and channel.outcomes[-1].forget == "done"
    await service.handle(Incoming(KEY, 21, forget="yes", nonce=nonce))  # consumed
    assert channel.outcomes[-1].stale


async def test_a_failing_turn_is_told_and_changes_nothing(
    setup: tuple[Conversations, Channel, SqliteStore],
) -> None:
    service, channel, store = setup
    await service.handle(Incoming(KEY, 1, start=("beneficiary", {})))
    before = (await store.get(KEY)).state

    def broken(*_args: Any) -> Any:
        raise RuntimeError("boom")

    service.engine.handle = broken  # type: ignore[method-assign]
    await store.inbox_add("term", [(2, "{}")], 2)
    await service.handle(Incoming(KEY, 2, Input(text="x")))
    assert channel.outcomes[-1].failed
    assert (await store.get(KEY)).state == before
    assert await store.inbox_pending("term") == []  # not replayed forever


async def test_a_reminder_once_after_a_day_of_silence(
    setup: tuple[Conversations, Channel, SqliteStore],
) -> None:
    service, channel, _store = setup
    jobs = Jobs(service, Retention(timedelta(days=30), 24))
    await service.handle(Incoming(KEY, 1, start=("beneficiary", {})))
    assert await jobs.tick() == 0
    service.clock.now = NOW + timedelta(hours=25)  # type: ignore[attr-defined]
    assert await jobs.tick() == 1
    assert await jobs.tick() == 0
    await service.outbox.drain(5)
    assert channel.asked() == ["language", "language"]


async def test_after_forget_nothing_typed_is_left_readable_on_disk(
    setup: tuple[Conversations, Channel, SqliteStore], tmp_path: Path
) -> None:
    service, channel, store = setup
    typed = "Zorglubville-7319"  # a place typed by the person: kept in the state
    await service.handle(Incoming(KEY, 1, start=("beneficiary", {})))
    state = (await store.get(KEY)).state
    assert state is not None  # what the person typed, as a state holds it
    await store.commit(Write(KEY, NOW, state=state.model_copy(update={"answers": {"x": typed}})))
    await service.handle(Incoming(KEY, 3, forget="ask"))
    await service.handle(Incoming(KEY, 4, forget="yes", nonce=channel.outcomes[-1].nonce))
    assert (await store.get(KEY)).state is None
    files = [p for p in tmp_path.iterdir() if p.name.startswith("s.db")]
    assert files and not any(typed.encode() in p.read_bytes() for p in files)
