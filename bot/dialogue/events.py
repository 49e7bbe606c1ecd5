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
    if before is not None and not fresh and flow.has_step(before.step):
        step = flow.step(before.step)
        value = after.answers.get(step.id)
        answered = step.id in after.history[len(before.history) :]
        if step.count and answered and isinstance(value, str):
            out.append(Event("answer", step=step.id, value=value))
    was = None if fresh or before is None else before.step
    reached: set[str] = set()
    for reply in turn.replies:
        if isinstance(reply, Ask | Results) and reply.step != was and reply.step not in reached:
            reached.add(reply.step)
            out.append(Event("step", step=reply.step))
        if isinstance(reply, Results):
            out += [
                Event(
                    "suggested", step=reply.step, offer=c.offer_id, theme=next(iter(c.themes), None)
                )
                for c in reply.cards
            ]
        elif isinstance(reply, Handoff):
            out.append(Event("handoff_asked", value="group" if reply.group_chat_id else "centre"))
    return tuple(out)


def where_from(flow: Flow, state: State) -> tuple[str | None, str | None]:
    """The department and the source centre a conversation's counts are filed under."""
    place = place_answer(flow, state)
    department = place.department if place else state.context.get("department")
    return department, state.context.get("source")
