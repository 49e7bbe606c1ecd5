"""`repere catalogue import-data-inclusion SERVICES`: data·inclusion's services into the catalogue.

Writes `data-inclusion-*.yaml` under OUT/offers (one offer per line, swapped in at the end),
then reports what was added, updated, removed, merged and skipped, by reason.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from bot.cache import gc_paused
from bot.catalogue.datainclusion import DiReport, DiScope, read_structures
from bot.catalogue.datainclusion_fetch import FetchError, fetch_records, structures_url
from bot.catalogue.datainclusion_map import load_mapping, mapping_file
from bot.catalogue.datainclusion_merge import Merger
from bot.catalogue.datainclusion_parallel import PARALLEL_MIN, import_items
from bot.catalogue.datainclusion_read import Record, read_records, read_texts
from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.lheo_write import write_offers
from bot.catalogue.load import read_offers
from bot.catalogue.model import Offer
from bot.catalogue.themes import theme_names, themes_file
from bot.commands.common import parse_today
from bot.resources import load_base
from bot.yamlsrc import DataError

FAMILY = "data-inclusion"
HEADER = (
    "# Imported from data·inclusion by `repere catalogue import-data-inclusion`, one offer per\n"
    "# line (JSON is YAML). Do not edit by hand: the next import replaces this file. Edit the\n"
    "# source (DORA, the Carif-Oref…) or catalogue/data-inclusion.yaml, then import again.\n"
)
TOKEN_VARIABLE = "DATA_INCLUSION_TOKEN"


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryFile() as spill:  # the offers' lines, until they are written
        return _import(args, spill)


def _import(args: argparse.Namespace, spill: BinaryIO) -> int:
    out: Path = args.out
    gazetteer, _lexicon = load_base(out)
    try:
        mapping = load_mapping(mapping_file(out), theme_names(themes_file(out)))
        services, structures = _sources(args)
        report = DiReport()
        scope = DiScope(
            gazetteer,
            mapping,
            parse_today(args.today),
            set(args.department) if args.department else None,
        )
        known = read_structures(structures, report)
        merger = Merger(_lheo_offers(out, gazetteer), spill)
        big = args.services is not None and args.services.stat().st_size >= PARALLEL_MIN
        texts = read_texts(args.services) if big else None  # a large file: on every core
        with gc_paused():  # offers hold no cycles: the collector would only slow the import
            for item in import_items(services, scope, known, report, texts):
                merger.add(item)
    except DataError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{exc.filename}: cannot read: {exc.strerror}", file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return 1
    except FetchError as exc:
        print(exc, file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return 1
    rows = merger.rows()
    changes = write_offers(rows, out / "offers", FAMILY, HEADER, merger.text_of)
    print(
        f"data·inclusion: {report.read} services read, {len(rows)} offers written "
        f"({len(changes.added)} added, {len(changes.updated)} updated, "
        f"{len(changes.removed)} removed, {changes.unchanged} unchanged)"
    )
    for reason, n in sorted(merger.merged.items()):
        print(f"merged: {n} ({reason})")
    for reason, n in sorted(report.skipped.items()):
        print(f"skipped: {n} ({reason})")
    for warning in [*merger.notes, *report.warnings][:50]:
        print(f"warning: {warning}")
    return 0


def _sources(args: argparse.Namespace) -> tuple[Iterable[Record], Iterable[Record]]:
    """The services and the structures: from the files, else from the API."""
    structures: Iterable[Record] = read_records(args.structures) if args.structures else ()
    if args.api_url:
        token = os.environ.get(TOKEN_VARIABLE, "")
        if not token:
            raise FetchError(f"--api-url needs a token in ${TOKEN_VARIABLE}")
        if not args.structures:
            structures = fetch_records(structures_url(args.api_url), token)
        return fetch_records(args.api_url, token), structures
    if args.services is None:
        raise FetchError("give the services file (or --api-url)")
    return read_records(args.services), structures


def _lheo_offers(out: Path, gazetteer: Gazetteer) -> list[Offer]:
    """The LHEO offers already imported into OUT: a copy of one of them is merged into it."""
    files = sorted((out / "offers").glob("lheo-*.yaml"))
    offers, _problems = read_offers(files, out, gazetteer) if files else ([], [])
    return [offer for offer, _source, _i in offers]
