"""Typed answers on a small test flow: ages as numbers, "je ne sais pas", greetings, needs in
five languages, departments, two misses, and "see more" only when more exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.dialogue.engine import Engine
from bot.dialogue.flow import load_flow
from bot.dialogue.profile import build_profile, place_answer
from bot.dialogue.replies import Ask, Say, Turn
from bot.dialogue.state import Input, State, exact_answer
from bot.messages import Messages
from bot.resources import Resources
from tests.dialogue.conftest import TODAY, play

FLOW = """
id: test
version: 1
audience: beneficiary
languages: [fr]
title: {fr: "Test"}
start: where
steps:
  - id: where
    kind: place
    text: {fr: "Q-where"}
    next: need
  - id: need
    kind: choice
    text: {fr: "Q-need"}
    choices:
      - {id: letters, emoji: "1️⃣", label: {fr: "L-one"}, data: {themes: [savoirs_de_base]}}
      - {id: words, emoji: "2️⃣", label: {fr: "L-two"}, data: {themes: [fle]}}
      - {id: screens, emoji: "3️⃣", label: {fr: "L-three"}, data: {themes: [numerique]}}
      - {id: trade, emoji: "4️⃣", label: {fr: "L-four"}, data: {themes: [pre_qualification]}}
      - {id: support, emoji: "5️⃣", label: {fr: "L-five"}, data: {themes: [iae]}}
      - {id: job, emoji: "6️⃣", label: {fr: "L-six"}, data: {themes: [projet_pro]}}
      - {id: unsure, emoji: "7️⃣", label: {fr: "L-seven"}, data: {dont_know: true}}
    next: age
  - id: age
    kind: choice
    text: {fr: "Q-age"}
    choices:
      - {id: young, emoji: "1️⃣", label: {fr: "L-young"}, data: {age: 16, ages: [16, 17]}}
      - {id: adult, emoji: "2️⃣", label: {fr: "L-adult"}, data: {age: 20, ages: [18, 25]}}
      - {id: middle, emoji: "3️⃣", label: {fr: "L-middle"}, data: {age: 35, ages: [26, 49]}}
      - {id: older, emoji: "4️⃣", label: {fr: "L-older"}, data: {age: 55, ages: [50, 120]}}
      - {id: skip, emoji: "5️⃣", label: {fr: "L-skip"}, data: {dont_know: true}}
    next: results
  - id: results
    kind: results
    text: {fr: "Q-results"}
    themes:
      - themes_from: need
    next: bye
  - id: bye
    kind: info
    text: {fr: "T-bye"}
