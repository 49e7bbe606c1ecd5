"""The compiled catalogue: compact records that matching scans, grouped by theme and map cell."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from math import cos, radians
from typing import NamedTuple

from bot.catalogue.model import Mode, Offer

LAT_CELL = 0.1  # degrees, about 11 km
LON_CELL = 0.14  # degrees, about 11 km at 45° N
KM_PER_DEG_LAT = 111.2
NO_AGE_MAX = 200


class Compact(NamedTuple):
    """What matching needs to know about one offer, without the pydantic model."""

    idx: int
    themes: frozenset[str]
    age_min: int
    age_max: int
    jobseeker_required: bool
    rsa_only: bool
    sessions: tuple[tuple[int, int, bool], ...]  # (start, end, open); 0 = unknown date
    permanent: bool
    remote: bool
    free: bool
    trainee_pay: bool
    offer_id: str


class Spot(NamedTuple):
    """One place of one offer."""

    offer: int
    lat: float
    lon: float
    department: str
    commune: str


def _ordinal(d: date | None) -> int:
    return d.toordinal() if d else 0


def compact(idx: int, offer: Offer) -> Compact:
    e = offer.eligibility
    return Compact(
        idx=idx,
        themes=frozenset(offer.themes),
        age_min=e.age_min or 0,
        age_max=e.age_max or NO_AGE_MAX,
        jobseeker_required=e.jobseeker_required,
        rsa_only=e.rsa_only,
        sessions=tuple(
            (_ordinal(s.start), _ordinal(s.end), s.registration == "open") for s in offer.sessions
        ),
        permanent=offer.permanent_entry,
        remote=offer.mode is Mode.REMOTE,
        free=offer.cost.free,
        trainee_pay=offer.cost.trainee_pay,
        offer_id=offer.id,
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


@dataclass
class Index:
    """Spots by (theme, cell) and (theme, department); remote offers by theme."""

    compacts: list[Compact] = field(default_factory=list)
    spots: list[Spot] = field(default_factory=list)
    by_cell: dict[tuple[str, int, int], list[int]] = field(default_factory=dict)
    by_department: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    by_theme: dict[str, list[int]] = field(default_factory=dict)
    remote: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def build(cls, compacts: list[Compact], spots: list[Spot]) -> Index:
        by_cell: dict[tuple[str, int, int], list[int]] = defaultdict(list)
        by_department: dict[tuple[str, str], list[int]] = defaultdict(list)
        by_theme: dict[str, list[int]] = defaultdict(list)
        remote: dict[str, list[int]] = defaultdict(list)
        for s_idx, spot in enumerate(spots):
            i, j = cell(spot.lat, spot.lon)
            for theme in compacts[spot.offer].themes:
                by_cell[(theme, i, j)].append(s_idx)
                by_department[(theme, spot.department)].append(s_idx)
                by_theme[theme].append(s_idx)
        for c in compacts:
            if c.remote:
                for theme in c.themes:
                    remote[theme].append(c.idx)
        return cls(
            compacts, spots, dict(by_cell), dict(by_department), dict(by_theme), dict(remote)
        )
