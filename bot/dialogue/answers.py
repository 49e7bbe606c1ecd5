"""How each kind of step understands what the person did: a button, typed text, a number,
a place. Part of the engine (it inherits this); it decides, the engine moves the conversation.
"""

from __future__ import annotations

import re
from datetime import date

from bot.catalogue.text import fold
from bot.dialogue.flow import Flow, Kind, Step
from bot.dialogue.handoff import centre_text
from bot.dialogue.places import PlaceAnswers
from bot.dialogue.replies import Ask, Option, Reply, Say, Turn
from bot.dialogue.state import Input, Pending, State
from bot.dialogue.understand import (
    band_of,
    guess_choice,
    is_greeting,
    number_in,
    parse_number,
    parse_phone,
    words,
)

MISSES_BEFORE_HELP = 2  # answers not understood in a row before a volunteer is offered
# between several choices typed at once: "1,5", "1; 5", "1 et 5", "1 and 5", "1 і 5", "1 و 5"
_BETWEEN = re.compile(r"\s*(?:[,;+&/]|\s(?:et|and|і|та|и|و)\s)\s*", re.IGNORECASE)
_NUMBERS = re.compile(r"^[\d\s]+$")


def choice_parts(text: str) -> list[str]:
    """The choices typed in one message; numbers may also be apart by spaces only ("1 5")."""
    parts: list[str] = []
    for part in _BETWEEN.split(f" {text} "):
        parts += part.split() if _NUMBERS.match(part) else [part]
    return parts


class AnswerKinds(PlaceAnswers):
    """The understanding of answers; the engine supplies the moves (see PlaceAnswers)."""

    greetings: frozenset[str]  # "bonjour", "hello", "مرحبا"… in every language, folded

    def _missed(self, flow: Flow, state: State) -> tuple[State, list[Reply]]:
        """One more answer not understood here; from the second, a volunteer is offered (with
        the nearest centre's address), never the same question in a loop."""
        missed = state.model_copy(update={"misses": state.misses + 1})
        if missed.misses < MISSES_BEFORE_HELP:
            return missed, []
        offer = self.msg.get("miss_volunteer", state.lang)
        return missed, [Say(offer + "\n" + centre_text(self.res, flow, state))]

    def _language_question(self, state: State) -> Ask:
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
        if (
            step.kind not in (Kind.TEXT, Kind.PHONE)
            and inp.text
            and is_greeting(inp.text, self.greetings)
        ):  # "bonjour": the question again, no scolding
            hello = Say(self.msg.get("greeting_back", lang))
            return self._enter(flow, state, [hello], today)
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
        if inp.choice is not None and _tapped(flow, step, state, inp.choice):
            return self._accept(flow, step, state, inp.choice, today)  # no buttons to build
        options = self.show.options(flow, step, state)
        if step.kind is Kind.RESULTS and not state.more:  # "Voir plus" only when more exists
            options = tuple(o for o in options if o.id != "more")
        ids = {o.id for o in options}
        choice_id = inp.choice if inp.choice in ids else None
        if choice_id is None and inp.text and {"yes", "no"} <= ids:
            yes = self._yes_no(Input(text=inp.text), state.lang)
            choice_id = None if yes is None else ("yes" if yes else "no")
        if choice_id is None and inp.text:
            typed = self._typed_choice(flow, step, state, inp.text, len(options), today)
            if typed is not None:
                return typed
            themed = [c for c in step.choices if c.data.themes or c.data.dont_know]
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

    def _typed_choice(
        self, flow: Flow, step: Step, state: State, text: str, buttons: int, today: date
    ) -> Turn | None:
        """ "jsp" where a "je ne sais pas" choice exists; an age typed on a step of age bands
        ("19", "j'ai 19 ans", "١٩": the band, and the exact age kept beside it)."""
        unsure = next((c for c in step.choices if c.data.dont_know), None)
        if unsure is not None and self.res.lexicon.match(text).unsure:
            return self._accept(flow, step, state, unsure.id, today)
        if not any(c.data.ages for c in step.choices):
            return None
        value = number_in(text)
        if value is None or (text.strip().isdigit() and 1 <= value <= buttons):
            return None  # no number, or a button's number
        band = band_of(value, step.choices)
        if band is None:
            return self._reask(flow, state, "age_out_of_range", today)
        return self._accept(flow, step, state, band.id, today, exact=value)

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
            for part in choice_parts(inp.text):
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

    # -- pending questions inside a step --------------------------------------------------------

    def _pending(self, flow: Flow, state: State, inp: Input, today: date) -> Turn:
        pending = state.pending
        assert pending is not None
        step = flow.step(state.step)
        clear = state.model_copy(update={"pending": None})
        if pending.kind == "lang":
            code = (inp.choice or "").removeprefix("lang_")
            if code not in self.msg.languages and inp.text:
                guess = guess_choice(inp.text, [(c, n) for c, n in self.msg.languages.items()])
                code = guess.choice_id if guess else ""
            if code in self.msg.languages:
                return self._enter(flow, clear.model_copy(update={"lang": code}), [], today)
            return Turn(
                state,
                [Say(self.msg.get("not_understood", state.lang)), self._language_question(state)],
            )
        if pending.kind == "confirm":
            yes = self._yes_no(inp, state.lang)
            if yes is True and pending.value is not None:
                return self._accept(flow, step, clear, pending.value, today)
            if yes is False:
                missed, offer = self._missed(flow, clear)
                return self._enter(flow, missed, offer, today)
            turn = self._answer(flow, step, clear, inp, today)  # a fresh answer instead
            again = turn.state.pending
            if (
                again is not None
                and again.kind == "confirm"
                and again.value is not None
                and again.value == pending.value
            ):  # the same guess twice: the person means it (never "Vouliez-vous dire" again)
                return self._accept(flow, step, clear, again.value, today)
            return turn
        if pending.kind == "department":
            return self._department_chosen(flow, step, clear, inp, today)
        # place candidates
        for option in pending.options:
            if inp.choice == option["insee"] or (
                inp.text
                and inp.text.strip().isdigit()
                and int(inp.text) == pending.options.index(option) + 1
            ):
                return self._accept(flow, step, clear, option, today)
        if inp.choice == "other":
            return self._enter(flow, clear, [], today)
        return self._answer(flow, step, clear, inp, today)


def _tapped(flow: Flow, step: Step, state: State, choice: str) -> bool:
    """Is `choice` one of the buttons the step shows (a choice, or the results' buttons)?"""
    if step.kind is Kind.CHOICE:
        return choice in flow.choice_by_id.get(step.id, {})
    if step.kind is Kind.RESULTS:  # "Voir plus" only when more exists
        return choice == "continue" or (choice == "more" and state.more)
    return False
