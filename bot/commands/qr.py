"""`repere qr`: printable QR codes of each centre's deep link (segno), PNG or SVG; with
`--poster`, an A4 or A5 poster to pin on a wall (PDF or PNG)."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from bot.catalogue.centres import load_centres
from bot.channels.links import deep_link
from bot.commands.common import report_data_error
from bot.messages import Messages
from bot.yamlsrc import DataError

_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")


def write_qr(link: str, out: Path) -> None:
    import segno

    code = segno.make(link, error="m", micro=False)
    if out.suffix.lower() == ".svg":
        code.save(str(out), scale=10, border=4, title=link)
    else:
        code.save(str(out), scale=12, border=4)


def _poster(link: str, name: str, bot: str, out: Path, args: argparse.Namespace) -> int | None:
    from bot.qr_poster import PosterUnavailable, poster

    m = Messages.load(args.flows / "messages.yaml")
    lines = [(m.get("poster_scan", lang), lang in m.rtl) for lang in m.languages]
    try:
        poster(link, name, lines, bot, out, args.size)
    except PosterUnavailable as exc:
        print(exc, file=sys.stderr)
        return 1
    return None


def run(args: argparse.Namespace) -> int:
    bot = (args.bot or os.environ.get("REPERE_BOT_USERNAME") or "").lstrip("@")
    if not _USERNAME.match(bot):
        print(
            "Give the bot's username (from @BotFather) with --bot or REPERE_BOT_USERNAME.",
            file=sys.stderr,
        )
        return 2
    path = args.catalogue / "centres.yaml"
    try:
        centres = load_centres(path)
    except DataError as exc:
        return report_data_error(exc)
    if args.all == bool(args.centre):
        print("Name one centre, or give --all.", file=sys.stderr)
        return 2
    codes = list(centres) if args.all else [args.centre.lower()]
    unknown = [c for c in codes if centres.get(c) is None]
    if unknown:
        known = ", ".join(centres) or "none"
        print(f"unknown centre '{unknown[0]}' in {path}; known: {known}", file=sys.stderr)
        return 1
    allowed = (".png", ".pdf") if args.poster else (".png", ".svg")
    if args.out is not None and not args.all and args.out.suffix.lower() not in allowed:
        print(f"--out must end in {' or '.join(allowed)}", file=sys.stderr)
        return 2
    folder = args.out if args.all and args.out else Path("qr") if args.all else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    for code in codes:
        link = deep_link(bot, code, volunteer=args.volunteer)
        suffix = "-benevole" if args.volunteer else ""
        kind = f"-affiche-{args.size}.pdf" if args.poster else ".png"
        if folder is not None:
            out = folder / f"{code}{suffix}{kind}"
        else:
            out = args.out or Path(f"qr-{code}{suffix}{kind}")
        centre = centres.get(code)
        if args.poster:
            if (
                failed := _poster(link, centre.name if centre else code, bot, out, args)
            ) is not None:
                return failed
        else:
            write_qr(link, out)
        print(f"{out}\t{link}\t{centre.name if centre else ''}")
    return 0
