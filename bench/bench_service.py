"""One turn of the conversation service in process, durable writes included.

    python -m bench.bench_service [--turns 3000] [--runs 5]

Each turn is what `repere run` does for an update, minus the network: the state read (from
the cache), the engine, the Telegram rendering, and ONE SQLite transaction (WAL,
synchronous=NORMAL) holding the handled inbox row, the state and the outbox rows; anonymous
counts buffered as in production (their batch is written between turns, as all background
work is: the event loop runs between two turns, as it does when updates arrive). Each run is
a fresh process (loaded, then settled as `repere run` is) on a fresh database. Reported: p50,
p99 and CPU-time p99 per run, then the median of the runs and their spread (goal p99 <= 2 ms),
with the machine's load before and after: on a busy machine a turn waits for a core, and the
wall p99 says so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.stats import machine_load, percentile, python_process
from bot.channels.telegram_actions import Renderer
from bot.dialogue.state import Input
from bot.privacy import Pseudonyms
from bot.records import Records
from bot.resources import Resources, load_resources, settle
from bot.service.conversations import Conversations, Incoming
from bot.service.delivery import Outbox
from bot.service.keys import TELEGRAM, chat_key
from bot.store import SqliteStore

INPUTS = [
    Input(choice="fr", step="language"),
    Input(choice="yes", step="consent"),
    Input(text="Guéret"),
    Input(choice="french", step="need"),
    Input(choice="age_26_49", step="age"),
    Input(choice="yes", step="jobseeker"),
    Input(choice="car", step="mobility"),
    Input(choice="continue", step="results"),
    Input(command="back"),
]


async def one_run(
    resources: Resources, turns: int, db: Path
) -> tuple[list[float], list[float], list[float]]:
    """Milliseconds per turn: wall clock, CPU time of the process (all threads); and the
    wall time between two turns, when the background work runs (the events' batch write)."""
    store = await SqliteStore.open(db)
    records = Records(store.db)
    renderer = Renderer(lambda: resources.messages, lambda: resources.flows)
    person = Pseudonyms(b"bench-pseudonym-key-0123").person
    outbox = Outbox(store)  # no delivery: the rows are written, and stay
    service = Conversations(
        resources,
        store,
        {TELEGRAM: renderer},
        outbox,
        records=records,
        person=lambda key: person(int(key.split(":")[1])),
        clock=lambda: datetime.now(UTC),
    )
    times: list[float] = []
    cpu: list[float] = []
    between: list[float] = []  # the loop's background work between two turns
    update_id = 0
    chat = 0
    while len(times) < turns:
        chat += 1
        key = chat_key(TELEGRAM, chat)
        update_id += 1
        await service.handle(Incoming(key, update_id, start=("beneficiary", {})))
        for inp in INPUTS:
            update_id += 1
            t, c = time.perf_counter(), time.process_time()
            await service.handle(Incoming(key, update_id, inp))
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            t = time.perf_counter()
            await asyncio.sleep(0)  # the loop runs between updates, as when they arrive
            between.append((time.perf_counter() - t) * 1000)
    await records.close()
    await store.close()
    return times, cpu, between


async def measure_here(turns: int) -> dict[str, float]:
    """p50, p99, CPU-time p99 of one run in this process, on a fresh database; the p99 and
    the longest of the background work between two turns."""
    resources = load_resources()
    settle()  # as `repere run` does: what was loaded is out of the collector's way
    with tempfile.TemporaryDirectory() as tmp:
        times, cpu, between = await one_run(resources, turns, Path(tmp) / "run.db")
    return {
        "p50": statistics.median(times),
        "p99": percentile(times, 0.99),
        "cpu_p99": percentile(cpu, 0.99),
        "between_p99": percentile(between, 0.99),
        "between_max": max(between),
    }


Figures = tuple[float, float, float, float, float]


def measure(turns: int, runs: int) -> list[Figures]:
    """(p50, p99, CPU-time p99, between p99, between max) of each run, each a fresh process."""
    figures = []
    for _ in range(runs):
        out = python_process(
            "import asyncio, json\n"
            "from bench.bench_service import measure_here\n"
            f"print(json.dumps(asyncio.run(measure_here({turns}))))\n"
        )
        keys = ("p50", "p99", "cpu_p99", "between_p99", "between_max")
        p50, p99, cpu_p99, between_p99, between_max = (float(out[k]) for k in keys)
        figures.append((p50, p99, cpu_p99, between_p99, between_max))
    return figures


def report(figures: list[Figures]) -> str:
    p50s = [f[0] for f in figures]
    p99s = [f[1] for f in figures]
    return "\n".join(
        [
            *(
                f"run {n + 1}: p50 {a:.3f} ms · p99 {b:.3f} ms · CPU-time p99 {c:.3f} ms"
                f" · between turns (background writes) p99 {d:.3f} ms, max {e:.3f} ms"
                for n, (a, b, c, d, e) in enumerate(figures)
            ),
            f"one durable turn: p50 {statistics.median(p50s):.3f} ms · p99 median "
            f"{statistics.median(p99s):.3f} ms (min {min(p99s):.3f}, max {max(p99s):.3f}) "
            f"over {len(figures)} runs (goal p99 <= 2 ms) · CPU-time p99 median "
            f"{statistics.median(f[2] for f in figures):.3f} ms",
        ]
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--turns", type=int, default=3000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    before = machine_load()
    figures = measure(args.turns, args.runs)
    if args.json:
        print(json.dumps(figures))
        return
    print(f"before: {before}")
    print(report(figures))
    print(f"after: {machine_load()} (a shared machine: wall time waits for a core)")


if __name__ == "__main__":
    main()
