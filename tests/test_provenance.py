"""An imported offer's card says who published it and when, in the person's language."""

from __future__ import annotations

from datetime import date

from bot.catalogue.model import Offer
from bot.messages import Messages
from bot.provenance import updated_line


def _offer(**fields: object) -> Offer:
    base: dict[str, object] = {
        "id": "di-dora-fle-7",
        "title": "Cours de français",
        "summary": "Apprendre le français.",
        "themes": ["fle"],
        "organisation": {"name": "Lire Ensemble (exemple)"},
        "places": [{"address": "5 place de la Victoire", "insee": "33063"}],
        "permanent_entry": True,
        "contact": {"how_to_register": "Appelez."},
        "last_updated": date(2026, 10, 1),
    }
    return Offer.model_validate(base | fields)


def test_imported_offer_names_its_source_and_date(messages: Messages) -> None:
    offer = _offer(source="data-inclusion", provider="dora")
    assert updated_line(offer, messages, "fr") == "le 1er octobre 2026 (source : dora)"
    english = updated_line(
        offer.model_copy(update={"last_updated": date(2026, 3, 14)}), messages, "en"
    )
    assert english is not None and "14" in english and "2026" in english and "dora" in english


def test_hand_written_offer_has_no_such_line(messages: Messages) -> None:
    assert updated_line(_offer(), messages, "fr") is None
