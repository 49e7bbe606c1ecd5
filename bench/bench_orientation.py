"""Orientation quality: do the first suggestions fit the person?

    python -m bench.bench_orientation [--cases bench/orientation_cases.yaml] [--failures]

Each case of `orientation_cases.yaml` is played through the real engine and the bundled
beneficiary flow, as a person would: consent, the place, the need typed as written, the school
questions when the flow asks them, the age button, France Travail, the mobility button. The
cards shown are scored:

- precision@1: the first card is acceptable (one of `expect`) and is none of `not_first`;
- precision@3: acceptable cards among the first three shown, over the number shown (at most 3);
- in reach: of the first cards shown, the share on site within the person's reach, or remote
  for "from home".

A case that expects nothing (`expect: []`: no offer is open to this person) scores 1 when no
card is shown and the way forward is said instead.

A case whose need is not understood (the engine asks the need again) scores 0. Cases marked
`waits: lexicon` are played and reported, but left out of the figures the tests hold as a floor.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.dialogue.engine import Engine
from bot.dialogue.replies import Card, Results, Turn
from bot.dialogue.state import Input
from bot.resources import Resources, load_resources, settle
from bot.yamlsrc import read_source, validate

TODAY = date(2026, 11, 26)
CASES = Path(__file__).with_name("orientation_cases.yaml")
FLOW = "beneficiary"
MAX_TURNS = 30
AGE_BANDS = ((17, "age_16_17"), (25, "age_18_25"), (49, "age_26_49"), (200, "age_50_plus"))

Travel = Literal["walk", "bike", "bus", "car", "home"]


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    lang: Literal["fr", "en", "ar", "uk", "fa"]
    where: str
    need: str
    age: int
    travel: Travel
    jobseeker: Literal["yes", "no", "dont_know"] = "dont_know"
    school: Literal["in_france", "abroad", "never"] | None = None
    speaks_french: Literal["well", "little", "not_yet"] | None = None
    expect: list[str]
    not_first: list[str] = []
    waits: Literal["lexicon"] | None = None
    note: str | None = None


class CaseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cases: list[Case]


@dataclass(frozen=True, slots=True)
class Outcome:
    case: Case
    cards: tuple[Card, ...]
    reach_km: float
    stuck: str | None = None  # the step the conversation could not get past
    way_forward: bool = False  # no card, and the way forward was said instead

    def acceptable(self, card: Card) -> bool:
        return card.offer_id in self.case.expect or any(t in self.case.expect for t in card.themes)

    def within_reach(self, card: Card) -> bool:
        if card.distance_km is None:
            return self.case.travel == "home"
        return self.case.travel != "home" and card.distance_km <= self.reach_km

    def forbidden_first(self, card: Card) -> bool:
        marks = set(self.case.not_first)
        remote = card.distance_km is None
        return (
            card.offer_id in marks
            or (remote and "remote" in marks)
            or (not remote and "on_site" in marks)
            or (not remote and "far" in marks and not self.within_reach(card))
        )

    @property
    def expects_nothing(self) -> bool:
        return not self.case.expect

    @property
    def p1(self) -> float:
        if self.expects_nothing:
            return float(not self.cards and self.way_forward)
        if not self.cards:
            return 0.0
        first = self.cards[0]
        return float(self.acceptable(first) and not self.forbidden_first(first))

    @property
    def p3(self) -> float:
        if self.expects_nothing:
            return self.p1
        top = self.cards[:3]
        return sum(map(self.acceptable, top)) / len(top) if top else 0.0

    @property
    def reached(self) -> float:
        return float(bool(self.cards) and self.within_reach(self.cards[0]))


@dataclass
class Figures:
    outcomes: list[Outcome] = field(default_factory=list)

    def of(self, outcomes: list[Outcome]) -> tuple[float, float, float]:
        n = max(len(outcomes), 1)
        shown = [o for o in outcomes if o.cards]  # reach: of the first suggestions shown
        return (
            sum(o.p1 for o in outcomes) / n,
            sum(o.p3 for o in outcomes) / n,
            sum(o.reached for o in shown) / max(len(shown), 1),
        )

    @property
    def ready(self) -> list[Outcome]:
        """The cases this branch can read: the floor is held on them."""
        return [o for o in self.outcomes if o.case.waits is None]

    @property
    def waiting(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.case.waits is not None]

    def report(self, failures: bool = False) -> str:
        lines = []
        for title, group in (("all", self.outcomes), ("ready", self.ready)):
            p1, p3, reach = self.of(group)
            lines.append(
                f"{title:6} {len(group):4} cases · precision@1 {p1:.3f} · precision@3 {p3:.3f}"
                f" · first within reach {reach:.3f}"
            )
        waiting = self.waiting
        understood = sum(o.stuck is None for o in waiting)
        lines.append(f"waiting for the lexicon: {len(waiting)} cases, {understood} understood now")
        for lang in ("fr", "en", "ar", "uk", "fa"):
            group = [o for o in self.outcomes if o.case.lang == lang]
            p1, p3, reach = self.of(group)
            lines.append(
                f"  {lang} {len(group):4} · p@1 {p1:.3f} · p@3 {p3:.3f} · reach {reach:.3f}"
            )
        if failures:
            for o in self.outcomes:
                if o.p1 < 1:
                    first = o.cards[0] if o.cards else None
                    shown = (
                        f"{first.offer_id} {list(first.themes)} {first.distance_km} km"
                        if first
                        else f"stuck at {o.stuck}"
                        if o.stuck
                        else "no card"
                    )
                    lines.append(f"✗ {o.case.id} [{o.case.need}] {o.case.travel} → {shown}")
        return "\n".join(lines)


def load_cases(path: Path = CASES) -> list[Case]:
    return validate(read_source(path), CaseFile).cases


def _age_choice(age: int) -> str:
    return next(choice for top, choice in AGE_BANDS if age <= top)


def _reach(res: Resources, travel: str) -> float:
    step = res.flows[FLOW].step("mobility")
    data = next(c.data for c in step.choices if c.id == travel)
    return 0.0 if travel == "home" else float(data.radius_km or 0.0)


def _answer(case: Case, turn: Turn, tried: set[str]) -> Input | None:
    """What the person does at this point of the conversation (None: they are stuck)."""
    state = turn.state
    step = state.step
    pending = state.pending
    if pending is not None and pending.kind == "confirm":
        return Input(choice="yes", step=step)  # "Vouliez-vous dire … ?": the person agrees
    if pending is not None and pending.kind == "place" and pending.options:
        return Input(choice=str(pending.options[0]["insee"]), step=step)
    if step in tried and step in ("where", "need"):
        return None  # asked again: not understood
    tried.add(step)
    typed = {"where": case.where, "need": case.need}
    if step in typed:
        return Input(text=typed[step])
    choices = {
        "consent": "yes",
        "school": case.school or "in_france",
        "speaks_french": case.speaks_french or "little",
        "age": _age_choice(case.age),
        "jobseeker": case.jobseeker,
        "mobility": case.travel,
    }
    return Input(choice=choices[step], step=step) if step in choices else None


def play(engine: Engine, res: Resources, case: Case) -> Outcome:
    reach = _reach(res, case.travel)
    turn = engine.start(FLOW, TODAY, case.lang)
    tried: set[str] = set()
    for _ in range(MAX_TURNS):
        for reply in turn.replies:
            if isinstance(reply, Results):
                forward = res.messages.get("way_volunteer", case.lang) in reply.text
                return Outcome(case, reply.cards, reach, way_forward=forward)
        inp = _answer(case, turn, tried)
        if inp is None:
            return Outcome(case, (), reach, stuck=turn.state.step)
        turn = engine.handle(turn.state, inp, TODAY)
    return Outcome(case, (), reach, stuck=turn.state.step)


def run(path: Path = CASES, res: Resources | None = None) -> Figures:
    res = res or load_resources()
    settle()
    engine = Engine(res.flows, res)
    return Figures([play(engine, res, case) for case in load_cases(path)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=Path, default=CASES)
    parser.add_argument("--failures", action="store_true", help="list the cases that fail")
    args = parser.parse_args()
    print(run(args.cases).report(args.failures))


if __name__ == "__main__":
    main()
