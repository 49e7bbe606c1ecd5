"""The engine benchmark runs here in a tiny size, so that it cannot rot; no timing asserted."""

from __future__ import annotations

from bench.bench_engine import SCRIPTS, run


def test_engine_bench_runs_in_quick_mode() -> None:
    figures = run(conversations=6)
    assert figures.turns == 2 * sum(len(s) for s in SCRIPTS)
    assert 0 < figures.p50_ms <= figures.p99_ms
    assert "turn p50" in figures.report()
