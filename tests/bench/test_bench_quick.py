"""The benchmarks run here in a tiny size, so that they cannot rot; no timing is asserted."""

from __future__ import annotations

from pathlib import Path

from bench.bench_suggest import run


def test_suggest_bench_runs_in_quick_mode(tmp_path: Path) -> None:
    (figures,) = run([300], runs=2, queries=30, baseline_queries=3, data=tmp_path)
    assert figures.offers == 300 and figures.runs == 2
    assert figures.p50.n == 2 and 0 < figures.p50.median <= figures.p99.high
    assert figures.baseline_p50.median > 0 and figures.warm_peak_mb.median > 0
    assert figures.edited["compiled"] == 1  # an edit compiles one file again
    assert figures.first_load["compiled"] > 1
    report = figures.report()
    assert "suggest p50" in report and "median of 2" in report
