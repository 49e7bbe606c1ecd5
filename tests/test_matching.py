from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from bot.catalogue.gazetteer import Gazetteer, Place, place_of
from bot.catalogue.model import Theme
from bot.matching import TRAVEL_REACH_KM, Matcher, Profile, Travel, Widening
from bot.messages import Messages
from bot.reasons import reason, widening_note
from tests.conftest import TODAY, offer

Build = Callable[[list[dict[str, Any]]], Matcher]

GUERET = "23096"
AUBUSSON = "23008"  # about 35 km from Guéret
LA_SOUTERRAINE = "23176"  # about 31 km
LIMOGES = "87085"  # about 80 km, another department
BORDEAUX = "33063"


def at(insee: str) -> list[dict[str, str]]:
    return [{"address": "1 place de la Mairie", "insee": insee}]


def place(g: Gazetteer, insee: str) -> Place:
    commune = g.by_insee(insee)
    assert commune is not None
    return place_of(commune)


def ids(result: Any) -> list[str]:
    return [s.offer.id for s in result.suggestions]


def test_distance_orders_results(matcher_for: Build, gazetteer: Gazetteer) -> None:
    m = matcher_for(
        [
            offer(id="far", places=at(AUBUSSON)),
            offer(id="near", places=at(GUERET)),
            offer(id="middle", places=at(LA_SOUTERRAINE)),
        ]
    )
    result = m.suggest(Profile(place(gazetteer, GUERET), ("savoirs_de_base",), radius_km=50), TODAY)
    assert ids(result) == ["near", "middle", "far"]
    assert result.widened is Widening.NONE
    distances = [s.distance_km for s in result.suggestions]
    assert distances[0] is not None and distances[0] < 1


@pytest.mark.parametrize(
    ("changes", "profile_changes"),
    [
        ({"eligibility": {"age_min": 26}}, {"age": 20}),
        ({"eligibility": {"age_max": 25}}, {"age": 40}),
        ({"eligibility": {"jobseeker_required": True}}, {"jobseeker": False}),
        ({"eligibility": {"rsa_only": True}}, {"rsa": False}),
        ({"sessions": [{"start": "2026-10-01", "end": "2027-01-01"}]}, {}),  # already started
        ({"sessions": [{"start": "2027-01-10", "registration": "closed"}]}, {}),
        ({"sessions": [{"start": "2026-01-10", "end": "2026-03-01"}]}, {}),  # over
    ],
)
def test_ineligible_offers_never_show(
    matcher_for: Build,
    gazetteer: Gazetteer,
    changes: dict[str, Any],
    profile_changes: dict[str, Any],
) -> None:
    m = matcher_for([offer(id="ok-1"), offer(id="excluded", **changes)])
    profile = Profile(place(gazetteer, GUERET), ("savoirs_de_base",), **profile_changes)
    result = m.suggest(profile, TODAY, limit=10)
    assert ids(result) == ["ok-1"]
    # and it is never reached by widening either
    assert "excluded" not in ids(m.suggest(profile, TODAY, limit=10))


def test_unknown_situation_does_not_exclude(matcher_for: Build, gazetteer: Gazetteer) -> None:
    m = matcher_for([offer(id="for-jobseekers", eligibility={"jobseeker_required": True})])
    result = m.suggest(Profile(place(gazetteer, GUERET), ("savoirs_de_base",)), TODAY)
    assert ids(result) == ["for-jobseekers"]


def test_permanent_entry_running_offer_can_be_joined(
    matcher_for: Build, gazetteer: Gazetteer
) -> None:
    m = matcher_for(
        [
            offer(
                id="running",
                permanent_entry=True,
                sessions=[{"start": "2026-09-01", "end": "2027-06-30"}],
            )
        ]
    )
    (s,) = m.suggest(Profile(place(gazetteer, GUERET), ("savoirs_de_base",)), TODAY).suggestions
    assert s.start is None


def test_theme_fit_beats_a_little_distance(matcher_for: Build, gazetteer: Gazetteer) -> None:
    m = matcher_for(
        [
            offer(id="second-need", themes=["numerique"], places=at(GUERET)),
            offer(id="first-need", themes=["fle"], places=at(LA_SOUTERRAINE)),
        ]
    )
    profile = Profile(place(gazetteer, GUERET), ("fle", "numerique"), radius_km=40)
    assert ids(m.suggest(profile, TODAY)) == ["first-need", "second-need"]


