"""From a profile (place, need, situation, travel) to 2-3 ranked offers, each with a reason.

Ranking weighs theme fit, distance and how soon the next session starts. Ineligible offers
(age, jobseeker registration, RSA-only, no open session ahead) never show. The person's way of
travelling sets the reach (the flow's mobility step gives `travel` and `radius_km`):

- "from home": remote offers only;
- otherwise on-site offers within reach come first, remote ones after;
- when nothing on site lies within reach the search widens (further, then the department, then
  the region) and the result says so; remote offers then come first, except for a person whose
  needs include reading, writing or basic digital skills: a course at a distance does not fit
  them, so they get the nearest on-site offers (and, from the dialogue, a volunteer) instead.

Bus and train reach is a plain radius: there is no timetable data to follow the lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from math import cos, inf, radians, sqrt

from bot.catalogue.gazetteer import Place
from bot.catalogue.geo import haversine_km
from bot.catalogue.index import (
    KM_PER_DEG_LAT,
    Compact,
    cell_span,
    cells_around,
)
from bot.catalogue.load import Catalogue
from bot.catalogue.model import Offer, Theme
from bot.catalogue.sites import SiteKey
from bot.kept import Kept
from bot.nearby import NearCells, cells_by_distance
from bot.ranking import Cand, Top
from bot.scoring import FREE_BONUS, NO_START, Query, Scoring

DEFAULT_RADIUS_KM = 20.0
MAX_FURTHER_KM = 120.0
# Theme weights by rank of the person's need: the first theme asked is worth the most.
THEME_WEIGHTS = (1.0, 0.7, 0.5)
REMOTE_DISTANCE = 0.6  # a remote offer weighs like an on-site one at 60 % of the radius
KEPT = 4096  # questions whose distances are kept (then forgotten at once)
KEPT_SPOTS = 2048  # the longest list of spots whose distances are kept
KEPT_CIRCLES = 128  # places whose cells within MAX_FURTHER_KM are kept (~40 kB each)


class Travel(StrEnum):
    WALK = "walk"
    BIKE = "bike"
    BUS = "bus"
    CAR = "car"
    HOME = "home"


# How far each way of travelling reaches, when the flow gives no `radius_km` of its own.
TRAVEL_REACH_KM: dict[Travel, float] = {
    Travel.WALK: 3.0,
    Travel.BIKE: 10.0,
    Travel.BUS: 25.0,
    Travel.CAR: 40.0,
    Travel.HOME: 0.0,
}
# Needs that a course at a distance does not meet (it needs reading and a device): a remote
# offer is never proposed first for them, unless the person chose "from home".
ON_SITE_NEEDS = frozenset({"alphabetisation", "savoirs_de_base", "numerique"})


class Widening(StrEnum):
    NONE = "none"
    FURTHER = "further"
    DEPARTMENT = "department"
    REGION = "region"


@dataclass(frozen=True, slots=True)
class Profile:
    place: Place
    themes: tuple[Theme, ...]
    age: int | None = None
    jobseeker: bool | None = None
    rsa: bool | None = None
    radius_km: float = DEFAULT_RADIUS_KM  # the reach: how far the person can go
    travel: Travel | None = None

    @property
    def on_site_need(self) -> bool:
        """Is reading, writing or basic digital among the needs (a course at a distance, which
        needs reading and a device, does not meet them)?"""
        return any(t in ON_SITE_NEEDS for t in self.themes)


@dataclass(frozen=True, slots=True)
class Suggestion:
    idx: int
    offer: Offer
    distance_km: float | None  # None for a remote offer
    commune: str | None  # where the nearest place of the offer is
    start: date | None  # None: join now / at any time
    score: float
    beyond_reach: bool = False  # on site, further than the person said they can go

    @property
    def remote(self) -> bool:
        return self.distance_km is None


@dataclass(frozen=True, slots=True)
class MatchResult:
    profile: Profile
    suggestions: tuple[Suggestion, ...]
    widened: Widening = Widening.NONE
    radius_km: float = DEFAULT_RADIUS_KM  # the radius finally searched


class Matcher:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.index = catalogue.index
        self.scoring = Scoring(self.index)
        self._remote_sorted: dict[str, list[tuple[float, int, int]]] = {}
        self._cells: dict[SiteKey, list[int]] = {}  # a cell's places, in order, once met
        self._near = NearCells(self.index)  # the cells to search, per question
        self._bits = {t: 1 << n for n, t in enumerate(self.index.themes)}  # bits of a mask
        # distances kept: an offer shown from a point; a small catalogue's wider searches
        self._exact: Kept[tuple[int, float, float], float] = Kept(KEPT)
        self._circles: Kept[tuple[float, float, float], list[tuple[float, int, int]]] = Kept(
            KEPT_CIRCLES
        )
        self._spot_km: Kept[tuple[float, float, tuple[int, ...]], list[float]] = Kept(KEPT)
        self._sorted_spots: Kept[
            tuple[float, float, tuple[Theme, ...]], list[tuple[float, int]]
        ] = Kept(KEPT)

    def _cell_spots(self, key: SiteKey) -> list[int]:
        """The places of one theme in one cell, in order (the grid holds them by point)."""
        if (found := self._cells.get(key)) is None:
            found = self._cells[key] = sorted(
                s for *_p, here in self.index.sites.get(key, ()) for s in here
            )
        return found

    def suggest(self, profile: Profile, today: date, limit: int = 3) -> MatchResult:
        themes = profile.themes or tuple(sorted({*self.index.by_theme, *self.index.remote}))
        weights = {t: THEME_WEIGHTS[min(i, len(THEME_WEIGHTS) - 1)] for i, t in enumerate(themes)}
        today_n = today.toordinal()
        if self.scoring.new_day(today_n):
            self._remote_sorted = {}  # worked out again once a day
        query = Query(profile.age, profile.jobseeker, profile.rsa, weights, self._bits)
        remote = Top(limit)
        if profile.travel is Travel.HOME:
            self._add_remote(query, weights, remote)
            found = tuple(self._suggestion(c, profile) for c in remote.top())
            return MatchResult(profile, found, Widening.NONE, 0.0)
        radius = profile.radius_km
        near = Top(limit)
        self._add_near(profile, query, weights, radius, near)
        widened = Widening.NONE
        if not near.on_site:
            for step, r, spots in self._wider(profile, query, themes, radius):
                wider = Top(limit)
                self._add_spots(profile, query, r, spots, wider)
                if wider.on_site:
                    near, widened, radius = wider, step, r
                    break
        if widened is Widening.NONE:
            # remote offers come after those within reach: only when these leave room
            if not near.full():
                self._add_remote(query, weights, remote)
        elif not profile.on_site_need:
            self._add_remote(query, weights, remote)
        # on site within reach first; when nothing is within reach, remote offers first
        ordered = (
            near.top() + remote.top() if widened is Widening.NONE else remote.top() + near.top()
        )
        found = tuple(self._suggestion(c, profile) for c in ordered[:limit])
        return MatchResult(profile, found, widened, radius)

    # -- candidates ----------------------------------------------------------------------

    def _add_remote(self, query: Query, weights: dict[Theme, float], best: Top) -> None:
        """Remote offers, best first: their score does not depend on the place."""
        for theme, weight in weights.items():
            taken = 0
            for base, o, start in self._remote_by_theme(theme):
                if taken >= best.limit:
                    break
                if self.scoring.eligible(o, query):
                    best.add((3.0 * weight + base, o, None, None, start))
                    taken += 1

    def _remote_by_theme(self, theme: str) -> list[tuple[float, int, int]]:
        if (ranked := self._remote_sorted.get(theme)) is None:
            ranked = []
            for o in self.index.remote.get(theme, ()):
                start = self.scoring.start(o)
                if start != NO_START:
                    ranked.append((-REMOTE_DISTANCE + self.scoring.date_score(o, start), o, start))
            ranked.sort(key=lambda t: (-t[0], t[1]))
            self._remote_sorted[theme] = ranked
        return ranked

    def _add_near(
        self,
        profile: Profile,
        query: Query,
        weights: dict[Theme, float],
        radius: float,
        best: Top,
    ) -> None:
        """On-site offers within the radius, nearest cells first, stopping when none can win."""
        lat, lon = profile.place.lat, profile.place.lon
        spot_offer = self.index.spot_offer
        ceiling = 3.0 * max(weights.values()) + FREE_BONUS
        scale = max(radius, 1.0)
        around = self._near.around(lat, lon, radius, tuple(weights.items()))
        for d_min, i, j in around.cells:
            if best.on_site and best.floor() >= ceiling - d_min / scale:
                break  # nothing further away can enter the top any more
            # the cell's points within reach, nearest first (the best enter the top first,
            # and the bound below then cuts the others short); at one point, the heaviest
            # theme first
            for d, weight, here in around.points(i, j):
                scaled = d / scale
                if best.on_site and best.floor() > ceiling - scaled:
                    break  # nor any further point of this cell (the next cell may be nearer)
                # the best score a place here could have under this theme, computed as a
                # score is: never below it. An offer of a heavier theme too scores more, but
                # it was met under that theme, at this same point, just before
                heaviest = 3.0 * weight - scaled
                if heaviest + FREE_BONUS < best.floor():
                    continue  # none of them can enter (a later point may be of a heavier theme)
                head, date_scores, tail = self.scoring.by_date(here)
                # the first places, best first by their date's part of the score (known
                # today): once one cannot enter, none after it in the head can
                for s_idx, date_score in zip(head, date_scores, strict=True):
                    if best.beaten(heaviest + date_score, spot_offer[s_idx]):
                        break
                    self.scoring.consider(query, scaled, s_idx, d, best)
                # the others, in order (of offers after the head's): the same, with the best
                # date's part any place can have
                for s_idx in tail:
                    if best.beaten(heaviest + FREE_BONUS, spot_offer[s_idx]):
                        break
                    self.scoring.consider(query, scaled, s_idx, d, best)

    def _add_spots(
        self,
        profile: Profile,
        query: Query,
        radius: float,
        spots: list[int],
        best: Top,
    ) -> None:
        for s_idx, d in zip(spots, self._distances(profile.place, spots), strict=True):
            if d <= radius:
                self.scoring.consider(query, d / max(radius, 1.0), s_idx, d, best)

    def _distances(self, place: Place, spots: list[int]) -> list[float]:
        """The great-circle distances from the place to these spots; kept for a short list
        (a small catalogue's wider searches come back with the same places)."""
        key = (place.lat, place.lon, tuple(spots)) if len(spots) <= KEPT_SPOTS else None
        if key is None or (found := self._spot_km.get(key)) is None:
            lat, lon = place.lat, place.lon
            spot_lat, spot_lon = self.index.spot_lat, self.index.spot_lon
            found = [haversine_km(lat, lon, spot_lat[s], spot_lon[s]) for s in spots]
            if key is not None:
                self._spot_km.keep(key, found)
        return found

    def _wider(
        self,
        profile: Profile,
        query: Query,
        themes: tuple[Theme, ...],
        radius: float,
    ) -> Iterator[tuple[Widening, float, list[int]]]:
        """The next search worth making: (step, radius used for scoring, spots).

        Doubling the radius step by step searched the same cells again and again; the nearest
        eligible offer tells at once which doubling will find something.
        """
        place = profile.place
        nearest = self._nearest_eligible(profile, query, themes, MAX_FURTHER_KM)
        if nearest is not None:
            r = radius
            while r < nearest:
                r = min(r * 2, MAX_FURTHER_KM)
            yield Widening.FURTHER, r, self._spots_around(themes, place, r)
        dep = [s for t in themes for s in self.index.by_department.get((t, place.department), ())]
        yield Widening.DEPARTMENT, inf, dep
        yield Widening.REGION, inf, self._spots_of(themes)

    def _spots_of(self, themes: tuple[Theme, ...]) -> list[int]:
        """Every spot of these themes, theme after theme."""
        return [s for t in themes for s in self.index.by_theme.get(t, ())]

    def _spots_around(self, themes: tuple[Theme, ...], place: Place, r: float) -> list[int]:
        """Spots of these themes that may lie within `r` km: from the grid's cells, or, when
        the themes have fewer spots than there are cells to visit, simply all of them."""
        if self._few_spots(themes, place, r):
            return self._spots_of(themes)
        return [
            s
            for i, j in cells_around(place.lat, place.lon, r)
            for t in themes
            for s in self._cell_spots((t, i, j))
        ]

    def _few_spots(self, themes: tuple[Theme, ...], place: Place, r: float) -> bool:
        """Do these themes have fewer spots than there are cells to visit within `r` km?"""
        rows, cols = cell_span(place.lat, place.lon, r)
        return sum(len(self.index.by_theme.get(t, ())) for t in themes) <= len(rows) * len(cols)

    def _nearest_eligible(
        self,
        profile: Profile,
        query: Query,
        themes: tuple[Theme, ...],
        limit_km: float,
    ) -> float | None:
        """Distance to the nearest on-site offer this person could join, within `limit_km`."""
        lat, lon = profile.place.lat, profile.place.lon
        kx = KM_PER_DEG_LAT * cos(radians(lat))
        index = self.index
        spot_lat, spot_lon, spot_offer = index.spot_lat, index.spot_lon, index.spot_offer
        best: float | None = None

        def consider(candidates: Iterable[int]) -> None:
            nonlocal best
            for s_idx in candidates:
                dx = (spot_lon[s_idx] - lon) * kx
                dy = (spot_lat[s_idx] - lat) * KM_PER_DEG_LAT
                d = sqrt(dx * dx + dy * dy)
                nearer = d <= limit_km and (best is None or d < best)
                if nearer and self._joinable(spot_offer[s_idx], query):
                    best = d

        if self._few_spots(themes, profile.place, limit_km):  # few offers: nearest first
            for d, s_idx in self._by_distance(lat, lon, themes):
                if d > limit_km:
                    break
                if self._joinable(spot_offer[s_idx], query):
                    return d
            return None
        for d_min, i, j in self._circle(lat, lon, limit_km):  # many: nearest cells first
            if best is not None and d_min > best:
                break
            consider(s for t in themes for s in self._cell_spots((t, i, j)))
        return best

    def _joinable(self, o: int, query: Query) -> bool:
        """Could this person join offer `o` (eligible, and something open from today)?"""
        return self.scoring.eligible(o, query) and self.scoring.start(o) != NO_START

    def _by_distance(
        self, lat: float, lon: float, themes: tuple[Theme, ...]
    ) -> list[tuple[float, int]]:
        """Every spot of these themes (few) with its distance from the point, nearest first
        (as `_nearest_eligible` measures it), kept per question."""
        if (found := self._sorted_spots.get(key := (lat, lon, themes))) is None:
            kx = KM_PER_DEG_LAT * cos(radians(lat))
            spot_lat, spot_lon = self.index.spot_lat, self.index.spot_lon
            found = []
            for s in self._spots_of(themes):
                dx, dy = (spot_lon[s] - lon) * kx, (spot_lat[s] - lat) * KM_PER_DEG_LAT
                found.append((sqrt(dx * dx + dy * dy), s))
            found.sort()
            self._sorted_spots.keep(key, found)
        return found

    def _circle(self, lat: float, lon: float, radius: float) -> list[tuple[float, int, int]]:
        """The cells within `radius` km, nearest first (see cells_by_distance), kept: the
        search for the nearest offer goes as far as 120 km, some 350 cells."""
        if (found := self._circles.get(key := (lat, lon, radius))) is None:
            found = self._circles.keep(key, cells_by_distance(lat, lon, radius))
        return found

    def _suggestion(self, cand: Cand, profile: Profile) -> Suggestion:
        score, o, d, commune, start = cand
        if d is not None:  # the great-circle distance, for the few that are shown
            d = self._exact_distance(o, profile.place, d)
        return Suggestion(
            o,
            self.catalogue.offer(o),
            None if d is None else round(d, 1),
            commune,
            date.fromordinal(start) if start else None,
            round(score, 3),
            d is not None and d > profile.radius_km,
        )

    def _exact_distance(self, o: int, place: Place, approx: float) -> float:
        if (exact := self._exact.get(key := (o, place.lat, place.lon))) is None:
            exact = self._exact.keep(
                key,
                min(
                    (
                        haversine_km(place.lat, place.lon, p.lat, p.lon)
                        for p in self.catalogue.offer(o).places
                        if p.lat is not None and p.lon is not None
                    ),
                    default=inf,
                ),
            )
        return approx if exact == inf else exact


def eligible(c: Compact, profile: Profile) -> bool:
    if profile.age is not None and not (c.age_min <= profile.age <= c.age_max):
        return False
    if c.jobseeker_required and profile.jobseeker is False:
        return False
    return not (c.rsa_only and profile.rsa is False)


def next_start(c: Compact, today: int) -> int | None:
    """The ordinal of the next start one can join, 0 for "now", None if nothing is open."""
    best: int | None = None
    for start, end, is_open in c.sessions:
        if not is_open or (end and end < today):
            continue
        if start >= today:
            candidate = start
        elif c.permanent or not start:
            candidate = 0  # running, and one may join at any time
        else:
            continue  # started on fixed dates: too late for this one
        best = candidate if best is None else min(best, candidate)
    if best is None and c.permanent and not c.sessions:
        return 0
    return best
