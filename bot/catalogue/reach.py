"""What the catalogue cannot give: offers no one will ever be shown, and department × theme holes.

Two checks for `repere catalogue check` and `repere doctor`, as warnings: an offer with no
session one can still join (registration closed, or started on fixed dates), one whose ages
no person of the flows can have (a place off the map is already a load warning); and, per
declared department, the themes with no offer on site there (a remote one is named apart).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.index import compact
from bot.catalogue.model import Mode, Offer, Theme
from bot.matching import next_start
from bot.yamlsrc import Problem, Source

PERSON_AGES = (16, 120)  # the ages the beneficiary flow's bands cover


def never_shown(offers: list[tuple[Offer, Source, int]], today: date) -> list[Problem]:
    out: list[Problem] = []
    day = today.toordinal()
    for offer, source, i in offers:
        loc = ("offers", i)
        c = compact(0, offer)
        ended = offer.sessions and all((s.end or s.start or today) < today for s in offer.sessions)
        if not ended and next_start(c, day) is None:  # ended: `stale_warnings` says so
            out.append(
                source.problem(
                    (*loc, "sessions"),
                    f"'{offer.id}' is never shown: no session one can still join "
                    "(registration closed, or started on fixed dates)",
                    warning=True,
                )
            )
        low, high = PERSON_AGES
        if c.age_max < low or c.age_min > high:
            out.append(
                source.problem(
                    (*loc, "eligibility"),
                    f"'{offer.id}' is never shown: no person can be {c.age_min}-{c.age_max}",
                    warning=True,
                )
            )
    return out


def holes(
    offers: list[tuple[Offer, Source, int]],
    gazetteer: Gazetteer,
    themes: frozenset[Theme],
) -> list[Problem]:
    """One warning per department a file declares (`department: '23'`) that lacks an on-site
    offer for some theme (files without a department, test catalogues, are not judged)."""
    on_site: dict[str, set[Theme]] = defaultdict(set)
    remote: set[Theme] = set()
    files: dict[str, str] = {}
    for offer, source, _i in offers:
        declared = source.data.get("department") if isinstance(source.data, dict) else None
        if isinstance(declared, str) and gazetteer.in_region(declared):
            files.setdefault(declared, source.path)
        if offer.mode is Mode.REMOTE:
            remote.update(offer.themes)
        for place in offer.places:
            commune = gazetteer.by_insee(place.insee)
            if commune is not None:
                on_site[commune.department].update(offer.themes)
    out: list[Problem] = []
    for dep, path in sorted(files.items()):
        missing = sorted(themes - on_site[dep])
        if not missing:
            continue
        absent = [t for t in missing if t not in remote]
        only_remote = [t for t in missing if t in remote]
        parts = []
        if absent:
            parts.append(f"no offer at all for {', '.join(absent)}")
        if only_remote:
            parts.append(f"only remote offers for {', '.join(only_remote)}")
        name = gazetteer.department_name(dep)
        out.append(Problem(path, 1, f"{name} ({dep}): {'; '.join(parts)}", warning=True))
    return out