def test_other_themes_do_not_show(matcher_for: Build, gazetteer: Gazetteer) -> None:
    m = matcher_for([offer(id="fle-1", themes=["fle"]), offer(id="sdb")])
    assert ids(m.suggest(Profile(place(gazetteer, GUERET), ("fle",)), TODAY)) == ["fle-1"]


def test_widening_goes_further_first(
    matcher_for: Build, gazetteer: Gazetteer, messages: Messages
) -> None:
    m = matcher_for([offer(id="aubusson", places=at(AUBUSSON))])
    result = m.suggest(Profile(place(gazetteer, GUERET), ("savoirs_de_base",), radius_km=10), TODAY)
    assert ids(result) == ["aubusson"]
    assert result.widened is Widening.FURTHER
    assert result.radius_km == 40
    assert widening_note(result, messages) == (
        "Rien à moins de 10 km. Voici des offres jusqu'à 40 km.\n"
        "C'est loin pour vous. Un bénévole peut vous aider à trouver comment y aller. "
        "Touchez « Continuer », puis « Un bénévole m'appelle »."
    )


def test_widening_reaches_the_region(
    matcher_for: Build, gazetteer: Gazetteer, messages: Messages
) -> None:
    m = matcher_for([offer(id="bordeaux", places=at(BORDEAUX))])
    result = m.suggest(Profile(place(gazetteer, GUERET), ("savoirs_de_base",)), TODAY)
    assert ids(result) == ["bordeaux"]
    assert result.widened is Widening.REGION
    assert widening_note(result, messages) is not None


def test_widening_to_the_department_before_the_region(
    matcher_for: Build, gazetteer: Gazetteer
) -> None:
    # Mont-de-Marsan is more than 120 km from Bayonne's neighbour Hendaye? use Landes: Mimizan
    m = matcher_for(
        [
            offer(id="landes", places=at("40184")),  # Mimizan, same department as Mont-de-Marsan
            offer(id="gironde", places=at(BORDEAUX)),
        ]
    )
    profile = Profile(place(gazetteer, "40192"), ("savoirs_de_base",), radius_km=5)
    result = m.suggest(profile, TODAY, limit=1)
    assert result.widened in (Widening.FURTHER, Widening.DEPARTMENT)
    assert ids(result) == ["landes"]


def test_remote_offers_count_as_near_and_prevent_no_result(
    matcher_for: Build, gazetteer: Gazetteer, messages: Messages
) -> None:
    m = matcher_for(
        [offer(id="remote", mode="remote", places=[], permanent_entry=True, sessions=[])]
    )
    result = m.suggest(Profile(place(gazetteer, GUERET), ("savoirs_de_base",)), TODAY)
    (s,) = result.suggestions
    assert s.remote and s.distance_km is None
    assert reason(s, "Guéret", messages, TODAY) == (
        "À distance, depuis chez vous · gratuit · entrée à tout moment"
    )


def test_reason_reads_like_the_example(
    matcher_for: Build, gazetteer: Gazetteer, messages: Messages
) -> None:
    m = matcher_for(
        [offer(id="a-1", places=at(LA_SOUTERRAINE), sessions=[{"start": "2027-02-03"}])]
    )
    (s,) = m.suggest(
        Profile(place(gazetteer, GUERET), ("savoirs_de_base",), radius_km=40), TODAY
    ).suggestions
    assert (
        reason(s, "Guéret", messages, TODAY)
        == "À 31 km de Guéret · gratuit · commence le 3 février"
    )


def test_reason_first_of_month_and_same_town(
    matcher_for: Build, gazetteer: Gazetteer, messages: Messages
) -> None:
    m = matcher_for([offer(id="a-1", sessions=[{"start": "2027-03-01"}])])
    (s,) = m.suggest(Profile(place(gazetteer, GUERET), ("savoirs_de_base",)), TODAY).suggestions
    assert reason(s, "Guéret", messages, TODAY) == "À Guéret · gratuit · commence le 1er mars"


def test_sooner_start_wins_at_equal_distance(matcher_for: Build, gazetteer: Gazetteer) -> None:
    m = matcher_for(
        [
            offer(id="later", sessions=[{"start": "2027-05-01"}]),
            offer(id="sooner", sessions=[{"start": "2026-12-10"}]),
        ]
    )
    result = m.suggest(Profile(place(gazetteer, GUERET), ("savoirs_de_base",)), TODAY)
    assert ids(result) == ["sooner", "later"]


