"""`repere catalogue check [DIR]`: every problem as `path:line: message`, then a summary."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from bot.catalogue.falc import falc_warnings
from bot.catalogue.lheo import ImportReport, Scope
from bot.catalogue.lheo_parallel import import_rows
from bot.catalogue.lheo_write import write_offers
from bot.catalogue.load import (
    compile_catalogue,
    offer_files,
    read_offers,
    stale_warnings,
    summary_line,
)
from bot.catalogue.reach import holes, never_shown
from bot.catalogue.themes import theme_names, themes_file
from bot.commands.common import parse_today
from bot.dialogue.lint import FalcRules, falc_faults
from bot.paths import FLOWS_DIR
from bot.resources import load_base
from bot.yamlsrc import DataError, read_source, validate


def run(args: argparse.Namespace) -> int:
    if args.catalogue_command == "import-lheo":
        return import_lheo(args)
    if args.catalogue_command == "import-data-inclusion":
        from bot.commands import data_inclusion  # its schema package loads only when used

        return data_inclusion.run(args)
    directory = args.directory
    if not (directory / "offers").is_dir():
        print(f"{directory}: no 'offers' folder here", file=sys.stderr)
        return 1
    gazetteer, _lexicon = load_base(directory)
    files = offer_files(directory)
    offers, problems = read_offers(files, directory, gazetteer)
    problems += stale_warnings(offers, parse_today(args.today))
    problems += falc_warnings(offers, falc_check())
    problems += never_shown(offers, parse_today(args.today))
    problems += holes(offers, gazetteer, theme_names(themes_file(directory)))
    problems.sort(key=lambda p: (p.path, p.line))
    errors = [p for p in problems if not p.warning]
    for problem in problems:
        print(problem)
    catalogue = compile_catalogue(offers, gazetteer, [])
    warnings = len(problems) - len(errors)
    print(
        f"{len(files)} files · {len(errors)} errors · {warnings} warnings · "
        + summary_line(catalogue, gazetteer)
    )
    return 1 if errors else 0


def falc_check() -> Callable[[str], list[str]]:
    """The flows' easy-read rules, as a check of one French text (no rules file: defaults)."""
    path = FLOWS_DIR / "falc.yaml"
    rules = validate(read_source(path), FalcRules) if path.exists() else FalcRules()
    return lambda text: falc_faults(text, rules)


def import_lheo(args: argparse.Namespace) -> int:
    """Read an LHEO file, write `lheo-*.yaml` under OUT/offers, report what happened."""
    out: Path = args.out
    gazetteer, lexicon = load_base(out)  # the map and themes of OUT, else the bundled ones
    departments = set(args.department) if args.department else None
    report = ImportReport()
    try:
        scope = Scope(
            gazetteer, lexicon.formacodes, parse_today(args.today), departments, args.all_regions
        )
        rows = import_rows(args.file, scope, report)
    except OSError as exc:
        print(f"{args.file}: cannot read: {exc.strerror}", file=sys.stderr)
        return 1
    except DataError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print("nothing was written", file=sys.stderr)
        return 1
    changes = write_offers(rows, out / "offers")
    print(
        f"LHEO {report.version}: {len(rows)} offers imported "
        f"({len(changes.added)} added, {len(changes.updated)} updated, "
        f"{len(changes.removed)} removed, {changes.unchanged} unchanged)"
    )
    for reason, n in sorted(report.skipped.items()):
        print(f"skipped: {n} ({reason})")
    for warning in report.warnings[:50]:
        print(f"warning: {warning}")
    return 0
