"""Speed of one engine turn, on whole scripted conversations over the bundled catalogue.

    python -m bench.bench_engine [--conversations 300] [--quick]

Every turn of every conversation is timed: button taps, typed answers, typos, places, results
and the summary. The baseline, run in the same process, is the least a durable turn costs: the
state read from JSON and written back (what the store does each turn). Target: p99 <= 0.5 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from dataclasses import dataclass
from datetime import date

from bench.stats import percentile
from bot.dialogue.engine import Engine
from bot.dialogue.state import Input, State
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


def run(conversations: int, seed: int = 3) -> Figures:
    res = load_resources()
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


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--conversations", type=int, default=600)
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    print(run(30 if args.quick else args.conversations).report())


if __name__ == "__main__":
    main()
