"""A large LHEO file read on every core: the file is cut between <formation> elements, each
piece is mapped by a worker process, and the results come back in file order.

Cutting is a byte search for the end tag (no parsing), so the main process keeps up with the
workers. A piece is wrapped back into a small LHEO document and read by the very same
`read_lheo`, so the mapping is one code. Anything unusual (a parse error, an unexpected end,
a small file, one core) goes to the sequential reader, whose messages name the exact line.
"""

from __future__ import annotations

import collections
import io
import multiprocessing
import os
import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.lheo import NAMESPACES, ImportReport, read_lheo
from bot.catalogue.lheo_write import department_of, offer_yaml
from bot.catalogue.model import Offer, Theme
from bot.yamlsrc import DataError

Row = tuple[str, str, str]  # department, offer id, YAML text
PARALLEL_MIN = 4 * 1024 * 1024  # smaller files: one process is quicker than starting others
BLOCK = 2 * 1024 * 1024  # bytes read at a time; a piece is about this size
_ROOT = re.compile(rb"<(?:(\w+):)?lheo\b[^>]*?\bxmlns(?::(\w+))?=[\"']([^\"']+)[\"']")
_START = re.compile(rb"<(?:\w+:)?formation[\s>]")
_END = re.compile(rb"</(?:\w+:)?formation\s*>")
_TAIL = re.compile(rb"\s*(?:<!--.*?-->\s*)*</(?:\w+:)?offres\s*>\s*</(?:\w+:)?lheo\s*>\s*", re.S)


class _Unusual(Exception):
    """The fast path declines: the sequential reader will say exactly what is wrong."""


@dataclass(frozen=True)
class _Job:
    gazetteer: Gazetteer
    formacodes: dict[str, Theme]
    today: date
    departments: set[str] | None
    all_regions: bool


_JOB: _Job | None = None  # set in the parent before the workers fork: shared, not pickled


def import_rows(
    path: Path,
    gazetteer: Gazetteer,
    formacodes: dict[str, Theme],
    today: date,
    departments: set[str] | None,
    all_regions: bool,
    report: ImportReport,
    workers: int | None = None,
) -> list[Row]:
    """Every offer of the file as (department, id, YAML), filling `report`."""
    job = _Job(gazetteer, formacodes, today, departments, all_regions)
    cores = workers or len(os.sched_getaffinity(0))
    if cores > 1 and path.stat().st_size >= PARALLEL_MIN and _can_fork():
        try:
            return _parallel(path, job, report, cores)
        except _Unusual:
            report.imported, report.skipped, report.warnings = 0, Counter(), []
    with path.open("rb") as f:
        return [_row(offer, gazetteer) for offer in _read(f, job, report)]


def _read(source: IO[bytes], job: _Job, report: ImportReport) -> Iterator[Offer]:
    return read_lheo(
        source,
        job.gazetteer,
        job.formacodes,
        job.today,
        job.departments,
        job.all_regions,
        report,
    )


def _row(offer: Offer, gazetteer: Gazetteer) -> Row:
    return department_of(offer, gazetteer), offer.id, offer_yaml(offer)


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _parallel(path: Path, job: _Job, report: ImportReport, cores: int) -> list[Row]:
    global _JOB
    _JOB = job
    futures: list[Future[tuple[list[Row], ImportReport]]] = []
    rows: list[Row] = []
    context = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(max_workers=cores, mp_context=context)
    try:
        for piece in _pieces(path):
            futures.append(pool.submit(_work, piece))
            if len(futures) > 2 * cores:  # a few pieces in flight: memory stays flat
                _collect(futures.pop(0), rows, report)
        for future in futures:
            _collect(future, rows, report)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _JOB = None
    return rows


def _collect(
    future: Future[tuple[list[Row], ImportReport]], rows: list[Row], report: ImportReport
) -> None:
    got, part = future.result()
    rows += got
    report.imported += part.imported
    report.skipped.update(part.skipped)
    report.warnings += part.warnings
    report.version = report.version or part.version


def _work(piece: bytes) -> tuple[list[Row], ImportReport]:
    job = _JOB
    assert job is not None
    part = ImportReport()
    try:
        rows = [_row(offer, job.gazetteer) for offer in _read(io.BytesIO(piece), job, part)]
    except DataError as exc:
        raise _Unusual(str(exc)) from None
    return rows, part


def _pieces(path: Path) -> Iterator[bytes]:
    """Small LHEO documents, each holding whole <formation> elements of the file, in order."""
    with path.open("rb") as f:
        head = f.read(BLOCK)
        root = _ROOT.search(head[:65536])
        if root is None or root.group(3).decode(errors="replace") not in NAMESPACES:
            raise _Unusual("no LHEO root")
        prefix, ns = root.group(2), root.group(3)
        declaration = head[: head.find(b"?>") + 2] if head.startswith(b"<?xml") else b""
        declare = b"xmlns" + (b":" + prefix if prefix else b"") + b'="' + ns + b'"'
        lheo = (prefix + b":" if prefix else b"") + b"lheo"
        opening = declaration + b"<" + lheo + b" " + declare + b">"
        closing = b"</" + lheo + b">"
        first = _START.search(head)
        if first is None:
            raise _Unusual("no formation")
        buffer = head[first.start() :]
        while True:
            block = f.read(BLOCK)
            last = collections.deque(_END.finditer(buffer), maxlen=1)
            if last:
                cut = last[0].end()
                yield opening + buffer[:cut] + closing
                buffer = buffer[cut:]
            if not block:
                break
            buffer += block
        if not _TAIL.fullmatch(buffer):
            raise _Unusual("unexpected end")
