"""Where an imported offer comes from and when it was last updated, in the person's language."""

from __future__ import annotations

from bot.catalogue.model import Offer
from bot.messages import Messages


def updated_line(offer: Offer, messages: Messages, lang: str) -> str | None:
    """ "le 1er octobre 2026 (source : dora)" for an offer that names its publisher, else None."""
    if not offer.provider:
        return None
    d = offer.last_updated
    day = messages.get("first_of_month", lang) if d.day == 1 else str(d.day)
    month = messages.month(d.month, lang)
    when = messages.get("date_day_month_year", lang, day=day, month=month, year=d.year)
    return messages.get("card_updated_value", lang, date=when, source=offer.provider)
