"""`repere doctor`: is this installation ready to go live? Plain French, exit 1 when not."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bot import golive
from bot.catalogue.centres import load_centres
from bot.catalogue.load import offer_files, read_offers, stale_warnings
from bot.catalogue.reach import never_shown
from bot.commands.common import parse_today
from bot.messages import Messages
from bot.privacy_notice import FRENCH_NOTICE, NOTICES
from bot.resources import glossary_of, load_base
from bot.yamlsrc import DataError, Problem


def findings(args: argparse.Namespace, env: dict[str, str]) -> list[golive.Finding]:
    catalogue: Path = args.catalogue
    db = Path(args.db or env.get("REPERE_DB") or "repere.db")
    gazetteer, _lexicon = load_base(catalogue)
    read, problems = read_offers(offer_files(catalogue), catalogue, gazetteer)
    today = parse_today(args.today)
    problems += stale_warnings(read, today) + never_shown(read, today)
    out = golive.sample_offers(golive.offers_of(read))
    try:
        centres = load_centres(catalogue / "centres.yaml")
    except DataError as exc:
        problems += exc.problems
    else:
        out += golive.sample_centres(centres) + golive.groups(centres, gazetteer)
    out += golive.problems("catalogue", problems)
    out += golive.problems("flows", _flow_problems(args.flows, catalogue))
    out += golive.notices([FRENCH_NOTICE, *sorted(NOTICES.glob("*.md"))])
    out += golive.pseudonym_key(env, db) + golive.database(db) + golive.settings(env)
    return out


def _flow_problems(flows: Path, catalogue: Path) -> list[Problem]:
    from bot.dialogue.lint import check_flows

    return check_flows(flows, glossary_of(catalogue))


def render(found: list[golive.Finding], m: Messages) -> str:
    blocking = [f for f in found if f.blocking]
    others = [f for f in found if not f.blocking]
    lines = [m.staff("doctor_title"), ""]
    if blocking:
        lines.append(m.staff("doctor_blocking", n=len(blocking)))
        lines += ["  ✗ " + m.staff(f.key, **f.fields) for f in blocking]
        lines.append("")
    if others:
        lines.append(m.staff("doctor_notes"))
        lines += ["  · " + m.staff(f.key, **f.fields) for f in others]
        lines.append("")
    verdict = "doctor_not_ready" if blocking else "doctor_ready"
    lines.append(m.staff(verdict, n=len(blocking)))
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    m = Messages.load(args.flows / "messages.yaml")
    found = findings(args, dict(os.environ))
    print(render(found, m), end="")
    return 1 if any(f.blocking for f in found) else 0
