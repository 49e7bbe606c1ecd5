"""What a turn is worth counting, read from the states before and after it and its replies.

Anonymous by construction: step ids, choice ids, offer ids and themes, nothing a person typed.
The channel keeps them only for a conversation whose person agreed (`State.keep`).
"""

from __future__ import annotations

from bot.dialogue.flow import Flow
from bot.dialogue.profile import place_answer
from bot.dialogue.replies import Ask, Event, Handoff, Results, Turn
from bot.dialogue.state import State


def events_of(flow: Flow, before: State | None, turn: Turn) -> tuple[Event, ...]:
    after = turn.state
    fresh = before is None or after.run != before.run  # a new conversation (start, restart)
    out: list[Event] = []
    if after.keep and (fresh or before is None or before.keep is not True):
        out.append(Event("started"))
    was = None
    if before is not None and not fresh:
        was = before.step
        step = flow.step(was) if flow.has_step(was) else None
        if step is not None and step.count and was in after.history[len(before.history) :]:
            value = after.answers.get(was)
            if isinstance(value, str):
                out.append(Event("answer", step=was, value=value))
    reached: list[str] = []
    for reply in turn.replies:
        kind = type(reply)
        if kind is Ask or kind is Results:
            step_id = reply.step  # type: ignore[union-attr]
            if step_id != was and step_id not in reached:
                reached.append(step_id)
                out.append(Event("step", step=step_id))
            if kind is Results:
                found = reply.found  # type: ignore[union-attr]
                for theme in reply.themes if found else ():  # type: ignore[union-attr]
                    out.append(Event("search", step=step_id, value=found, theme=theme))
                for c in reply.cards:  # type: ignore[union-attr]
                    theme = c.themes[0] if c.themes else None
                    out.append(Event("suggested", step=step_id, offer=c.offer_id, theme=theme))
        elif kind is Handoff:
            group = reply.group_chat_id  # type: ignore[union-attr]
            out.append(Event("handoff_asked", value="group" if group else "centre"))
    return tuple(out)


def where_from(flow: Flow, state: State) -> tuple[str | None, str | None]:
    """The department and the source centre a conversation's counts are filed under."""
    place = place_answer(flow, state)
    department = place.department if place else state.context.get("department")
    return department, state.context.get("source")
