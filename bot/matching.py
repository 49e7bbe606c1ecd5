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

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from math import cos, inf, radians, sqrt

from bot.catalogue.gazetteer import Place
from bot.catalogue.geo import haversine_km
from bot.catalogue.index import (
    FREE,
    JOBSEEKER_REQUIRED,
    KM_PER_DEG_LAT,
    RSA_ONLY,
    Compact,
    cell_span,
    cells_around,
)
from bot.catalogue.load import Catalogue
from bot.catalogue.model import Offer, Theme
from bot.catalogue.sites import SiteKey
from bot.kept import Kept
from bot.nearby import NearCells, cells_by_distance

DEFAULT_RADIUS_KM = 20.0
MAX_FURTHER_KM = 120.0
# Theme weights by rank of the person's need: the first theme asked is worth the most.
THEME_WEIGHTS = (1.0, 0.7, 0.5)
REMOTE_DISTANCE = 0.6  # a remote offer weighs like an on-site one at 60 % of the radius
SOON_DAYS = 180
FREE_BONUS = 0.1
KEPT = 4096  # questions whose distances are kept (then forgotten at once)
KEPT_SPOTS = 2048  # the longest list of spots whose distances are kept
KEPT_RANKED = 200_000  # points (under one theme) whose places are kept ranked by date
RANKED = 24  # the places of a point ranked by date (its first ones: see Matcher._by_date)


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


# A ranked candidate: (score, offer index, distance in km or None if remote, commune, start)
_Cand = tuple[float, int, float | None, str | None, int]
NO_START = -1  # in the day's memo of next starts: nothing open
UNKNOWN = -2  # not worked out yet today


class _Best:
    """The best candidates seen so far, one per offer, and the `limit` best of them."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.by_offer: dict[int, _Cand] = {}
        self.on_site = 0
        self._top: list[_Cand] = []  # by (score, -offer), best first
        # the last of the top: a candidate must beat (score, -offer) to enter
        self.worst_score = -inf
        self.worst_offer = -1

    def add(self, cand: _Cand) -> None:
        old = self.by_offer.get(cand[1])
        if old is not None and cand[0] <= old[0]:
            return
        if cand[2] is not None and (old is None or old[2] is None):
            self.on_site += 1
        self.by_offer[cand[1]] = cand
        top = self._top
        if old is not None and old in top:
            top.remove(old)
        elif len(top) >= self.limit and (cand[0], -cand[1]) < (self.worst_score, -self.worst_offer):
            return
        at = len(top)  # by (score, -offer), best first: at most `limit` steps
        while at and (top[at - 1][0], -top[at - 1][1]) < (cand[0], -cand[1]):
            at -= 1
        top.insert(at, cand)
        del top[self.limit :]
        if len(top) >= self.limit:
            self.worst_score, self.worst_offer = top[-1][0], top[-1][1]

    def beaten(self, bound: float, offer: int) -> bool:
        """Can no candidate of `offer` scoring at most `bound` enter the top?"""
        return bound < self.worst_score or (bound == self.worst_score and offer > self.worst_offer)

    def floor(self) -> float:
        """The `limit`-th best score, or -inf while there are fewer candidates."""
        return self.worst_score

    def full(self) -> bool:
        """Does the top hold `limit` candidates?"""
        return len(self._top) >= self.limit

    def top(self) -> list[_Cand]:
        return list(self._top)


class _Query:
    """One person's question, as what the scan over the columns compares with."""

    def __init__(
        self, profile: Profile, weights: dict[Theme, float], bits: dict[Theme, int]
    ) -> None:
        self.age = profile.age
        self.jobseeker_no = profile.jobseeker is False
        self.rsa_no = profile.rsa is False
        # (theme bit, weight), heaviest first: an offer's fit is the first its mask holds
        self.fits = sorted(
            ((bits[t], w) for t, w in weights.items() if t in bits), key=lambda f: -f[1]
        )


