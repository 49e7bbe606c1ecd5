"""The schema of a dialogue flow, loaded from YAML with line numbers for every problem."""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from bot.catalogue.model import Theme
from bot.catalogue.themes import theme_names, themes_file
from bot.paths import CATALOGUE_DIR
from bot.yamlsrc import DataError, Problem, Source, read_source, validate

Ident = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
Texts = dict[str, str]  # language code -> text; French first and always present
Condition = dict[str, str | list[str]]  # answer key -> accepted choice id(s)


# What rules may test besides answers: facts the engine knows about the conversation.
# volunteers: "group" when a volunteers' group chat takes handoffs for the person's department
# or centre, else "centre" (the person is sent to the centre).
FACTS: dict[str, frozenset[str]] = {"volunteers": frozenset({"group", "centre"})}


class Kind(StrEnum):
    CHOICE = "choice"  # one button
    CHOICES = "choices"  # several buttons, then "Valider"
    YESNO = "yesno"
    TEXT = "text"
    NUMBER = "number"
    PLACE = "place"  # a commune, a postal code or a shared location
    PHONE = "phone"  # a phone number, typed or shared as a contact
    INFO = "info"  # says something, waits for nothing
    RESULTS = "results"  # calls the matcher, shows cards
    SUMMARY = "summary"  # every answer, with "modifier" for each
    HANDOFF = "handoff"  # passes the conversation to the volunteers' group (or gives the centre)


QUESTION_KINDS = frozenset(
    {Kind.CHOICE, Kind.CHOICES, Kind.YESNO, Kind.TEXT, Kind.NUMBER, Kind.PLACE, Kind.PHONE}
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ChoiceData(Strict):
    """What choosing this option says about the person (read when building the search)."""

    themes: list[Theme] = []
    age: int | None = Field(default=None, ge=14, le=99)
    # the ages this choice stands for: a typed age ("19", "j'ai 19 ans", "١٩") picks it
    ages: tuple[Annotated[int, Field(ge=0, le=120)], Annotated[int, Field(ge=0, le=120)]] | None = (
        None
    )
    dont_know: bool = False  # "je ne sais pas": typed "jsp", "idk", "не знаю"… picks it
    radius_km: float | None = Field(default=None, gt=0, le=200)
    travel: Literal["walk", "bike", "bus", "car", "home"] | None = None  # how they get there
    jobseeker: bool | None = None
    rsa: bool | None = None
    lang: str | None = None  # the language step: switches the conversation's language
    keep: bool | None = None  # the consent step: may anything outlive the conversation?
    followup: bool | None = None  # yes to "shall I write to you in N days?"


class Choice(Strict):
    id: Ident
    emoji: str | None = None
    label: Texts
    data: ChoiceData = ChoiceData()
    action: Literal["restart", "more", "stop"] | None = None
    next: Ident | None = None  # a jump for this choice only


class Rule(Strict):
    when: Condition = Field(default_factory=dict, alias="if")
    goto: Ident


class ThemeRule(Strict):
    when: Condition = Field(default_factory=dict, alias="if")
    themes: list[Theme] = []
    themes_from: Ident | None = None  # take the themes of the choice made at this step

    @model_validator(mode="after")
    def _one(self) -> ThemeRule:
        if not self.themes and not self.themes_from:
            raise ValueError("a theme rule needs 'themes' or 'themes_from'")
        return self


class Step(Strict):
    id: Ident
    kind: Kind
    text: Texts
    help: Texts | None = None
    label: Texts | None = None  # short name of the answer in a summary ("Commune")
    choices: list[Choice] = []
    min: int | None = None  # number: smallest value; choices: fewest options
    max: int | None = None
    store: bool = True  # keep the answer (free text is kept only when a step needs it)
    next: Ident | list[Rule] | None = None
    themes: list[ThemeRule] = []  # results: which themes to search, first matching rule
    setting: bool = False  # a setting (language, consent), not a question about the person
    count: bool = False  # its answers are counted, anonymously, for the evaluation report

    @model_validator(mode="after")
    def _coherent(self) -> Step:
        if self.kind in (Kind.CHOICE, Kind.CHOICES) and not self.choices:
            raise ValueError(f"a '{self.kind.value}' step needs choices")
        if self.kind not in (Kind.CHOICE, Kind.CHOICES, Kind.RESULTS) and self.choices:
            raise ValueError(f"a '{self.kind.value}' step takes no choices")
        ids = [c.id for c in self.choices]
        if len(ids) != len(set(ids)):
            raise ValueError("two choices share an id")
        if self.kind is Kind.RESULTS and not self.themes:
            raise ValueError("a results step needs 'themes' rules")
        if self.count and self.kind not in (Kind.CHOICE, Kind.YESNO):
            raise ValueError("only 'choice' and 'yesno' steps can be counted")
        return self


class FollowUp(Strict):
    """N days after the results, with the person's consent, the bot asks how it went."""

    step: Ident  # where the follow-up conversation starts
    after_days: Annotated[int, Field(ge=1, le=90)] = 14


class Flow(Strict):
    id: Ident
    version: Annotated[int, Field(ge=1)]
    audience: Literal["beneficiary", "volunteer"]
    languages: list[str] = Field(min_length=1)
    title: Texts
    start: Ident
    progress: bool = False  # show "Étape 3 sur 9"
    followup: FollowUp | None = None
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids(self) -> Flow:
        ids = [s.id for s in self.steps]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"two steps share an id: {', '.join(dupes)}")
        if "fr" not in self.languages:
            raise ValueError("French ('fr') must be one of the languages")
        return self

    @cached_property
    def _by_id(self) -> dict[str, Step]:
        # a plain instance attribute once computed: reading it costs a dict look-up
        return {s.id: s for s in self.steps}

    @cached_property
    def choice_by_id(self) -> dict[str, dict[str, Choice]]:
        """Each step's choices by id (the steps with choices only): what an answer picked."""
        return {s.id: {c.id: c for c in s.choices} for s in self.steps if s.choices}

    @cached_property
    def age_steps(self) -> tuple[Step, ...]:
        """The steps that may give the age itself: a number step `age`, or choices of ages
        (bands on which an exact age can be typed), in the flow's order."""
        return tuple(
            s
            for s in self.steps
            if (s.kind is Kind.NUMBER and s.id == "age")
            or any(c.data.ages or c.data.age for c in s.choices)
        )

    def step(self, step_id: str) -> Step:
        return self._by_id[step_id]

    def step_ids(self) -> list[str]:
        return list(self._by_id)

    def has_step(self, step_id: str) -> bool:
        return step_id in self._by_id

    def text(self, texts: Texts, lang: str) -> str:
        return texts.get(lang) or texts.get("fr") or ""


