"""Three `repere run --webhook` processes on one PostgreSQL behind a round-robin proxy, the
fake Bot API for replies; the test plays Telegram (it POSTs each update through the proxy and
tries again on anything but 200, as Telegram does). Many people answer each question as it
arrives; midway one instance is SIGKILLed. Every conversation finishes, no answer is applied
twice, no update is lost: the dead instance's stored updates and undelivered replies are
adopted by a live one once its lease has run out."""

from __future__ import annotations

import json

import pytest

from tests.channels.cluster_helpers import AT_ONCE, drive
from tests.fake_bot_api import FakeBotApi

pytest.importorskip("asyncpg")

PEOPLE = 300


async def test_three_instances_one_killed_lose_nothing_and_apply_nothing_twice(
    pg_dsn: str,
) -> None:
    import asyncpg

    api = FakeBotApi()
    with api.running():
        run = await drive(api, pg_dsn, instances=3, people=PEOPLE, kill_midway=True)
    telegram = run.telegram
    assert run.killed
    assert telegram.errors == [], telegram.errors[:3]
    assert len(telegram.finished) == PEOPLE
    conn = await asyncpg.connect(pg_dsn)
    try:
        rows = await conn.fetch("SELECT state FROM conversations")
        leftover = await conn.fetchval("SELECT count(*) FROM inbox")
    finally:
        await conn.close()
    states = [json.loads(r[0]) for r in rows]
    for state in states:
        state.pop("run", None)
    assert len(states) == PEOPLE
    # an answer applied twice would show as one more turn, or another answer
    assert all(s == states[0] for s in states), "some conversation differs"
    assert leftover == 0
    duplicates = sum(p.duplicates for p in telegram.finished)
    assert duplicates <= 2 * AT_ONCE  # a resend only of what the killed one had on the wire
