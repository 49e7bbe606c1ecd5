"""The data·inclusion import benchmark runs here in a tiny size, so that it cannot rot."""

from __future__ import annotations

from bench.bench_data_inclusion import run


def test_data_inclusion_bench_runs_in_quick_mode() -> None:
    report = run(services=300, runs=2)
    assert "file: 300 services" in report and "300 offers written" in report
    assert "over 2 runs" in report and "bare json.load" in report and "MB/s" in report
