"""Figures shared by the benchmarks: percentiles, median and spread, the machine's load, and a
whole Python process run for anything called a start."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0-1) of the values, nearest rank; 0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass(frozen=True)
class Spread:
    """The median of repeated measures, with the smallest and the largest."""

    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: list[float]) -> Spread:
        if not values:
            return cls(0.0, 0.0, 0.0, 0)
        return cls(statistics.median(values), min(values), max(values), len(values))

    def show(self, fmt: str = ".2f", unit: str = "") -> str:
        if self.n <= 1:
            return f"{self.median:{fmt}}{unit} (1 run)"
        return f"{self.median:{fmt}}{unit} (median of {self.n}, {self.low:{fmt}}-{self.high:{fmt}})"


_last_cpu: list[int] = []


def _cpu_times() -> list[int]:
    """The machine's CPU times since boot (/proc/stat's first line), empty off Linux."""
    try:
        with open("/proc/stat") as f:
            return [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return []


def machine_load() -> str:
    """The load average and the cores: figures taken on a busy machine are noisy. On a
    virtual machine the host may also take the cores away (steal time): the share of the CPU
    time stolen since the previous call is given too, as it stretches wall times alike."""
    one, five, fifteen = os.getloadavg()
    line = f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"
    now = _cpu_times()
    if len(now) > 7:
        before = _last_cpu or [0] * len(now)
        spent = [a - b for a, b in zip(now, before, strict=True)]
        if (total := sum(spent[:8])) > 0:
            since = "since the previous figure" if _last_cpu else "since boot"
            line += f", {100 * spent[7] / total:.1f} % of CPU time stolen by the host {since}"
        _last_cpu[:] = now
    return line


def python_process(code: str, timeout: float = 3600) -> dict[str, float]:
    """Run `code` in a fresh interpreter at the repository's root; it prints one JSON object
    last. Its peak RSS (VmHWM, MB) is added as `peak_mb`, read by the child itself."""
    tail = (
        "\nimport json as _j\n"
        "_h = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "_r = [l for l in open('/proc/self/status') if l.startswith('VmRSS')][0]\n"
        "print(_j.dumps({'peak_mb': int(_h.split()[1]) / 1024, "
        "'rss_mb': int(_r.split()[1]) / 1024}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code + tail],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark process failed:\n{done.stderr[-2000:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    out: dict[str, float] = {}
    for line in lines[-2:]:
        out.update(json.loads(line))
    return out
