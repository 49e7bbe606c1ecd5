"""A large data·inclusion export mapped on every core.

The main process reads the records (the json module's C decoder) and leaves out at once those
outside the region (a national export: most of them), before anything else is paid for. It
hands the others out in batches, as their JSON text (far quicker to send between processes
than the records themselves); forked workers parse, validate and map them with the same code
as the sequential path and send back each offer as its written line with what the merge needs
(`Item`). The main process keeps the file order, merges duplicates and writes.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

from bot.catalogue.datainclusion import DiReport, DiScope, StructureInfo, read_services
from bot.catalogue.datainclusion_merge import Item
from bot.catalogue.datainclusion_offer import OfferMapper
from bot.catalogue.datainclusion_read import Malformed, Record

PARALLEL_MIN = 4 * 1024 * 1024  # smaller files: one process is quicker than starting others
BATCH = 1000

_JOB: tuple[DiScope, dict[str, StructureInfo]] | None = None  # set before the fork: shared

Text = str | Malformed  # a record's JSON text, or where a broken JSON line was


def import_items(
    records: Iterable[Record],
    scope: DiScope,
    structures: dict[str, StructureInfo],
    report: DiReport,
    texts: Iterable[tuple[Record, str]] | None = None,
) -> Iterator[Item]:
    """Every offer of the records, as items in the records' order, filling `report`. Given
    `texts` (the same records with their JSON text), the work is spread over every core."""
    cores = len(os.sched_getaffinity(0))
    if texts is None or cores < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield from read_services(records, scope, structures, report)
        return
    global _JOB
    _JOB = (scope, structures)
    _ = scope.mapping.themes_by_thematique  # computed once, before the workers fork
    pending: deque[Future[tuple[list[Item], DiReport]]] = deque()
    try:
        with ProcessPoolExecutor(cores, mp_context=multiprocessing.get_context("fork")) as pool:
            for batch in _batches(texts, OfferMapper(scope, structures), report):
                pending.append(pool.submit(_work, batch))
                while len(pending) > 2 * cores:
                    yield from _collect(pending.popleft(), report)
            while pending:
                yield from _collect(pending.popleft(), report)
    finally:
        _JOB = None


def _batches(
    texts: Iterable[tuple[Record, str]], mapper: OfferMapper, report: DiReport
) -> Iterator[list[Text]]:
    """The texts of the records the workers must see; those outside the region (or the asked
    departments) are counted here, as `read_services` would count them."""
    batch: list[Text] = []
    for record, text in texts:
        if isinstance(record, Malformed):
            batch.append(record)  # counted and told by a worker, in the file's order
        else:
            _commune, why = mapper.where(record)
            if why:
                report.read += 1
                report.skipped[why] += 1
                continue
            batch.append(text or json.dumps(record))  # a CSV row has no JSON text
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _collect(future: Future[tuple[list[Item], DiReport]], report: DiReport) -> list[Item]:
    items, part = future.result()
    report.read += part.read
    report.imported += part.imported
    report.skipped.update(part.skipped)
    for warning in part.warnings:
        report.warn(warning)
    return items


def _work(batch: list[Text]) -> tuple[list[Item], DiReport]:
    assert _JOB is not None
    scope, structures = _JOB
    report = DiReport()
    loads = json.loads
    records = [text if isinstance(text, Malformed) else loads(text) for text in batch]
    items = list(read_services(records, scope, structures, report))
    return items, report
