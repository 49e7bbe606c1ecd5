"""Load the catalogue from YAML, check it, and keep a compiled copy of each file.

Each offers file is compiled on its own (parsed, validated, turned into plain rows) and kept
in the cache under a hash of its bytes, of the themes file and of the map it was checked
against; the catalogue is the cheap merge of those parts, itself kept under a hash of their
names. An edit to one department's file compiles that file again and only that one.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bot import cache
from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.index import LAYOUT, Compact, Index, Row, SpotRow, offer_row
from bot.catalogue.model import Mode, Offer, OfferFile, Theme
from bot.catalogue.pieces import piece_text, split_offers
from bot.catalogue.records import Records
from bot.catalogue.themes import theme_names, themes_file
from bot.yamlsrc import DataError, Problem, Source, explain, parse_source, read_source

STALE_DAYS = 365
EMPTY = "empty"  # `empty: true`: a department with no offer on purpose
NO_OFFERS = (
    "no offers in this file: its department would disappear; if that is meant, "
    "write 'empty: true' with a comment saying why"
)
PART = "offers-part"  # the compiled copy of one offers file
WHOLE = "catalogue"  # the merged catalogue
TEXTS = ".texts"  # beside it, its offers' JSON texts end to end


class Catalogue:
    """Validated offers and their index.

    Each offer is kept as its JSON text and turned into a model only when shown: a pickle of
    50,000 short strings loads many times faster, and in less memory, than as many models.
    """

    def __init__(self, records: Sequence[bytes], index: Index, problems: list[Problem]) -> None:
        self.records = records
        self.index = index
        self.problems = problems  # warnings kept at load time
        self.compiled: list[str] = []  # the files compiled by this load (the others: cached)
        self._models: dict[int, Offer] = {}
        self._by_id: dict[str, int] | None = None

    def __getstate__(self) -> tuple[Sequence[bytes], Index, list[Problem]]:
        return self.records, self.index, self.problems

    def __setstate__(self, state: tuple[Sequence[bytes], Index, list[Problem]]) -> None:
        self.__init__(*state)  # type: ignore[misc]

    def __len__(self) -> int:
        return len(self.records)

    def offer(self, idx: int) -> Offer:
        if (model := self._models.get(idx)) is None:
            model = self._models[idx] = Offer.model_validate_json(self.records[idx])
        return model

    def by_id(self, offer_id: str) -> Offer | None:
        if self._by_id is None:
            self._by_id = {oid: idx for idx, oid in enumerate(self.index.ids)}
        idx = self._by_id.get(offer_id)
        return None if idx is None else self.offer(idx)

    def offers(self) -> list[Offer]:
        return [self.offer(i) for i in range(len(self.records))]

    def compact(self, idx: int) -> Compact:
        return self.index.compact(idx)


@dataclass
class Part:
    """One offers file, compiled: its valid offers as plain values, and its problems."""

    label: str
    records: list[bytes] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    spots: list[SpotRow] = field(default_factory=list)  # offer numbers within this file
    id_lines: list[int] = field(default_factory=list)  # the line of each offer's id
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _Saved:
    """The merged catalogue as kept in the cache, beside the file of its offers' texts."""

    index: Index
    problems: list[Problem]
    ends: array[int]


def offer_files(directory: Path) -> list[Path]:
    return sorted((directory / "offers").rglob("*.yaml"))


def load_catalogue(
    directory: Path, gazetteer: Gazetteer, cache_dir: Path | None = None, use_cache: bool = True
) -> Catalogue:
    """The catalogue in `directory`, each file from its compiled copy when it did not change.

    Raises DataError with every error found (never a half-loaded catalogue).
    """
    files = offer_files(directory)
    themes = themes_file(directory)
    names = theme_names(themes)
    if not use_cache:
        return merge([compile_file(f, directory, gazetteer, names) for f in files])
    store = cache_dir or cache.default_cache_dir()
    # what a file's compiled copy depends on besides its bytes: the themes, the map
    depends = b"%d:" % LAYOUT + _read(themes) + gazetteer_key(gazetteer).encode()
    keys = [cache.key_of(_label(f, directory).encode(), _read(f), depends) for f in files]
    whole = store / f"{WHOLE}-{cache.key_of(*(k.encode() for k in keys))}.pickle"
    texts = whole.with_suffix(TEXTS)
    if (saved := cache.read(whole, _Saved)) is not None and (
        records := Records.mapped(texts, saved.ends)
    ) is not None:
        return Catalogue(records, saved.index, saved.problems)
    parts: list[Part] = []
    compiled: list[str] = []
    kept: set[Path] = set()
    for path, key in zip(files, keys, strict=True):
        for piece_key, build in _jobs(path, directory, key, depends, gazetteer, names):
            part_path = store / f"{PART}-{piece_key}.pickle"
            kept.add(part_path)
            if (part := cache.read(part_path, Part)) is None:
                part = build()
                cache.write(part_path, part)
                compiled.append(part.label)
            parts.append(part)
    cache.prune(store, PART, kept)
    catalogue = merge(parts)  # raises on an error: the parts stay, the whole is not written
    cache.prune(store, WHOLE, {whole})
    cache.prune(store, WHOLE, {texts}, TEXTS)
    if isinstance(catalogue.records, Records) and catalogue.records.write(texts):
        saved = _Saved(catalogue.index, catalogue.problems, catalogue.records.ends)
        cache.write(whole, saved)  # written last: present, it says the texts are complete
    catalogue.compiled = compiled
    return catalogue


