"""Cards people can read: summary first, why it fits, no jargon, about 7 lines, and for another
language than French the labels translated and a French block to show a volunteer."""

from __future__ import annotations

from bot.catalogue.gazetteer import Gazetteer, place_of
from bot.channels.telegram_render import card_html
from bot.channels.terminal import card_text
from bot.dialogue.engine import Engine
from bot.dialogue.replies import Card, Results
from bot.dialogue.state import Input
from bot.matching import Profile, Suggestion
from bot.resources import Resources
from tests.dialogue.conftest import TODAY, play

JARGON = ("HSP", "ECLA", "pass IAE", "PLIE")


def cards(engine: Engine, lang: str, need: str, travel: str = "bus") -> tuple[Card, ...]:
    turn = engine.start("beneficiary", TODAY, lang)
    turn = play(
        engine,
        turn,
        Input(choice="yes"),
        Input(text="Guéret"),
        Input(choice=need),
        *([Input(choice="in_france")] if need == "read_write" else []),
        Input(choice="age_26_49"),
        Input(choice="yes"),
        Input(choice=travel),
    )
    (results,) = [r for r in turn.replies if isinstance(r, Results)]
    assert results.cards
    return results.cards


def test_a_french_card_reads_easily(engine: Engine) -> None:
    for card in cards(engine, "fr", "read_write"):
        assert card.summary and card.summary.endswith(".")
        assert card.reason.startswith("Pour lire, écrire et compter · ")
        assert card.for_volunteer is None
        text = card_text(card)
        assert len(text.splitlines()) <= 7
        assert not any(term in text for term in JARGON)
        assert text.splitlines()[1].strip() == card.summary  # the summary right after the title


def test_an_arabic_card_has_translated_labels_and_a_french_block(
    engine: Engine, resources: Resources
) -> None:
    msg = resources.messages
    for card in cards(engine, "ar", "digital", travel="car"):
        labels = [label for label, _value in card.lines]
        assert any(msg.get("card_phone", "ar") in label for label in labels)
        assert "لاستخدام الحاسوب والهاتف" in card.reason  # why it fits, in Arabic
        assert card.for_volunteer is not None
        assert card.for_volunteer.startswith("Pour le bénévole : ")
        assert card.phone is None or card.phone in card.for_volunteer
        html = card_html(card, msg, "ar", msg.get("card_phone", "ar"))
        assert "Pour le bénévole" in html and "<i>" in html


def test_a_ukrainian_card_says_when_in_french_for_the_volunteer(engine: Engine) -> None:
    (first, *_rest) = cards(engine, "uk", "french")
    assert first.for_volunteer is not None
    assert "commence le" in first.for_volunteer or "entrée à tout moment" in first.for_volunteer


def test_a_card_kept_for_one_place_is_not_shown_for_another(
    engine: Engine, resources: Resources, gazetteer: Gazetteer
) -> None:
    """The fixed pieces of a card are kept per place of the offer: an offer with places in
    two communes shows, from each, the place the distance was measured to."""
    o = next(o for o in resources.catalogue.offers() if len({p.insee for p in o.places}) > 1)
    first, second = o.places[0], next(p for p in o.places if p.insee != o.places[0].insee)
    home = gazetteer.by_insee(first.insee)
    assert home is not None
    profile = Profile(place_of(home), tuple(o.themes[:1]))
    for lang in ("fr", "ar", "fr", "ar"):
        for p in (first, second, first):
            commune = gazetteer.by_insee(p.insee)
            assert commune is not None
            s = Suggestion(0, o, 1.0, commune.name, None, 1.0)
            card = engine.show.card(s, profile, lang, TODAY)
            assert (card.lat, card.lon) == (p.lat, p.lon)
            where = dict(card.lines)[resources.messages.get("card_where", lang)]
            assert p.address in where
            if lang != "fr":
                assert card.for_volunteer is not None and p.address in card.for_volunteer
