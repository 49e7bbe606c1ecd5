"""The dialogue engine: state + input -> new state + replies. Pure: no I/O, no clock.

Global commands (retour, recommencer, aide, langue, stop) win over every step. Typed text on a
step with buttons is matched against the labels and the lexicon; a close match is confirmed
("Vouliez-vous dire … ?", taken without asking when the same guess comes twice), nonsense
re-asks with the buttons, and from the second miss on a step a volunteer is offered with the
nearest centre. A greeting gets the question again. Nothing ends in a dead end.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.catalogue.text import fold
from bot.dialogue.answers import AnswerKinds
from bot.dialogue.bidi import right_to_left
from bot.dialogue.events import events_of, where_from
from bot.dialogue.flow import Flow, Kind, Step
from bot.dialogue.handoff import handoff_replies, without_phone
from bot.dialogue.profile import answer_text, matches
from bot.dialogue.replies import Ask, Event, Option, PlanFollowUp, Reply, Say, Turn
from bot.dialogue.showing import Shower
from bot.dialogue.state import EXACT, Answer, Command, Input, Pending, State
from bot.dialogue.understand import words
from bot.resources import Resources

MAX_AUTO_STEPS = 50  # info steps chained without input: a guard against a looping flow
COMMANDS: tuple[Command, ...] = ("back", "restart", "help", "language", "stop")


class Engine(AnswerKinds):
    def __init__(self, flows: dict[str, Flow], resources: Resources) -> None:
        self.flows = flows
        self.res = resources
        self.msg = resources.messages
        self.show = Shower(resources)
        self._command_words = {
            (lang, cmd): words(self.msg.get(f"command_words_{cmd}", lang))
            for lang in self.msg.languages
            for cmd in COMMANDS
        }
        self.greetings = frozenset().union(
            *(words(self.msg.get("greeting_words", lang)) for lang in self.msg.languages)
        )

    # -- entry points ---------------------------------------------------------------------

    def start(
        self,
        flow_id: str,
        today: date,
        lang: str | None = None,
        context: dict[str, str] | None = None,
    ) -> Turn:
        """A new conversation. A known language skips the language step."""
        return self._finish(None, self._start(flow_id, today, lang, context))

    def current(self, state: State, today: date) -> Turn:
        """Ask the current question again (after a restart of the bot, or a stale button)."""
        return self._finish(state, self._enter(self.flow_of(state), state, [], today))

    def handle(self, state: State, inp: Input, today: date) -> Turn:
        return self._finish(state, self._handle(state, inp, today))

    def follow_up(self, state: State, today: date) -> Turn | None:
        """The follow-up question, N days after the results (the person agreed to it)."""
        flow = self.flows.get(state.flow)
        if flow is None or flow.followup is None or not flow.has_step(flow.followup.step):
            return None
        asking = state.model_copy(
            update={
                "step": flow.followup.step,
                "done": False,
                "pending": None,
                "editing": False,
                "history": [],
            }
        )
        turn = self._finish(state, self._enter(flow, asking, [], today))
        return Turn(turn.state, turn.replies, (Event("followup_sent"), *turn.events))

    def _finish(self, before: State | None, turn: Turn) -> Turn:
        flow = self.flows.get(turn.state.flow)
        events = events_of(flow, before, turn) if flow is not None else ()
        replies = right_to_left(turn.replies) if turn.state.lang in self.msg.rtl else turn.replies
        return Turn(turn.state, replies, events)

    def _start(
        self,
        flow_id: str,
        today: date,
        lang: str | None = None,
        context: dict[str, str] | None = None,
        keep: bool | None = None,
    ) -> Turn:
        """A new conversation. A known language (or consent) skips its step."""
        flow = self.flows[flow_id]
        state = State(
            flow=flow.id,
            version=flow.version,
            lang=lang or "fr",
            step=flow.start,
            context=context or {},
            keep=keep,
        )
        for _ in range(len(flow.steps)):  # settings already known are not asked again
            step = flow.step(state.step)
            known = _known_setting(step, state, lang_known=bool(lang))
            if state.done or known is None:
                break
            answers = {**state.answers, step.id: known} if step.store and known else state.answers
            state = self._advance(flow, state, step, answers)
        return self._enter(flow, state, [], today)

    def flow_of(self, state: State) -> Flow:
        return self.flows[state.flow]

    def _handle(self, state: State, inp: Input, today: date) -> Turn:
        flow = self.flows.get(state.flow)
        if flow is None:  # a flow that was removed: start the default one again
            return self._start(next(iter(self.flows)), today, state.lang, state.context, state.keep)
        if not flow.has_step(state.step) or state.version != flow.version:
            state = self._migrate(flow, state)
        state = state.model_copy(update={"turns": state.turns + 1})
        command = inp.command or self._command_in(inp.text, state.lang)
        if command is not None:
            return self._command(flow, state, command, today)
        if state.done:
            turn = self._start(flow.id, today, state.lang, state.context, state.keep)
            return Turn(turn.state, [Say(self.msg.get("finished", state.lang)), *turn.replies])
        if inp.step is not None and inp.step != state.step:
            return self._enter(flow, state, [Say(self.msg.get("stale_button", state.lang))], today)
        if state.pending is not None:
            return self._pending(flow, state, inp, today)
        return self._answer(flow, flow.step(state.step), state, inp, today)

    # -- commands ---------------------------------------------------------------------------

    def _command_in(self, text: str | None, lang: str) -> Command | None:
        """A command typed as text: "/retour", "retour", "?"… in the person's language or French."""
        if not text or len(text) > 30:
            return None
        stripped = text.strip()
        if stripped == "?":
            return "help"
        key = fold(stripped.split()[0] if stripped.startswith("/") else stripped)
        for cmd in COMMANDS:
            found = self._command_words.get((lang, cmd)) or self._command_words[("fr", cmd)]
            if key in found or key in self._command_words[("fr", cmd)]:
                return cmd
        return None

    def _command(self, flow: Flow, state: State, command: Command, today: date) -> Turn:
        lang = state.lang
        if command == "restart":
            turn = self._start(flow.id, today, lang, state.context, state.keep)
            return Turn(turn.state, [Say(self.msg.get("restarted", lang)), *turn.replies])
        if command == "stop":
            done = state.model_copy(update={"done": True, "pending": None})
            return Turn(done, [Say(self.msg.get("stopped", lang))])
        if state.done:
            return self._start(flow.id, today, lang, state.context, state.keep)
        if command == "help":
            step = flow.step(state.step)
            text = flow.text(step.help, lang) if step.help else self.msg.get("help_generic", lang)
            return self._enter(flow, state, [Say(text)], today)
        if command == "language":
            asking = state.model_copy(update={"pending": Pending(kind="lang")})
            return Turn(asking, [self._language_question(asking)])
        return self._back(flow, state, today)

    def _back(self, flow: Flow, state: State, today: date) -> Turn:
        if state.pending is not None:  # first undo the question inside the step
            return self._enter(flow, state.model_copy(update={"pending": None}), [], today)
        history = [s for s in state.history if flow.has_step(s)]
        if not history:
            return self._enter(flow, state, [Say(self.msg.get("at_start", state.lang))], today)
        previous = history[-1]
        back = state.model_copy(
            update={"step": previous, "history": history[:-1], "editing": False, "page": 0}
        )
        replies: list[Reply] = []
        step = flow.step(previous)
        if step.kind not in (Kind.RESULTS, Kind.SUMMARY) and previous in state.answers:
            given = self._answer_text(step, state.answers[previous], state.lang)
            replies.append(Say(self.msg.get("previous_answer", state.lang, answer=given)))
        return self._enter(flow, back, replies, today)

    def _language_question(self, state: State) -> Ask:
        options = tuple(
            Option(f"lang_{code}", name, selected=code == state.lang)
            for code, name in self.msg.languages.items()
        )
        return Ask(state.step, self.msg.get("choose_language", state.lang), "choice", options)

    def _accept(
        self,
        flow: Flow,
        step: Step,
        state: State,
        value: Answer,
        today: date,
        exact: int | None = None,
    ) -> Turn:
        lang = state.lang
        if step.kind is Kind.RESULTS:
            return self._results_choice(flow, step, state, str(value), today)
        if step.kind is Kind.SUMMARY and isinstance(value, str) and value.startswith("edit_"):
            target = value.removeprefix("edit_")
            editing = state.model_copy(update={"step": target, "editing": True})
            return self._enter(flow, editing, [], today)
        choice = next((c for c in step.choices if c.id == value), None)
        if choice is not None and choice.action == "restart":
            return self._command(flow, state, "restart", today)
        if choice is not None and choice.action == "stop":
            return self._command(flow, state, "stop", today)
        answers = dict(state.answers)
        if step.store and step.kind is not Kind.SUMMARY:
            answers[step.id] = value
            answers.pop(step.id + EXACT, None)
            if exact is not None:  # "j'ai 19 ans": the band, and the age itself beside it
                answers[step.id + EXACT] = exact
        if choice is not None and choice.data.lang and choice.data.lang in self.msg.languages:
            lang = choice.data.lang
        keep = state.keep
        if choice is not None and choice.data.keep is not None:
            keep = choice.data.keep
        jump = choice.next if choice else None
        moved = self._advance(flow, state, step, answers, jump, {"lang": lang, "keep": keep})
        said: list[Reply] = []
        if choice is not None and choice.data.followup and keep and flow.followup is not None:
            said.append(PlanFollowUp(flow.followup.after_days))
        if step.kind is Kind.PLACE and isinstance(value, dict):  # say what was understood
            label = self.show.place_label(value, lang)
            said.append(Say(self.msg.get("place_understood", lang, place=label)))
        return self._enter(flow, moved, said, today)

    def _advance(
        self,
        flow: Flow,
        state: State,
        step: Step,
        answers: dict[str, Answer],
        jump: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> State:
        """The state once `step` is answered: `answers`, the step in the history, the next
        step; `settings` (language, consent) changed in the same copy."""
        history = [*state.history, step.id]
        target = jump or next_step(step, self._with_facts(flow, step, state, answers))
        if state.editing and step.kind in _ASKING:
            target = next((s.id for s in flow.steps if s.kind is Kind.SUMMARY), target)
            # the ideas shown before may not fit the new answer: the summary searches again
            answers = {
                k: v
                for k, v in answers.items()
                if not (flow.has_step(k) and flow.step(k).kind is Kind.RESULTS)
            }
        if target is None:
            update: dict[str, Any] = {"done": True}
        else:
            update = {"step": target, "page": 0, "misses": 0}
        update |= {"answers": answers, "history": history, "pending": None, "editing": False}
        return state.model_copy(update=update | settings if settings else update)

    def _with_facts(
        self, flow: Flow, step: Step, state: State, answers: dict[str, Answer]
    ) -> dict[str, Answer]:
        """The answers, plus the facts a rule of this step tests (see flow.FACTS)."""
        if not isinstance(step.next, list) or not any("volunteers" in r.when for r in step.next):
            return answers
        department, centre = where_from(flow, state.model_copy(update={"answers": answers}))
        has_group = self.res.centres.group(department, centre) is not None
        return {**answers, "volunteers": "group" if has_group else "centre"}

    def _results_choice(
        self, flow: Flow, step: Step, state: State, choice_id: str, today: date
    ) -> Turn:
        if choice_id == "more":
            more = state.model_copy(update={"page": state.page + 1})
            return self._enter(flow, more, [], today)
        moved = self._advance(flow, state, step, dict(state.answers))
        return self._enter(flow, moved, [], today)

    def _reask(self, flow: Flow, state: State, key: str, today: date, **fields: Any) -> Turn:
        state, offer = self._missed(flow, state)
        said = [Say(self.msg.get(key, state.lang, **fields)), *offer]
        step = flow.step(state.step)
        if step.kind in (Kind.RESULTS, Kind.SUMMARY):  # the buttons again, not the whole page
            ask = self.show.question(flow, step, state)
            if not state.more:
                kept = tuple(o for o in ask.options if o.id != "more")
                ask = Ask(ask.step, ask.text, ask.expects, kept)
            return Turn(state, [*said, ask])
        return self._enter(flow, state, said, today)

    def _enter(self, flow: Flow, state: State, replies: list[Reply], today: date) -> Turn:
        """Show the current step; info steps say their text and move on by themselves."""
        for _ in range(MAX_AUTO_STEPS):
            if state.done:
                return Turn(state, replies)
            step = flow.step(state.step)
            if step.kind is Kind.INFO:
                replies.append(Say(self.show.step_text(flow, step, state)))
                state = self._advance(flow, state, step, dict(state.answers))
                continue
            if step.kind is Kind.HANDOFF:
                replies.extend(handoff_replies(self.res, self.show, flow, step, state, today))
                state = without_phone(flow, state)
                state = self._advance(flow, state, step, dict(state.answers))
                continue
            if step.kind is Kind.RESULTS:
                state, shown = self.show.results(flow, step, state, today)
                replies.extend(shown)
                return Turn(state, replies)
            if step.kind is Kind.SUMMARY:
                replies.extend(self.show.summary(flow, step, state, today))
                return Turn(state, replies)
            replies.append(self.show.question(flow, step, state))
            return Turn(state, replies)
        raise RuntimeError(f"flow {flow.id} loops through info steps at {state.step}")

    def _answer_text(self, step: Step, value: Answer, lang: str) -> str:
        return answer_text(
            step, value, lang, self.msg.get("answer_yes", lang), self.msg.get("answer_no", lang)
        )

    def _migrate(self, flow: Flow, state: State) -> State:
        """A state from an older version of the flow: keep the answers that still fit."""
        answers = {k: v for k, v in state.answers.items() if flow.has_step(k.removesuffix(EXACT))}
        history = [s for s in state.history if flow.has_step(s)]
        step = state.step if flow.has_step(state.step) else (history[-1] if history else flow.start)
        return state.model_copy(
            update={
                "version": flow.version,
                "answers": answers,
                "history": history,
                "step": step,
                "pending": None,
            }
        )


_ASKING = frozenset(
    {Kind.CHOICE, Kind.CHOICES, Kind.YESNO, Kind.TEXT, Kind.NUMBER, Kind.PLACE, Kind.PHONE}
)


def _known_setting(step: Step, state: State, lang_known: bool) -> str | None:
    """The answer a setting step already has ("" when it keeps none): the language, or a
    consent given before. None: the step must be asked."""
    if not step.setting:
        return None
    for choice in step.choices:
        if choice.data.keep is True and state.keep is True:
            return choice.id
    if lang_known and (step.kind is not Kind.CHOICE or any(c.data.lang for c in step.choices)):
        return next((c.id for c in step.choices if c.data.lang == state.lang), "")
    return None


def next_step(step: Step, answers: dict[str, Answer]) -> str | None:
    if step.next is None or isinstance(step.next, str):
        return step.next
    for rule in step.next:
        if matches(rule.when, answers):
            return rule.goto
    return None
