"""The one-line reason beside each suggestion, and the note when the search widened.

"À 12 km de Guéret · gratuit · commence le 3 février": every word comes from the messages file,
in the person's language.
"""

from __future__ import annotations

from datetime import date

from bot.matching import MatchResult, Suggestion, Widening
from bot.messages import DEFAULT_LANG, Messages


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
