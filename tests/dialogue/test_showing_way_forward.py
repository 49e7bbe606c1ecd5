"""An empty result is never a bare "nothing found": registering, the centre, a volunteer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.catalogue.centres import Centre, Centres, CentresFile
from bot.catalogue.gazetteer import Gazetteer, place_of
from bot.dialogue.way_forward import way_forward
from bot.matching import Matcher, Profile, Travel
from bot.messages import Messages
from tests.conftest import TODAY, offer

Build = Callable[[list[dict[str, Any]]], Matcher]
ANGOULEME = "16015"
CENTRES = Centres(
    CentresFile(
        centres={"angouleme": Centre(name="Centre test", department="16", address="1 rue Test")}
    )
)


def young_not_registered(g: Gazetteer, **changes: Any) -> Profile:
    commune = g.by_insee(ANGOULEME)
    assert commune is not None
    base: dict[str, Any] = {"age": 19, "jobseeker": False, "radius_km": 25, "travel": Travel.BUS}
    return Profile(place_of(commune), ("pre_qualification",), **{**base, **changes})


def trade(**changes: Any) -> dict[str, Any]:
    base = {
        "themes": ["pre_qualification"],
        "eligibility": {"jobseeker_required": True},
        "places": [{"address": "1 rue", "insee": ANGOULEME}],
    }
    return offer(**{**base, **changes})


def test_registering_opens_offers_named_with_how_to_register(
    matcher_for: Build, gazetteer: Gazetteer, messages: Messages
) -> None:
    m = matcher_for([trade(id="cuisine", title="Apprendre la cuisine")])
    profile = young_not_registered(gazetteer)
    assert not m.suggest(profile, TODAY).suggestions  # the person sees nothing as they are
    text = way_forward(profile, m, CENTRES, messages, "fr", TODAY)
    assert "Si vous vous inscrivez à France Travail" in text
    assert "« Apprendre la cuisine »" in text and "francetravail.fr" in text
    assert "Mission locale" in text  # 19 years old
    assert "Centre test" in text and "1 rue Test" in text
    assert "Un bénévole m'appelle" in text


def test_no_registration_line_when_it_would_open_nothing(
    matcher_for: Build, gazetteer: Gazetteer, messages: Messages
) -> None:
    m = matcher_for([trade(id="cuisine", eligibility={"jobseeker_required": True, "age_min": 30})])
    text = way_forward(young_not_registered(gazetteer), m, CENTRES, messages, "en", TODAY)
    assert "France Travail" not in text
    assert "Mission locale" in text and "Continue" in text


def test_over_26_from_home_without_a_centre(
    matcher_for: Build, gazetteer: Gazetteer, messages: Messages
) -> None:
    m = matcher_for([trade(id="cuisine")])
    profile = young_not_registered(gazetteer, age=40, jobseeker=None, travel=Travel.HOME)
    text = way_forward(profile, m, Centres(), messages, "fr", TODAY)
    assert "Mission locale" not in text and "France Travail" not in text
    assert "/retour" in text  # moving would open the on-site offers
    assert "Restos du Cœur près de chez vous" in text
