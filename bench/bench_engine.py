"""Speed of one engine turn, on whole scripted conversations.

    python -m bench.bench_engine [--sizes 5000,50000,300000 | --offers N] [--runs 3]
                                 [--conversations 600] [--data DIR] [--quick]

Every turn of every conversation is timed: button taps, typed answers, typos, places, results
and the summary. The baseline, interleaved with the turns, is the least a durable turn costs:
the state read from JSON and written back (what the store does each turn). Target: p99 <= 0.5 ms
on every size. `--offers 0` (the default) is the bundled catalogue; another size is a synthetic
catalogue (bench.synth) loaded from a warm cache in a fresh process per run, settled as
`repere run` settles it. Median of the runs, with the lowest and highest, and the machine's
load average (this machine is shared).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bench.stats import Spread, machine_load, percentile, python_process
from bench.synth import ensure_synthetic
from bot.dialogue.engine import Engine
from bot.dialogue.state import Input, State
from bot.paths import CATALOGUE_DIR
from bot.resources import load_resources, settle

TODAY = date(2026, 11, 26)
PLACES = [
    "Guéret",
    "23000",
    "bordo",
    "Limoges",
    "87000",
    "mont de marsan",
    "Pau",
    "Niort",
    "La Rochelle",
    "st junien",
    "Périgueux",
    "Agen",
]
SCRIPTS = [
    [
        Input(choice="fr"),
        Input(choice="yes"),
        None,
        Input(choice="read_write"),
        Input(choice="abroad"),
        Input(choice="little"),
        Input(choice="age_26_49"),
        Input(choice="yes"),
        Input(choice="bus"),
        Input(choice="more"),
        Input(choice="continue"),
        Input(choice="summary"),
        Input(choice="ok"),
    ],
    [
        Input(text="1"),
        Input(text="oui"),
        None,
        Input(text="parler francais"),
        Input(text="oui"),
        Input(text="18 à 25 ans"),
        Input(text="non"),
        Input(text="voiture"),
        Input(command="back"),
        Input(text="à pied"),
        Input(choice="continue"),
        Input(choice="summary"),
        Input(choice="ok"),
    ],
    [
        Input(choice="fr"),
        Input(choice="yes"),
        None,
        Input(choice="unsure"),
        Input(choice="never"),
        Input(choice="not_yet"),
        Input(command="help"),
        Input(choice="age_50_plus"),
        Input(choice="dont_know"),
        Input(choice="car"),
        Input(choice="continue"),
        Input(choice="restart"),
    ],
]


@dataclass
class Figures:
    turns: int
    p50_ms: float
    p99_ms: float
    baseline_p50_ms: float

    def report(self) -> str:
        return "\n".join(
            [
                f"engine: {self.turns} turns",
                f"turn p50 {self.p50_ms:.3f} ms · p99 {self.p99_ms:.3f} ms (target p99 <= 0.5 ms)",
                f"baseline (state JSON read + write) p50 {self.baseline_p50_ms:.4f} ms · "
                f"a turn costs {self.p50_ms / self.baseline_p50_ms:.1f}x the baseline",
            ]
        )


def run(
    conversations: int, seed: int = 3, directory: Path = CATALOGUE_DIR, cache: Path | None = None
) -> Figures:
    res = load_resources(directory, cache_dir=cache)
    settle()  # as `repere chat` and `repere run` do after loading
    engine = Engine(res.flows, res)
    rnd = random.Random(seed)
    times: list[float] = []
    base: list[float] = []
    for n in range(conversations):
        script = SCRIPTS[n % len(SCRIPTS)]
        turn = engine.start("beneficiary", TODAY)
        for inp in script:
            step = inp or Input(text=rnd.choice(PLACES))
            t = time.perf_counter()
            turn = engine.handle(turn.state, step, TODAY)
            times.append((time.perf_counter() - t) * 1000)
            pending = turn.state.pending
            if pending is not None and pending.kind == "confirm":  # "Vouliez-vous dire … ?"
                turn = engine.handle(turn.state, Input(choice="yes"), TODAY)
            elif pending is not None and pending.kind == "place":  # which commune: the first
                turn = engine.handle(turn.state, Input(choice=pending.options[0]["insee"]), TODAY)
            t = time.perf_counter()
            State.from_json(turn.state.to_json())
            base.append((time.perf_counter() - t) * 1000)
    return Figures(
        len(times),
        statistics.median(times),
        percentile(times, 0.99),
        statistics.median(base),
    )


@dataclass
class SizeFigures:
    offers: int
    runs: int
    turns: int
    p50: Spread
    p99: Spread
    baseline_p50: Spread

    def report(self) -> str:
        name = f"{self.offers} offers" if self.offers else "the bundled catalogue"
        return "\n".join(
            [
                f"== {name}: {self.turns} turns a run, {self.runs} runs",
                f"turn p50 {self.p50.show('.3f', ' ms')}",
                f"turn p99 {self.p99.show('.3f', ' ms')} (target p99 <= 0.5 ms)",
                f"baseline (state JSON read + write) p50 {self.baseline_p50.show('.4f', ' ms')}",
            ]
        )


def run_size(
    directory: Path, offers: int, runs: int, conversations: int, cache_dir: Path | None = None
) -> SizeFigures:
    """`runs` fresh processes on one catalogue, its compiled copy made beforehand (or kept in
    `cache_dir` from an earlier run)."""
    with tempfile.TemporaryDirectory() as tmp:
        cache = cache_dir or Path(tmp) / "cache"
        load_call = f"Path({str(directory)!r}), cache_dir=Path({str(cache)!r})"
        python_process(
            "from pathlib import Path\nfrom bot.resources import load_resources\n"
            f"load_resources({load_call})"
        )
        figures = [
            python_process(
                "import json\nfrom pathlib import Path\nfrom bench.bench_engine import run\n"
                f"f = run({conversations}, {3 + n}, Path({str(directory)!r}), "
                f"Path({str(cache)!r}))\n"
                "print(json.dumps({'turns': f.turns, 'p50': f.p50_ms, 'p99': f.p99_ms, "
                "'base': f.baseline_p50_ms}))"
            )
            for n in range(runs)
        ]
    return SizeFigures(
        offers,
        runs,
        int(figures[0]["turns"]),
        Spread.of([f["p50"] for f in figures]),
        Spread.of([f["p99"] for f in figures]),
        Spread.of([f["base"] for f in figures]),
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default=None, help="offers, comma-separated: 5000,50000,300000")
    p.add_argument("--offers", type=int, default=0, help="one size; 0: the bundled catalogue")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--conversations", type=int, default=600)
    p.add_argument("--data", type=Path, default=None, help="keep the generated catalogues here")
    p.add_argument("--cache", type=Path, default=None, help="keep their compiled copies here")
    p.add_argument("--quick", action="store_true", help="30 conversations, 2 runs")
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else [args.offers]
    if args.quick:
        args.conversations, args.runs = 30, 2
    print(f"before: {machine_load()}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            directory = ensure_synthetic(args.data or Path(tmp), n) if n else CATALOGUE_DIR
            figures = run_size(directory, n, args.runs, args.conversations, args.cache)
            print(figures.report())
            print(f"({machine_load()})", flush=True)


if __name__ == "__main__":
    main()
