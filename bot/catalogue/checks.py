"""The checks of offers files: every problem as `path:line: message`, errors and warnings."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.model import Offer, OfferFile, Theme
from bot.catalogue.themes import theme_names, themes_file
from bot.yamlsrc import DataError, Problem, Source, explain, read_source

STALE_DAYS = 365
EMPTY = "empty"  # `empty: true`: a department with no offer on purpose
NO_OFFERS = (
    "no offers in this file: its department would disappear; if that is meant, "
    "write 'empty: true' with a comment saying why"
)


def label_of(path: Path, root: Path) -> str:
    return str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)


def duplicate(offer_id: str, path: str, line: int) -> str:
    return f"duplicate id '{offer_id}' (first at {path}:{line}); this one is ignored"


def read_offers(
    files: list[Path], root: Path, gazetteer: Gazetteer, themes: frozenset[Theme] | None = None
) -> tuple[list[tuple[Offer, Source, int]], list[Problem]]:
    """Parse and validate every file; each offer comes with its source and its list index.

    A theme not in `themes` (by default, the themes file beside `root`'s offers) is an error.
    """
    if themes is None:
        themes = theme_names(themes_file(root))
    offers: list[tuple[Offer, Source, int]] = []
    problems: list[Problem] = []
    seen: dict[str, Problem] = {}
    for path in files:
        found, trouble = read_file(path, root, gazetteer, themes, seen)
        offers += found
        problems += trouble
    return offers, problems


def read_file(
    path: Path,
    root: Path,
    gazetteer: Gazetteer,
    themes: frozenset[Theme],
    seen: dict[str, Problem],
    each: Callable[[Offer, Source, int], None] | None = None,
) -> tuple[list[tuple[Offer, Source, int]], list[Problem]]:
    """One file's valid offers and its problems; `seen` holds the ids met so far. With `each`,
    every valid offer goes to it as soon as it is checked, and none is returned."""
    try:
        source = read_source(path, label_of(path, root))
    except DataError as exc:
        return [], exc.problems
    return check_source(source, gazetteer, themes, seen, each)


def check_source(
    source: Source,
    gazetteer: Gazetteer,
    themes: frozenset[Theme],
    seen: dict[str, Problem],
    each: Callable[[Offer, Source, int], None] | None = None,
) -> tuple[list[tuple[Offer, Source, int]], list[Problem]]:
    """What read_file does once the file is parsed."""
    offers: list[tuple[Offer, Source, int]] = []
    problems: list[Problem] = []
    raw = source.data
    if raw is None:
        return [], [source.problem((), NO_OFFERS)]
    if not isinstance(raw, dict) or not isinstance(raw.get("offers") or [], list):
        return [], [source.problem((), "expected a mapping with a list under 'offers'")]
    problems += emptiness(raw, source)
    header = {k: v for k, v in raw.items() if k not in ("offers", EMPTY)}
    try:
        OfferFile.model_validate(header)
    except Exception as exc:
        problems.extend(explain(source, exc, OfferFile))  # type: ignore[arg-type]
    for i, item in enumerate(raw.get("offers") or []):
        loc = ("offers", i)
        try:
            offer = Offer.model_validate(item)
        except Exception as exc:
            problems.extend(explain(source, exc, Offer, loc))  # type: ignore[arg-type]
            continue
        if (first := seen.get(offer.id)) is not None:
            message = duplicate(offer.id, first.path, first.line)
            problems.append(source.problem((*loc, "id"), message, warning=True))
            continue
        seen[offer.id] = source.problem((*loc, "id"), "")
        unknown = _unknown_themes(offer, source, loc, themes)
        problems.extend(unknown)
        problems.extend(_offer_warnings(offer, source, loc, gazetteer))
        if unknown:
            continue
        if each is None:
            offers.append((offer, source, i))
        else:
            each(offer, source, i)
    return offers, problems


def _unknown_themes(
    offer: Offer, source: Source, loc: tuple[str | int, ...], themes: frozenset[Theme]
) -> list[Problem]:
    known = ", ".join(sorted(themes))
    return [
        source.problem(
            (*loc, "themes", t_idx),
            f"unknown theme '{theme}' (known: {known}; add a theme in themes.yaml)",
        )
        for t_idx, theme in enumerate(offer.themes)
        if theme not in themes
    ]


def emptiness(raw: dict[str, object], source: Source) -> list[Problem]:
    """A file that lost all its offers would silently take a department off the map: an
    error, unless the file says so (`empty: true`, with a comment saying why)."""
    declared = raw.get(EMPTY, False)
    if not isinstance(declared, bool):
        return [source.problem((EMPTY,), f"'{EMPTY}' is true or false")]
    if raw.get("offers"):
        if declared:
            return [source.problem((EMPTY,), "'empty: true' but the file has offers", True)]
        return []
    return [] if declared else [source.problem(("offers",), NO_OFFERS)]


def _offer_warnings(
    offer: Offer, source: Source, loc: tuple[str | int, ...], gazetteer: Gazetteer
) -> list[Problem]:
    out: list[Problem] = []
    for p_idx, place in enumerate(offer.places):
        where = (*loc, "places", p_idx)
        commune = gazetteer.by_insee(place.insee)
        if commune is None:
            other = gazetteer.outside_by_insee(place.insee)
            named = f" ({other.name}, {other.department_name})" if other else " (unknown code)"
            out.append(
                source.problem(
                    (*where, "insee"),
                    f"commune {place.insee}{named} is not in Nouvelle-Aquitaine",
                    warning=True,
                )
            )
        elif place.postal_code and place.postal_code not in commune.postal_codes:
            out.append(
                source.problem(
                    (*where, "postal_code"),
                    f"postal code {place.postal_code} is not one of {commune.name}'s "
                    f"({', '.join(commune.postal_codes)})",
                    warning=True,
                )
            )
    return out


def stale_warnings(offers: list[tuple[Offer, Source, int]], today: date) -> list[Problem]:
    """Offers whose every session has ended, or not updated for 12 months."""
    out: list[Problem] = []
    for offer, source, i in offers:
        loc = ("offers", i)
        ends = [s.end or s.start for s in offer.sessions]
        if offer.sessions and not offer.permanent_entry and all(e and e < today for e in ends):
            out.append(
                source.problem(
                    (*loc, "sessions"), f"'{offer.id}': every session has ended", warning=True
                )
            )
        if (today - offer.last_updated).days > STALE_DAYS:
            out.append(
                source.problem(
                    (*loc, "last_updated"),
                    f"'{offer.id}': last updated on {offer.last_updated}, more than 12 months ago",
                    warning=True,
                )
            )
    return out
