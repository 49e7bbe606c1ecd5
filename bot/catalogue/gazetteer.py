"""Communes of Nouvelle-Aquitaine: turn what a person typed into a place.

Handles postal codes ("87000", "33 000"), names with or without accents, hyphens or
articles, "St"/"Ste", typos and phonetic spellings ("bordo", "larochelle"), homonyms
(ranked candidates), coordinates ("45.83,1.26", "geo:45.83,1.26"), the region's departments
("Creuse", "la Haute-Vienne", "64": the commune is asked next) and places outside the region
(named as such).
"""

from __future__ import annotations

import gzip
import re
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from rapidfuzz import fuzz, process

from bot.catalogue.geo import haversine_km
from bot.catalogue.text import fold, phonetic, place_words

_POSTAL = re.compile(r"^\s*(\d{2})\s?(\d{3})\s*$")
_COORDS = re.compile(
    r"^\s*(?:geo:\s*)?(-?\d{1,2}\.\d+)\s*[,; ]\s*(-?\d{1,3}\.\d+)\s*$", re.IGNORECASE
)
# A point further than this from every commune's town hall is not in the region.
_MAX_POINT_KM = 25.0
_CELL_DEG = 0.25
_DOMINANT = 5  # a commune this many times larger than the next one with the same start wins
_MAX_CANDIDATES = 8
_DEPARTMENT_CODE = re.compile(r"^\s*(\d{2}|2[ab])\s*$", re.IGNORECASE)
_DEPARTMENT_CLOSE = 80.0  # a department's name typed this close (0-100) is that department


class Commune(NamedTuple):
    insee: str
    name: str
    postal_codes: tuple[str, ...]
    department: str
    lat: float
    lon: float
    population: int


@dataclass(frozen=True, slots=True)
class Place:
    """A resolved place: a commune, or a point named after its nearest commune."""

    name: str
    lat: float
    lon: float
    department: str
    insee: str | None = None


class Outcome(StrEnum):
    FOUND = "found"
    AMBIGUOUS = "ambiguous"
    OUTSIDE = "outside"
    DEPARTMENT = "department"  # a department of the region, not a commune: ask which commune
    UNKNOWN = "unknown"


class OutsidePlace(NamedTuple):
    name: str
    department: str
    department_name: str


@dataclass(frozen=True, slots=True)
class Resolution:
    outcome: Outcome
    place: Place | None = None
    candidates: tuple[Commune, ...] = ()
    outside: OutsidePlace | None = None
    corrected: bool = False  # found through a typo or phonetic match: worth confirming
    department: str | None = None  # the department's code, for Outcome.DEPARTMENT

    @property
    def found(self) -> bool:
        return self.outcome is Outcome.FOUND


def place_of(commune: Commune) -> Place:
    return Place(commune.name, commune.lat, commune.lon, commune.department, commune.insee)


