"""The one-line reason beside each suggestion, and the note when the search widened.

"Pour apprendre à lire · à 2 km de Pau, en bus · gratuit · commence le 14 janvier": why the
offer fits, how far it is for this person, what it costs, when it starts. Every word comes from
the messages file, in the person's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

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
    parts: list[str] = []
    if (because := why(s, need, messages, lang)) is not None:
        parts.append(because[:1].upper() + because[1:])
    parts.append(where(s, place_name, messages, lang, travel))
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
