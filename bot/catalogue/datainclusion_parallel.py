"""A large data·inclusion export mapped on every core.

The main process reads the records (the json module's C decoder) and hands them out in
batches; forked workers validate and map them with the same code as the sequential path and
send back each offer as its written line with what the merge needs (`Item`). The main process
keeps the file order, merges duplicates and writes.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice

from bot.catalogue.datainclusion import DiReport, DiScope, StructureInfo, read_services
from bot.catalogue.datainclusion_merge import Item
from bot.catalogue.datainclusion_read import Record

PARALLEL_MIN = 4 * 1024 * 1024  # smaller files: one process is quicker than starting others
BATCH = 1000

_JOB: tuple[DiScope, dict[str, StructureInfo]] | None = None  # set before the fork: shared


def import_items(
    records: Iterable[Record],
    scope: DiScope,
    structures: dict[str, StructureInfo],
    report: DiReport,
    parallel: bool,
) -> Iterator[Item]:
    """Every offer of the records, as items in the records' order, filling `report`."""
    cores = len(os.sched_getaffinity(0))
    if not parallel or cores < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield from read_services(records, scope, structures, report)
        return
    global _JOB
    _JOB = (scope, structures)
    _ = scope.mapping.themes_by_thematique  # computed once, before the workers fork
    pending: deque[Future[tuple[list[Item], DiReport]]] = deque()
    stream = iter(records)
    try:
        with ProcessPoolExecutor(cores, mp_context=multiprocessing.get_context("fork")) as pool:
            while batch := list(islice(stream, BATCH)):
                pending.append(pool.submit(_work, batch))
                while len(pending) > 2 * cores:
                    yield from _collect(pending.popleft(), report)
            while pending:
                yield from _collect(pending.popleft(), report)
    finally:
        _JOB = None


def _collect(future: Future[tuple[list[Item], DiReport]], report: DiReport) -> list[Item]:
    items, part = future.result()
    report.read += part.read
    report.imported += part.imported
    report.skipped.update(part.skipped)
    for warning in part.warnings:
        report.warn(warning)
    return items


def _work(batch: list[Record]) -> tuple[list[Item], DiReport]:
    assert _JOB is not None
    scope, structures = _JOB
    report = DiReport()
    items = list(read_services(batch, scope, structures, report))
    return items, report