def _jobs(
    path: Path,
    root: Path,
    key: str,
    depends: bytes,
    gazetteer: Gazetteer,
    themes: frozenset[Theme],
) -> list[tuple[str, Callable[[], Part]]]:
    """The compiled pieces of one file: (name in the cache, how to compile it). A large file
    is cut into pieces of its offers (see pieces.py), keyed by their own text; others whole."""
    label = _label(path, root)
    try:
        split = split_offers(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        split = None  # compiling it whole names the problem
    if split is None:
        return [(key, lambda: compile_file(path, root, gazetteer, themes))]
    head, pieces = split
    jobs: list[tuple[str, Callable[[], Part]]] = [
        (cache.key_of(label.encode(), b"head", head.encode()), lambda: compile_head(head, label))
    ]
    for first, piece in pieces:
        text = piece_text(first, piece)
        piece_key = cache.key_of(label.encode(), str(first).encode(), piece.encode(), depends)
        jobs.append(
            (piece_key, lambda t=text: compile_text(t, label, gazetteer, themes))  # type: ignore[misc]
        )
    return jobs


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""  # a missing themes file: reading it again names the problem


def _label(path: Path, root: Path) -> str:
    return str(path.relative_to(root.parent)) if root.parent in path.parents else str(path)


def gazetteer_key(gazetteer: Gazetteer) -> str:
    """A hash of what the checks and the coordinates read from the map."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr((gazetteer.communes, sorted(gazetteer.departments.items()))).encode())
    if gazetteer.other_path is not None:
        digest.update(_read(gazetteer.other_path))
    return digest.hexdigest()


def compile_file(path: Path, root: Path, gazetteer: Gazetteer, themes: frozenset[Theme]) -> Part:
    """Read, check and compile one offers file (duplicates are looked for within it only)."""
    label = _label(path, root)
    try:
        source = read_source(path, label)
    except DataError as exc:
        return Part(label, problems=exc.problems)
    return _compile_source(source, gazetteer, themes)


def compile_text(text: str, label: str, gazetteer: Gazetteer, themes: frozenset[Theme]) -> Part:
    """Check and compile one piece of a file (see pieces.py)."""
    try:
        source = parse_source(text, label)
    except DataError as exc:
        return Part(label, problems=exc.problems)
    return _compile_source(source, gazetteer, themes)


def compile_head(head: str, label: str) -> Part:
    """The checks of a file cut into pieces that are about the file: its keys besides
    `offers` (it has offers: pieces are cut only from a list of items)."""
    try:
        source = parse_source(head, label)
    except DataError as exc:
        return Part(label, problems=exc.problems)
    raw = source.data or {}
    if not isinstance(raw, dict):
        return Part(label, problems=[source.problem((), "expected a mapping")])
    problems = _emptiness({**raw, "offers": [None]}, source)
    try:
        OfferFile.model_validate({k: v for k, v in raw.items() if k != EMPTY})
    except Exception as exc:
        problems.extend(explain(source, exc, OfferFile))  # type: ignore[arg-type]
    return Part(label, problems=problems)


def _compile_source(source: Source, gazetteer: Gazetteer, themes: frozenset[Theme]) -> Part:
    part = Part(source.path)

    def add(offer: Offer, source: Source, i: int) -> None:  # one model alive at a time
        item = source.data["offers"][i]
        record, spots = _record(item, offer, len(part.rows), gazetteer)
        part.records.append(record)
        part.spots.extend(spots)
        part.rows.append(offer_row(offer))
        part.id_lines.append(source.line_of(("offers", i, "id")))

    _offers, part.problems = check_source(source, gazetteer, themes, {}, add)
    return part


def _record(
    item: dict[str, Any], offer: Offer, idx: int, gazetteer: Gazetteer
) -> tuple[bytes, list[SpotRow]]:
    """What `_compiled` gives, written from the offer as given (already validated) with the
    places' coordinates added: json.dumps of a dict takes a tenth of two model copies and a
    pydantic dump. The text reads back as the same model."""
    places: list[dict[str, Any]] = []
    spots: list[SpotRow] = []
    for place, given in zip(offer.places, item.get("places") or [], strict=True):
        commune = gazetteer.by_insee(place.insee)
        lat = place.lat if place.lat is not None else (commune.lat if commune else None)
        lon = place.lon if place.lon is not None else (commune.lon if commune else None)
        places.append({**given, "lat": lat, "lon": lon})
        if lat is not None and lon is not None and offer.mode is not Mode.REMOTE:
            name = commune.name if commune else place.insee
            dep = commune.department if commune else place.insee[:2]
            spots.append((idx, lat, lon, dep, name))
    try:
        text = json.dumps({**item, "places": places} if places else item, allow_nan=False)
    except (TypeError, ValueError):  # a value JSON cannot hold: the model writes it
        return _compiled(offer, idx, gazetteer)
    return text.encode(), spots


def merge(parts: list[Part]) -> Catalogue:
    """The catalogue made of compiled files, in order; an id seen in an earlier file wins.

    Raises DataError with every error of every file."""
    if errors := [p for part in parts for p in part.problems if not p.warning]:
        raise DataError(errors)
    warnings = [p for part in parts for p in part.problems]
    seen: dict[str, tuple[str, int]] = {}
    records = bytearray()
    ends = array("Q")
    rows: list[Row] = []
    spots: list[SpotRow] = []
    for part in parts:
        number: list[int] = []  # an offer's number in the catalogue, -1 if left out
        for local, row in enumerate(part.rows):
            line = part.id_lines[local]
            if (first := seen.get(row[0])) is not None:
                warnings.append(Problem(part.label, line, _duplicate(row[0], *first), True))
                number.append(-1)
                continue
            seen[row[0]] = (part.label, line)
            number.append(len(rows))
            rows.append(row)
            records += part.records[local]
            ends.append(len(records))
        for o, lat, lon, department, commune in part.spots:
            if (n := number[o]) >= 0:
                spots.append((n, lat, lon, department, commune))
        part.records = []  # copied: a part read from the cache is freed as the merge goes
    index = Index.build(rows, spots)
    return Catalogue(Records(records, ends), index, warnings)


def _duplicate(offer_id: str, path: str, line: int) -> str:
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
        source = read_source(path, _label(path, root))
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
            message = _duplicate(offer.id, first.path, first.line)
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
    rows: list[Row] = []
    spots: list[SpotRow] = []
    for idx, (offer, _source, _i) in enumerate(offers):
        record, placed = _compiled(offer, idx, gazetteer)
        records.append(record)
        spots += placed
        rows.append(offer_row(offer))
    return Catalogue(records, Index.build(rows, spots), warnings)


def _compiled(offer: Offer, idx: int, gazetteer: Gazetteer) -> tuple[bytes, list[SpotRow]]:
    """The offer's JSON text, places completed with their commune's coordinates, and its
    places on the map (none for a remote offer)."""
    places = []
    spots: list[SpotRow] = []
    for place in offer.places:
        commune = gazetteer.by_insee(place.insee)
        lat = place.lat if place.lat is not None else (commune.lat if commune else None)
        lon = place.lon if place.lon is not None else (commune.lon if commune else None)
        places.append(place.model_copy(update={"lat": lat, "lon": lon}))
        if lat is not None and lon is not None and offer.mode is not Mode.REMOTE:
            name = commune.name if commune else place.insee
            dep = commune.department if commune else place.insee[:2]
            spots.append((idx, lat, lon, dep, name))
    placed = offer.model_copy(update={"places": places})
    # the fields as given (read back with validation): leaving out defaults called every
    # default factory, a model validation each, for every offer
    return placed.__pydantic_serializer__.to_json(placed, exclude_unset=True), spots


def summary_line(catalogue: Catalogue, gazetteer: Gazetteer) -> str:
    """ "152 offers · by department: 16: 12, … · by theme: fle: 30, …"."""
    by_dep: Counter[str] = Counter()
    by_theme: Counter[str] = Counter()
    for idx, offer in enumerate(catalogue.offers()):
        communes = (gazetteer.by_insee(p.insee) for p in offer.places)
        deps = {c.department for c in communes if c is not None}
        for dep in deps or {"remote"}:
            by_dep[dep] += 1
        for theme in catalogue.index.offer_themes(idx):
            by_theme[theme] += 1
    deps_text = ", ".join(f"{d}: {n}" for d, n in sorted(by_dep.items()))
    themes_text = ", ".join(f"{t}: {n}" for t, n in sorted(by_theme.items()))
    return f"{len(catalogue)} offers · by department: {deps_text} · by theme: {themes_text}"
