"""Channel-neutral replies: what the bot says, what it offers, what it waits for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.dialogue.state import State

Expect = Literal["choice", "choices", "text", "number", "place", "phone"]


def button_payload(flow: str, version: int, step: str, choice: str) -> str:
    """What a button carries back: versioned, so that a button from an earlier step or flow
    version can be recognised and refused. Telegram allows 64 bytes (`flows check` verifies)."""
    return f"{flow}.{version}:{step}:{choice}"


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    label: str
    emoji: str | None = None
    selected: bool = False  # already chosen (multiple choice, or the answer given before)

    @property
    def text(self) -> str:
        mark = "✅ " if self.selected else ""
        return f"{mark}{self.emoji} {self.label}" if self.emoji else f"{mark}{self.label}"


@dataclass(frozen=True, slots=True)
class Say:
    """Plain text."""

    text: str


@dataclass(frozen=True, slots=True)
class Ask:
    """A question: the bot now waits for `expects`."""

    step: str
    text: str
    expects: Expect
    options: tuple[Option, ...] = ()


@dataclass(frozen=True, slots=True)
class Card:
    """One suggested offer, with every label already in the person's language."""

    offer_id: str
    title: str
    reason: str
    themes: tuple[str, ...]
    distance_km: float | None
    commune: str | None
    lines: tuple[tuple[str, str], ...]  # (label, value): organisation, address, phone…
    phone: str | None = None
    lat: float | None = None
    lon: float | None = None
    languages: tuple[str, ...] = ()
    summary: str = ""  # the offer in easy-read words (French, as the catalogue)
    for_volunteer: str | None = None  # a short French block the person can show a volunteer


@dataclass(frozen=True, slots=True)
class Results:
    step: str
    text: str
    cards: tuple[Card, ...] = field(default_factory=tuple)
    # the first page of a search, for the unmet-demand count: what it found ("near": within
    # reach; "further", "department", "region": only by widening; "nothing") and for which themes
    found: str | None = None
    themes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Handoff:
    """Pass the person to the volunteers' group chat: not shown to the person.

    `lines` is the summary the volunteers read (in French); `fallback` is what the person is
    told if the group cannot be reached (the centre's address and hours).
    """

    group_chat_id: int | None  # None: no group, or no consent: the person goes to the centre
    department: str
    centre: str | None
    lines: tuple[tuple[str, str], ...]  # (label, value) in French
    phone: str
    fallback: str


@dataclass(frozen=True, slots=True)
class PlanFollowUp:
    """Write to the person again in `after_days` days (they agreed): not shown to the person."""

    after_days: int


Reply = Say | Ask | Results | Handoff | PlanFollowUp


@dataclass(frozen=True, slots=True)
class Event:
    """Something worth counting, anonymously: a step reached, results shown, an answer."""

    name: str  # started, step, search, suggested, handoff_asked, answer
    step: str | None = None
    value: str | None = None
    offer: str | None = None
    theme: str | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    state: State
    replies: list[Reply]
    events: tuple[Event, ...] = ()

    @property
    def expects(self) -> str | None:
        last = self.replies[-1] if self.replies else None
        return last.expects if isinstance(last, Ask) else None
