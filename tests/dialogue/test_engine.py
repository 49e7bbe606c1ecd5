from __future__ import annotations

from bot.dialogue.engine import Engine
from bot.dialogue.replies import Ask, Results, Say, Turn
from bot.dialogue.state import Input, State
from tests.dialogue.conftest import TODAY, play


def to_need(engine: Engine) -> Turn:
    turn = engine.start("beneficiary", TODAY, "fr")
    return play(engine, turn, Input(choice="yes"), Input(text="Guéret"))


def test_state_is_small_serialisable_json(engine: Engine) -> None:
    turn = to_need(engine)
    text = turn.state.to_json()
    assert len(text) < 400
    again = State.from_json(text)
    assert again == turn.state
    assert engine.handle(again, Input(choice="french"), TODAY).state.step == "age"


def test_a_stale_button_is_refused_and_the_question_asked_again(engine: Engine) -> None:
    turn = to_need(engine)
    stale = engine.handle(turn.state, Input(choice="yes", step="consent"), TODAY)
    assert isinstance(stale.replies[0], Say)
    assert stale.replies[0].text == "Ce bouton n'est plus valable."
    last = stale.replies[-1]
    assert isinstance(last, Ask) and last.step == "need"
    assert stale.state.answers == turn.state.answers


def test_help_is_the_step_help(engine: Engine) -> None:
    turn = engine.handle(to_need(engine).state, Input(text="/aide"), TODAY)
    assert isinstance(turn.replies[0], Say)
    assert turn.replies[0].text.startswith("Choisissez un bouton. Vous pouvez aussi écrire")
    assert turn.state.step == "need"


def test_stop_then_any_message_starts_again(engine: Engine) -> None:
    stopped = engine.handle(to_need(engine).state, Input(command="stop"), TODAY)
    assert stopped.state.done and stopped.expects is None
    again = engine.handle(stopped.state, Input(text="bonjour"), TODAY)
    assert not again.state.done and again.state.step == "where"  # consent given is remembered
    assert again.state.answers == {"consent": "yes"}


def test_preset_department_settles_homonyms(engine: Engine) -> None:
    turn = engine.start("beneficiary", TODAY, "fr", context={"department": "87"})
    turn = play(engine, turn, Input(choice="yes"), Input(text="Saint-Paul"))
    assert turn.state.step == "need"
    assert turn.state.answers["where"]["insee"] == "87174"  # type: ignore[index]


def test_homonyms_without_context_ask_which(engine: Engine) -> None:
    turn = play(
        engine,
        engine.start("beneficiary", TODAY, "fr"),
        Input(choice="yes"),
        Input(text="Saint-Paul"),
    )
    ask = turn.replies[-1]
    assert isinstance(ask, Ask) and ask.text == "Plusieurs communes ont ce nom. Laquelle ?"
    labels = [o.label for o in ask.options]
    assert "Saint-Paul (Corrèze)" in labels and labels[-1] == "Une autre commune"
    chosen = engine.handle(turn.state, Input(choice="19235", step="where"), TODAY)
    assert chosen.state.answers["where"]["department"] == "19"  # type: ignore[index]


def test_shared_location_resolves(engine: Engine) -> None:
    turn = play(
        engine,
        engine.start("beneficiary", TODAY, "fr"),
        Input(choice="yes"),
        Input(location=(46.17, 1.87)),
    )
    assert turn.state.answers["where"]["name"] == "Guéret"  # type: ignore[index]


def test_results_are_cards_with_reasons(engine: Engine) -> None:
    turn = play(
        engine,
        to_need(engine),
        Input(choice="french"),
        Input(choice="age_26_49"),
        Input(choice="yes"),
        Input(choice="car"),
    )
    results = next(r for r in turn.replies if isinstance(r, Results))
    assert 1 <= len(results.cards) <= 3
    card = results.cards[0]
    assert "fle" in card.themes and "gratuit" in card.reason
    labels = [label for label, _ in card.lines]
    assert "Téléphone" in labels and "Pour s'inscrire" in labels
    assert card.summary and 3 + len(card.lines) <= 7  # title, summary, reason: about 7 lines
    assert card.for_volunteer is None  # French: no block to translate for a volunteer
    assert turn.state.answers["results"] == [c.offer_id for c in results.cards]


def test_a_state_from_an_older_flow_version_keeps_what_fits(engine: Engine) -> None:
    old = to_need(engine).state.model_copy(
        update={
            "version": 0,
            "step": "removed_step",
            "answers": {
                "where": {"name": "Guéret", "lat": 46.17, "lon": 1.87, "department": "23"},
                "gone": "x",
            },
        }
    )
    turn = engine.handle(old, Input(text="/aide"), TODAY)
    assert turn.state.version == 2 and "gone" not in turn.state.answers
    assert turn.state.step in engine.flows["beneficiary"].step_ids()


def test_an_unknown_flow_starts_the_default_one(engine: Engine) -> None:
    ghost = State(flow="ghost", version=1, step="x")
    turn = engine.handle(ghost, Input(text="bonjour"), TODAY)
    assert turn.state.flow in engine.flows and isinstance(turn.replies[-1], Ask)