def test_limit_and_one_result_per_offer(matcher_for: Build, gazetteer: Gazetteer) -> None:
    many = [offer(id=f"o-{i}") for i in range(6)]
    many.append(offer(id="two-places", places=at(GUERET) + at(LA_SOUTERRAINE)))
    m = matcher_for(many)
    result = m.suggest(Profile(place(gazetteer, GUERET), ("savoirs_de_base",)), TODAY, limit=20)
    assert sorted(ids(result)) == sorted([f"o-{i}" for i in range(6)] + ["two-places"])
    assert (
        len(
            m.suggest(
                Profile(place(gazetteer, GUERET), ("savoirs_de_base",)), TODAY, limit=3
            ).suggestions
        )
        == 3
    )


def test_nothing_anywhere_is_an_empty_result(matcher_for: Build, gazetteer: Gazetteer) -> None:
    m = matcher_for([offer(id="fle-1", themes=["fle"])])
    result = m.suggest(Profile(place(gazetteer, GUERET), ("iae",)), date(2026, 11, 26))
    assert result.suggestions == ()


# -- travel: the reach of each way of getting around ------------------------------------------

REMOTE = {"mode": "remote", "places": [], "permanent_entry": True, "sessions": []}


def travelling(g: Gazetteer, travel: Travel, *themes: Theme) -> Profile:
    return Profile(
        place(g, GUERET),
        themes or ("projet_pro",),
        radius_km=TRAVEL_REACH_KM[travel],
        travel=travel,
    )


def test_by_car_an_on_site_offer_in_reach_comes_before_a_remote_one(
    matcher_for: Build, gazetteer: Gazetteer
) -> None:
    m = matcher_for(
        [
            offer(id="remote", themes=["projet_pro"], **REMOTE),
            offer(id="souterraine", themes=["projet_pro"], places=at(LA_SOUTERRAINE)),
        ]
    )
    result = m.suggest(travelling(gazetteer, Travel.CAR), TODAY)
    assert ids(result) == ["souterraine", "remote"]
    assert not result.suggestions[0].beyond_reach


def test_from_home_only_remote_offers_and_no_widening(
    matcher_for: Build, gazetteer: Gazetteer
) -> None:
    m = matcher_for(
        [
            offer(id="here", themes=["projet_pro"]),  # in Guéret itself
            offer(id="remote", themes=["projet_pro"], **REMOTE),
        ]
    )
    result = m.suggest(travelling(gazetteer, Travel.HOME), TODAY)
    assert ids(result) == ["remote"]
    assert result.widened is Widening.NONE


def test_on_foot_a_far_offer_is_marked_beyond_reach_after_a_remote_one(
    matcher_for: Build, gazetteer: Gazetteer, messages: Messages
) -> None:
    m = matcher_for(
        [
            offer(id="aubusson", themes=["projet_pro"], places=at(AUBUSSON)),
            offer(id="remote", themes=["projet_pro"], **REMOTE),
        ]
    )
    profile = travelling(gazetteer, Travel.WALK)
    result = m.suggest(profile, TODAY)
    assert ids(result) == ["remote", "aubusson"]
    far = result.suggestions[1]
    assert far.beyond_reach
    text = reason(far, "Guéret", messages, TODAY, need=profile.themes, travel=Travel.WALK)
    assert "C'est à 33 km. C'est loin à pied." in text
    assert "bénévole" in (widening_note(result, messages) or "")


def test_reading_need_out_of_reach_gets_no_remote_course(
    matcher_for: Build, gazetteer: Gazetteer
) -> None:
    m = matcher_for(
        [
            offer(id="aubusson", themes=["alphabetisation"], places=at(AUBUSSON)),
            offer(id="remote", themes=["alphabetisation"], **REMOTE),
        ]
    )
    result = m.suggest(travelling(gazetteer, Travel.WALK, "alphabetisation"), TODAY)
    assert ids(result) == ["aubusson"]


def test_reason_says_why_and_how(
    matcher_for: Build, gazetteer: Gazetteer, messages: Messages
) -> None:
    m = matcher_for(
        [offer(id="a-1", places=at(LA_SOUTERRAINE), sessions=[{"start": "2027-01-14"}])]
    )
    profile = travelling(gazetteer, Travel.CAR, "savoirs_de_base")
    (s,) = m.suggest(profile, TODAY).suggestions
    assert reason(s, "Guéret", messages, TODAY, need=profile.themes, travel=Travel.CAR) == (
        "Pour lire, écrire et compter · À 31 km de Guéret, en voiture · gratuit · "
        "commence le 14 janvier"
    )
