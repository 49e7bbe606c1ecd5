"""How each kind of step understands what the person did: a button, typed text, a number,
a place. Part of the engine (it inherits this); it decides, the engine moves the conversation.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.catalogue.gazetteer import Outcome, Resolution
from bot.catalogue.text import fold
from bot.dialogue.flow import Flow, Kind, Step
from bot.dialogue.replies import Ask, Option, Reply, Say, Turn
from bot.dialogue.showing import Shower
from bot.dialogue.state import Answer, Input, Pending, State
from bot.dialogue.understand import guess_choice, parse_number, parse_phone, words
from bot.messages import Messages
from bot.resources import Resources


class AnswerKinds:
    """The understanding of answers; the engine supplies the moves below."""

    msg: Messages
    show: Shower
    res: Resources

    def _accept(self, flow: Flow, step: Step, state: State, value: Answer, today: date) -> Turn:
        raise NotImplementedError

    def _reask(self, flow: Flow, state: State, key: str, today: date, **fields: Any) -> Turn:
        raise NotImplementedError

    def _enter(self, flow: Flow, state: State, replies: list[Reply], today: date) -> Turn:
        raise NotImplementedError

    def _yes_no(self, inp: Input, lang: str) -> bool | None:
        if inp.choice in ("yes", "no"):
            return inp.choice == "yes"
        if not inp.text:
            return None
        text = fold(inp.text)
        if text in words(self.msg.get("yes_words", lang)) | {
            fold(self.msg.get("answer_yes", lang))
        }:
            return True
        if text in words(self.msg.get("no_words", lang)) | {fold(self.msg.get("answer_no", lang))}:
            return False
        return None

    # -- answers ------------------------------------------------------------------------------

    def _answer(self, flow: Flow, step: Step, state: State, inp: Input, today: date) -> Turn:
        lang = state.lang
        if step.kind is Kind.YESNO:
            yes = self._yes_no(inp, lang)
            if yes is None:
                return self._reask(flow, state, "not_understood", today)
            return self._accept(flow, step, state, "yes" if yes else "no", today)
        if step.kind is Kind.CHOICE or step.kind is Kind.RESULTS or step.kind is Kind.SUMMARY:
            return self._choice(flow, step, state, inp, today)
        if step.kind is Kind.CHOICES:
            return self._multiple(flow, step, state, inp, today)
        if step.kind is Kind.NUMBER:
            return self._number(flow, step, state, inp, today)
        if step.kind is Kind.PLACE:
            return self._place(flow, step, state, inp, today)
        if step.kind is Kind.PHONE:
            phone = parse_phone(inp.contact or inp.text or "")
            if phone is None:
                return self._reask(flow, state, "phone_invalid", today)
            return self._accept(flow, step, state, phone, today)
        if step.kind is Kind.TEXT:
            text = (inp.text or "").strip()
            if not text:
                return self._reask(flow, state, "text_empty", today)
            return self._accept(flow, step, state, text[:500], today)
        return self._enter(flow, state, [], today)  # info: nothing to answer

    def _choice(self, flow: Flow, step: Step, state: State, inp: Input, today: date) -> Turn:
        options = self.show.options(flow, step, state)
        ids = {o.id for o in options}
        choice_id = inp.choice if inp.choice in ids else None
        if choice_id is None and inp.text and {"yes", "no"} <= ids:
            yes = self._yes_no(Input(text=inp.text), state.lang)
            choice_id = None if yes is None else ("yes" if yes else "no")
        if choice_id is None and inp.text:
            themed = [c for c in step.choices if c.data.themes or c.id == "unsure"]
            guess = guess_choice(
                inp.text, [(o.id, o.label) for o in options], self.res.lexicon, themed
            )
            if guess is not None and not guess.sure:
                label = next(o.text for o in options if o.id == guess.choice_id)
                asking = state.model_copy(
                    update={"pending": Pending(kind="confirm", value=guess.choice_id)}
                )
                return Turn(asking, [self._confirm_question(asking, label)])
            choice_id = guess.choice_id if guess else None
        if choice_id is None:
            return self._reask(flow, state, "not_understood", today)
        return self._accept(flow, step, state, choice_id, today)

    def _confirm_question(self, state: State, label: str) -> Ask:
        yes, no = self.msg.get("answer_yes", state.lang), self.msg.get("answer_no", state.lang)
        return Ask(
            state.step,
            self.msg.get("did_you_mean", state.lang, label=label),
            "choice",
            (Option("yes", yes, "👍"), Option("no", no, "👎")),
        )

    def _multiple(self, flow: Flow, step: Step, state: State, inp: Input, today: date) -> Turn:
        lang = state.lang
        raw = state.answers.get(step.id)
        selected = list(raw) if isinstance(raw, list) and state.step == step.id else []
        done = inp.choice == "done" or (
            inp.text is not None and fold(inp.text) in words(self.msg.get("done_words", lang))
        )
        if done:
            if len(selected) < (step.min or 1):
                return self._reask(flow, state, "choose_at_least", today, n=step.min or 1)
            return self._accept(flow, step, state, selected, today)
        labels = [(c.id, flow.text(c.label, lang)) for c in step.choices]
        picked: list[str] = []
        if inp.choice in {c for c, _l in labels}:
            picked = [inp.choice] if inp.choice else []
        elif inp.text:
            for part in inp.text.replace(";", ",").split(","):
                guess = guess_choice(part, labels) if part.strip() else None
                if guess is not None and guess.sure:
                    picked.append(guess.choice_id)
        if not picked:
            return self._reask(flow, state, "not_understood", today)
        for choice_id in picked:
            if choice_id in selected:
                selected.remove(choice_id)
            else:
                selected.append(choice_id)
        answers = {**state.answers, step.id: selected}
        return self._enter(flow, state.model_copy(update={"answers": answers}), [], today)

    def _number(self, flow: Flow, step: Step, state: State, inp: Input, today: date) -> Turn:
        value = parse_number(inp.text or "")
        if value is None:
            return self._reask(flow, state, "number_invalid", today)
        low = step.min if step.min is not None else 0
        high = step.max if step.max is not None else 10**6
        if not low <= value <= high:
            return self._reask(flow, state, "number_range", today, min=low, max=high)
        return self._accept(flow, step, state, value, today)

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
        return self._reask(flow, state, "place_unknown", today)

    # -- moving on ----------------------------------------------------------------------------
