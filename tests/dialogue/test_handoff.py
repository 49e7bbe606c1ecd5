"""The end of the beneficiary flow in the pure engine: handoff, follow-up, and what is counted."""

from __future__ import annotations

import dataclasses

import pytest

from bot.catalogue.centres import Centres, CentresFile
from bot.dialogue.engine import Engine
from bot.dialogue.replies import Event, Handoff, PlanFollowUp, Say, Turn
from bot.dialogue.state import Input
from bot.dialogue.understand import parse_phone
from bot.resources import Resources
from tests.dialogue.conftest import TODAY, play

GROUP = -1001


@pytest.fixture(scope="module")
def grouped(resources: Resources) -> Engine:
    centres = Centres(CentresFile.model_validate({"groups": {"23": GROUP}}))
    res = dataclasses.replace(resources, centres=centres)
    return Engine(res.flows, res)


def results(engine: Engine, consent: str = "yes", lang: str = "fr") -> Turn:
    turn = engine.start("beneficiary", TODAY, lang)
    return play(
        engine,
        turn,
        Input(choice=consent),
        Input(text="Guéret"),
        Input(choice="digital"),
        Input(choice="age_26_49"),
        Input(choice="yes"),
        Input(choice="car"),
    )


@pytest.mark.parametrize(
    ("typed", "understood"),
    [
        ("06 12 34 56 78", "06 12 34 56 78"),
        ("06.12.34.56.78", "06 12 34 56 78"),
        ("+33 6 12 34 56 78", "06 12 34 56 78"),
        ("0033612345678", "06 12 34 56 78"),
        ("33612345678", "06 12 34 56 78"),  # a Telegram contact, without its "+"
        ("+44 20 7946 0958", "+442079460958"),
        ("0612", None),
        ("00 00 00 00 00", None),
        ("bonjour", None),
        ("", None),
    ],
)
def test_phone_numbers(typed: str, understood: str | None) -> None:
    assert parse_phone(typed) == understood


def test_handoff_carries_the_summary_then_forgets_the_number(grouped: Engine) -> None:
    turn = play(
        grouped,
        results(grouped),
        Input(choice="continue"),
        Input(choice="contact"),
        Input(choice="yes"),
        Input(text="0612345678"),
        Input(choice="afternoon"),
    )
    (handoff,) = [r for r in turn.replies if isinstance(r, Handoff)]
    assert handoff.group_chat_id == GROUP and handoff.department == "23"
    assert handoff.phone == "06 12 34 56 78"
    lines = dict(handoff.lines)
    assert lines["Commune"] == "Guéret (Creuse)" and lines["Disponibilité"] == "L'après-midi"
    assert lines["Besoin"] == "Ordinateur et téléphone" and lines["Langue"] == "français"
    assert "Idée proposée" in lines
    assert "0612345678" not in turn.state.to_json() and "06 12" not in turn.state.to_json()
    assert Event("handoff_asked", value="group") in turn.events
    assert turn.state.step == "followup_offer"
    planned = play(grouped, turn, Input(choice="yes"))
    assert PlanFollowUp(14) in planned.replies and planned.state.done


def test_without_a_group_the_number_is_never_asked(engine: Engine) -> None:
    turn = play(engine, results(engine), Input(choice="continue"), Input(choice="contact"))
    (handoff,) = [r for r in turn.replies if isinstance(r, Handoff)]
    assert handoff.group_chat_id is None
    said = [r.text for r in turn.replies if isinstance(r, Say)]
    assert any("Centre des Restos du Cœur de Guéret (exemple)" in t for t in said)
    assert "phone" not in turn.state.history


def test_keep_nothing_gets_the_centre_and_no_follow_up(grouped: Engine) -> None:
    turn = play(
        grouped, results(grouped, "only_now"), Input(choice="continue"), Input(choice="contact")
    )
    (handoff,) = [r for r in turn.replies if isinstance(r, Handoff)]
    assert handoff.group_chat_id is None and turn.state.done  # straight to "merci"
    assert not turn.state.keep


def test_events_start_at_consent_and_name_no_answer(engine: Engine) -> None:
    first = engine.start("beneficiary", TODAY, "fr")
    assert first.events == (Event("step", step="consent"),)  # the channel keeps nothing yet
    consent = engine.handle(first.state, Input(choice="yes"), TODAY)
    assert consent.events == (Event("started"), Event("step", step="where"))
    again = engine.handle(consent.state, Input(text="nulle part du tout"), TODAY)
    assert again.events == ()  # asked again: not a new step reached
    shown = results(engine)
    suggested = [e for e in shown.events if e.name == "suggested"]
    assert suggested and all(e.offer and e.theme == "numerique" for e in suggested)


def test_the_follow_up_asks_then_counts_the_answers(engine: Engine) -> None:
    done = play(engine, results(engine), Input(choice="continue"), Input(choice="summary"))
    done = play(engine, done, Input(choice="ok"), Input(choice="yes"))
    assert done.state.done
    turn = engine.follow_up(done.state, TODAY)
    assert turn is not None and turn.state.step == "followup" and not turn.state.done
    assert turn.events[0] == Event("followup_sent")
    why = engine.handle(turn.state, Input(choice="no"), TODAY)
    assert Event("answer", step="followup", value="no") in why.events
    end = engine.handle(why.state, Input(choice="hours"), TODAY)
    assert Event("answer", step="followup_why", value="hours") in end.events
    assert end.state.done
