"""Speed of `suggest` on a synthetic catalogue, against a naive baseline in the same process.

    python -m bench.bench_suggest [--offers 50000] [--queries 2000] [--quick]

The naive baseline is what one writes first: rapidfuzz `process.extract` with WRatio over every
title, then a haversine over every offer, then a sort. Targets (issue 2): p50 <= 1 ms,
p99 <= 5 ms, >= 50x faster than the baseline, cold start with a warm cache <= 2 s,
peak RSS <= 250 MB.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rapidfuzz import fuzz, process

from bench.stats import percentile
from bench.synth import write_synthetic
from bot.catalogue.gazetteer import place_of
from bot.catalogue.geo import haversine_km
from bot.matching import Profile
from bot.reasons import reason
from bot.resources import Resources, load_resources

TODAY = date(2026, 11, 26)
NEEDS = [
    "apprendre à lire",
    "parler français",
    "ordinateur",
    "trouver un métier",
    "cuisine",
    "je sais pas",
    "chantier d'insertion",
    "écrire",
    "internet",
    "bâtiment",
]


@dataclass
class Figures:
    offers: int
    queries: int
    p50_ms: float
    p99_ms: float
    baseline_p50_ms: float
    ratio: float
    first_load_s: float
    cold_start_s: float
    peak_rss_mb: float

    def report(self) -> str:
        return "\n".join(
            [
                f"catalogue: {self.offers} offers, {self.queries} queries",
                f"suggest p50 {self.p50_ms:.3f} ms · p99 {self.p99_ms:.3f} ms (targets 1 / 5 ms)",
                f"naive baseline p50 {self.baseline_p50_ms:.2f} ms · ratio {self.ratio:.0f}x "
                "(target >= 50x)",
                f"first load (YAML parse + compile) {self.first_load_s:.1f} s",
                f"cold start with warm cache {self.cold_start_s:.2f} s (target <= 2 s)",
                f"peak RSS of the cold start {self.peak_rss_mb:.0f} MB (target <= 250 MB)",
            ]
        )


@dataclass
class Naive:
    """The baseline's data, prepared before timing: every title and every offer's places."""

    titles: list[str]
    places: list[list[tuple[float, float]]]

    @classmethod
    def of(cls, res: Resources) -> Naive:
        offers = res.catalogue.offers()
        return cls(
            [o.title for o in offers],
            [[(p.lat or 0.0, p.lon or 0.0) for p in o.places] for o in offers],
        )


def naive(data: Naive, need: str, lat: float, lon: float, limit: int = 3) -> list[int]:
    """WRatio of the need against every title, haversine to every offer, one sort."""
    matches = process.extract(need, data.titles, scorer=fuzz.WRatio, limit=None)
    fit = {idx: score for _t, score, idx in matches}
    scored = []
    for idx, places in enumerate(data.places):
        d = min((haversine_km(lat, lon, p_lat, p_lon) for p_lat, p_lon in places), default=0.0)
        scored.append((fit.get(idx, 0.0) / 100 - d / 20, idx))
    scored.sort(reverse=True)
    return [idx for _s, idx in scored[:limit]]


def cold_start(directory: Path, cache: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of a fresh process loading everything from the warm cache.

    The peak is read from VmHWM: ru_maxrss would carry over this (larger) process's peak.
    """
    code = (
        "import time, json; t = time.perf_counter()\n"
        "from pathlib import Path\n"
        "from bot.resources import load_resources\n"
        f"r = load_resources(Path({str(directory)!r}), cache_dir=Path({str(cache)!r}))\n"
        "elapsed = time.perf_counter() - t\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "print(json.dumps([elapsed, int(hwm.split()[1]) / 1024, len(r.catalogue)]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, rss, _n = json.loads(done.stdout)
    return float(seconds), float(rss)


def run(offers: int, queries: int, baseline_queries: int, seed: int = 7) -> Figures:
    with tempfile.TemporaryDirectory() as tmp:
        directory = write_synthetic(Path(tmp) / "cat", offers)
        cache = Path(tmp) / "cache"
        t = time.perf_counter()
        res = load_resources(directory, cache_dir=cache)
        first_load = time.perf_counter() - t
        cold, rss = cold_start(directory, cache)

        rnd = random.Random(seed)
        communes = res.gazetteer.communes
        weights = [c.population + 200 for c in communes]
        profiles = []
        for commune in rnd.choices(communes, weights=weights, k=queries):
            need = res.lexicon.match(rnd.choice(NEEDS))
            profiles.append(
                Profile(
                    place_of(commune),
                    need.themes,
                    age=rnd.choice([None, 19, 35, 58]),
                    jobseeker=rnd.choice([None, True, False]),
                    radius_km=rnd.choice([5.0, 10.0, 20.0, 40.0]),
                )
            )
        times = []
        for profile in profiles:
            t = time.perf_counter()
            result = res.matcher.suggest(profile, TODAY)
            for s in result.suggestions:
                reason(s, profile.place.name, res.messages, TODAY)
            times.append((time.perf_counter() - t) * 1000)
        base_times = []
        data = Naive.of(res)
        for profile in profiles[:baseline_queries]:
            t = time.perf_counter()
            naive(data, rnd.choice(NEEDS), profile.place.lat, profile.place.lon)
            base_times.append((time.perf_counter() - t) * 1000)
    p50 = statistics.median(times)
    base = statistics.median(base_times)
    return Figures(
        offers, queries, p50, percentile(times, 0.99), base, base / p50, first_load, cold, rss
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--offers", type=int, default=50_000)
    p.add_argument("--queries", type=int, default=2_000)
    p.add_argument("--baseline-queries", type=int, default=30)
    p.add_argument("--quick", action="store_true", help="2,000 offers, 200 queries")
    args = p.parse_args()
    if args.quick:
        args.offers, args.queries, args.baseline_queries = 2_000, 200, 10
    figures = run(args.offers, args.queries, args.baseline_queries)
    print(figures.report())
    print(
        f"(this process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}"
        " MB, includes the YAML parse)"
    )


if __name__ == "__main__":
    main()
