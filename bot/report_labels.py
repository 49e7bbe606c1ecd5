"""The report's words: steps, themes, departments, centres and answers by their French names.

Events carry ids (`where`, `fle`, `23`, `gueret`); a coordinator reads "Commune", "Français
(FLE)", "Creuse (23)", "Centre de Guéret". Each name falls back to the id, never to nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.dialogue.flow import Flow, Kind, Step
from bot.messages import Messages

FRENCH = "fr"
# the steps after which nothing is asked: a conversation that stops at one of them has ended
_ENDINGS = frozenset({Kind.SUMMARY, Kind.HANDOFF, Kind.INFO})


@dataclass(frozen=True)
class Labels:
    departments: Mapping[str, str] = field(default_factory=dict)  # code -> name
    themes: Mapping[str, str] = field(default_factory=dict)  # theme -> French label
    centres: Mapping[str, str] = field(default_factory=dict)  # code -> name
    offers: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # id -> title, department

    def department(self, code: str | None, unknown: str) -> str:
        if not code:
            return unknown
        name = self.departments.get(code)
        return f"{name} ({code})" if name else code

    def theme(self, theme: str | None, unknown: str) -> str:
        return self.themes.get(theme, theme) if theme else unknown

    def centre(self, code: str | None, unknown: str) -> str:
        return self.centres.get(code, code) if code else unknown

    def dimension(self, dim: str, value: str | None, unknown: str) -> str:
        if dim == "department":
            return self.department(value, unknown)
        if dim == "theme":
            return self.theme(value, unknown)
        return self.centre(value, unknown)


def step_name(flow: Flow, step_id: str, m: Messages) -> str:
    """A staff name for the step (`report_step_<id>`), else its summary label, else its id."""
    named = m.data.staff.get(f"report_step_{step_id}")
    if named:
        return named
    if flow.has_step(step_id) and (label := flow.step(step_id).label):
        return flow.text(label, FRENCH)
    return step_id


def answer_name(flow: Flow, step_id: str, value: str, m: Messages) -> str:
    if value in ("yes", "no") and flow.has_step(step_id) and flow.step(step_id).kind is Kind.YESNO:
        return m.get(f"answer_{value}", FRENCH)
    if flow.has_step(step_id):
        for choice in flow.step(step_id).choices:
            if choice.id == value:
                return flow.text(choice.label, FRENCH)
    return value


def flow_name(flow: Flow) -> str:
    return flow.text(flow.title, FRENCH) if flow.title else flow.id


def finishing(flow: Flow) -> frozenset[str]:
    """Steps where a conversation has reached its end: a summary or a handoff, or a question
    after which only a summary, a handoff or a last message come."""
    out = set()
    for step in flow.steps:
        targets = _targets(step)
        if step.kind in (Kind.SUMMARY, Kind.HANDOFF) or (
            targets and all(flow.has_step(t) and flow.step(t).kind in _ENDINGS for t in targets)
        ):
            out.add(step.id)
    return frozenset(out)


def _targets(step: Step) -> list[str]:
    if step.next is None:
        return []
    if isinstance(step.next, str):
        return [step.next]
    return [rule.goto for rule in step.next]