@dataclass
class Gazetteer:
    communes: list[Commune]
    departments: dict[str, tuple[str, bool]]  # code -> (name, in region)
    other_path: Path | None = None
    _by_insee: dict[str, Commune] = field(init=False)
    _by_postal: dict[str, list[Commune]] = field(init=False)
    _by_key: dict[str, list[Commune]] = field(init=False)
    _by_phonetic: dict[str, list[Commune]] = field(init=False)
    _by_prefix: dict[str, list[Commune]] = field(init=False)
    _fuzzy_keys: list[str] = field(init=False)
    _fuzzy_owner: list[Commune] = field(init=False)
    _cells: dict[tuple[int, int], list[Commune]] = field(init=False)

    def __post_init__(self) -> None:
        self._by_insee = {c.insee: c for c in self.communes}
        self._by_postal = defaultdict(list)
        self._by_key = defaultdict(list)
        self._by_phonetic = defaultdict(list)
        self._by_prefix = defaultdict(list)
        self._cells = defaultdict(list)
        self._fuzzy_keys = []
        self._fuzzy_owner = []
        for c in sorted(self.communes, key=lambda c: -c.population):
            for code in c.postal_codes:
                self._by_postal[code].append(c)
            for key in _keys(c.name):
                if c not in self._by_key[key]:
                    self._by_key[key].append(c)
                    if " " not in key:  # typos are matched on the name without spaces
                        self._fuzzy_keys.append(key)
                        self._fuzzy_owner.append(c)
                ph = phonetic(key)
                if c not in self._by_phonetic[ph]:
                    self._by_phonetic[ph].append(c)
            words = place_words(c.name)
            for n in range(1, len(words)):
                self._by_prefix[" ".join(words[:n])].append(c)
            self._cells[_cell(c.lat, c.lon)].append(c)

    # -- loading ---------------------------------------------------------------------------

    @classmethod
    def load(cls, directory: Path) -> Gazetteer:
        communes = []
        with (directory / "communes.tsv").open(encoding="utf-8") as f:
            next(f)
            for line in f:
                insee, name, postal, dep, lat, lon, pop = line.rstrip("\n").split("\t")
                communes.append(
                    Commune(
                        insee, name, tuple(postal.split(",")), dep, float(lat), float(lon), int(pop)
                    )
                )
        departments: dict[str, tuple[str, bool]] = {}
        with (directory / "departments.tsv").open(encoding="utf-8") as f:
            next(f)
            for line in f:
                code, name, inside = line.rstrip("\n").split("\t")
                departments[code] = (name, inside == "1")
        other = directory / "communes-other.tsv.gz"
        return cls(communes, departments, other if other.exists() else None)

    def warm(self) -> None:
        """Load the lazily read parts now (the list of communes outside the region)."""
        _ = self._other

    @cached_property
    def _other(
        self,
    ) -> tuple[dict[str, list[OutsidePlace]], dict[str, OutsidePlace], dict[str, OutsidePlace]]:
        """Communes outside the region by folded name, postal code and INSEE code (on demand)."""
        by_key: dict[str, list[OutsidePlace]] = defaultdict(list)
        by_postal: dict[str, OutsidePlace] = {}
        by_insee: dict[str, OutsidePlace] = {}
        if self.other_path is None:
            return by_key, by_postal, by_insee
        with gzip.open(self.other_path, "rt", encoding="utf-8") as f:
            next(f)
            for line in f:
                insee, name, postal, dep = line.rstrip("\n").split("\t")
                place = OutsidePlace(name, dep, self.department_name(dep))
                by_insee[insee] = place
                for key in _keys(name):
                    by_key[key].append(place)
                if postal:
                    by_postal.setdefault(postal, place)
        return by_key, by_postal, by_insee

    # -- look-ups --------------------------------------------------------------------------

    def by_insee(self, insee: str) -> Commune | None:
        return self._by_insee.get(insee)

    def outside_by_insee(self, insee: str) -> OutsidePlace | None:
        return self._other[2].get(insee)

    def by_postal(self, postal: str) -> list[Commune]:
        return self._by_postal.get(postal, [])

    def department_name(self, code: str) -> str:
        return self.departments.get(code, (code, False))[0]

    def in_region(self, department: str) -> bool:
        return self.departments.get(department, ("", False))[1]

    def largest(self, department: str, n: int) -> list[Commune]:
        """The department's `n` most populous communes."""
        return sorted(
            (c for c in self.communes if c.department == department), key=lambda c: -c.population
        )[:n]

    @cached_property
    def _department_keys(self) -> dict[str, str]:
        """Folded names of the region's departments ("haute vienne") -> code."""
        return {
            " ".join(place_words(name)): code
            for code, (name, inside) in self.departments.items()
            if inside
        }

    def department_of(self, text: str, fuzzy: bool = True) -> str | None:
        """The region's department that typed text names ("Creuse", "la Gironde", "87"), with
        a typo forgiven ("Creuze") when `fuzzy`."""
        if m := _DEPARTMENT_CODE.match(text):
            code = m.group(1).upper()
            return code if self.in_region(code) else None
        key = " ".join(place_words(text))
        if not key:
            return None
        if (code := self._department_keys.get(key)) is not None or not fuzzy:
            return code
        found = process.extractOne(
            key,
            list(self._department_keys),
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=_DEPARTMENT_CLOSE,
        )
        return self._department_keys[found[0]] if found else None

    def nearest(self, lat: float, lon: float) -> tuple[Commune, float] | None:
        """The commune whose town hall is nearest to a point, within the region's cells."""
        ci, cj = _cell(lat, lon)
        best: tuple[Commune, float] | None = None
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for c in self._cells.get((ci + di, cj + dj), ()):
                    d = haversine_km(lat, lon, c.lat, c.lon)
                    if best is None or d < best[1]:
                        best = (c, d)
        return best

    def resolve(self, text: str) -> Resolution:
        """Turn typed text into a place, candidates, an outside place or nothing."""
        if m := _COORDS.match(text):
            return self._resolve_point(float(m.group(1)), float(m.group(2)))
        if m := _POSTAL.match(text):
            return self._resolve_postal(m.group(1) + m.group(2))
        words = place_words(text)
        if not words:
            return Resolution(Outcome.UNKNOWN)
        if (department := self.department_of(text, fuzzy=False)) is not None:
            return Resolution(Outcome.DEPARTMENT, department=department)
        if _DEPARTMENT_CODE.match(text):  # "12": not a department of the region, nor a commune
            return Resolution(Outcome.UNKNOWN)
        key = " ".join(words)
        for k in (key, key.replace(" ", "")):
            if hits := self._by_key.get(k):
                return _found_or_ambiguous(hits)
        if (department := self.department_of(text)) is not None:  # "Creuze", "Hte-Vienne"
            return Resolution(Outcome.DEPARTMENT, department=department)
        if outside := self._other[0].get(key):
            return Resolution(Outcome.OUTSIDE, outside=outside[0])
        if hits := self._by_prefix.get(key):
            # "brive" is Brive-la-Gaillarde, unless a commune of a similar size shares the start
            if len(hits) == 1 or hits[0].population >= _DOMINANT * hits[1].population:
                return Resolution(Outcome.FOUND, place=place_of(hits[0]), corrected=True)
            return Resolution(Outcome.AMBIGUOUS, candidates=tuple(hits[:_MAX_CANDIDATES]))
        if hits := self._by_phonetic.get(phonetic(key)):
            return _found_or_ambiguous(hits, corrected=True)
        return self._resolve_fuzzy(key)

    def _resolve_point(self, lat: float, lon: float) -> Resolution:
        near = self.nearest(lat, lon)
        if near is None or near[1] > _MAX_POINT_KM:
            return Resolution(Outcome.OUTSIDE)
        commune = near[0]
        return Resolution(
            Outcome.FOUND, place=Place(commune.name, lat, lon, commune.department, None)
        )

    def _resolve_postal(self, code: str) -> Resolution:
        if hits := self._by_postal.get(code):
            return _found_or_ambiguous(hits)
        if outside := self._other[1].get(code):
            return Resolution(Outcome.OUTSIDE, outside=outside)
        dep = code[:2]
        if dep in self.departments and not self.in_region(dep):
            name = self.department_name(dep)
            return Resolution(Outcome.OUTSIDE, outside=OutsidePlace(code, dep, name))
        if by_code := self._by_insee.get(code):
            return _found_or_ambiguous([by_code])
        return Resolution(Outcome.UNKNOWN)

    def _resolve_fuzzy(self, key: str) -> Resolution:
        compact = key.replace(" ", "")
        scores: dict[str, tuple[float, Commune]] = {}
        for _choice, score, idx in process.extract(
            compact,
            self._fuzzy_keys,
            scorer=fuzz.ratio,
            processor=None,
            limit=12,
            score_cutoff=60,
        ):
            c = self._fuzzy_owner[idx]
            if score > scores.get(c.insee, (0.0, c))[0]:
                scores[c.insee] = (score, c)
        ranked = sorted(scores.values(), key=lambda sc: (-round(sc[0] / 4), -sc[1].population))
        if not ranked:
            return Resolution(Outcome.UNKNOWN)
        best_score, best = ranked[0]
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        candidates = tuple(c for _s, c in ranked[:5])
        if best_score >= 85 and best_score - runner_up >= 6:
            return Resolution(Outcome.FOUND, place=place_of(best), corrected=True)
        if best_score >= 78:
            strong = tuple(c for s, c in ranked[:5] if s >= best_score - 8)
            if len(strong) == 1:
                return Resolution(Outcome.FOUND, place=place_of(best), corrected=True)
            return Resolution(Outcome.AMBIGUOUS, candidates=strong)
        return Resolution(Outcome.UNKNOWN, candidates=candidates[:3])


def _keys(name: str) -> set[str]:
    """Every folded form a person may type for a commune name."""
    full = fold(name)
    short = " ".join(place_words(name))
    return {full, short, full.replace(" ", ""), short.replace(" ", "")}


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return int(lat // _CELL_DEG), int(lon // _CELL_DEG)


def _found_or_ambiguous(hits: list[Commune], corrected: bool = False) -> Resolution:
    if len(hits) == 1:
        return Resolution(Outcome.FOUND, place=place_of(hits[0]), corrected=corrected)
    ranked = tuple(sorted(hits, key=lambda c: -c.population)[:_MAX_CANDIDATES])
    return Resolution(Outcome.AMBIGUOUS, candidates=ranked)
