"""Throughput of 1, 2 and 3 `repere run --webhook` instances on one PostgreSQL, against one
instance on SQLite: the same conversations (8 updates each, answered as soon as the question
arrives) through a round-robin proxy, the fake Bot API for replies, all on this machine.

    python -m bench.bench_cluster [--people 300]

Everything (the server, the instances, the proxy, the simulated Telegram) shares this
machine's cores: on 2 cores, more instances add processes competing for the same CPU, so
the figures show the cost of coordination, not the gain of more machines.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

from tests.channels.cluster_helpers import drive
from tests.fake_bot_api import FakeBotApi
from tests.pg_server import new_database, server


async def one(db: str, instances: int, people: int) -> tuple[float, int]:
    api = FakeBotApi()
    with api.running():
        run = await drive(api, db, instances, people, timeout=600)
    return run.seconds, run.updates


async def measure(dsn: str, people: int) -> list[tuple[str, float, int]]:
    rows: list[tuple[str, float, int]] = []
    with tempfile.TemporaryDirectory() as tmp:
        seconds, updates = await one(str(Path(tmp) / "bench.db"), 1, people)
        rows.append(("SQLite, 1 instance", seconds, updates))
    for n in (1, 2, 3):
        seconds, updates = await one(await new_database(dsn), n, people)
        rows.append((f"PostgreSQL, {n} instance{'s' if n > 1 else ''}", seconds, updates))
    return rows


def report(rows: list[tuple[str, float, int]], people: int) -> str:
    lines = [
        f"{people} conversations, {rows[0][2]} updates each run; {os.cpu_count()} cores"
        " shared by the database, the instances, the proxy and the simulated Telegram",
        f"{'engine':<26}{'seconds':>9}{'updates/s':>11}",
    ]
    lines += [f"{name:<26}{s:>9.1f}{u / s:>11.0f}" for name, s, u in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=300)
    args = parser.parse_args()
    with server() as dsn:
        rows = asyncio.run(measure(dsn, args.people))
    print(report(rows, args.people))


if __name__ == "__main__":
    main()
