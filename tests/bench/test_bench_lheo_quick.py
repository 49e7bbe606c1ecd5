"""The LHEO import benchmark runs here in a tiny size, so that it cannot rot."""

from __future__ import annotations

from bench.bench_lheo import run


def test_lheo_bench_runs_in_quick_mode() -> None:
    report = run(actions=200, queries=20, runs=2)
    assert "file: 200 actions" in report
    assert "offers imported (" in report and "median of 2" in report and "MB/s" in report
