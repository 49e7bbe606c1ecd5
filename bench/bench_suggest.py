"""Speed and memory of `suggest` and of starting, on synthetic catalogues of several sizes.

    python -m bench.bench_suggest [--sizes 5000,50000,300000 | --offers N] [--runs 3]
                                  [--queries 2000] [--data DIR] [--quick]

For each size, every start is a whole Python process (interpreter, imports, load), timed from
outside, its peak RSS read from its own VmHWM:
- first load: an empty cache (YAML parse, checks, compile), once;
- after an edit: one offer's title changed in the largest file, then a start (one file
  compiled again, the others read from their compiled copies), once;
- warm start: the compiled copy is there, `--runs` times.
Then `--runs` processes each load the catalogue, settle it (gc.freeze, as `repere run` does)
and time the query mix, the naive baseline interleaved with it (one baseline query after every
n-th query). The mix: needs typed by people anywhere in the region (weighted by population),
and a fifth of dense queries: Bordeaux and its suburbs, two or three themes, 20-40 km.
Figures are the median over the runs, with the lowest and highest; the machine's load average
is printed because this machine is shared. Targets: see bench/README.md.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rapidfuzz import fuzz, process

from bench.stats import Spread, machine_load, percentile, python_process
from bench.synth import ensure_synthetic
from bot.catalogue.gazetteer import place_of
from bot.catalogue.geo import haversine_km
from bot.matching import Profile
from bot.reasons import reason
from bot.resources import Resources, load_resources, settle

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
DENSE = ["33063", "33281", "33318", "33522", "33550", "33449"]  # Bordeaux and its suburbs
DENSE_SHARE = 0.2
SIZES = (5_000, 50_000, 300_000)


@dataclass
class Naive:
    """The baseline's data, prepared before timing: every title and every offer's places."""

    titles: list[str]
    places: list[list[tuple[float, float]]]

    @classmethod
    def of(cls, res: Resources) -> Naive:
        titles, places = [], []
        for text in res.catalogue.records:  # as JSON: 300,000 models would take gigabytes
            offer = json.loads(text)
            titles.append(offer["title"])
            places.append([(p["lat"] or 0.0, p["lon"] or 0.0) for p in offer.get("places", [])])
        return cls(titles, places)


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


def query_mix(res: Resources, queries: int, seed: int) -> list[tuple[Profile, bool]]:
    """(profile, dense?) for each query: the same list for the same seed."""
    rnd = random.Random(seed)
    communes = res.gazetteer.communes
    weights = [c.population + 200 for c in communes]
    themes = sorted(res.lexicon.names)
    dense = [c for c in (res.gazetteer.by_insee(i) for i in DENSE) if c is not None]
    out: list[tuple[Profile, bool]] = []
    for commune in rnd.choices(communes, weights=weights, k=queries):
        situation = {
            "age": rnd.choice([None, 19, 35, 58]),
            "jobseeker": rnd.choice([None, True, False]),
        }
        if rnd.random() < DENSE_SHARE:
            asked = tuple(rnd.sample(themes, rnd.choice([2, 3])))
            where = place_of(rnd.choice(dense))
            radius = rnd.choice([20.0, 40.0])
            out.append((Profile(where, asked, radius_km=radius, **situation), True))  # type: ignore[arg-type]
            continue
        need = res.lexicon.match(rnd.choice(NEEDS))
        radius = rnd.choice([5.0, 10.0, 20.0, 40.0])
        out.append((Profile(place_of(commune), need.themes, radius_km=radius, **situation), False))  # type: ignore[arg-type]
    return out


def worker(directory: str, cache: str, queries: int, baseline_queries: int, seed: int) -> dict:  # type: ignore[type-arg]
    """Run in a fresh process: load from the warm cache, settle, time the mix and the baseline."""
    res = load_resources(Path(directory), cache_dir=Path(cache))
    settle()
    with open("/proc/self/status") as status:  # before the baseline's data
        rss = next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS"))
    profiles = query_mix(res, queries, seed)
    data = Naive.of(res) if baseline_queries else None
    gc.freeze()  # the baseline's lists too: they live as long as the run
    every = max(1, queries // max(baseline_queries, 1))
    rnd = random.Random(seed + 1)
    times: list[float] = []
    dense: list[float] = []
    base: list[float] = []
    for n, (profile, is_dense) in enumerate(profiles):
        t = time.perf_counter()
        result = res.matcher.suggest(profile, TODAY)
        for s in result.suggestions:
            reason(s, profile.place.name, res.messages, TODAY)
        elapsed = (time.perf_counter() - t) * 1000
        times.append(elapsed)
        if is_dense:
            dense.append(elapsed)
        if data is not None and n % every == every - 1 and len(base) < baseline_queries:
            t = time.perf_counter()
            naive(data, rnd.choice(NEEDS), profile.place.lat, profile.place.lon)
            base.append((time.perf_counter() - t) * 1000)
    # twice more without the baseline: each query's least time is its cost when the process
    # is not preempted (this machine is shared); the single pass above keeps every delay
    least = list(times)
    for _ in range(2):
        for n, (profile, _dense) in enumerate(profiles):
            t = time.perf_counter()
            res.matcher.suggest(profile, TODAY)
            least[n] = min(least[n], (time.perf_counter() - t) * 1000)
    return {
        "p50": statistics.median(times),
        "p99": percentile(times, 0.99),
        "p99_least": percentile(least, 0.99),
        "max": max(times),
        "dense_p50": statistics.median(dense) if dense else 0.0,
        "dense_p99": percentile(dense, 0.99),
        "baseline_p50": statistics.median(base) if base else 0.0,
        "serve_rss_mb": rss,
    }


def start(directory: Path, cache: Path) -> dict[str, float]:
    """A whole process loading the catalogue: wall time from outside, peak RSS, files compiled."""
    code = (
        "import json\nfrom pathlib import Path\nfrom bot.resources import load_resources\n"
        f"r = load_resources(Path({str(directory)!r}), cache_dir=Path({str(cache)!r}))\n"
        "print(json.dumps({'offers': len(r.catalogue), 'compiled': len(r.catalogue.compiled)}))"
    )
    t = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = python_process(code)
    out["seconds"] = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out["cpu"] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return out


def edit_one_offer(directory: Path) -> tuple[Path, bytes]:
    """Change the title of the first offer of the largest file; returns it and its old bytes."""
    path = max((directory / "offers").glob("*.yaml"), key=lambda p: p.stat().st_size)
    old = path.read_bytes()
    for marker in (b'"title": "', b"title: "):
        if marker in old:
            path.write_bytes(old.replace(marker, marker + "Édité ".encode(), 1))
            return path, old
    raise ValueError(f"{path}: no title to edit")


@dataclass
class SizeFigures:
    offers: int
    runs: int
    first_load: dict[str, float]
    edited: dict[str, float]
    warm_s: Spread
    warm_cpu: Spread
    warm_peak_mb: Spread
    serve_rss_mb: Spread
    p50: Spread
    p99: Spread
    p99_least: Spread
    dense_p99: Spread
    baseline_p50: Spread

    def report(self) -> str:
        ratio = self.baseline_p50.median / self.p50.median if self.p50.median else 0.0
        return "\n".join(
            [
                f"== {self.offers} offers, {self.runs} runs",
                f"suggest p50 {self.p50.show('.3f', ' ms')}",
                f"suggest p99 {self.p99.show('.3f', ' ms')} (targets p50 <= 1, p99 <= 5 ms)",
                f"p99 of each query's least of 3 passes {self.p99_least.show('.3f', ' ms')} "
                "(its cost when not preempted)",
                f"dense (Bordeaux, 2-3 themes) p99 {self.dense_p99.show('.3f', ' ms')}",
                f"naive baseline p50 {self.baseline_p50.show('.1f', ' ms')} · "
                f"{ratio:.0f}x slower than suggest",
                f"first load (empty cache, whole process) {self.first_load['seconds']:.1f} s "
                f"({self.first_load['cpu']:.1f} s CPU), peak {self.first_load['peak_mb']:.0f} MB "
                "(targets 60 s, 1 GB)",
                f"start after editing one offer {self.edited['seconds']:.2f} s "
                f"({self.edited['cpu']:.1f} s CPU), {self.edited['compiled']:.0f} piece compiled, "
                f"peak {self.edited['peak_mb']:.0f} MB (target 5 s)",
                f"warm start (whole process) {self.warm_s.show('.2f', ' s')}, CPU "
                f"{self.warm_cpu.show('.2f', ' s')}, peak "
                f"{self.warm_peak_mb.show('.0f', ' MB')} (targets 2 s, 400 MB)",
                f"RSS while serving (loaded, settled, before the baseline's data) "
                f"{self.serve_rss_mb.show('.0f', ' MB')}",
            ]
        )


def run_size(
    directory: Path, offers: int, runs: int, queries: int, baseline_queries: int, seed: int = 7
) -> SizeFigures:
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        first = start(directory, cache)
        path, old = edit_one_offer(directory)
        try:
            edited = start(directory, cache)
        finally:
            path.write_bytes(old)
        start(directory, cache)  # the original again (its parts are still there)
        warm: list[dict[str, float]] = []
        served: list[dict[str, float]] = []
        for n in range(runs):  # starts and query runs alternate
            warm.append(start(directory, cache))
            code = (
                "import json\nfrom bench.bench_suggest import worker\n"
                f"print(json.dumps(worker({str(directory)!r}, {str(cache)!r}, {queries}, "
                f"{baseline_queries}, {seed + n})))"
            )
            served.append(python_process(code))
    return SizeFigures(
        offers,
        runs,
        first,
        edited,
        Spread.of([w["seconds"] for w in warm]),
        Spread.of([w["cpu"] for w in warm]),
        Spread.of([w["peak_mb"] for w in warm]),
        Spread.of([s["serve_rss_mb"] for s in served]),
        Spread.of([s["p50"] for s in served]),
        Spread.of([s["p99"] for s in served]),
        Spread.of([s["p99_least"] for s in served]),
        Spread.of([s["dense_p99"] for s in served]),
        Spread.of([s["baseline_p50"] for s in served]),
    )


def run(
    sizes: list[int], runs: int, queries: int, baseline_queries: int, data: Path | None = None
) -> list[SizeFigures]:
    with tempfile.TemporaryDirectory() as tmp:
        root = data or Path(tmp)
        return [
            run_size(ensure_synthetic(root, n), n, runs, queries, baseline_queries) for n in sizes
        ]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default=None, help="offers, comma-separated: 5000,50000,300000")
    p.add_argument("--offers", type=int, default=50_000, help="one size (when no --sizes)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--queries", type=int, default=2_000)
    p.add_argument("--baseline-queries", type=int, default=20)
    p.add_argument("--data", type=Path, default=None, help="keep the generated catalogues here")
    p.add_argument("--quick", action="store_true", help="2,000 offers, 200 queries, 2 runs")
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [args.offers]
    if args.quick:
        sizes, args.runs, args.queries, args.baseline_queries = [2_000], 2, 200, 5
    print(f"before: {machine_load()}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            directory = ensure_synthetic(args.data or Path(tmp), n)
            print(run_size(directory, n, args.runs, args.queries, args.baseline_queries).report())
            print(f"({machine_load()})", flush=True)


if __name__ == "__main__":
    main()
