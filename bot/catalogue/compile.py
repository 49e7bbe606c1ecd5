"""One offers file, or one piece of it, compiled: its valid offers' texts and their index in
columns, kept in the cache on their own (see load.py), and its problems."""

from __future__ import annotations

import json
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.catalogue.checks import EMPTY, check_source, emptiness, label_of
from bot.catalogue.gazetteer import Gazetteer
from bot.catalogue.index import Index, Row, SpotRow, offer_row
from bot.catalogue.model import Mode, Offer, OfferFile, Theme
from bot.catalogue.records import Records
from bot.catalogue.sites import FlatSites
from bot.yamlsrc import DataError, Problem, Source, explain, parse_source, read_source


@dataclass
class Part:
    """One offers file, compiled: its valid offers' texts and index, and its problems. All in
    arrays and buffers: 150 pieces unpickle and join in a fraction of a second."""

    label: str
    records: Records = field(default_factory=lambda: Records.of(()))
    index: Index = field(default_factory=Index)  # without its grid: that is `sites`
    sites: FlatSites = field(default_factory=FlatSites)
    id_lines: array[int] = field(default_factory=lambda: array("I"))  # each offer's id line
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        label: str,
        records: Records,
        index: Index,
        id_lines: array[int],
        problems: list[Problem],
    ) -> Part:
        """A part of this index, its grid kept flat (see sites.py)."""
        sites = FlatSites.of(index.sites, index.themes)
        index.sites = {}
        return cls(label, records, index, sites, id_lines, problems)

    def without(self, left_out: set[int]) -> Part:
        """The same part without these offers (numbered within it)."""
        kept = [o for o in range(len(self.records)) if o not in left_out]
        return Part.of(
            self.label,
            Records.of(self.records[o] for o in kept),
            self.index.without(left_out),
            array("I", [self.id_lines[o] for o in kept]),
            self.problems,
        )


def compile_file(path: Path, root: Path, gazetteer: Gazetteer, themes: frozenset[Theme]) -> Part:
    """Read, check and compile one offers file (duplicates are looked for within it only)."""
    label = label_of(path, root)
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
    problems = emptiness({**raw, "offers": [None]}, source)
    try:
        OfferFile.model_validate({k: v for k, v in raw.items() if k != EMPTY})
    except Exception as exc:
        problems.extend(explain(source, exc, OfferFile))  # type: ignore[arg-type]
    return Part(label, problems=problems)


def _compile_source(source: Source, gazetteer: Gazetteer, themes: frozenset[Theme]) -> Part:
    records: list[bytes] = []
    rows: list[Row] = []
    spots: list[SpotRow] = []
    id_lines = array("I")

    def add(offer: Offer, source: Source, i: int) -> None:  # one model alive at a time
        item = source.data["offers"][i]
        record, placed = record_of(item, offer, len(rows), gazetteer)
        records.append(record)
        spots.extend(placed)
        rows.append(offer_row(offer))
        id_lines.append(source.line_of(("offers", i, "id")))

    _offers, problems = check_source(source, gazetteer, themes, {}, add)
    return Part.of(source.path, Records.of(records), Index.build(rows, spots), id_lines, problems)


def record_of(
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
        return compiled(offer, idx, gazetteer)
    return text.encode(), spots


def compiled(offer: Offer, idx: int, gazetteer: Gazetteer) -> tuple[bytes, list[SpotRow]]:
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
