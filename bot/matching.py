"""From a profile (place, need, situation, radius) to 2-3 ranked offers, each with a reason.

Ranking weighs theme fit, distance and how soon the next session starts. Ineligible offers
(age, jobseeker registration, RSA-only, no open session ahead) never show. Remote offers count
as near. When nothing on site lies within the radius the search widens: further, then the
department, then the whole region, and the result says so.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.catalogue.gazetteer import Place
from bot.catalogue.geo import haversine_km
from bot.catalogue.index import Compact, cells_around
from bot.catalogue.load import Catalogue
from bot.catalogue.model import Offer, Theme
from bot.messages import DEFAULT_LANG, Messages

DEFAULT_RADIUS_KM = 20.0
MAX_FURTHER_KM = 120.0
# Theme weights by rank of the person's need: the first theme asked is worth the most.
THEME_WEIGHTS = (1.0, 0.7, 0.5)
REMOTE_DISTANCE = 0.6  # a remote offer weighs like an on-site one at 60 % of the radius
SOON_DAYS = 180


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
    radius_km: float = DEFAULT_RADIUS_KM


@dataclass(frozen=True, slots=True)
class Suggestion:
    idx: int
    offer: Offer
    distance_km: float | None  # None for a remote offer
    commune: str | None  # where the nearest place of the offer is
    start: date | None  # None: join now / at any time
    score: float

    @property
    def remote(self) -> bool:
        return self.distance_km is None


@dataclass(frozen=True, slots=True)
class MatchResult:
    profile: Profile
    suggestions: tuple[Suggestion, ...]
    widened: Widening = Widening.NONE
    radius_km: float = DEFAULT_RADIUS_KM  # the radius finally searched


# A candidate before ranking: (offer index, distance or None, commune or None)
_Hit = tuple[int, float | None, str | None]


class Matcher:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.index = catalogue.index

    def suggest(self, profile: Profile, today: date, limit: int = 3) -> MatchResult:
        themes = profile.themes or tuple(Theme)
        today_n = today.toordinal()
        place = profile.place
        remote = self._remote(themes)
        widened = Widening.NONE
        radius = profile.radius_km
        on_site = self._within(themes, place, radius)
        ranked = self._rank(profile, themes, on_site, today_n, radius, limit)
        if not any(not s.remote for s in ranked):
            for step, hits, r in self._wider(themes, place, radius):
                ranked = self._rank(profile, themes, hits, today_n, r, limit)
                if ranked:
                    widened, radius = step, r
                    break
        # remote offers join whatever was found, on their own merit
        ranked = self._rank(
            profile,
            themes,
            [(s.idx, s.distance_km, s.commune) for s in ranked] + remote,
            today_n,
            radius,
            limit,
        )
        return MatchResult(profile, tuple(ranked), widened, radius)

    # -- candidates ----------------------------------------------------------------------

    def _within(self, themes: tuple[Theme, ...], place: Place, radius: float) -> list[_Hit]:
        best: dict[int, tuple[float, str]] = {}
        by_cell = self.index.by_cell
        spots = self.index.spots
        lat, lon = place.lat, place.lon
        for i, j in cells_around(lat, lon, radius):
            for theme in themes:
                for s_idx in by_cell.get((theme, i, j), ()):
                    spot = spots[s_idx]
                    d = haversine_km(lat, lon, spot.lat, spot.lon)
                    if d <= radius and (spot.offer not in best or d < best[spot.offer][0]):
                        best[spot.offer] = (d, spot.commune)
        return [(o, d, c) for o, (d, c) in best.items()]

    def _spots(self, keys: list[list[int]], place: Place) -> list[_Hit]:
        best: dict[int, tuple[float, str]] = {}
        spots = self.index.spots
        for group in keys:
            for s_idx in group:
                spot = spots[s_idx]
                d = haversine_km(place.lat, place.lon, spot.lat, spot.lon)
                if spot.offer not in best or d < best[spot.offer][0]:
                    best[spot.offer] = (d, spot.commune)
        return [(o, d, c) for o, (d, c) in best.items()]

    def _wider(self, themes: tuple[Theme, ...], place: Place, radius: float):  # type: ignore[no-untyped-def]
        """Wider and wider searches, lazily: (step, candidates, radius used for scoring)."""
        r = radius
        while r < MAX_FURTHER_KM:
            r = min(r * 2, MAX_FURTHER_KM)
            yield Widening.FURTHER, self._within(themes, place, r), r
        dep = [self.index.by_department.get((t, place.department), []) for t in themes]
        hits = self._spots(dep, place)
        yield Widening.DEPARTMENT, hits, max((d or 0 for _o, d, _c in hits), default=r)
        hits = self._spots([self.index.by_theme.get(t, []) for t in themes], place)
        yield Widening.REGION, hits, max((d or 0 for _o, d, _c in hits), default=r)

    def _remote(self, themes: tuple[Theme, ...]) -> list[_Hit]:
        seen: dict[int, _Hit] = {}
        for theme in themes:
            for o in self.index.remote.get(theme, ()):
                seen[o] = (o, None, None)
        return list(seen.values())

    # -- ranking -------------------------------------------------------------------------

    def _rank(
        self,
        profile: Profile,
        themes: tuple[Theme, ...],
        hits: list[_Hit],
        today: int,
        radius: float,
        limit: int,
    ) -> list[Suggestion]:
        weights = {t: THEME_WEIGHTS[min(i, len(THEME_WEIGHTS) - 1)] for i, t in enumerate(themes)}
        scored: list[tuple[float, int, float | None, str | None, int]] = []
        compacts = self.index.compacts
        for o, d, commune in hits:
            c = compacts[o]
            if not eligible(c, profile):
                continue
            start = next_start(c, today)
            if start is None:
                continue
            fit = max((weights.get(t, 0.0) for t in c.themes), default=0.0)  # type: ignore[call-overload]
            distance = REMOTE_DISTANCE if d is None else d / max(radius, 1.0)
            soon = min(max(start - today, 0) / SOON_DAYS, 1.0) if start else 0.0
            score = 3.0 * fit - distance - 0.6 * soon + (0.1 if c.free else 0.0)
            scored.append((score, o, d, commune, start))
        best = heapq.nlargest(limit, scored, key=lambda t: (t[0], -t[1]))
        return [
            Suggestion(
                o,
                self.catalogue.offer(o),
                None if d is None else round(d, 1),
                commune,
                date.fromordinal(start) if start else None,
                round(score, 3),
            )
            for score, o, d, commune, start in best
        ]


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


# -- the one-line reason ---------------------------------------------------------------------


def format_date(d: date, messages: Messages, lang: str, today: date) -> str:
    day = messages.get("first_of_month", lang) if d.day == 1 else str(d.day)
    month = messages.month(d.month, lang)
    if (d - today).days > 300:
        return messages.get("date_day_month_year", lang, day=day, month=month, year=d.year)
    return messages.get("date_day_month", lang, day=day, month=month)


def reason(
    s: Suggestion, place_name: str, messages: Messages, today: date, lang: str = DEFAULT_LANG
) -> str:
    """ "À 12 km de Guéret · gratuit · commence le 3 février"."""
    parts: list[str] = []
    if s.distance_km is None:
        parts.append(messages.get("reason_remote", lang))
    elif s.distance_km < 2 and s.commune:
        parts.append(messages.get("reason_here", lang, place=s.commune))
    else:
        parts.append(messages.get("reason_near", lang, km=round(s.distance_km), place=place_name))
    cost = s.offer.cost
    if cost.free:
        parts.append(messages.get("reason_free", lang))
    elif cost.price_eur is not None:
        parts.append(messages.get("reason_price", lang, price=f"{cost.price_eur:g}"))
    if s.start is None:
        parts.append(messages.get("reason_anytime", lang))
    else:
        parts.append(
            messages.get("reason_starts", lang, date=format_date(s.start, messages, lang, today))
        )
    return " · ".join(parts)


def widening_note(result: MatchResult, messages: Messages, lang: str = DEFAULT_LANG) -> str | None:
    if result.widened is Widening.NONE:
        return None
    if result.widened is Widening.FURTHER:
        return messages.get(
            "widened_further",
            lang,
            radius=round(result.profile.radius_km),
            km=round(result.radius_km),
        )
    return messages.get(f"widened_{result.widened.value}", lang)
