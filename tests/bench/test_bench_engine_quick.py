"""The engine benchmark runs here in a tiny size, so that it cannot rot; no timing asserted."""

from __future__ import annotations

from pathlib import Path

from bench.bench_engine import SCRIPTS, run, run_size
from bench.synth import ensure_synthetic


def test_engine_bench_runs_in_quick_mode() -> None:
    figures = run(conversations=6)
    assert figures.turns == 2 * sum(len(s) for s in SCRIPTS)
    assert 0 < figures.p50_ms <= figures.p99_ms
    assert "turn p50" in figures.report()


def test_engine_bench_runs_on_a_synthetic_size(tmp_path: Path) -> None:
    figures = run_size(ensure_synthetic(tmp_path, 300), 300, runs=2, conversations=3)
    assert figures.turns == sum(len(s) for s in SCRIPTS) and figures.p99.n == 2
    assert "300 offers" in figures.report() and "median of 2" in figures.report()
