"""The end of a conversation that passes the person to a volunteer: what the group reads.

Pure like the engine: it builds the `Handoff` reply (summary lines in French, for volunteers)
and what the person is told. The channel posts it; with no group, or without the person's
consent to keep anything, the person gets the centre's address and hours instead.
"""

from __future__ import annotations

from datetime import date

from bot.dialogue.events import where_from
from bot.dialogue.flow import Flow, Kind, Step
from bot.dialogue.profile import answer_text
from bot.dialogue.replies import Handoff, Reply, Say
from bot.dialogue.showing import Shower
from bot.dialogue.state import State
from bot.dialogue.way_forward import centre_line
from bot.messages import Messages
from bot.resources import Resources

STAFF_LANG = "fr"  # the volunteers' group reads French


def language_in_french(msg: Messages, lang: str) -> str:
    """ "arabe", "persan (dari)": what a French volunteer reads to call the right interpreter."""
    return msg.data.staff.get(f"language_{lang}") or msg.languages.get(lang, lang)


def phone_of(flow: Flow, state: State) -> str | None:
    for step in flow.steps:
        value = state.answers.get(step.id)
        if step.kind is Kind.PHONE and isinstance(value, str):
            return value
    return None


def without_phone(flow: Flow, state: State) -> State:
    """The number is needed until it is handed over, not one turn longer."""
    answers = {
        k: v
        for k, v in state.answers.items()
        if not (flow.has_step(k) and flow.step(k).kind is Kind.PHONE)
    }
    return state.model_copy(update={"answers": answers})


def centre_text(res: Resources, flow: Flow, state: State) -> str:
    """Where to meet a volunteer: the nearest centre's address and hours, or a general word."""
    department, code = where_from(flow, state)
    return centre_line(res.centres, res.messages, state.lang, department, code, "handoff_centre")


def handoff_replies(
    res: Resources, show: Shower, flow: Flow, step: Step, state: State, today: date
) -> list[Reply]:
    department, code = where_from(flow, state)
    group = res.centres.group(department, code)
    fallback = centre_text(res, flow, state)
    phone = phone_of(flow, state)
    if not state.keep or group is None or phone is None:
        return [Handoff(None, department or "", code, (), "", fallback), Say(fallback)]
    return [
        Handoff(
            group, department or "", code, _lines(res, show, flow, state, today), phone, fallback
        ),
        Say(show.step_text(flow, step, state)),
    ]


def _lines(
    res: Resources, show: Shower, flow: Flow, state: State, today: date
) -> tuple[tuple[str, str], ...]:
    msg = res.messages
    yes, no = msg.get("answer_yes", STAFF_LANG), msg.get("answer_no", STAFF_LANG)
    lines: list[tuple[str, str]] = []
    for s in flow.steps:
        value = state.answers.get(s.id)
        if value is None or not s.label or not s.store or s.kind in _NOT_SHOWN:
            continue
        label = flow.text(s.label, STAFF_LANG)
        text = answer_text(s, value, STAFF_LANG, yes, no)
        if s.kind is Kind.PLACE and isinstance(value, dict):
            text = show.place_label(value, STAFF_LANG)
        lines.append((label, text))
    lines.append((msg.staff("handoff_language"), language_in_french(msg, state.lang)))
    for offer in show.suggested(flow, state, today):
        contact = offer.contact.phone or offer.contact.email or ""
        lines.append(
            (
                msg.staff("handoff_idea"),
                f"{offer.title} — {offer.organisation.name} {contact}".strip(),
            )
        )
    return tuple(lines)


_NOT_SHOWN = frozenset({Kind.RESULTS, Kind.SUMMARY, Kind.INFO, Kind.PHONE, Kind.HANDOFF})
