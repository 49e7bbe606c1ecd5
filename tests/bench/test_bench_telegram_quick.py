"""The Telegram load benchmark runs here in a tiny size, so that it cannot rot."""

from __future__ import annotations

from bench.bench_telegram import SCRIPT, run


async def test_telegram_bench_runs_in_quick_mode() -> None:
    ours, echo, p50, p99 = await run(users=4, turns=len(SCRIPT), timeout=60, service_turns=100)
    for load in (ours, echo):
        assert load.turns == 4 * len(SCRIPT)
        assert load.lost == 0 and load.duplicated == 0
    assert 0 < p50 <= p99
