"""Load the catalogue from YAML, check it, and keep a compiled copy keyed by the files' content.

A catalogue of 50,000 offers takes a long YAML parse; the compiled form (a pickle of plain
records and the matching index) loads in a fraction of that. Its name carries a hash of every
file's path and bytes, so an edited file is never served stale.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from bot.cache import cached
from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.index import Compact, Index, Spot, compact
from bot.catalogue.model import Mode, Offer, OfferFile, Theme
from bot.catalogue.themes import theme_names, themes_file
from bot.yamlsrc import DataError, Problem, Source, explain, read_source

STALE_DAYS = 365
EMPTY = "empty"  # `empty: true`: a department with no offer on purpose
NO_OFFERS = (
    "no offers in this file: its department would disappear; if that is meant, "
    "write 'empty: true' with a comment saying why"
)


class Catalogue:
    """Validated offers and their index.

    Each offer is kept as its JSON text and turned into a model only when shown: a pickle of
    50,000 short strings loads many times faster, and in less memory, than as many models.
    """

    def __init__(self, records: list[bytes], index: Index, problems: list[Problem]) -> None:
        self.records = records
        self.index = index
        self.problems = problems  # warnings kept at load time
        self._models: dict[int, Offer] = {}
        self._by_id: dict[str, int] | None = None

    def __getstate__(self) -> tuple[list[bytes], Index, list[Problem]]:
        return self.records, self.index, self.problems

    def __setstate__(self, state: tuple[list[bytes], Index, list[Problem]]) -> None:
        self.__init__(*state)  # type: ignore[misc]

    def __len__(self) -> int:
        return len(self.records)

    def offer(self, idx: int) -> Offer:
        if (model := self._models.get(idx)) is None:
            model = self._models[idx] = Offer.model_validate_json(self.records[idx])
        return model

    def by_id(self, offer_id: str) -> Offer | None:
        if self._by_id is None:
            self._by_id = {c.offer_id: c.idx for c in self.index.compacts}
        idx = self._by_id.get(offer_id)
        return None if idx is None else self.offer(idx)

    def offers(self) -> list[Offer]:
        return [self.offer(i) for i in range(len(self.records))]

    def compact(self, idx: int) -> Compact:
        return self.index.compacts[idx]


def offer_files(directory: Path) -> list[Path]:
    return sorted((directory / "offers").rglob("*.yaml"))


def load_catalogue(
    directory: Path, gazetteer: Gazetteer, cache_dir: Path | None = None, use_cache: bool = True
) -> Catalogue:
    """The catalogue in `directory`, from the compiled cache when the files did not change.

    Raises DataError with every error found (never a half-loaded catalogue).
    """
    files = offer_files(directory)
    themes = themes_file(directory)

    def build() -> Catalogue:
        offers, problems = read_offers(files, directory, gazetteer, theme_names(themes))
        errors = [p for p in problems if not p.warning]
        if errors:
            raise DataError(errors)
        return compile_catalogue(offers, gazetteer, [p for p in problems if p.warning])

    # the themes file decides which offers are valid: an edit of it builds again
    keyed = [*files, themes] if themes.is_relative_to(directory) else files
    return cached(Catalogue, "catalogue", keyed, directory, build, cache_dir, use_cache)


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
        label = str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)
        try:
            source = read_source(path, label)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        raw = source.data
        if raw is None:
            problems.append(source.problem((), NO_OFFERS))
            continue
        if not isinstance(raw, dict) or not isinstance(raw.get("offers") or [], list):
            problems.append(source.problem((), "expected a mapping with a list under 'offers'"))
            continue
        problems += _emptiness(raw, source)
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
                problems.append(
                    source.problem(
                        (*loc, "id"),
                        f"duplicate id '{offer.id}' (first at {first.path}:{first.line}); "
                        "this one is ignored",
                        warning=True,
                    )
                )
                continue
            seen[offer.id] = source.problem((*loc, "id"), "")
            unknown = _unknown_themes(offer, source, loc, themes)
            problems.extend(unknown)
            problems.extend(_offer_warnings(offer, source, loc, gazetteer))
            if not unknown:
                offers.append((offer, source, i))
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


def _emptiness(raw: dict[str, object], source: Source) -> list[Problem]:
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


def compile_catalogue(
    offers: list[tuple[Offer, Source, int]], gazetteer: Gazetteer, warnings: list[Problem]
) -> Catalogue:
    records: list[bytes] = []
    compacts: list[Compact] = []
    spots: list[Spot] = []
    for idx, (offer, _source, _i) in enumerate(offers):
        places = []
        for place in offer.places:
            commune = gazetteer.by_insee(place.insee)
            lat = place.lat if place.lat is not None else (commune.lat if commune else None)
            lon = place.lon if place.lon is not None else (commune.lon if commune else None)
            places.append(place.model_copy(update={"lat": lat, "lon": lon}))
            if lat is not None and lon is not None and offer.mode is not Mode.REMOTE:
                name = commune.name if commune else place.insee
                dep = commune.department if commune else place.insee[:2]
                spots.append(Spot(idx, lat, lon, dep, name))
        placed = offer.model_copy(update={"places": places})
        # the fields as given (read back with validation): leaving out defaults called every
        # default factory, a model validation each, for every offer
        records.append(placed.__pydantic_serializer__.to_json(placed, exclude_unset=True))
        compacts.append(compact(idx, offer))
    return Catalogue(records, Index.build(compacts, spots), warnings)


def summary_line(catalogue: Catalogue, gazetteer: Gazetteer) -> str:
    """ "152 offers · by department: 16: 12, … · by theme: fle: 30, …"."""
    by_dep: Counter[str] = Counter()
    by_theme: Counter[str] = Counter()
    for idx, offer in enumerate(catalogue.offers()):
        communes = (gazetteer.by_insee(p.insee) for p in offer.places)
        deps = {c.department for c in communes if c is not None}
        for dep in deps or {"remote"}:
            by_dep[dep] += 1
        for theme in catalogue.compact(idx).themes:
            by_theme[theme] += 1
    deps_text = ", ".join(f"{d}: {n}" for d, n in sorted(by_dep.items()))
    themes_text = ", ".join(f"{t}: {n}" for t, n in sorted(by_theme.items()))
    return f"{len(catalogue)} offers · by department: {deps_text} · by theme: {themes_text}"
