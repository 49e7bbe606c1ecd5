"""The `repere` command: parses arguments, wires the parts, nothing else."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

from bot.paths import CATALOGUE_DIR, FLOWS_DIR


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="repere", description="Repère: orientation towards trainings")
    sub = p.add_subparsers(dest="command", required=True)

    cat = sub.add_parser("catalogue", help="check or import the catalogue of offers")
    cat_sub = cat.add_subparsers(dest="catalogue_command", required=True)
    check = cat_sub.add_parser("check", help="validate the catalogue, print path:line problems")
    check.add_argument("directory", nargs="?", type=Path, default=CATALOGUE_DIR)
    check.add_argument("--today", help="date of the check (YYYY-MM-DD), default today")
    lheo = cat_sub.add_parser("import-lheo", help="import offers from an LHEO XML file")
    lheo.add_argument("file", type=Path, help="LHEO 2.3 (or 2.2) XML file")
    lheo.add_argument("--out", type=Path, default=CATALOGUE_DIR, help="catalogue folder")
    lheo.add_argument("--department", nargs="+", help="keep only these departments (23 87…)")
    lheo.add_argument("--all-regions", action="store_true", help="keep places outside the region")
    lheo.add_argument("--today", help="date of the import (YYYY-MM-DD), default today")
    di = cat_sub.add_parser("import-data-inclusion", help="import data·inclusion's services")
    di.add_argument("services", nargs="?", type=Path, help="services (JSON, JSON lines, CSV)")
    di.add_argument("--structures", type=Path, help="structures export (names, networks)")
    di.add_argument("--api-url", help="fetch from this API URL instead ($DATA_INCLUSION_TOKEN)")
    di.add_argument("--out", type=Path, default=CATALOGUE_DIR, help="catalogue folder")
    di.add_argument("--department", nargs="+", help="keep only these departments (23 87…)")
    di.add_argument("--today", help="date of the import (YYYY-MM-DD), default today")

    sug = sub.add_parser("suggest", help="nearby offers for a place and a need")
    sug.add_argument("--where", required=True, help="commune, postal code or 'lat,lon'")
    sug.add_argument("--need", required=True, help="a theme or everyday words")
    sug.add_argument("--age", type=int)
    sug.add_argument("--jobseeker", choices=["yes", "no"], help="registered at France Travail")
    sug.add_argument(
        "--travel",
        choices=["walk", "bike", "bus", "car", "home"],
        help="how the person travels: sets the reach (walk 3 km … car 40 km; home: remote only)",
    )
    sug.add_argument("--radius", type=float, help="kilometres (default 20, or the travel's reach)")
    sug.add_argument("--limit", type=int, default=3)
    sug.add_argument("--json", action="store_true", help="print one JSON object")
    sug.add_argument("--catalogue", type=Path, default=CATALOGUE_DIR)
    sug.add_argument("--today", help="date of the search (YYYY-MM-DD), default today")

    chat = sub.add_parser("chat", help="talk with the bot in this terminal")
    chat.add_argument("--flow", default="beneficiary", help="beneficiary or volunteer")
    chat.add_argument("--lang", default=None, help="fr, en… (default: ask first)")
    chat.add_argument("--json", action="store_true", help="one JSON line per bot reply")
    chat.add_argument("--catalogue", type=Path, default=CATALOGUE_DIR)
    chat.add_argument("--flows", type=Path, default=FLOWS_DIR)
    chat.add_argument("--today", help="date of the conversation (YYYY-MM-DD), default today")

    flows = sub.add_parser("flows", help="check the dialogue flows or draw one")
    flows_sub = flows.add_subparsers(dest="flows_command", required=True)
    fcheck = flows_sub.add_parser("check", help="schema, graph, translations and FALC checks")
    fcheck.add_argument("directory", nargs="?", type=Path, default=FLOWS_DIR)
    fcheck.add_argument("--glossary", type=Path, default=CATALOGUE_DIR / "glossary.yaml")
    graph = flows_sub.add_parser("graph", help="print a Mermaid diagram of a flow")
    graph.add_argument("flow", help="a flow id (beneficiary, volunteer) or a YAML file")
    graph.add_argument("--flows", type=Path, default=FLOWS_DIR)
    run = sub.add_parser("run", help="run the Telegram bot (polling, or --webhook URL)")
    run.add_argument("--token", help="default: $TELEGRAM_BOT_TOKEN")
    run.add_argument(
        "--db", help="SQLite file or postgresql:// URL (default: $REPERE_DB or repere.db)"
    )
    run.add_argument("--base-url", help="a local Bot API server (default: $REPERE_BASE_URL)")
    run.add_argument("--admin-ids", help="Telegram user ids of coordinators, comma separated")
    run.add_argument("--webhook", metavar="URL", help="use a webhook at this public URL")
    run.add_argument("--listen", default="127.0.0.1", help="webhook: address to listen on")
    run.add_argument("--port", type=int, default=8443, help="webhook: port to listen on")
    run.add_argument("--secret-token", help="webhook: the X-Telegram-Bot-Api-Secret-Token")
    run.add_argument("--catalogue", type=Path, default=CATALOGUE_DIR)
    run.add_argument("--flows", type=Path, default=FLOWS_DIR)

    rep = sub.add_parser("report", help="anonymous figures for the evaluation")
    rep.add_argument("--db", help="SQLite file (default: $REPERE_DB or repere.db)")
    rep.add_argument("--since", help="first day (YYYY-MM-DD), default: the beginning")
    rep.add_argument("--until", help="last day (YYYY-MM-DD), default: today")
    rep.add_argument("--by", choices=["department", "theme", "centre"], help="add a breakdown")
    rep.add_argument("--format", choices=["text", "csv", "png", "html"], default="text")
    rep.add_argument("--out", type=Path, help="a file, or a folder: one CSV or PNG per table")
    rep.add_argument("--flows", type=Path, default=FLOWS_DIR)
    rep.add_argument("--catalogue", type=Path, default=CATALOGUE_DIR, help="for names of offers")

    qr = sub.add_parser("qr", help="printable QR codes of the centres' deep links")
    qr.add_argument("centre", nargs="?", help="a centre code from catalogue/centres.yaml")
    qr.add_argument("--all", action="store_true", help="one file per centre")
    qr.add_argument("--out", type=Path, help="FILE.png or FILE.svg (with --all: a folder)")
    qr.add_argument("--volunteer", action="store_true", help="the volunteers' checklist link")
    qr.add_argument("--bot", help="the bot's username (default: $REPERE_BOT_USERNAME)")
    qr.add_argument("--catalogue", type=Path, default=CATALOGUE_DIR)
    qr.add_argument("--poster", action="store_true", help="a poster: name, 5 languages, code")
    qr.add_argument("--size", choices=["a4", "a5"], default="a4", help="the poster's size")
    qr.add_argument("--flows", type=Path, default=FLOWS_DIR)
    doc = sub.add_parser("doctor", help="is this installation ready to go live? (exit 1: no)")
    doc.add_argument("--db", help="SQLite file (default: $REPERE_DB or repere.db)")
    doc.add_argument("--catalogue", type=Path, default=CATALOGUE_DIR)
    doc.add_argument("--flows", type=Path, default=FLOWS_DIR)
    doc.add_argument("--today", help="date of the check (YYYY-MM-DD), default today")
    return p


# sub-command -> module whose `run(args) -> int` carries it out (imported only when used)
COMMANDS = {
    "catalogue": "bot.commands.catalogue",
    "suggest": "bot.commands.suggest",
    "chat": "bot.channels.terminal",
    "flows": "bot.commands.flows",
    "run": "bot.commands.run",
    "report": "bot.commands.report",
    "qr": "bot.commands.qr",
    "doctor": "bot.commands.doctor",
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    run = cast(
        Callable[[argparse.Namespace], int], importlib.import_module(COMMANDS[args.command]).run
    )
    try:
        return run(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
