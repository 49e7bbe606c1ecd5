"""`repere catalogue check [DIR]`: every problem as `path:line: message`, then a summary."""

from __future__ import annotations

import argparse
import sys

from bot.catalogue.load import (
    compile_catalogue,
    offer_files,
    read_offers,
    stale_warnings,
    summary_line,
)
from bot.commands.common import parse_today
from bot.resources import load_base


def run(args: argparse.Namespace) -> int:
    directory = args.directory
    if not (directory / "offers").is_dir():
        print(f"{directory}: no 'offers' folder here", file=sys.stderr)
        return 1
    gazetteer, _lexicon = load_base(directory)
    files = offer_files(directory)
    offers, problems = read_offers(files, directory, gazetteer)
    problems += stale_warnings(offers, parse_today(args.today))
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
