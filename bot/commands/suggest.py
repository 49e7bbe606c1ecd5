"""`repere suggest`: nearby offers for a place and a need, as text or one JSON object."""

from __future__ import annotations

import argparse
import json
import sys

from bot.catalogue.gazetteer import Outcome
from bot.commands.common import parse_today, report_data_error
from bot.matching import DEFAULT_RADIUS_KM, TRAVEL_REACH_KM, Profile, Travel
from bot.provenance import updated_line
from bot.reasons import reason, widening_note
from bot.resources import load_resources
from bot.yamlsrc import DataError


def run(args: argparse.Namespace) -> int:
    try:
        res = load_resources(args.catalogue)
    except DataError as exc:
        return report_data_error(exc)
    today = parse_today(args.today)
    found = res.gazetteer.resolve(args.where)
    if found.outcome is Outcome.AMBIGUOUS:
        print(f"'{args.where}' matches several communes; say which one:", file=sys.stderr)
        for c in found.candidates:
            print(
                f"  {c.name} ({res.gazetteer.department_name(c.department)}) INSEE {c.insee}",
                file=sys.stderr,
            )
        return 2
    if found.outcome is Outcome.DEPARTMENT and found.department is not None:
        towns = ", ".join(c.name for c in res.gazetteer.largest(found.department, 4))
        name = res.gazetteer.department_name(found.department)
        print(f"'{args.where}' is the department {name}; give a commune: {towns}…", file=sys.stderr)
        return 2
    if found.outcome is Outcome.OUTSIDE:
        where = found.outside
        named = f"{where.name} ({where.department_name})" if where else args.where
        print(f"{named} is outside Nouvelle-Aquitaine", file=sys.stderr)
        return 1
    if found.place is None:
        print(f"unknown place '{args.where}'", file=sys.stderr)
        if found.candidates:
            names = ", ".join(f"{c.name} ({c.department})" for c in found.candidates)
            print(f"closest names: {names}", file=sys.stderr)
        return 1
    need = res.lexicon.match(args.need)
    if not need.found:
        print(
            f"need not understood: '{args.need}'. Try a theme: " + ", ".join(res.lexicon.names),
            file=sys.stderr,
        )
        return 1
    jobseeker = None if args.jobseeker is None else args.jobseeker == "yes"
    place = found.place
    travel = Travel(args.travel) if args.travel else None
    reach = DEFAULT_RADIUS_KM if travel is None else TRAVEL_REACH_KM[travel]
    radius = args.radius if args.radius is not None else reach
    profile = Profile(place, need.themes, args.age, jobseeker, radius_km=radius, travel=travel)
    result = res.matcher.suggest(profile, today, limit=max(args.limit, 1))
    reasons = [
        reason(s, place.name, res.messages, today, need=profile.themes, travel=travel)
        for s in result.suggestions
    ]
    if args.json:
        out = {
            "place": {"insee": place.insee, "name": place.name, "lat": place.lat, "lon": place.lon},
            "widened": result.widened.value != "none",
            "suggestions": [
                {
                    "id": s.offer.id,
                    "title": s.offer.title,
                    "themes": list(s.offer.themes),
                    "distance_km": s.distance_km,
                    "beyond_reach": s.beyond_reach,
                    "commune": s.commune,
                    "reason": r,
                }
                for s, r in zip(result.suggestions, reasons, strict=True)
            ],
        }
        print(json.dumps(out, ensure_ascii=False))
        return 0
    print(f"{place.name} · {', '.join(res.lexicon.label(t) for t in need.themes[:2])}")
    if note := widening_note(result, res.messages, volunteer=False):
        print(note)
    if not result.suggestions:
        print("(aucune offre)")
    for n, (s, r) in enumerate(zip(result.suggestions, reasons, strict=True), start=1):
        print(
            f"{n}. {s.offer.title}\n   {r}\n   {s.offer.organisation.name}"
            + (f" · {s.offer.contact.phone}" if s.offer.contact.phone else "")
        )
        m = res.messages
        for label, value in (
            ("card_hours", s.offer.opening_hours),
            ("card_register", s.offer.contact.how_to_register),
            ("card_updated", updated_line(s.offer, m, "fr")),
        ):
            if value:
                print(f"   {m.get(label, 'fr')} : {value}")
    return 0
