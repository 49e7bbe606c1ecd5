"""A large LHEO file read on every core: the file is cut between <formation> elements, each
piece is mapped by a worker process, and the results come back in file order.

Cutting is a byte search for the end tag (no parsing), so the main process keeps up with the
workers. A piece is wrapped back into a small LHEO document, parsed in one go and mapped by the
same `_Mapper` as the streaming reader, so the mapping is one code. Anything unusual (a parse
error, an unexpected end, a small file, one core) goes to the sequential streaming reader,
whose messages name the exact line.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bot.cache import gc_paused
from bot.catalogue.lheo import NAMESPACES, ImportReport, Scope, read_lheo, read_lheo_document
from bot.catalogue.lheo_write import Row, offer_row
from bot.yamlsrc import DataError

PARALLEL_MIN = 4 * 1024 * 1024  # smaller files: one process is quicker than starting others
BLOCK = 1024 * 1024  # bytes read at a time; a piece is about this size (a short tail)
_ROOT = re.compile(rb"<(?:(\w+):)?lheo\b([^>]*)>")
_DECLARE = re.compile(rb"""\bxmlns(?::(\w+))?\s*=\s*(["'])(.*?)\2""")
_START = re.compile(rb"<(?:\w+:)?formation[\s>]")
_CLOSE = re.compile(rb"\s*>")  # after "</formation": the end of the tag
_TAIL = re.compile(rb"\s*(?:<!--.*?-->\s*)*</(?:\w+:)?offres\s*>\s*</(?:\w+:)?lheo\s*>\s*", re.S)


class _Unusual(Exception):
    """The fast path declines: the sequential reader will say exactly what is wrong."""


@dataclass(frozen=True)
class _Wrapping:
    """How to make a piece of the file a document of its own, with the root's declarations."""

    opening: bytes  # the XML declaration and the root's start tag, every xmlns kept
    closing: bytes
    end_tag: bytes  # "</formation" as the file spells it


_JOB: Scope | None = None  # set in the parent before the workers fork: shared, not pickled


def import_rows(
    path: Path, scope: Scope, report: ImportReport, workers: int | None = None
) -> list[Row]:
    """Every offer of the file as (department, id, YAML), filling `report`."""
    cores = workers or len(os.sched_getaffinity(0))
    with gc_paused():
        if cores > 1 and path.stat().st_size >= PARALLEL_MIN and _can_fork():
            try:
                return _parallel(path, scope, report, cores)
            except _Unusual:
                report.imported, report.skipped, report.warnings = 0, Counter(), []
        with path.open("rb") as f:
            return [offer_row(offer, scope.gazetteer) for offer in read_lheo(f, scope, report)]


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def _parallel(path: Path, scope: Scope, report: ImportReport, cores: int) -> list[Row]:
    global _JOB
    _JOB = scope
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
        offers = read_lheo_document(piece, job, part)
        rows = [offer_row(offer, job.gazetteer) for offer in offers]
    except DataError as exc:
        raise _Unusual(str(exc)) from None
    return rows, part


def _pieces(path: Path) -> Iterator[bytes]:
    """Small LHEO documents, each holding whole <formation> elements of the file, in order."""
    with path.open("rb") as f:
        head = f.read(BLOCK)
        wrap = _wrapping(head)
        first = _START.search(head)
        if first is None:
            raise _Unusual("no formation")
        buffer = head[first.start() :]
        while True:
            block = f.read(BLOCK)
            cut = _after_last(buffer, wrap.end_tag)
            if cut:
                yield wrap.opening + buffer[:cut] + wrap.closing
                buffer = buffer[cut:]
            if not block:
                break
            buffer += block
        if not _TAIL.fullmatch(buffer):
            raise _Unusual("unexpected end")


def _wrapping(head: bytes) -> _Wrapping:
    root = _ROOT.search(head[:65536])
    if root is None:
        raise _Unusual("no LHEO root")
    prefix, attributes = root.group(1), root.group(2)
    declared = list(_DECLARE.finditer(attributes))
    ns = next((d[3] for d in declared if d[1] == prefix), b"").decode(errors="replace")
    if ns not in NAMESPACES:
        raise _Unusual("not an LHEO namespace")
    xml = head[: head.find(b"?>") + 2] if head.startswith(b"<?xml") else b""
    name = (prefix + b":" if prefix else b"") + b"lheo"
    every = b"".join(b" " + d[0] for d in declared)  # an xsi: attribute needs its prefix
    return _Wrapping(
        opening=xml + b"<" + name + every + b">",
        closing=b"</" + name + b">",
        end_tag=b"</" + (prefix + b":" if prefix else b"") + b"formation",
    )


def _after_last(buffer: bytes, end_tag: bytes) -> int:
    """Where the last complete end tag of a formation ends in `buffer` (0: none yet)."""
    at = len(buffer)
    while (at := buffer.rfind(end_tag, 0, at)) >= 0:
        close = _CLOSE.match(buffer, at + len(end_tag))
        if close is not None:
            return close.end()
    return 0
