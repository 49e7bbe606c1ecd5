"""From a conversation's answers to the matcher's profile, and to readable answers."""

from __future__ import annotations

from typing import Any

from bot.catalogue.gazetteer import Place
from bot.catalogue.model import Theme
from bot.dialogue.flow import ChoiceData, Flow, Kind, Step, ThemeRule
from bot.dialogue.state import Answer, State, exact_answer
from bot.matching import DEFAULT_RADIUS_KM, TRAVEL_REACH_KM, Profile, Travel


def matches(when: dict[str, str | list[str]], answers: dict[str, Answer]) -> bool:
    """Every key's answer is one of the accepted choice ids (a list answer: any of them)."""
    for key, accepted in when.items():
        given = answers.get(key)
        if isinstance(accepted, str):
            if not (given == accepted or (isinstance(given, list) and accepted in given)):
                return False
        elif isinstance(given, list):
            if not any(g in accepted for g in given):
                return False
        elif given not in accepted:
            return False
    return True


def chosen_data(flow: Flow, state: State) -> list[ChoiceData]:
    """The data of every choice made, in the order the steps were answered (at one step of
    several choices, in the step's order)."""
    out: list[ChoiceData] = []
    answers = state.answers
    by_step = flow.choice_by_id
    for step_id in dict.fromkeys([*state.history, *answers]):
        choices = by_step.get(step_id)
        if choices is None:  # a step without choices (or gone from the flow)
            continue
        answer = answers.get(step_id)
        if isinstance(answer, list):
            out.extend(c.data for c in choices.values() if c.id in answer)
        elif isinstance(answer, str) and (choice := choices.get(answer)) is not None:
            out.append(choice.data)
    return out


def themes_for(rules: list[ThemeRule], flow: Flow, state: State) -> tuple[Theme, ...]:
    for rule in rules:
        if not matches(rule.when, state.answers):
            continue
        if rule.themes:
            return tuple(rule.themes)
        choices = flow.choice_by_id.get(rule.themes_from or "")
        if choices is not None:
            answer = state.answers.get(rule.themes_from or "")
            ids = answer if isinstance(answer, list) else [answer]
            themes = [t for c in choices.values() if c.id in ids for t in c.data.themes]
            if themes:
                return tuple(dict.fromkeys(themes))
    return ()


def place_answer(flow: Flow, state: State) -> Place | None:
    for step in flow.steps:
        value = state.answers.get(step.id)
        if step.kind is Kind.PLACE and isinstance(value, dict):
            return Place(
                value["name"], value["lat"], value["lon"], value["department"], value.get("insee")
            )
    return None


def build_profile(flow: Flow, step: Step, state: State, place: Place) -> Profile:
    age: int | None = None
    radius = DEFAULT_RADIUS_KM
    jobseeker: bool | None = None
    rsa: bool | None = None
    travel: Travel | None = None
    for data in chosen_data(flow, state):
        age = data.age if data.age is not None else age
        if data.travel is not None:
            travel = Travel(data.travel)
            radius = TRAVEL_REACH_KM[travel]
        radius = data.radius_km if data.radius_km is not None else radius
        jobseeker = data.jobseeker if data.jobseeker is not None else jobseeker
        rsa = data.rsa if data.rsa is not None else rsa
    answers = state.answers
    for s in flow.age_steps:  # a number step may give the age itself
        if s.kind is Kind.NUMBER and s.id == "age" and isinstance(answers.get(s.id), int):
            age = int(answers[s.id])  # type: ignore[arg-type]
        # an age typed on a step of bands ("19" on 18-25): the exact age decides eligibility
        exact = exact_answer(answers, s.id)
        if exact is not None and s.choices:  # its choices are bands of ages
            age = exact
    themes = themes_for(step.themes, flow, state)
    return Profile(place, themes, age, jobseeker, rsa, radius, travel)


def answer_text(step: Step, value: Any, lang: str, yes: str, no: str) -> str:
    """An answer as a person reads it: a label, "Oui", a commune, a number."""
    if step.kind is Kind.YESNO:
        return yes if value == "yes" else no
    if step.kind in (Kind.CHOICE, Kind.CHOICES):
        ids = value if isinstance(value, list) else [value]
        labels = [c.label.get(lang) or c.label["fr"] for c in step.choices if c.id in ids]
        return ", ".join(labels)
    if step.kind is Kind.PLACE and isinstance(value, dict):
        return str(value["name"])
    return str(value)
