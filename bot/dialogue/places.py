"""How a place step understands what the person typed or shared: a commune, a postal code,
a point, a department (then its towns), candidates to choose from, or, after two misses, the
region's departments and a way to reach a volunteer. Part of the engine (it inherits this).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.catalogue.gazetteer import Outcome, Resolution
from bot.dialogue.flow import Flow, Step
from bot.dialogue.replies import Ask, Option, Reply, Say, Turn
from bot.dialogue.showing import Shower
from bot.dialogue.state import Answer, Input, Pending, State
from bot.messages import Messages
from bot.resources import Resources

TOWN_BUTTONS = 4  # a department typed: its largest towns as buttons


class PlaceAnswers:
    """Places; the engine supplies the moves below."""

    msg: Messages
    show: Shower
    res: Resources

    def _accept(
        self,
        flow: Flow,
        step: Step,
        state: State,
        value: Answer,
        today: date,
        exact: int | None = None,
    ) -> Turn:
        raise NotImplementedError

    def _missed(self, flow: Flow, state: State) -> tuple[State, list[Reply]]:
        raise NotImplementedError

    def _reask(self, flow: Flow, state: State, key: str, today: date, **fields: Any) -> Turn:
        raise NotImplementedError

    def _enter(self, flow: Flow, state: State, replies: list[Reply], today: date) -> Turn:
        raise NotImplementedError

    def _answer(self, flow: Flow, step: Step, state: State, inp: Input, today: date) -> Turn:
        raise NotImplementedError

    def _confirm_question(self, state: State, label: str) -> Ask:
        raise NotImplementedError

    def _place(self, flow: Flow, step: Step, state: State, inp: Input, today: date) -> Turn:
        gaz = self.res.gazetteer
        if inp.location is not None:
            found = gaz.resolve(f"{inp.location[0]:.6f},{inp.location[1]:.6f}")
        elif inp.text and inp.text.strip():
            found = gaz.resolve(inp.text.strip().removeprefix("geo:").strip())
            if inp.text.strip().startswith("geo:"):
                found = gaz.resolve(inp.text.strip())
        else:
            return self._reask(flow, state, "place_unknown", today)
        return self._place_found(flow, step, state, found, today)

    def _place_found(
        self, flow: Flow, step: Step, state: State, found: Resolution, today: date
    ) -> Turn:
        lang = state.lang
        preset = state.context.get("department")
        candidates = list(found.candidates)
        if found.outcome is Outcome.AMBIGUOUS and preset:
            local = [c for c in candidates if c.department == preset]
            if len(local) == 1:
                return self._accept(flow, step, state, self.show.place_value(local[0]), today)
            candidates.sort(key=lambda c: c.department != preset)
        if found.outcome is Outcome.DEPARTMENT and found.department is not None:
            return self._ask_commune(flow, state, found.department)
        if found.outcome is Outcome.FOUND and found.place is not None:
            value = self.show.place_value(found.place)
            if found.corrected:
                label = self.show.place_label(value, lang)
                asking = state.model_copy(update={"pending": Pending(kind="confirm", value=value)})
                return Turn(asking, [self._confirm_question(asking, label)])
            return self._accept(flow, step, state, value, today)
        if found.outcome is Outcome.OUTSIDE:
            if found.outside is not None:
                where = self.msg.get(
                    "place_with_department",
                    lang,
                    name=found.outside.name,
                    department=found.outside.department_name,
                )
                text = self.msg.get("place_outside", lang, place=where)
            else:
                text = self.msg.get("place_outside_point", lang)
            return self._enter(flow, state, [Say(text)], today)
        if candidates:
            key = "place_ambiguous" if found.outcome is Outcome.AMBIGUOUS else "place_maybe"
            values = [self.show.place_value(c) for c in candidates]
            asking = state.model_copy(update={"pending": Pending(kind="place", options=values)})
            options = tuple(
                Option(v["insee"], self.show.place_label(v, lang), "📍") for v in values
            )
            options += (Option("other", self.msg.get("place_other", lang), "✏️"),)
            return Turn(asking, [Ask(state.step, self.msg.get(key, lang), "choice", options)])
        if state.misses >= 1:  # asked twice: which department, then its towns; or a volunteer
            return self._ask_department(flow, state)
        return self._reask(flow, state, "place_unknown", today)

    def _ask_commune(self, flow: Flow, state: State, department: str) -> Turn:
        """A department was typed: keep it, and ask which commune (its largest as buttons)."""
        lang = state.lang
        largest = self.res.gazetteer.largest(department, TOWN_BUTTONS)
        towns = [self.show.place_value(c) for c in largest]
        asking = state.model_copy(
            update={
                "context": {**state.context, "department": department},
                "pending": Pending(kind="place", options=towns),
            }
        )
        options = tuple(Option(v["insee"], v["name"], "📍") for v in towns)
        options += (Option("other", self.msg.get("place_other", lang), "✏️"),)
        name = self.res.gazetteer.department_name(department)
        text = self.msg.get("place_department", lang, department=name)
        return Turn(asking, [Ask(state.step, text, "choice", options)])

    def _ask_department(self, flow: Flow, state: State) -> Turn:
        """The commune was not found twice: the region's departments as buttons, and a way to
        reach a volunteer."""
        gaz = self.res.gazetteer
        codes = sorted(code for code in gaz.departments if gaz.in_region(code))
        missed, offer = self._missed(flow, state)
        pending = Pending(kind="department", options=[{"department": c} for c in codes])
        asking = missed.model_copy(update={"pending": pending})
        options = tuple(Option(f"dep_{c}", f"{gaz.department_name(c)} ({c})", "📍") for c in codes)
        text = self.msg.get("place_which_department", state.lang)
        question = Ask(state.step, text, "choice", options)
        return Turn(asking, [*offer, question])

    # -- moving on ----------------------------------------------------------------------------

    def _department_chosen(
        self, flow: Flow, step: Step, state: State, inp: Input, today: date
    ) -> Turn:
        """The answer to "which department?": its towns next, or a commune typed instead."""
        code = (inp.choice or "").removeprefix("dep_")
        if code not in self.res.gazetteer.departments and inp.text:
            code = self.res.gazetteer.department_of(inp.text) or ""
        if self.res.gazetteer.in_region(code):
            return self._ask_commune(flow, state, code)
        return self._answer(flow, step, state, inp, today)  # a commune typed instead
