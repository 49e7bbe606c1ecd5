"""The benchmarks run here in a tiny size, so that they cannot rot; no timing is asserted."""

from __future__ import annotations

from bench.bench_suggest import run


def test_suggest_bench_runs_in_quick_mode() -> None:
    figures = run(offers=300, queries=30, baseline_queries=3)
    assert figures.offers == 300 and figures.queries == 30
    assert figures.p50_ms > 0 and figures.p99_ms >= figures.p50_ms
    assert figures.baseline_p50_ms > 0 and figures.peak_rss_mb > 0
    assert "suggest p50" in figures.report()
