"""OpenStreetMap opening hours ("Mo-Fr 08:30-12:30; PH off") -> a line a person can read.

The expression is parsed by `opening-hours-py` (the maintained Rust parser behind OSM tools),
never by hand: the week it describes is evaluated day by day, then days with the same hours
are grouped ("lun. au ven. 8h30-12h30"). Expressions that change with the season or the
week of the month cannot be told as one week: they are left out, with a warning.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import opening_hours
from opening_hours import OpeningHours, State

from bot.catalogue.datainclusion_map import HoursWords

# A Monday with no public holiday anywhere (no country is given: holidays are not evaluated)
_MONDAY = datetime(2024, 1, 8)
_SEASONAL = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|week|\d{4})\b|\[")
# raised by the parser, missing from the package's type stubs
_PARSER_ERROR: type[Exception] = getattr(opening_hours, "ParserError", ValueError)
_HOLIDAYS_CLOSED = re.compile(r"\bPH\s+(off|closed)\b")


class HoursReader:
    """Readable hours in the mapping file's words; each distinct expression parsed once."""

    def __init__(self, words: HoursWords) -> None:
        self.words = words
        self._seen: dict[str, tuple[str | None, str | None]] = {}

    def read(self, expression: str) -> tuple[str | None, str | None]:
        """(readable hours, None) or (None, why they were left out)."""
        found = self._seen.get(expression)
        if found is None:
            if len(self._seen) > 50_000:
                self._seen.clear()
            found = self._seen[expression] = self._read(expression)
        return found

    def _read(self, expression: str) -> tuple[str | None, str | None]:
        try:
            hours = OpeningHours(expression, auto_country=False, auto_timezone=False)
            normal = str(hours.normalize())
        except (_PARSER_ERROR, SyntaxError, ValueError):
            return None, "not in the OpenStreetMap opening hours syntax"
        if _SEASONAL.search(normal):
            return None, "hours that change with the season or the week are not shown"
        w = self.words
        if normal == "24/7":
            return w.all_week, None
        days: list[tuple[str, ...]] = []
        for n in range(7):
            start = _MONDAY + timedelta(days=n)
            spans = [
                (a, b)
                for a, b, state, _comment in hours.intervals(start, start + timedelta(days=1))
                if state == State.OPEN
            ]
            days.append(
                tuple(
                    w.time_range.format(start=self._time(a, start), end=self._time(b, start))
                    for a, b in spans
                )
            )
        parts: list[str] = []
        n = 0
        while n < 7:
            last = n
            while last + 1 < 7 and days[last + 1] == days[n]:
                last += 1
            if days[n]:
                name = w.days[n]
                if last > n:
                    name = w.day_range.format(first=name, last=w.days[last])
                parts.append(f"{name} {w.and_.join(days[n])}")
            n = last + 1
        if not parts:
            return None, "no opening time in the week"
        if _HOLIDAYS_CLOSED.search(normal):
            parts.append(w.closed_holidays)
        return w.separator.join(parts), None

    def _time(self, moment: datetime, day: datetime) -> str:
        if moment >= day + timedelta(days=1):
            return self.words.time.format(h=24, m="")
        minutes = f"{moment.minute:02d}" if moment.minute else ""
        return self.words.time.format(h=moment.hour, m=minutes)