def load_flow(path: Path, themes: frozenset[Theme] | None = None) -> tuple[Flow, Source]:
    """One flow; a theme not in `themes` (by default the bundled themes file) is an error."""
    source = read_source(path, _label(path))
    flow = validate(source, Flow)
    known = themes if themes is not None else theme_names(themes_file(CATALOGUE_DIR))
    unknown = unknown_themes(flow, source, known)
    if unknown:
        raise DataError(unknown)
    return flow, source


def unknown_themes(flow: Flow, source: Source, known: frozenset[Theme]) -> list[Problem]:
    """Every theme a flow names that the themes file does not define, at its line."""
    listed = ", ".join(sorted(known))
    out: list[Problem] = []

    def check(loc: tuple[str | int, ...], names: list[Theme]) -> None:
        out.extend(
            source.problem((*loc, k), f"unknown theme '{t}' (known: {listed})")
            for k, t in enumerate(names)
            if t not in known
        )

    for i, step in enumerate(flow.steps):
        for j, choice in enumerate(step.choices):
            check(("steps", i, "choices", j, "data", "themes"), choice.data.themes)
        for j, rule in enumerate(step.themes):
            check(("steps", i, "themes", j, "themes"), rule.themes)
    return out


def load_flows(directory: Path, themes: frozenset[Theme] | None = None) -> dict[str, Flow]:
    """Every flow in `directory` (files not named messages.yaml or falc.yaml)."""
    flows: dict[str, Flow] = {}
    problems: list[Problem] = []
    for path in flow_files(directory):
        try:
            flow, _source = load_flow(path, themes)
        except DataError as exc:
            problems.extend(exc.problems)
            continue
        flows[flow.id] = flow
    if problems:
        raise DataError(problems)
    return flows


def flow_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.yaml") if p.stem not in NOT_FLOWS)


NOT_FLOWS = frozenset({"messages", "falc"})


def _label(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
