"""Where an imported offer comes from and when it was last updated, in the person's language."""

from __future__ import annotations

from bot.catalogue.model import Offer
from bot.messages import Messages
from bot.reasons import format_date


def updated_line(offer: Offer, messages: Messages, lang: str) -> str | None:
    """ "le 1er octobre 2026 (source : dora)" for an offer that names its publisher, else None."""
    if not offer.provider:
        return None
    when = format_date(offer.last_updated, messages, lang)  # a past day: with its year
    return messages.get("card_updated_value", lang, date=when, source=offer.provider)
