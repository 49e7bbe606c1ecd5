"""What one offer scores for one question, today: eligibility, next start, the score's parts.

The day's next start of each offer is worked out when first met and kept until the day
changes, as is the order of a point's first places by what their date gives the score.
"""

from __future__ import annotations

from array import array

from bot.catalogue.index import FREE, JOBSEEKER_REQUIRED, RSA_ONLY, Index
from bot.catalogue.model import Theme
from bot.kept import Kept
from bot.ranking import Top

SOON_DAYS = 180
FREE_BONUS = 0.1
NO_START = -1  # in the day's memo of next starts: nothing open
UNKNOWN = -2  # not worked out yet today
RANKED = 24  # the places of a point ranked by date (its first ones: see Scoring.by_date)
KEPT_RANKED = 200_000  # points (under one theme) whose places are kept ranked by date


class Query:
    """One person's question, as what the scan over the columns compares with."""

    def __init__(
        self,
        age: int | None,
        jobseeker: bool | None,
        rsa: bool | None,
        weights: dict[Theme, float],
        bits: dict[Theme, int],
    ) -> None:
        self.age = age
        self.jobseeker_no = jobseeker is False
        self.rsa_no = rsa is False
        # (theme bit, weight), heaviest first: an offer's fit is the first its mask holds
        self.fits = sorted(
            ((bits[t], w) for t, w in weights.items() if t in bits), key=lambda f: -f[1]
        )


class Scoring:
    def __init__(self, index: Index) -> None:
        self.index = index
        self.today = -1
        self._starts = array("i")  # the next start of each offer today, worked out when met
        # a point's places under a theme, ranked by date today (by the grid's array)
        self._ranked: Kept[int, tuple[array[int], array[float], array[int]]] = Kept(KEPT_RANKED)

    def new_day(self, today: int) -> bool:
        """Is `today` another day than the last question's (what was kept is then dropped)?"""
        if today == self.today:
            return False
        self.today = today
        self._starts = array("i", [UNKNOWN]) * len(self.index)
        self._ranked.clear()
        return True

    def start(self, o: int) -> int:
        """The offer's next start today (see next_start), NO_START if nothing is open."""
        start = self._starts[o]
        if start == UNKNOWN:
            found = self.index.next_start(o, self.today)
            start = self._starts[o] = NO_START if found is None else found
        return start

    def eligible(self, o: int, query: Query) -> bool:
        index = self.index
        if query.age is not None and not (index.age_min[o] <= query.age <= index.age_max[o]):
            return False
        flags = index.flags[o]
        if flags & JOBSEEKER_REQUIRED and query.jobseeker_no:
            return False
        return not (flags & RSA_ONLY and query.rsa_no)

    def date_score(self, o: int, start: int) -> float:
        """What the date (how soon it starts) and the price give an offer's score."""
        soon = min(max(start - self.today, 0) / SOON_DAYS, 1.0) if start else 0.0
        return -0.6 * soon + (FREE_BONUS if self.index.flags[o] & FREE else 0.0)

    def consider(self, query: Query, scaled: float, s_idx: int, d: float, best: Top) -> None:
        """One place of one offer, `d` km away (`scaled`: over the radius). What eligible,
        start and date_score say, written out: this runs a hundred times a query."""
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
            start = self.start(o)
        if start == NO_START:
            return
        mask = index.theme_mask[o]
        fit = 0.0
        for bit, weight in query.fits:
            if mask & bit:
                fit = weight
                break
        soon = min(max(start - self.today, 0) / SOON_DAYS, 1.0) if start else 0.0
        score = 3.0 * fit - scaled + (-0.6 * soon + (FREE_BONUS if flags & FREE else 0.0))
        best.add((score, o, d, index.communes[index.spot_commune[s_idx]], start))

    def by_date(self, here: array[int]) -> tuple[array[int], array[float], array[int]]:
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
                start = self.start(o)
                if start != NO_START:
                    rows.append((-self.date_score(o, start), o, s_idx))
            rows.sort()
            head = array("I", [r[2] for r in rows])
            date_scores = array("d", [-r[0] for r in rows])
            found = self._ranked.keep(id(here), (head, date_scores, here[RANKED:]))
        return found
