"""What the engine shows at a step: the question with its buttons, result cards, the summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.catalogue.gazetteer import Commune, Place
from bot.catalogue.model import Location, Offer
from bot.catalogue.plain import load_plain_words
from bot.dialogue.flow import Flow, Kind, Step
from bot.dialogue.idea_sheet import idea_lines, offer_address
from bot.dialogue.profile import answer_text, build_profile, place_answer
from bot.dialogue.replies import Ask, Card, Expect, Option, Reply, Results, Say
from bot.dialogue.state import State
from bot.dialogue.way_forward import way_forward
from bot.kept import Kept
from bot.matching import Profile, Suggestion
from bot.provenance import updated_line
from bot.reasons import Reasons, widening_note
from bot.resources import Resources

PAGE = 3
CARD_LINES = 7  # a card: title, summary, reason, then labelled lines up to this many in all
FRENCH = "fr"
SEARCH_FOUND = {"none": "near"}  # Widening -> the `search` event's value (else its own name)
CARD_CACHE = 20_000  # cards' fixed pieces kept, by (offer, language, place)
_EXPECTS: dict[Kind, Expect] = {
    Kind.CHOICE: "choice",
    Kind.YESNO: "choice",
    Kind.CHOICES: "choices",
    Kind.TEXT: "text",
    Kind.NUMBER: "number",
    Kind.PLACE: "place",
    Kind.PHONE: "phone",
    Kind.RESULTS: "choice",
    Kind.SUMMARY: "choice",
}


@dataclass(frozen=True, slots=True)
class _CardPieces:
    place: Location | None
    title: str
    summary: str
    lines: tuple[tuple[str, str], ...]
    themes: tuple[str, ...]
    languages: tuple[str, ...]
    volunteer_label: str
    volunteer_head: tuple[str, str]  # title, address
    contact: str | None


class Shower:
    def __init__(self, resources: Resources) -> None:
        self.res = resources
        self.msg = resources.messages
        self._pieces: Kept[tuple[str, str, bool, str | None], _CardPieces] = Kept(CARD_CACHE)
        self.reasons = Reasons(resources.messages)
        self.plain = load_plain_words()

    # -- questions ----------------------------------------------------------------------------

    def step_text(self, flow: Flow, step: Step, state: State) -> str:
        text = flow.text(step.text, state.lang)
        if flow.progress and step.kind is not Kind.INFO:
            counted = [s.id for s in flow.steps if s.kind is not Kind.INFO and not s.setting]
            if step.id in counted:
                n, total = counted.index(step.id) + 1, len(counted)
                text = self.msg.get("progress", state.lang, n=n, total=total) + "\n" + text
        return text

    def options(self, flow: Flow, step: Step, state: State) -> tuple[Option, ...]:
        lang = state.lang
        given = state.answers.get(step.id)
        chosen = (
            set(given) if isinstance(given, list) else {given} if isinstance(given, str) else set()
        )
        if step.kind is Kind.YESNO:
            return (
                Option("yes", self.msg.get("answer_yes", lang), "👍", "yes" in chosen),
                Option("no", self.msg.get("answer_no", lang), "👎", "no" in chosen),
            )
        if step.kind is Kind.RESULTS:
            return (
                Option("more", self.msg.get("see_more", lang), "➕"),
                Option("continue", self.msg.get("continue", lang), "➡️"),
            )
        if step.kind is Kind.SUMMARY:  # no "change" for an answer that would end it (consent)
            edits = tuple(
                Option(
                    f"edit_{s.id}",
                    self.msg.get("summary_edit", lang, label=flow.text(s.label or {}, lang)),
                    "✏️",
                )
                for s in self._summarised(flow, state)
                if not _ends_on_change(flow, s)
            )
            return (*edits, Option("ok", self.msg.get("summary_ok", lang), "✅"))
        options = tuple(
            Option(c.id, flow.text(c.label, lang), c.emoji, c.id in chosen) for c in step.choices
        )
        if step.kind is Kind.CHOICES:
            options += (Option("done", self.msg.get("validate", lang), "✔️"),)
        return options

    def question(self, flow: Flow, step: Step, state: State) -> Ask:
        text = self.step_text(flow, step, state)
        if step.kind is Kind.CHOICES:
            text += "\n" + self.msg.get("several_allowed", state.lang)
        return Ask(step.id, text, _EXPECTS[step.kind], self.options(flow, step, state))

    # -- places -------------------------------------------------------------------------------

    def place_value(self, place: Place | Commune) -> dict[str, Any]:
        """A place as the conversation keeps it (both kinds carry the same five fields)."""
        return {
            "name": place.name,
            "lat": place.lat,
            "lon": place.lon,
            "department": place.department,
            "insee": place.insee,
        }

    def place_label(self, value: dict[str, Any], lang: str) -> str:
        department = self.res.gazetteer.department_name(value["department"])
        return self.msg.get(
            "place_with_department", lang, name=value["name"], department=department
        )

    # -- results ------------------------------------------------------------------------------

    def results(
        self, flow: Flow, step: Step, state: State, today: date
    ) -> tuple[State, list[Reply]]:
        """The page of results, and the state that has shown it: the ids shown kept in the
        step's answer, and `more` saying whether a next page exists."""
        lang = state.lang
        place = place_answer(flow, state)
        if place is None:  # the flow asks for results before the place: say so, go on
            return state.model_copy(update={"more": False}) if state.more else state, [
                Say(self.msg.get("results_no_place", lang)),
                Ask(
                    step.id,
                    self.step_text(flow, step, state),
                    "choice",
                    self.options(flow, step, state)[1:],
                ),
            ]
        profile = build_profile(flow, step, state, place)
        wanted = PAGE * (state.page + 1)
        result = self.res.matcher.suggest(profile, today, limit=wanted + 1)
        page = result.suggestions[PAGE * state.page : wanted]
        has_more = len(result.suggestions) > wanted
        if not page and state.page == 0:  # never a bare "nothing found": a way forward
            text = way_forward(
                profile,
                self.res.matcher,
                self.res.centres,
                self.msg,
                lang,
                today,
                state.context.get("source"),
            )
        elif not page:
            text = self.msg.get("results_no_more", lang)
        else:
            intro = self.msg.get("results_intro" if state.page == 0 else "results_more_intro", lang)
            note = widening_note(result, self.msg, lang) if state.page == 0 else None
            text = f"{note}\n{intro}" if note else intro
        cards = tuple(self.card(s, profile, lang, today) for s in page)
        shown = state.answers.get(step.id)
        seen = list(shown) if isinstance(shown, list) else []
        seen += [s.offer.id for s in page if s.offer.id not in seen]
        state = state.model_copy(
            update={"answers": {**state.answers, step.id: seen}, "more": has_more}
        )
        options = self.options(flow, step, state)
        if not has_more:
            options = tuple(o for o in options if o.id != "more")
        found = None
        if state.page == 0:
            found = "nothing" if not page else SEARCH_FOUND.get(result.widened.value, "near")
        return state, [
            Results(step.id, text, cards, found, profile.themes),
            Ask(step.id, self.step_text(flow, step, state), "choice", options),
        ]

    def card(self, s: Suggestion, profile: Profile, lang: str, today: date) -> Card:
        o: Offer = s.offer
        key = (o.id, lang, s.remote, s.commune)
        if (pieces := self._pieces.get(key)) is None:
            pieces = self._pieces.keep(key, self._card_pieces(s, lang))
        place = pieces.place
        for_volunteer = None
        if lang != FRENCH:  # "Pour le bénévole : title · where · when · phone", in French
            when = self.reasons.when(s.start, FRENCH, today)
            parts = (*pieces.volunteer_head, when, pieces.contact)
            for_volunteer = pieces.volunteer_label + " " + " · ".join(p for p in parts if p)
        return Card(
            offer_id=o.id,
            title=pieces.title,
            reason=self.reasons(s, profile.place.name, today, lang, profile.themes, profile.travel),
            themes=pieces.themes,
            distance_km=s.distance_km,
            commune=s.commune,
            lines=pieces.lines,
            phone=o.contact.phone,
            lat=place.lat if place else None,
            lon=place.lon if place else None,
            languages=pieces.languages,
            summary=pieces.summary,
            for_volunteer=for_volunteer,
        )

    def _card_pieces(self, s: Suggestion, lang: str) -> _CardPieces:
        """What a card of this offer shows that does not change from one search to the next,
        in this language, for the place the distance was measured to."""
        o = s.offer
        place = None
        if not s.remote and o.places:  # the place the distance was measured to
            place = next(
                (p for p in o.places if self._commune_name(p.insee) == s.commune), o.places[0]
            )
        title = self.plain(o.title)
        return _CardPieces(
            place=place,
            title=title,
            summary=self.plain(o.summary),
            lines=self._card_lines(o, lang, place),
            themes=tuple(o.themes),
            languages=tuple(o.languages),
            # the person shows it to a volunteer or at the door: in French whatever the language
            volunteer_label=self.msg.get("card_for_volunteer", FRENCH),
            volunteer_head=(title, self._address(o, place, FRENCH)),
            contact=o.contact.phone or o.contact.email or o.contact.url,
        )

    def _address(self, o: Offer, place: Location | None, lang: str) -> str:
        return offer_address(self.res, o, place, lang)

    def _card_lines(
        self, o: Offer, lang: str, place: Location | None
    ) -> tuple[tuple[str, str], ...]:
        """The labelled lines of a card, most useful first, so that a card stays about seven
        lines long (title, summary, reason, these): where, how to reach them, how to register,
        then hours, pay and documents while there is room; who published an imported offer and
        when comes last, like the sample warning."""
        m, plain = self.msg, self.plain
        lines: list[tuple[str, str]] = [(m.get("card_where", lang), self._address(o, place, lang))]
        contact = o.contact
        for key, value in (
            ("card_phone", contact.phone),
            ("card_email", contact.email),
            ("card_website", contact.url),
        ):
            if value:
                lines.append((m.get(key, lang), value))
                break
        prescription = o.eligibility.prescription
        if contact.how_to_register:
            lines.append((m.get("card_register", lang), plain(contact.how_to_register)))
        elif prescription.required and prescription.by:
            by = ", ".join(plain(b) for b in prescription.by)
            lines.append((m.get("card_prescription", lang), by))
        if o.opening_hours:  # a service open at set hours: when to go
            lines.append((m.get("card_hours", lang), o.opening_hours))
        if o.cost.trainee_pay:
            lines.append((m.get("card_pay", lang), m.get("card_pay_value", lang)))
        if o.documents:
            lines.append((m.get("card_documents", lang), "; ".join(map(plain, o.documents))))
        room = CARD_LINES - 3 - (o.source == "example")
        lines = lines[:room]
        if updated := updated_line(o, m, lang):  # an imported offer: who published it, when
            lines.append((m.get("card_updated", lang), updated))
        if o.source == "example":
            lines.append(("⚠️", m.get("card_example", lang)))
        return tuple(lines)

    def _commune_name(self, insee: str) -> str | None:
        commune = self.res.gazetteer.by_insee(insee)
        return commune.name if commune else None

    # -- summary ------------------------------------------------------------------------------

    def _summarised(self, flow: Flow, state: State) -> list[Step]:
        return [
            s
            for s in flow.steps
            if s.label
            and s.store
            and s.id in state.answers
            and s.kind not in (Kind.RESULTS, Kind.SUMMARY, Kind.INFO)
        ]

    def suggested(self, flow: Flow, state: State, today: date) -> list[Offer]:
        """The ideas shown, or, after an answer changed, a fresh search."""
        results = [s for s in flow.steps if s.kind is Kind.RESULTS]
        shown = [v for s in results for v in _ids(state.answers.get(s.id))]
        if shown:
            return [o for o in map(self.res.catalogue.by_id, shown) if o is not None]
        place = place_answer(flow, state)
        if not results or place is None:
            return []
        profile = build_profile(flow, results[0], state, place)
        return [s.offer for s in self.res.matcher.suggest(profile, today, limit=PAGE).suggestions]

    def summary_text(self, flow: Flow, state: State, today: date) -> str:
        lang = state.lang
        yes, no = self.msg.get("answer_yes", lang), self.msg.get("answer_no", lang)
        lines = [f"📋 {self.msg.get('summary_title', lang)} · {flow.text(flow.title, lang)}"]
        for s in self._summarised(flow, state):
            value = answer_text(s, state.answers[s.id], lang, yes, no)
            label = flow.text(s.label, lang) if s.label else s.id
            value = value or self.msg.get("summary_empty", lang)
            lines.append("• " + self.msg.get("summary_line", lang, label=label, value=value))
        offers = self.suggested(flow, state, today)
        if offers:
            lines.append("\n" + self.msg.get("summary_suggestions", lang))
            for o in offers:
                if o is not None:
                    contact = o.contact.phone or o.contact.email or o.contact.url or ""
                    title = self.plain(o.title)
                    lines.append(f"• {title} — {o.organisation.name} {contact}".rstrip())
                    if flow.audience == "volunteer":  # what the volunteer acts on, per idea
                        details = idea_lines(self.res, flow, o, state, today)
                        lines += [f"   {line}" for line in details]
        return "\n".join(lines)

    def summary(self, flow: Flow, step: Step, state: State, today: date) -> list[Reply]:
        return [Say(self.summary_text(flow, state, today)), self.question(flow, step, state)]


def _ends_on_change(flow: Flow, step: Step) -> bool:
    """A step one of whose answers ends the conversation (a consent refused)."""
    rules = step.next if isinstance(step.next, list) else []
    return any(
        flow.has_step(r.goto)
        and flow.step(r.goto).kind is Kind.INFO
        and flow.step(r.goto).next is None
        for r in rules
    )


def _ids(answer: object) -> list[str]:
    return [v for v in answer if isinstance(v, str)] if isinstance(answer, list) else []