"""


@pytest.fixture(scope="module")
def small(resources: Resources, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    path: Path = tmp_path_factory.mktemp("flows") / "test.yaml"
    path.write_text(FLOW, encoding="utf-8")
    flow, _ = load_flow(path)
    return Engine({flow.id: flow}, resources)


def at(engine: Engine, step: str) -> Turn:
    turn = engine.start("test", TODAY, "fr")
    inputs = {"where": [], "need": [Input(text="Guéret")]}
    inputs["age"] = [*inputs["need"], Input(choice="words")]
    return play(engine, turn, *inputs[step])


def texts(turn: Turn) -> list[str]:
    return [r.text for r in turn.replies if isinstance(r, Say | Ask)]


def last_ask(turn: Turn) -> Ask:
    ask = turn.replies[-1]
    assert isinstance(ask, Ask)
    return ask


# -- ages typed as numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "band", "age"),
    [
        ("19", "adult", 19),
        ("19 ans", "adult", 19),
        ("j'ai 19 ans", "adult", 19),
        ("I am 19", "adult", 19),
        ("١٩", "adult", 19),
        ("۱۹", "adult", 19),
        ("мені 19 років", "adult", 19),
        ("35 ans", "middle", 35),
        ("16", "young", 16),
        ("j'ai 62 ans", "older", 62),
    ],
)
def test_an_age_typed_picks_its_band_and_keeps_the_age(
    small: Engine, text: str, band: str, age: int
) -> None:
    turn = engine_answer(small, "age", text)
    assert turn.state.step != "age"
    assert turn.state.answers["age"] == band
    assert exact_answer(turn.state.answers, "age") == age
    assert not any("?" in t and "L-" in t for t in texts(turn))  # no "Vouliez-vous dire"


def engine_answer(engine: Engine, step: str, text: str) -> Turn:
    return engine.handle(at(engine, step).state, Input(text=text), TODAY)


def test_a_button_number_is_still_a_button_and_drops_a_typed_age(small: Engine) -> None:
    typed = engine_answer(small, "age", "19")
    turn = small.handle(typed.state, Input(command="back"), TODAY)
    turn = small.handle(turn.state, Input(text="3"), TODAY)
    assert turn.state.answers["age"] == "middle"
    assert exact_answer(turn.state.answers, "age") is None


def test_an_age_outside_every_band_is_asked_again(small: Engine, messages: Messages) -> None:
    turn = engine_answer(small, "age", "j'ai 12 ans")
    assert turn.state.step == "age" and "age" not in turn.state.answers
    assert messages.get("age_out_of_range") in texts(turn)


def test_the_exact_age_survives_a_new_version_of_the_flow(small: Engine) -> None:
    state = engine_answer(small, "age", "19").state.model_copy(update={"version": 0})
    migrated = small._migrate(small.flows["test"], state)
    assert exact_answer(migrated.answers, "age") == 19


# -- "je ne sais pas" --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        *("jsp", "je sais pas", "je ne sais pas", "chais pas", "idk", "I don't know"),
        *("не знаю", "نمی دانم", "نمی‌دانم", "لا أعرف"),
    ],
)
@pytest.mark.parametrize(("step", "choice"), [("need", "unsure"), ("age", "skip")])
def test_i_dont_know_is_the_skip_choice(small: Engine, step: str, choice: str, text: str) -> None:
    turn = engine_answer(small, step, text)
    assert turn.state.answers.get(step) == choice, texts(turn)


def test_the_same_guess_twice_is_taken_never_asked_again(small: Engine) -> None:
    first = engine_answer(small, "need", "three")
    assert first.state.pending is not None and first.state.pending.kind == "confirm"
    again = small.handle(first.state, Input(text="three"), TODAY)
    assert again.state.answers["need"] == "screens" and again.state.step == "age"


# -- typed needs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("travailler dans un jardin", "support"),
        ("computer", "screens"),
        ("كمبيوتر", "screens"),
        ("زبان فرانسه", "words"),
        ("أريد تعلم اللغة الفرنسية", "words"),
        ("робота", "job"),
        ("garden", "support"),
        ("комп'ютер", "screens"),
    ],
)
def test_typed_needs_in_five_languages(small: Engine, text: str, choice: str) -> None:
    turn = engine_answer(small, "need", text)
    pending = turn.state.pending
    assert pending is not None and pending.value == choice, texts(turn)
    yes = small.handle(turn.state, Input(text="oui"), TODAY)
    assert yes.state.answers["need"] == choice


@pytest.mark.parametrize("text", ["apprendre à conduire", "permis de conduire", "qwerty"])
def test_a_need_no_theme_answers_gets_the_buttons(
    small: Engine, messages: Messages, text: str
) -> None:
    turn = engine_answer(small, "need", text)
    assert turn.state.pending is None and turn.state.step == "need"
    assert messages.get("not_understood") in texts(turn)
    assert len(last_ask(turn).options) == 7


# -- greetings, misses -------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["bonjour", "Salut !", "hello", "مرحبا", "привіт", "سلام"])
@pytest.mark.parametrize("step", ["where", "need", "age"])
def test_a_greeting_gets_the_question_again(
    small: Engine, messages: Messages, step: str, text: str
) -> None:
    turn = engine_answer(small, step, text)
    assert turn.state.step == step and turn.state.misses == 0 and turn.state.pending is None
    assert messages.get("greeting_back") in texts(turn)
    assert messages.get("not_understood") not in texts(turn)
    assert last_ask(turn).step == step


def test_two_misses_offer_a_volunteer_and_never_loop(small: Engine, messages: Messages) -> None:
    offer = messages.get("miss_volunteer")
    turn = engine_answer(small, "age", "blabla")
    assert not any(offer in t for t in texts(turn))
    for _ in range(3):
        turn = small.handle(turn.state, Input(text="blibli"), TODAY)
        assert any(offer in t for t in texts(turn))
        assert "Guéret" in "".join(texts(turn))  # how to reach the nearest centre
        assert last_ask(turn).step == "age" and len(last_ask(turn).options) == 5
    answered = small.handle(turn.state, Input(text="2"), TODAY)
    assert answered.state.step != "age" and answered.state.misses == 0


# -- places: departments -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "department", "first"),
    [
        ("Creuse", "23", "Guéret"),
        ("Haute-Vienne", "87", "Limoges"),
        ("la Gironde", "33", "Bordeaux"),
        ("Dordogne", "24", "Périgueux"),
        ("Pyrénées-Atlantiques", "64", "Pau"),
        ("64", "64", "Pau"),
    ],
)
def test_a_department_asks_for_the_commune(
    small: Engine, text: str, department: str, first: str
) -> None:
    turn = small.handle(at(small, "where").state, Input(text=text), TODAY)
    assert turn.state.step == "where" and turn.state.context["department"] == department
    ask = last_ask(turn)
    assert ask.options[0].label == first and ask.options[-1].id == "other"
    chosen = small.handle(turn.state, Input(text="1"), TODAY)
    assert chosen.state.answers["where"]["name"] == first  # type: ignore[index]


def test_an_unknown_commune_twice_asks_the_department(small: Engine, messages: Messages) -> None:
    turn = play(small, at(small, "where"), Input(text="zzkkq"), Input(text="qqwwzz"))
    assert turn.state.pending is not None and turn.state.pending.kind == "department"
    assert any(messages.get("miss_volunteer") in t for t in texts(turn))
    assert len(last_ask(turn).options) == 12
    towns = small.handle(turn.state, Input(choice="dep_23"), TODAY)
    assert last_ask(towns).options[0].label == "Guéret"
    typed = small.handle(turn.state, Input(text="Haute Vienne"), TODAY)
    assert last_ask(typed).options[0].label == "Limoges"


# -- results: "see more" only when more exists --------------------------------------------------


def test_see_more_only_when_more_exists(small: Engine) -> None:
    turn = small.handle(at(small, "age").state, Input(text="19"), TODAY)
    options = [o.id for o in last_ask(turn).options]
    assert turn.state.more == ("more" in options)
    state: State = turn.state.model_copy(update={"more": False})
    typed = small.handle(state, Input(text="Voir plus"), TODAY)
    assert typed.state.page == 0
    assert "more" not in [o.id for o in last_ask(typed).options]


def test_every_question_not_strictly_needed_has_a_dont_know(resources: Resources) -> None:
    flow = resources.flows["beneficiary"]
    needed = {"language", "consent"}  # settings; the place is typed, the need has "unsure"
    before_results = flow.steps[: flow.step_ids().index("results")]
    asked = [s for s in before_results if s.choices and s.id not in needed]
    assert [s.id for s in asked] == [
        *("need", "school", "speaks_french", "age", "jobseeker", "mobility"),
    ]
    for step in asked:
        assert any(c.data.dont_know for c in step.choices), step.id


@pytest.mark.parametrize(("answer", "age"), [(Input(text="19"), 19), (Input(choice="adult"), 20)])
def test_the_profile_takes_the_exact_age_over_the_band(
    small: Engine, answer: Input, age: int
) -> None:
    turn = small.handle(at(small, "age").state, answer, TODAY)
    flow = small.flows["test"]
    place = place_answer(flow, turn.state)
    assert place is not None
    profile = build_profile(flow, flow.step("results"), turn.state, place)
    assert profile.age == age
