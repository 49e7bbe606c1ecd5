"""The one-line reason beside each suggestion, and the note when the search widened.

"Pour apprendre à lire · à 2 km de Pau, en bus · gratuit · commence le 14 janvier": why the
offer fits, how far it is for this person, what it costs, when it starts. Every word comes from
the messages file, in the person's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.kept import Kept
from bot.matching import MatchResult, Suggestion, Travel, Widening
from bot.messages import DEFAULT_LANG, Messages


def format_date(d: date, messages: Messages, lang: str, today: date | None = None) -> str:
    """ "le 14 janvier"; with the year when it is far from `today`, or always without one."""
    day = messages.get("first_of_month", lang) if d.day == 1 else str(d.day)
    month = messages.month(d.month, lang)
    if today is None or (d - today).days > 300:
        return messages.get("date_day_month_year", lang, day=day, month=month, year=d.year)
    return messages.get("date_day_month", lang, day=day, month=month)


def _known(messages: Messages, key: str) -> bool:
    return key in messages.data.messages


def why(s: Suggestion, need: Sequence[str], messages: Messages, lang: str) -> str | None:
    """ "pour apprendre à lire": the person's first need that the offer meets, in words."""
    offered = set(s.offer.themes)
    for theme in need:
        if theme in offered and _known(messages, key := f"reason_why_{theme}"):
            return messages.get(key, lang)
    return None


def where(
    s: Suggestion, place_name: str, messages: Messages, lang: str, travel: Travel | None
) -> str:
    """ "À 12 km de Guéret, en bus", or, beyond the person's reach, "C'est à 35 km. C'est loin
    à pied." """
    if s.distance_km is None:
        return messages.get("reason_remote", lang)
    km = round(s.distance_km)
    if s.beyond_reach:
        key = f"reason_far_{travel.value}" if travel else "reason_far"
        return messages.get(key if _known(messages, key) else "reason_far", lang, km=km)
    if s.distance_km < 2 and s.commune:
        text = messages.get("reason_here", lang, place=s.commune)
    else:
        text = messages.get("reason_near", lang, km=km, place=place_name)
    how = f"reason_how_{travel.value}" if travel else ""
    return f"{text}, {messages.get(how, lang)}" if _known(messages, how) else text


def cost(s: Suggestion, messages: Messages, lang: str) -> str | None:
    """ "gratuit", "25 €", or None when the price is not known."""
    price = s.offer.cost
    if price.free:
        return messages.get("reason_free", lang)
    if price.price_eur is not None:
        return messages.get("reason_price", lang, price=f"{price.price_eur:g}")
    return None


def when(start: date | None, messages: Messages, lang: str, today: date) -> str:
    """ "commence le 3 février", or "on peut commencer à tout moment"."""
    if start is None:
        return messages.get("reason_anytime", lang)
    return messages.get("reason_starts", lang, date=format_date(start, messages, lang, today))


def reason(
    s: Suggestion,
    place_name: str,
    messages: Messages,
    today: date,
    lang: str = DEFAULT_LANG,
    need: Sequence[str] = (),
    travel: Travel | None = None,
) -> str:
    """ "Pour lire, écrire et compter · À 12 km de Guéret, en bus · gratuit · commence le 3
    février"."""
    parts = [
        _sentence(why(s, need, messages, lang)),
        where(s, place_name, messages, lang, travel),
        cost(s, messages, lang),
        when(s.start, messages, lang, today),
    ]
    return " · ".join(p for p in parts if p is not None)


def _sentence(text: str | None) -> str | None:
    """The reason's first part, starting with a capital letter."""
    return None if text is None else text[:1].upper() + text[1:]


class Reasons:
    """`reason`, its pieces kept: a results turn writes three reasons, and each piece (why an
    offer fits a need, a distance from a place, a price, a date) comes back turn after turn.
    Each memo is emptied when it reaches KEPT entries: memory stays flat."""

    KEPT = 20_000

    def __init__(self, messages: Messages) -> None:
        self.msg = messages
        self._why: Kept[tuple[str, tuple[str, ...], str], str | None] = Kept(self.KEPT)
        self._where: Kept[tuple[object, ...], str] = Kept(self.KEPT)
        self._cost: Kept[tuple[str, str], str | None] = Kept(self.KEPT)
        self._when: Kept[tuple[date | None, str, date], str] = Kept(self.KEPT)

    def __call__(
        self,
        s: Suggestion,
        place_name: str,
        today: date,
        lang: str,
        need: tuple[str, ...],
        travel: Travel | None,
    ) -> str:
        m, oid = self.msg, s.offer.id
        if (because := self._why.get(key := (oid, need, lang), "")) == "":
            because = self._why.keep(key, _sentence(why(s, need, m, lang)))
        # what `where` reads of the suggestion: the commune only when it says "À Guéret"
        here = s.commune if s.distance_km is not None and s.distance_km < 2 else None
        where_key = (s.distance_km, s.beyond_reach, here, place_name, lang, travel)
        if (there := self._where.get(where_key)) is None:
            there = self._where.keep(where_key, where(s, place_name, m, lang, travel))
        if (price := self._cost.get(cost_key := (oid, lang), "")) == "":
            price = self._cost.keep(cost_key, cost(s, m, lang))
        start = self.when(s.start, lang, today)
        parts = (because, there, price, start)
        return " · ".join(p for p in parts if p is not None)

    def when(self, start: date | None, lang: str, today: date) -> str:
        if (text := self._when.get(key := (start, lang, today))) is None:
            text = self._when.keep(key, when(start, self.msg, lang, today))
        return text


def widening_note(
    result: MatchResult, messages: Messages, lang: str = DEFAULT_LANG, volunteer: bool = True
) -> str | None:
    """What the search had to do to find something; with `volunteer`, when an idea is beyond
    the person's reach, how a volunteer can help (the chat's buttons)."""
    if result.widened is Widening.NONE:
        return None
    if result.widened is Widening.FURTHER:
        note = messages.get(
            "widened_further",
            lang,
            radius=round(result.profile.radius_km),
            km=round(result.radius_km),
        )
    else:
        note = messages.get(f"widened_{result.widened.value}", lang)
    if volunteer and any(s.beyond_reach for s in result.suggestions):
        note += "\n" + messages.get("widened_volunteer", lang)
    return note
