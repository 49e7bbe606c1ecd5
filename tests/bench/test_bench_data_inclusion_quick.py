"""The data·inclusion import benchmark runs here in a tiny size, so that it cannot rot."""

from __future__ import annotations

from bench.bench_data_inclusion import run


def test_data_inclusion_bench_runs_in_quick_mode() -> None:
    report = run(services=300, runs=2)
    worst, national = report.split("national mix")
    assert "300 services" in worst and "300 offers written" in worst  # all in the region
    assert "300 services read" in national and "300 offers written" not in national
    assert "over 2 runs" in national and "bare json.load" in national
    assert "MB/s" in worst and "records/s" in worst
