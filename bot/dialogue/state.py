"""Conversation state and user input: small, serialisable, validated when restored."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Answer = str | list[str] | int | dict[str, Any]


class Pending(BaseModel):
    """A question inside a step: "Vouliez-vous dire … ?", which commune, which language."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["confirm", "place", "lang", "department"]
    value: Answer | None = None  # the answer to confirm
    options: list[dict[str, Any]] = []  # place candidates, or departments ({"department": "23"})


class State(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    flow: str
    version: int
    lang: str = "fr"
    step: str
    answers: dict[str, Answer] = {}
    history: list[str] = []  # steps answered, most recent last: what "retour" undoes
    context: dict[str, str] = {}  # set at start: department, source centre…
    pending: Pending | None = None
    editing: bool = False  # answering again from the summary: go back there after
    page: int = 0  # results shown so far, in pages
    more: bool = False  # the results step has a next page to show ("Voir plus")
    misses: int = Field(default=0, ge=0)  # answers not understood in a row at this step
    done: bool = False
    turns: int = Field(default=0, ge=0)
    keep: bool | None = None  # consent: None before the question, then the person's answer
    run: str = ""  # an opaque id of this conversation for anonymous counts (set by the channel)

    def to_json(self) -> str:
        return self.model_dump_json(exclude_defaults=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> State:
        return cls.model_validate_json(text)


EXACT = "_exact"  # answers[f"{step}_exact"]: the number typed on a step of bands ("19" -> 18-25)


def exact_answer(answers: dict[str, Answer], step_id: str) -> int | None:
    """The exact number typed on a step whose choices are bands (an age), if one was typed."""
    value = answers.get(step_id + EXACT)
    return value if isinstance(value, int) else None


Command = Literal["back", "restart", "help", "language", "stop"]


@dataclass(frozen=True, slots=True)
class Input:
    """One thing the person did: typed text, tapped a button, shared a location, a command."""

    text: str | None = None
    choice: str | None = None  # a button's choice id
    step: str | None = None  # the step the button belonged to: older buttons are refused
    location: tuple[float, float] | None = None
    contact: str | None = None  # a phone number shared as a contact card
    command: Command | None = None
