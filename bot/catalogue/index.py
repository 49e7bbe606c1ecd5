"""The compiled catalogue in columns: what matching scans, grouped by theme and map cell.

One object per offer (a named tuple, a frozenset of themes, a tuple of sessions) cost 165 MB
and a second of unpickling at 300,000 offers; typed arrays (`array`), one per field, take a
few MB and unpickle as one copy each. An offer is a number: its position in the columns.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from itertools import accumulate
from math import cos, radians
from typing import NamedTuple

from bot.catalogue.model import Mode, Offer
from bot.catalogue.sites import FlatSites, Site, SiteKey, join_sites, joined

LAT_CELL = 0.1  # degrees, about 11 km
LON_CELL = 0.14  # degrees, about 11 km at 45° N
KM_PER_DEG_LAT = 111.2
NO_AGE_MAX = 200
MAX_THEMES = 64  # an offer's themes are one 64-bit mask
LAYOUT = 5  # goes into the compiled copies' names: a change of these columns compiles again

# flags of an offer, one bit each
JOBSEEKER_REQUIRED, RSA_ONLY, PERMANENT, REMOTE, FREE, TRAINEE_PAY = (1 << n for n in range(6))

Session = tuple[int, int, bool]  # (start, end, open); 0 = unknown date
# One offer as plain values (what a compiled file keeps): id, themes, age_min, age_max, flags,
# sessions
Row = tuple[str, tuple[str, ...], int, int, int, tuple[Session, ...]]
# One place of one offer: offer number, lat, lon, department, commune
SpotRow = tuple[int, float, float, str, str]


class Compact(NamedTuple):
    """What matching knows about one offer, as one value (read from the columns)."""

    idx: int
    themes: frozenset[str]
    age_min: int
    age_max: int
    jobseeker_required: bool
    rsa_only: bool
    sessions: tuple[Session, ...]
    permanent: bool
    remote: bool
    free: bool
    trainee_pay: bool
    offer_id: str


def _ordinal(d: date | None) -> int:
    return d.toordinal() if d else 0


def offer_row(offer: Offer) -> Row:
    e = offer.eligibility
    flags = (
        (JOBSEEKER_REQUIRED if e.jobseeker_required else 0)
        | (RSA_ONLY if e.rsa_only else 0)
        | (PERMANENT if offer.permanent_entry else 0)
        | (REMOTE if offer.mode is Mode.REMOTE else 0)
        | (FREE if offer.cost.free else 0)
        | (TRAINEE_PAY if offer.cost.trainee_pay else 0)
    )
    sessions = tuple(
        (_ordinal(s.start), _ordinal(s.end), s.registration == "open") for s in offer.sessions
    )
    return (
        offer.id,
        tuple(offer.themes),
        e.age_min or 0,
        e.age_max or NO_AGE_MAX,
        flags,
        sessions,
    )


def compact(idx: int, offer: Offer) -> Compact:
    """One offer as one value, for a check that looks at offers one at a time."""
    offer_id, themes, age_min, age_max, flags, sessions = offer_row(offer)
    return _compact(idx, offer_id, frozenset(themes), age_min, age_max, flags, sessions)


def _compact(
    idx: int,
    offer_id: str,
    themes: frozenset[str],
    age_min: int,
    age_max: int,
    flags: int,
    sessions: tuple[Session, ...],
) -> Compact:
    return Compact(
        idx=idx,
        themes=themes,
        age_min=age_min,
        age_max=age_max,
        jobseeker_required=bool(flags & JOBSEEKER_REQUIRED),
        rsa_only=bool(flags & RSA_ONLY),
        sessions=sessions,
        permanent=bool(flags & PERMANENT),
        remote=bool(flags & REMOTE),
        free=bool(flags & FREE),
        trainee_pay=bool(flags & TRAINEE_PAY),
        offer_id=offer_id,
    )


def cell(lat: float, lon: float) -> tuple[int, int]:
    return int(lat // LAT_CELL), int(lon // LON_CELL)


def cell_span(lat: float, lon: float, radius_km: float) -> tuple[range, range]:
    """The rows and columns of cells that a circle of `radius_km` around the point may touch."""
    dlat = radius_km / KM_PER_DEG_LAT
    dlon = radius_km / (KM_PER_DEG_LAT * max(cos(radians(lat)), 0.1))
    i0, j0 = cell(lat - dlat, lon - dlon)
    i1, j1 = cell(lat + dlat, lon + dlon)
    return range(i0, i1 + 1), range(j0, j1 + 1)


def cells_around(lat: float, lon: float, radius_km: float) -> list[tuple[int, int]]:
    """Every cell that a circle of `radius_km` around the point may touch."""
    rows, cols = cell_span(lat, lon, radius_km)
    return [(i, j) for i in rows for j in cols]


class Index:
    """Offers and their places in columns; places by (theme, cell) and point, (theme,
    department) and theme, remote offers by theme (lists of numbers, in catalogue order)."""

    def __init__(self) -> None:
        self.themes: list[str] = []  # bit n of an offer's mask: themes[n]
        self.ids: list[str] = []
        self.age_min = array("B")
        self.age_max = array("B")
        self.flags = array("B")
        self.theme_mask = array("Q")
        self.session_first = array("I", [0])  # offer o's sessions: [first[o], first[o + 1])
        self.session_start = array("i")
        self.session_end = array("i")
        self.session_open = array("B")
        self.spot_offer = array("I")
        self.spot_lat = array("d")
        self.spot_lon = array("d")
        self.spot_department = array("H")
        self.spot_commune = array("I")
        self.departments: list[str] = []
        self.communes: list[str] = []
        # places by (theme, cell), grouped by point: a distance worked out once for all its
        # offers (a cell's places in order: see Matcher's cell_spots)
        self.sites: dict[SiteKey, list[Site]] = {}
        self.by_department: dict[tuple[str, str], array[int]] = {}
        self.by_theme: dict[str, array[int]] = {}
        self.remote: dict[str, array[int]] = {}

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(cls, rows: Iterable[Row], spots: Iterable[SpotRow]) -> Index:
        """The columns of these offers and places. Column by column, in comprehensions: after
        an edit, a start merges 300,000 offers again, and every loop here counts."""
        index = cls()
        rows = list(rows)
        index.themes = sorted({t for row in rows for t in row[1]})
        if len(index.themes) > MAX_THEMES:
            raise ValueError(f"more than {MAX_THEMES} themes")
        bit = {t: 1 << n for n, t in enumerate(index.themes)}
        index.ids = [row[0] for row in rows]
        index.age_min = array("B", [min(row[2], 255) for row in rows])
        index.age_max = array("B", [min(row[3], 255) for row in rows])
        index.flags = array("B", [row[4] for row in rows])
        masks = {themes: sum(bit[t] for t in set(themes)) for themes in {row[1] for row in rows}}
        index.theme_mask = array("Q", [masks[row[1]] for row in rows])
        sessions = [s for row in rows for s in row[5]]
        index.session_start = array("i", [s[0] for s in sessions])
        index.session_end = array("i", [s[1] for s in sessions])
        index.session_open = array("B", [s[2] for s in sessions])
        index.session_first = array("I", accumulate((len(row[5]) for row in rows), initial=0))
        remote: dict[str, list[int]] = defaultdict(list)
        for o, row in enumerate(rows):
            if row[4] & REMOTE:
                for t in row[1]:
                    remote[t].append(o)
        index.remote = {t: array("I", offers) for t, offers in remote.items()}
        unique = {themes: tuple(dict.fromkeys(themes)) for themes in masks}
        index._add_spots(list(spots), [unique[row[1]] for row in rows])
        return index

    @classmethod
    def concat(cls, pieces: Sequence[tuple[Index, FlatSites]]) -> Index:
        """The index of these pieces' offers end to end (each an index without its grid, and
        its grid flattened), equal to `build` over all their rows and places: arrays are
        joined, only numbers are shifted, no offer is looked at (after an edit, a start joins
        150 pieces of 2,000 offers)."""
        index = cls()
        parts = [part for part, _flat in pieces]
        index.themes = sorted({t for part in parts for t in part.themes})
        if len(index.themes) > MAX_THEMES:
            raise ValueError(f"more than {MAX_THEMES} themes")
        index.departments = list(dict.fromkeys(d for part in parts for d in part.departments))
        index.communes = list(dict.fromkeys(c for part in parts for c in part.communes))
        dep_n = {d: n for n, d in enumerate(index.departments)}
        commune_n = {c: n for n, c in enumerate(index.communes)}
        remote: dict[str, list[array[int]]] = defaultdict(list)
        by_department: dict[tuple[str, str], list[array[int]]] = defaultdict(list)
        by_theme: dict[str, list[array[int]]] = defaultdict(list)
        grids: list[tuple[FlatSites, list[str], int]] = []
        offers = spots = sessions = 0
        for part, flat in pieces:
            index.ids += part.ids
            index.age_min += part.age_min
            index.age_max += part.age_max
            index.flags += part.flags
            index.theme_mask += _masks(part, index.themes)
            index.session_start += part.session_start
            index.session_end += part.session_end
            index.session_open += part.session_open
            index.session_first += _shifted(part.session_first[1:], sessions)
            index.spot_offer += _shifted(part.spot_offer, offers)
            index.spot_lat += part.spot_lat
            index.spot_lon += part.spot_lon
            index.spot_department += _renumbered(part.spot_department, part.departments, dep_n)
            index.spot_commune += _renumbered(part.spot_commune, part.communes, commune_n)
            for theme, found in part.remote.items():
                remote[theme].append(_shifted(found, offers))
            for dep_key, found in part.by_department.items():
                by_department[dep_key].append(_shifted(found, spots))
            for theme, found in part.by_theme.items():
                by_theme[theme].append(_shifted(found, spots))
            grids.append((flat, part.themes, spots))
            offers += len(part.ids)
            spots += len(part.spot_offer)
            sessions += len(part.session_start)
        index.remote = {key: joined(found) for key, found in remote.items()}
        index.by_department = {key: joined(found) for key, found in by_department.items()}
        index.by_theme = {key: joined(found) for key, found in by_theme.items()}
        index.sites = join_sites(grids)
        return index

    def rows(self) -> tuple[list[Row], list[SpotRow]]:
        """The offers and places as `build` takes them (themes in the columns' order)."""
        rows = [
            (
                oid,
                self.offer_themes(o),
                self.age_min[o],
                self.age_max[o],
                self.flags[o],
                self.sessions(o),
            )
            for o, oid in enumerate(self.ids)
        ]
        spots = [
            (o, lat, lon, self.departments[dep], self.communes[commune])
            for o, lat, lon, dep, commune in zip(
                self.spot_offer,
                self.spot_lat,
                self.spot_lon,
                self.spot_department,
                self.spot_commune,
                strict=True,
            )
        ]
        return rows, spots

    def without(self, left_out: set[int]) -> Index:
        """The same index without these offers (numbered again, in order)."""
        rows, spots = self.rows()
        number = list(accumulate((o not in left_out for o in range(len(rows))), initial=-1))
        return Index.build(
            [row for o, row in enumerate(rows) if o not in left_out],
            [(number[s[0] + 1], *s[1:]) for s in spots if s[0] not in left_out],
        )

    def _add_spots(self, spots: list[SpotRow], themes_of: list[tuple[str, ...]]) -> None:
        self.spot_offer = array("I", [s[0] for s in spots])
        self.spot_lat = array("d", [s[1] for s in spots])
        self.spot_lon = array("d", [s[2] for s in spots])
        self.departments = list(dict.fromkeys(s[3] for s in spots))
        self.communes = list(dict.fromkeys(s[4] for s in spots))
        dep_n = {d: n for n, d in enumerate(self.departments)}
        commune_n = {c: n for n, c in enumerate(self.communes)}
        self.spot_department = array("H", [dep_n[s[3]] for s in spots])
        self.spot_commune = array("I", [commune_n[s[4]] for s in spots])
        by_department: dict[tuple[str, str], list[int]] = defaultdict(list)
        by_theme: dict[str, list[int]] = defaultdict(list)
        sites: dict[SiteKey, dict[tuple[float, float], list[int]]] = defaultdict(dict)
        cells: dict[tuple[float, float], tuple[int, int]] = {}  # places share few points
        for s_idx, (o, lat, lon, department, _commune) in enumerate(spots):
            point = (lat, lon)
            if (ij := cells.get(point)) is None:
                ij = cells[point] = cell(lat, lon)
            for theme in themes_of[o]:
                key = (theme, *ij)
                by_department[(theme, department)].append(s_idx)
                by_theme[theme].append(s_idx)
                here = sites[key]
                if (at := here.get(point)) is None:
                    at = here[point] = []
                at.append(s_idx)
        self.by_department = {key: array("I", found) for key, found in by_department.items()}
        self.by_theme = {key: array("I", found) for key, found in by_theme.items()}
        self.sites = {
            key: [(lat, lon, array("I", found)) for (lat, lon), found in points.items()]
            for key, points in sites.items()
        }

    # -- one offer -------------------------------------------------------------------------

    def offer_themes(self, o: int) -> tuple[str, ...]:
        mask = self.theme_mask[o]
        return tuple(t for n, t in enumerate(self.themes) if mask >> n & 1)

    def sessions(self, o: int) -> tuple[Session, ...]:
        first, last = self.session_first[o], self.session_first[o + 1]
        return tuple(
            (self.session_start[k], self.session_end[k], bool(self.session_open[k]))
            for k in range(first, last)
        )

    def compact(self, o: int) -> Compact:
        themes = frozenset(self.offer_themes(o))
        ages = self.age_min[o], self.age_max[o]
        return _compact(o, self.ids[o], themes, *ages, self.flags[o], self.sessions(o))

    def next_start(self, o: int, today: int) -> int | None:
        """The ordinal of the next start one can join, 0 for "now", None if nothing is open."""
        permanent = self.flags[o] & PERMANENT
        first, last = self.session_first[o], self.session_first[o + 1]
        best: int | None = None
        for k in range(first, last):
            end = self.session_end[k]
            if not self.session_open[k] or (end and end < today):
                continue
            start = self.session_start[k]
            if start >= today:
                candidate = start
            elif permanent or not start:
                candidate = 0  # running, and one may join at any time
            else:
                continue  # started on fixed dates: too late for this one
            best = candidate if best is None else min(best, candidate)
        if best is None and permanent and first == last:
            return 0
        return best


def _shifted(numbers: array[int], by: int) -> array[int]:
    return numbers if not by else array(numbers.typecode, [n + by for n in numbers])


def _renumbered(numbers: array[int], names: list[str], number: dict[str, int]) -> array[int]:
    """Numbers of `names` in a part, as numbers of the same names in the whole."""
    table = [number[name] for name in names]
    if table == list(range(len(table))):
        return numbers
    return array(numbers.typecode, map(table.__getitem__, numbers))


def _masks(part: Index, themes: list[str]) -> array[int]:
    """A part's theme masks, as bits of the whole's `themes`."""
    if part.themes == themes:
        return part.theme_mask
    bit = {t: 1 << n for n, t in enumerate(themes)}
    table = {
        mask: sum(bit[t] for n, t in enumerate(part.themes) if mask >> n & 1)
        for mask in set(part.theme_mask)
    }
    return array("Q", map(table.__getitem__, part.theme_mask))