class Matcher:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.index = catalogue.index
        self._remote_day = -1
        self._remote_sorted: dict[str, list[tuple[float, int, int]]] = {}
        self._starts = array("i")  # the next start of each offer today, worked out when met
        self._cells: dict[SiteKey, list[int]] = {}  # a cell's places, in order, once met
        self._near = NearCells(self.index)  # the cells to search, per question
        # a point's places under a theme, ranked by date today (by the grid's array)
        self._ranked: Kept[int, tuple[array[int], array[float], array[int]]] = Kept(KEPT_RANKED)
        self._bits = {t: 1 << n for n, t in enumerate(self.index.themes)}  # bits of a mask
        # distances kept: an offer shown from a point; a small catalogue's wider searches
        self._exact: Kept[tuple[int, float, float], float] = Kept(KEPT)
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
        self._new_day(today_n)
        query = _Query(profile, weights, self._bits)
        remote = _Best(limit)
        if profile.travel is Travel.HOME:
            self._add_remote(query, weights, today_n, remote)
            found = tuple(self._suggestion(c, profile) for c in remote.top())
            return MatchResult(profile, found, Widening.NONE, 0.0)
        radius = profile.radius_km
        near = _Best(limit)
        self._add_near(profile, query, weights, today_n, radius, near)
        widened = Widening.NONE
        if not near.on_site:
            for step, r, spots in self._wider(profile, query, themes, today_n, radius):
                wider = _Best(limit)
                self._add_spots(profile, query, today_n, r, spots, wider)
                if wider.on_site:
                    near, widened, radius = wider, step, r
                    break
        if widened is Widening.NONE:
            # remote offers come after those within reach: only when these leave room
            if not near.full():
                self._add_remote(query, weights, today_n, remote)
        elif not profile.on_site_need:
            self._add_remote(query, weights, today_n, remote)
        # on site within reach first; when nothing is within reach, remote offers first
        ordered = (
            near.top() + remote.top() if widened is Widening.NONE else remote.top() + near.top()
        )
        found = tuple(self._suggestion(c, profile) for c in ordered[:limit])
        return MatchResult(profile, found, widened, radius)

    # -- one offer -----------------------------------------------------------------------

    def _new_day(self, today: int) -> None:
        if today != self._remote_day:  # worked out again once a day
            self._remote_day, self._remote_sorted = today, {}
            self._starts = array("i", [UNKNOWN]) * len(self.index)
            self._ranked.clear()

    def _start(self, o: int, today: int) -> int:
        """The offer's next start today (see next_start), NO_START if nothing is open."""
        start = self._starts[o]
        if start == UNKNOWN:
            found = self.index.next_start(o, today)
            start = self._starts[o] = NO_START if found is None else found
        return start

    def _eligible(self, o: int, query: _Query) -> bool:
        index = self.index
        if query.age is not None and not (index.age_min[o] <= query.age <= index.age_max[o]):
            return False
        flags = index.flags[o]
        if flags & JOBSEEKER_REQUIRED and query.jobseeker_no:
            return False
        return not (flags & RSA_ONLY and query.rsa_no)

    # -- candidates ----------------------------------------------------------------------

    def _add_remote(
        self, query: _Query, weights: dict[Theme, float], today: int, best: _Best
    ) -> None:
        """Remote offers, best first: their score does not depend on the place."""
        for theme, weight in weights.items():
            taken = 0
            for base, o, start in self._remote_by_theme(theme, today):
                if taken >= best.limit:
                    break
                if self._eligible(o, query):
                    best.add((3.0 * weight + base, o, None, None, start))
                    taken += 1

    def _remote_by_theme(self, theme: str, today: int) -> list[tuple[float, int, int]]:
        if (ranked := self._remote_sorted.get(theme)) is None:
            ranked = []
            for o in self.index.remote.get(theme, ()):
                start = self._start(o, today)
                if start != NO_START:
                    ranked.append((-REMOTE_DISTANCE + self._date_score(o, start, today), o, start))
            ranked.sort(key=lambda t: (-t[0], t[1]))
            self._remote_sorted[theme] = ranked
        return ranked

    def _add_near(
        self,
        profile: Profile,
        query: _Query,
        weights: dict[Theme, float],
        today: int,
        radius: float,
        best: _Best,
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
                head, date_scores, tail = self._by_date(here, today)
                # the first places, best first by their date's part of the score (known
                # today): once one cannot enter, none after it in the head can
                for s_idx, date_score in zip(head, date_scores, strict=True):
                    if best.beaten(heaviest + date_score, spot_offer[s_idx]):
                        break
                    self._consider(query, today, scaled, s_idx, d, best)
                # the others, in order (of offers after the head's): the same, with the best
                # date's part any place can have
                for s_idx in tail:
                    if best.beaten(heaviest + FREE_BONUS, spot_offer[s_idx]):
                        break
                    self._consider(query, today, scaled, s_idx, d, best)

    def _by_date(self, here: array[int], today: int) -> tuple[array[int], array[float], array[int]]:
        """The places of one point under one theme: the first RANKED of them that are open
        today, best first by what the date gives their score (then in order), with that part;
        and the places after those. Worked out once a day: a search walks the few of the head
        that can enter the top, not all those before them; ranking a whole point (thousands
        of offers in a city) would cost more than it saves on the first search of the day."""
        if (found := self._ranked.get(id(here))) is None:
            spot_offer = self.index.spot_offer
            rows = []
            for s_idx in here[:RANKED]:
                o = spot_offer[s_idx]
                start = self._start(o, today)
                if start != NO_START:
                    rows.append((-self._date_score(o, start, today), o, s_idx))
            rows.sort()
            head = array("I", [r[2] for r in rows])
            date_scores = array("d", [-r[0] for r in rows])
            found = self._ranked.keep(id(here), (head, date_scores, here[RANKED:]))
        return found

    def _add_spots(
        self,
        profile: Profile,
        query: _Query,
        today: int,
        radius: float,
        spots: list[int],
        best: _Best,
    ) -> None:
        for s_idx, d in zip(spots, self._distances(profile.place, spots), strict=True):
            if d <= radius:
                self._consider(query, today, d / max(radius, 1.0), s_idx, d, best)

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

    def _consider(
        self, query: _Query, today: int, scaled: float, s_idx: int, d: float, best: _Best
    ) -> None:
        """One place of one offer, `d` km away (`scaled`: over the radius). What _eligible,
        _start and _date_score say, written out: this runs a hundred times a query."""
        index = self.index
        o = index.spot_offer[s_idx]
        age = query.age
        if age is not None and not (index.age_min[o] <= age <= index.age_max[o]):
            return
        flags = index.flags[o]
        if (flags & JOBSEEKER_REQUIRED and query.jobseeker_no) or (
            flags & RSA_ONLY and query.rsa_no
        ):
            return
        start = self._starts[o]
        if start == UNKNOWN:
            start = self._start(o, today)
        if start == NO_START:
            return
        mask = index.theme_mask[o]
        fit = 0.0
        for bit, weight in query.fits:
            if mask & bit:
                fit = weight
                break
        soon = min(max(start - today, 0) / SOON_DAYS, 1.0) if start else 0.0
        score = 3.0 * fit - scaled + (-0.6 * soon + (FREE_BONUS if flags & FREE else 0.0))
        best.add((score, o, d, index.communes[index.spot_commune[s_idx]], start))

    def _date_score(self, o: int, start: int, today: int) -> float:
        soon = min(max(start - today, 0) / SOON_DAYS, 1.0) if start else 0.0
        return -0.6 * soon + (FREE_BONUS if self.index.flags[o] & FREE else 0.0)

    def _wider(
        self,
        profile: Profile,
        query: _Query,
        themes: tuple[Theme, ...],
        today: int,
        radius: float,
    ) -> Iterator[tuple[Widening, float, list[int]]]:
        """The next search worth making: (step, radius used for scoring, spots).

        Doubling the radius step by step searched the same cells again and again; the nearest
        eligible offer tells at once which doubling will find something.
        """
        place = profile.place
        nearest = self._nearest_eligible(profile, query, themes, today, MAX_FURTHER_KM)
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
        query: _Query,
        themes: tuple[Theme, ...],
        today: int,
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
                if d <= limit_km and (best is None or d < best):
                    o = spot_offer[s_idx]
                    if self._eligible(o, query) and self._start(o, today) != NO_START:
                        best = d

        if self._few_spots(themes, profile.place, limit_km):  # few offers: nearest first
            for d, s_idx in self._by_distance(lat, lon, themes):
                if d > limit_km:
                    break
                o = spot_offer[s_idx]
                if self._eligible(o, query) and self._start(o, today) != NO_START:
                    return d
            return None
        for d_min, i, j in cells_by_distance(lat, lon, limit_km):  # many: nearest cells first
            if best is not None and d_min > best:
                break
            consider(s for t in themes for s in self._cell_spots((t, i, j)))
        return best

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

    def _suggestion(self, cand: _Cand, profile: Profile) -> Suggestion:
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
