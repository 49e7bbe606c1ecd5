"""`repere flows check` and `repere flows graph FLOW`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.dialogue.flow import flow_files, load_flow
from bot.dialogue.lint import check_flows, graph
from bot.yamlsrc import DataError


def run(args: argparse.Namespace) -> int:
    if args.flows_command == "check":
        directory: Path = args.directory
        if not directory.is_dir():
            print(f"{directory}: not a folder", file=sys.stderr)
            return 1
        problems = check_flows(directory, args.glossary)
        for problem in sorted(problems, key=lambda p: (p.path, p.line)):
            print(problem)
        print(f"{len(problems)} problem(s)")
        return 1 if problems else 0
    path = Path(args.flow)
    if not path.suffix:
        path = args.flows / f"{args.flow}.yaml"
    if not path.is_file():
        known = ", ".join(p.stem for p in flow_files(args.flows)) or "none"
        print(f"unknown flow '{args.flow}': the flows in {args.flows} are {known}", file=sys.stderr)
        return 1
    try:
        flow, _source = load_flow(path)
    except DataError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    print(graph(flow))
    return 0
